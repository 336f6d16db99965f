// vFile: replies are `F result[;attachment]` with the result in hex, or `F-1,errno` with gdb's
// File-I/O errno number in hex (gdbserver's hostio.c prints both with %x; lldb-server does too
// since LLVM 13, when lldb switched to gdb's numbers and open flags).
#include <algorithm>
#include <cerrno>

#include "rsp/handlers/host_io_handlers.hpp"

namespace remora::rsp::handlers {
namespace {

Reply fio_error(int linux_errno) {
  std::string out = "F-1,";
  append_hex_u64(out, static_cast<std::uint64_t>(fileio_errno(linux_errno)));
  return Reply::with(std::move(out));
}

Reply fio_result(std::uint64_t value) {
  std::string out = "F";
  append_hex_u64(out, value);
  return Reply::with(std::move(out));
}

Reply fio_with_data(std::span<const std::byte> data) {
  std::string out = "F";
  append_hex_u64(out, data.size());
  out += ';';
  append_escaped(out, data);
  return Reply::with(std::move(out));
}

void put_be(std::string& out, std::uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((value >> (8 * i)) & 0xff);
}

// The GDB manual's "struct stat" (File-I/O): 32-bit dev, ino, mode, nlink, uid, gid, rdev;
// 64-bit size, blksize, blocks; 32-bit atime, mtime, ctime; all big-endian, 64 bytes.
Reply fio_stat(const targets::FileStat& st) {
  std::string raw;
  for (std::uint64_t v : {st.dev, st.ino, std::uint64_t{st.mode}, std::uint64_t{st.nlink}, std::uint64_t{st.uid},
                          std::uint64_t{st.gid}, st.rdev})
    put_be(raw, v, 4);
  for (std::uint64_t v : {st.size, st.blksize, st.blocks}) put_be(raw, v, 8);
  for (std::int64_t v : {st.atime, st.mtime, st.ctime}) put_be(raw, static_cast<std::uint64_t>(v), 4);
  return fio_with_data(std::span(reinterpret_cast<const std::byte*>(raw.data()), raw.size()));
}

template <typename T>
Reply done_or_error(const std::expected<T, int>& r) {
  return r ? fio_result(0) : fio_error(r.error());
}

}  // namespace

int fileio_errno(int e) {
  switch (e) {
    case EPERM: case ENOENT: case EINTR: case EBADF: case EACCES: case EFAULT: case EBUSY: case EEXIST:
    case ENODEV: case ENOTDIR: case EISDIR: case EINVAL: case ENFILE: case EMFILE: case EFBIG:
    case ENOSPC: case ESPIPE: case EROFS:
      return e;  // gdb's numbers for these are Linux's
    case ENAMETOOLONG: return 91;
    default: return 9999;  // EUNKNOWN
  }
}

Reply host_open(SessionState& s, const packets::HostOpen& r) {
  auto* io = s.target.host_io();
  if (!io) return Reply::empty();
  auto fd = io->open(r.path, r.flags, r.mode);
  if (!fd) return fio_error(fd.error());
  return fio_result(static_cast<std::uint64_t>(*fd));
}

Reply host_close(SessionState& s, const packets::HostFd& r) {
  auto* io = s.target.host_io();
  if (!io) return Reply::empty();
  return done_or_error(io->close(r.fd));
}

Reply host_pread(SessionState& s, const packets::HostPread& r) {
  auto* io = s.target.host_io();
  if (!io) return Reply::empty();
  // Escaping can double the data: read no more than half a packet (gdbserver trims likewise).
  const std::size_t room = s.options.packet_size / 2 > 32 ? s.options.packet_size / 2 - 32 : 1;
  s.scratch.resize(std::min<std::uint64_t>(r.count, room));
  auto n = io->pread(r.fd, s.scratch, r.offset);
  if (!n) return fio_error(n.error());
  return fio_with_data(std::span(s.scratch.data(), *n));
}

Reply host_pwrite(SessionState& s, const packets::HostPwrite& r) {
  auto* io = s.target.host_io();
  if (!io) return Reply::empty();
  auto n = io->pwrite(r.fd, r.data, r.offset);
  if (!n) return fio_error(n.error());
  return fio_result(*n);
}

Reply host_fstat(SessionState& s, const packets::HostFd& r) {
  auto* io = s.target.host_io();
  if (!io) return Reply::empty();
  auto st = io->fstat(r.fd);
  return st ? fio_stat(*st) : fio_error(st.error());
}

Reply host_stat(SessionState& s, const packets::HostPath& r) {
  auto* io = s.target.host_io();
  if (!io) return Reply::empty();
  auto st = io->stat(r.path);
  return st ? fio_stat(*st) : fio_error(st.error());
}

Reply host_lstat(SessionState& s, const packets::HostPath& r) {
  auto* io = s.target.host_io();
  if (!io) return Reply::empty();
  auto st = io->lstat(r.path);
  return st ? fio_stat(*st) : fio_error(st.error());
}

Reply host_readlink(SessionState& s, const packets::HostPath& r) {
  auto* io = s.target.host_io();
  if (!io) return Reply::empty();
  auto link = io->readlink(r.path);
  if (!link) return fio_error(link.error());
  return fio_with_data(std::span(reinterpret_cast<const std::byte*>(link->data()), link->size()));
}

Reply host_unlink(SessionState& s, const packets::HostPath& r) {
  auto* io = s.target.host_io();
  if (!io) return Reply::empty();
  return done_or_error(io->unlink(r.path));
}

Reply host_setfs(SessionState& s, const packets::HostSetFs& r) {
  auto* io = s.target.host_io();
  if (!io) return Reply::empty();
  return done_or_error(io->setfs(r.pid));
}

// lldb's GDBRemoteCommunicationClient reads `F` and a hex size, or `F-1,errno`.
Reply host_size(SessionState& s, const packets::HostPath& r) {
  auto* io = s.target.host_io();
  if (!io) return Reply::empty();
  auto st = io->stat(r.path);
  return st ? fio_result(st->size) : fio_error(st.error());
}

// lldb wants the permission bits only (lldb-server answers FileSystem::GetPermissions).
Reply host_mode(SessionState& s, const packets::HostPath& r) {
  auto* io = s.target.host_io();
  if (!io) return Reply::empty();
  auto st = io->stat(r.path);
  return st ? fio_result(st->mode & 07777) : fio_error(st.error());
}

// lldb reads `F,` and one character: '0' is "no". A confined path that may not be read is
// answered "no" rather than an error, which would say it exists.
Reply host_exists(SessionState& s, const packets::HostPath& r) {
  auto* io = s.target.host_io();
  if (!io) return Reply::empty();
  return Reply::with(io->stat(r.path) ? "F,1" : "F,0");
}

}  // namespace remora::rsp::handlers
