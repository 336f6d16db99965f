// Which process is at the other end of the link to QEMU (for the host view of guest memory).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "targets/cache/proc_maps_hint.hpp"
#include "targets/qemu/qemu_host_memory.hpp"
#include "targets/qemu/qemu_link.hpp"

namespace remora::targets::qemu {

pid_t QemuLink::peer_pid() const {
  if (!alive_) return 0;
  const int fd = const_cast<asio::posix::stream_descriptor&>(socket_).native_handle();
  if (unix_socket_) {
    ucred cred{};
    socklen_t len = sizeof cred;
    return ::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 ? cred.pid : 0;
  }
  // TCP: only a peer on this machine (loopback), found as the holder of the other end.
  sockaddr_in mine{}, theirs{};
  socklen_t a = sizeof mine, b = sizeof theirs;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&mine), &a) != 0 ||
      ::getpeername(fd, reinterpret_cast<sockaddr*>(&theirs), &b) != 0 || mine.sin_family != AF_INET ||
      (ntohl(theirs.sin_addr.s_addr) >> 24) != 127)
    return 0;
  auto inode = tcp_socket_inode(cache::read_proc_file("/proc/net/tcp"), theirs.sin_addr.s_addr,
                                ntohs(theirs.sin_port), mine.sin_addr.s_addr, ntohs(mine.sin_port));
  return inode ? process_holding_socket(*inode) : 0;
}

}  // namespace remora::targets::qemu
