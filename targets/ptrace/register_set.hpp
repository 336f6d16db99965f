// Registers of one traced thread, read once per stop and written back before it runs.
// Covers general, segment bases, orig_rax, x87, SSE, AVX, AVX-512 and PKRU (what the CPU has).
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <expected>
#include <memory>
#include <span>
#include <system_error>

#include "targets/api/registers.hpp"

namespace remora::targets::ptrace {

// The CPU's XSAVE layout and features, probed once (CPUID, and the XCR0 the kernel reports).
struct XstateLayout {
  bool avx = false;
  bool avx512 = false;
  bool pkeys = false;
  std::uint64_t xcr0 = 0;
  std::size_t xsave_size = 0;  // bytes of the NT_X86_XSTATE regset
  // Offsets in the XSAVE area of each component (0 when absent).
  std::size_t ymm_offset = 0, opmask_offset = 0, zmm_hi256_offset = 0, hi16_zmm_offset = 0, pkru_offset = 0;
};

XstateLayout probe_xstate_layout();

// The target description for this CPU (amd64 + linux + segments + what XstateLayout says).
const TargetDescription& host_description();

class RegisterSet {
 public:
  RegisterSet(pid_t tid, const XstateLayout& layout);
  ~RegisterSet();
  RegisterSet(RegisterSet&&) noexcept;
  RegisterSet& operator=(RegisterSet&&) noexcept;

  // `regnum` as in host_description(); bytes little-endian, out.size() == register size.
  std::error_code read(unsigned regnum, std::span<std::byte> out);
  std::error_code write(unsigned regnum, std::span<const std::byte> value);

  std::uint64_t pc();                      // rip (reads the set if needed)
  std::error_code set_pc(std::uint64_t pc);
  std::uint64_t sp();

  // Writes dirty register blocks to the thread; must be called before it runs.
  std::error_code flush();
  // Forgets what was read (the thread ran).
  void invalidate();

  // Whole-set copies for lldb's QSaveRegisterState/QRestoreRegisterState.
  struct Snapshot;
  std::expected<std::shared_ptr<Snapshot>, std::error_code> save();
  std::error_code restore(const Snapshot& snapshot);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace remora::targets::ptrace
