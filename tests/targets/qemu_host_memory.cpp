// Finding qemu-user's guest_base, and the host view over a real process's memory (our own: the
// same /proc/PID/mem a QEMU child is read through).
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "targets/cache/proc_maps_hint.hpp"
#include "targets/qemu/qemu_host_memory.hpp"

using namespace remora::targets;
using namespace remora::targets::qemu;

namespace {

std::string auxv64(std::initializer_list<std::pair<std::uint64_t, std::uint64_t>> entries) {
  std::string out;
  auto put = [&out](std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  for (auto [k, v] : entries) {
    put(k);
    put(v);
  }
  put(0);
  put(0);
  return out;
}

}  // namespace

TEST_CASE("qemu host memory: auxv values") {
  const std::string auxv = auxv64({{6, 0x1000}, {3, 0x400040}, {9, 0x401530}});
  CHECK(auxv_value(auxv, 8, 3) == 0x400040u);
  CHECK(auxv_value(auxv, 8, 9) == 0x401530u);
  CHECK_FALSE(auxv_value(auxv, 8, 7));
  CHECK_FALSE(auxv_value(auxv.substr(0, 20), 8, 9));  // cut short: not read past the end
  CHECK_FALSE(auxv_value(auxv, 3, 3));
  const std::string auxv32("\x03\0\0\0\x34\x80\x04\x08\0\0\0\0\0\0\0\0", 16);
  CHECK(auxv_value(auxv32, 4, 3) == 0x8048034u);
}

TEST_CASE("qemu host memory: guest_base candidates from QEMU's maps") {
  const std::string maps =
      "00400000-00401000 r--p 00000000 fe:01 123 /opt/prog\n"
      "00401000-00480000 r-xp 00001000 fe:01 123 /opt/prog\n"
      "7f0000000000-7f0000001000 r--p 00000000 fe:01 123 /opt/prog\n"
      "7f0000010000-7f0000011000 r--p 00000000 fe:01 999 /opt/other\n"
      "55550000-55560000 r-xp 00000000 fe:01 77 /usr/bin/qemu-x86_64\n";
  auto c = guest_base_candidates(maps, "/opt/prog", 0x400040, 0x40);
  REQUIRE(c.size() == 2);
  CHECK(c[0] == 0);  // identity first (and the first mapping gives it again: not repeated)
  CHECK(c[1] == 0x7f0000000000 - 0x400000);
  // A PIE whose headers the guest sees at 0x5500000040 and the host at 0x7f0000000040.
  c = guest_base_candidates(maps, "/opt/prog", 0x5500000040, 0x40);
  REQUIRE(c.size() == 3);
  CHECK(c[1] == 0x400000 - 0x5500000000);  // modular: a base below the guest address
  CHECK(c[2] == 0x7f0000000000 - 0x5500000000);
}

TEST_CASE("qemu host memory: the ELF facts of a program") {
  auto facts = read_elf_facts("/proc/self/exe");
  REQUIRE(facts);
  CHECK(facts->word == 8);
  CHECK(facts->phoff == 64);
  CHECK_FALSE(read_elf_facts("/proc/self/maps"));
  CHECK_FALSE(read_elf_facts("/nonexistent"));
}

TEST_CASE("qemu host memory: reads, writes and host_writable over a real process") {
  const long ps = ::sysconf(_SC_PAGESIZE);
  auto* rw = static_cast<unsigned char*>(::mmap(nullptr, 2 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  REQUIRE(rw != MAP_FAILED);
  std::memset(rw, 0x5a, 2 * ps);
  REQUIRE(::mprotect(rw + ps, ps, PROT_READ) == 0);
  auto view = ProcGuestMemory::open(::getpid(), 0);
  REQUIRE(view);
  const Addr a = reinterpret_cast<Addr>(rw);
  CHECK((*view)->host_writable(a, ps));
  CHECK_FALSE((*view)->host_writable(a, ps + 1));  // into the read-only page
  CHECK_FALSE((*view)->host_writable(0, 16));      // nothing mapped at 0
  std::vector<std::byte> bytes(16, std::byte{0x11});
  CHECK((*view)->write(a + 8, bytes) == 16);
  CHECK(rw[8] == 0x11);
  CHECK(rw[7] == 0x5a);
  std::vector<std::byte> out(32);
  CHECK((*view)->read(a, out) == 32);
  CHECK(out[8] == std::byte{0x11});
  CHECK((*view)->read(0, out) == 0);  // unmapped: nothing, no crash
  ::munmap(rw, 2 * ps);
}

TEST_CASE("qemu host memory: the process at the other end of a loopback TCP connection") {
  const std::string sample =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
      "   0: 00000000:04D2 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1 0 100 0 0 10 0\n"
      "   1: 0100007F:04D2 0100007F:A1B2 01 00000000:00000000 00:00000000 00000000     0        0 2222 1 0 20 4 30 10 -1\n"
      "   2: 0100007F:A1B2 0100007F:04D2 01 00000000:00000000 00:00000000 00000000     0        0 3333 1 0 20 4 30 10 -1\n";
  const std::uint32_t lo = htonl(INADDR_LOOPBACK);
  CHECK(tcp_socket_inode(sample, lo, 0x4d2, lo, 0xa1b2) == 2222u);
  CHECK(tcp_socket_inode(sample, lo, 0xa1b2, lo, 0x4d2) == 3333u);
  CHECK_FALSE(tcp_socket_inode(sample, lo, 0x4d2, lo, 0x1111));
  CHECK_FALSE(tcp_socket_inode("", lo, 1, lo, 2));
  // A real connection: the accepted end is found in /proc/net/tcp and held by this process.
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = lo;
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(listener, 1) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  const int server = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  REQUIRE(server >= 0);
  sockaddr_in mine{};
  len = sizeof mine;
  REQUIRE(::getsockname(client, reinterpret_cast<sockaddr*>(&mine), &len) == 0);
  auto inode = tcp_socket_inode(cache::read_proc_file("/proc/net/tcp"), addr.sin_addr.s_addr, ntohs(addr.sin_port),
                                mine.sin_addr.s_addr, ntohs(mine.sin_port));
  REQUIRE(inode);
  CHECK(process_holding_socket(*inode) == ::getpid());
  ::close(server);
  ::close(client);
  ::close(listener);
}
