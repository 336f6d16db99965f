// qemu-user's guest memory through /proc/QEMUPID/mem (the HostView of qemu_memory.hpp). In user
// mode QEMU keeps guest address A at host address A + guest_base of its own process, and remora
// started that QEMU (its child), so remora may open the file as a debugger of it may. A `dump` or
// `restore` then costs QEMU one 1-byte `m` per page instead of two 2 KiB hex packets.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "targets/cache/proc_maps_hint.hpp"
#include "targets/qemu/qemu_memory.hpp"

namespace remora::targets::qemu {

class ProcGuestMemory final : public HostView {
 public:
  // The error is for a person (monitor qemu-stats shows it).
  static std::expected<std::unique_ptr<ProcGuestMemory>, std::string> open(pid_t qemu, Addr guest_base);
  ~ProcGuestMemory() override;
  ProcGuestMemory(const ProcGuestMemory&) = delete;
  ProcGuestMemory& operator=(const ProcGuestMemory&) = delete;

  std::size_t read(Addr guest, std::span<std::byte> out) override;
  std::size_t write(Addr guest, std::span<const std::byte> data) override;
  bool host_writable(Addr guest, std::size_t length) override;
  void ran() override { maps_loaded_ = false; }
  Addr guest_base() const { return guest_base_; }

 private:
  ProcGuestMemory(pid_t pid, int fd, Addr guest_base) : pid_(pid), fd_(fd), guest_base_(guest_base) {}
  // The host address of a guest range, if it does not wrap.
  std::optional<Addr> host_address(Addr guest, std::size_t length) const;
  template <typename Byte, typename Call>
  std::size_t transfer(Addr guest, std::span<Byte> bytes, Call call) const;

  pid_t pid_;
  int fd_;
  Addr guest_base_;
  bool maps_loaded_ = false;
  std::vector<cache::MapEntry> maps_;  // QEMU's own, as of this stop
};

// A value of the guest's auxiliary vector (qXfer:auxv:read), `word` bytes per field.
std::optional<std::uint64_t> auxv_value(std::string_view auxv, std::size_t word, std::uint64_t type);

// The program file's ELF class and where its program headers start (e_phoff).
struct ElfFacts {
  std::size_t word = 8;  // 4: ELFCLASS32
  std::uint64_t phoff = 0;
};
std::optional<ElfFacts> read_elf_facts(const std::string& path);

// Where guest_base may be, most likely first: 0 (QEMU's usual choice for a 64-bit guest on a
// 64-bit host), then for each mapping of the program's file at offset 0 in QEMU's maps the base
// that puts the guest's program headers (AT_PHDR) at e_phoff in it. Only candidates: the caller
// compares the bytes each gives with what QEMU's `m` answers.
std::vector<Addr> guest_base_candidates(std::string_view qemu_maps, const std::string& program_path, Addr at_phdr,
                                        std::uint64_t phoff);

// Finding a QEMU remora did not start, at the other end of a TCP connection on this machine:
// the inode of the socket with this local and remote IPv4 address and port, from the text of
// /proc/net/tcp (addresses as the kernel prints them: the 32-bit value in hex, network order
// read as a little-endian word; ports in hex) ...
std::optional<unsigned long> tcp_socket_inode(std::string_view proc_net_tcp, std::uint32_t local_ip_be,
                                              std::uint16_t local_port, std::uint32_t remote_ip_be,
                                              std::uint16_t remote_port);
// ... and the process that holds it (/proc/*/fd; 0 if none is visible to remora).
pid_t process_holding_socket(unsigned long inode);

}  // namespace remora::targets::qemu
