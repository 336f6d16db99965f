#include "targets/qemu/qemu_host_memory.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace remora::targets::qemu {
namespace {

std::uint64_t little_endian(const unsigned char* p, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = n; i-- > 0;) v = (v << 8) | p[i];
  return v;
}

std::string real_path(const std::string& path) {
  char buf[PATH_MAX];
  return ::realpath(path.c_str(), buf) ? std::string(buf) : path;
}

}  // namespace

std::expected<std::unique_ptr<ProcGuestMemory>, std::string> ProcGuestMemory::open(pid_t qemu, Addr guest_base) {
  const std::string path = "/proc/" + std::to_string(qemu) + "/mem";
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return std::unexpected("cannot open " + path + ": " + std::strerror(errno));
  return std::unique_ptr<ProcGuestMemory>(new ProcGuestMemory(qemu, fd, guest_base));
}

ProcGuestMemory::~ProcGuestMemory() { ::close(fd_); }

std::optional<Addr> ProcGuestMemory::host_address(Addr guest, std::size_t length) const {
  const Addr host = guest + guest_base_;
  if (host < guest || (length > 0 && host + (length - 1) < host)) return std::nullopt;
  // pread's offset is signed: the top half of the address space is the kernel's anyway.
  if (host + length > static_cast<Addr>(std::numeric_limits<off_t>::max())) return std::nullopt;
  return host;
}

// pread/pwrite until done or refused; how many bytes moved.
template <typename Byte, typename Call>
std::size_t ProcGuestMemory::transfer(Addr guest, std::span<Byte> bytes, Call call) const {
  auto host = host_address(guest, bytes.size());
  if (!host) return 0;
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = call(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(*host + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

std::size_t ProcGuestMemory::read(Addr guest, std::span<std::byte> out) { return transfer(guest, out, ::pread); }

std::size_t ProcGuestMemory::write(Addr guest, std::span<const std::byte> data) {
  return transfer(guest, data, ::pwrite);
}

bool ProcGuestMemory::host_writable(Addr guest, std::size_t length) {
  auto host = host_address(guest, length);
  if (!host || length == 0) return false;
  if (!maps_loaded_) {
    maps_ = cache::parse_proc_maps(cache::read_proc_file("/proc/" + std::to_string(pid_) + "/maps"));
    maps_loaded_ = true;
  }
  // One private or shared writable mapping may be split in several lines: walk them.
  Addr at = *host;
  const Addr end = *host + length;
  auto it = std::upper_bound(maps_.begin(), maps_.end(), at, [](Addr a, const cache::MapEntry& e) { return a < e.start; });
  if (it == maps_.begin()) return false;
  for (--it; it != maps_.end() && at < end; ++it) {
    if (it->start > at || it->end <= at || !it->writable) return false;
    at = it->end;
  }
  return at >= end;
}

std::optional<std::uint64_t> auxv_value(std::string_view auxv, std::size_t word, std::uint64_t type) {
  if (word != 4 && word != 8) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(auxv.data());
  for (std::size_t off = 0; off + 2 * word <= auxv.size(); off += 2 * word) {
    const std::uint64_t key = little_endian(p + off, word);
    if (key == 0) break;  // AT_NULL
    if (key == type) return little_endian(p + off + word, word);
  }
  return std::nullopt;
}

std::optional<ElfFacts> read_elf_facts(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  unsigned char h[64] = {};
  const ssize_t n = ::pread(fd, h, sizeof h, 0);
  ::close(fd);
  if (n < 52 || std::memcmp(h, "\x7f" "ELF", 4) != 0 || h[5] != 1 /* little-endian */) return std::nullopt;
  if (h[4] == 2 && n >= 64) return ElfFacts{8, little_endian(h + 0x20, 8)};
  if (h[4] == 1) return ElfFacts{4, little_endian(h + 0x1c, 4)};
  return std::nullopt;
}

std::vector<Addr> guest_base_candidates(std::string_view qemu_maps, const std::string& program_path, Addr at_phdr,
                                        std::uint64_t phoff) {
  std::vector<Addr> out{0};
  const std::string want = real_path(program_path);
  for (const auto& e : cache::parse_proc_maps(qemu_maps)) {
    if (e.offset != 0 || e.path != want || at_phdr < phoff) continue;
    const Addr base = e.start - (at_phdr - phoff);  // modular: guest_base may be "negative"
    if (std::find(out.begin(), out.end(), base) == out.end()) out.push_back(base);
  }
  return out;
}

std::optional<unsigned long> tcp_socket_inode(std::string_view text, std::uint32_t local_ip_be,
                                              std::uint16_t local_port, std::uint32_t remote_ip_be,
                                              std::uint16_t remote_port) {
  char want[64];
  // The kernel prints the address word as it sits in memory (%08X of a __be32): on this
  // little-endian host that is the network-order value read as a native word.
  std::snprintf(want, sizeof want, "%08X:%04X %08X:%04X", static_cast<unsigned>(local_ip_be), local_port,
                static_cast<unsigned>(remote_ip_be), remote_port);
  while (!text.empty()) {
    const auto nl = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(std::min(nl + 1, text.size()));
    const auto colon = line.find(": ");
    if (colon == std::string_view::npos || line.substr(colon + 2, std::strlen(want)) != want) continue;
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
    std::string_view rest = line.substr(colon + 2);
    for (int field = 0; field < 8; ++field) {
      const auto space = rest.find_first_not_of(' ', rest.find(' '));
      if (space == std::string_view::npos) return std::nullopt;
      rest.remove_prefix(space);
    }
    unsigned long inode = 0;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), inode);
    if (ec != std::errc{} || inode == 0) return std::nullopt;
    return inode;
  }
  return std::nullopt;
}

pid_t process_holding_socket(unsigned long inode) {
  const std::string want = "socket:[" + std::to_string(inode) + "]";
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return 0;
  pid_t found = 0;
  while (dirent* e = ::readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    const std::string fd_dir = std::string("/proc/") + e->d_name + "/fd";
    DIR* fds = ::opendir(fd_dir.c_str());
    if (fds == nullptr) continue;
    while (dirent* f = ::readdir(fds)) {
      char target[64];
      const ssize_t n = ::readlinkat(::dirfd(fds), f->d_name, target, sizeof target - 1);
      if (n > 0 && std::string_view(target, static_cast<std::size_t>(n)) == want) {
        found = static_cast<pid_t>(pid);
        break;
      }
    }
    ::closedir(fds);
    if (found) break;
  }
  ::closedir(proc);
  return found;
}

}  // namespace remora::targets::qemu
