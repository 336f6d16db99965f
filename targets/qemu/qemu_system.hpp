// QEMU system mode: memory seen through one vCPU (the client's Hg) in virtual or physical mode
// (qqemu.PhyMemMode), and which addresses are RAM or ROM, where reading more than asked is
// harmless. Everywhere else (MMIO, unassigned) a read reaches a device and may change it, so the
// cache above asks for exactly the client's bytes there (MemoryAccess::may_read_ahead).
//
// remora learns RAM from QEMU's monitor through the gdbstub (`qRcmd` `info mtree -f`, the flat
// view of address space "memory": `ram` and `rom` regions) and, in virtual mode, translates each
// page with `gva2gpa` (memoised until the guest runs). Both are read-only monitor queries;
// `--qemu-monitor` still gates what a client may send to the monitor. gva2gpa translates through
// the monitor's CPU (the first vCPU): through any other vCPU nothing is read ahead in virtual
// mode. With no monitor answer nothing is read ahead at all.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "targets/api/memory_access.hpp"

namespace remora::targets::qemu {

struct PhysicalRange {  // [first, last], as `info mtree` prints them
  Addr first = 0;
  Addr last = 0;
};

// The `ram` and `rom` regions of the flat view of address space "memory" in `info mtree -f`.
std::vector<PhysicalRange> parse_mtree_ram(std::string_view mtree);
// "gpa: 0x1234" -> 0x1234; nullopt for "Unmapped" or anything else.
std::optional<Addr> parse_gva2gpa(std::string_view output);

class SystemMemory final : public MemoryAccess {
 public:
  struct Hooks {
    std::function<std::error_code()> select_cpu;  // Hg to the memory vCPU before m/M
    std::function<int()> cpu;                     // the memory vCPU's thread id (1 = first vCPU)
    std::function<bool()> physical;               // qqemu.PhyMemMode
    // A monitor command's output, nullopt when the monitor did not answer.
    std::function<std::optional<std::string>(std::string_view)> monitor;
  };
  SystemMemory(MemoryAccess& lower, Hooks hooks) : lower_(lower), hooks_(std::move(hooks)) {}

  Transfer read_virtual(Addr addr, std::span<std::byte> out) override;
  Transfer write_virtual(Addr addr, std::span<const std::byte> data) override;
  std::uint64_t view() const override;
  bool may_read_ahead(Addr addr, std::size_t length) override;

  void set_ram(std::vector<PhysicalRange> ram) { ram_ = std::move(ram); }
  const std::vector<PhysicalRange>& ram() const { return ram_; }
  void forget_translations() { translations_.clear(); }  // the guest ran

 private:
  bool in_ram(Addr first, Addr last) const;
  std::optional<Addr> translate(Addr page);

  MemoryAccess& lower_;
  Hooks hooks_;
  std::vector<PhysicalRange> ram_;
  std::map<std::pair<int, Addr>, std::optional<Addr>> translations_;  // (vCPU, page) -> physical page
};

}  // namespace remora::targets::qemu
