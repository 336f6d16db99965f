// The emulated CPU (see "Execution model" in targets/README.md). Every executable byte is a
// one-byte instruction except 0xCC (int3) and the pair EB FE (`jmp .`). Running is computed
// analytically: memchr over the executable span instead of a loop per instruction.
#pragma once
#include "targets/emulated/address_space.hpp"
#include "targets/emulated/breakpoint_table.hpp"

namespace remora::targets::emulated {

enum class Outcome {
  executed,       // one instruction ran; `rip` is the next one (unchanged for `jmp .`)
  int3,           // 0xCC ran; `rip` is after it (SIGTRAP)
  segv,           // fetch from unmapped or non-executable memory; `rip` is the faulting address
  breakpoint,     // an inserted software breakpoint at `rip` (not executed)
  hw_breakpoint,  // an inserted hardware breakpoint at `rip`
  spin,           // `jmp .` at `rip`: runs until interrupted
  left_range,     // range stepping reached a `rip` outside the range
};

struct CpuResult {
  Outcome outcome;
  Addr rip;
};

// Executes the instruction at `rip`, ignoring breakpoints (a single step).
CpuResult execute_one(const AddressSpace& space, Addr rip);

struct RunLimits {
  bool ranged = false;  // stop with left_range once rip leaves [start, end)
  Addr start = 0;
  Addr end = 0;
};

// Continues from `rip`: executes the instruction there first (stepping off a breakpoint at the
// starting rip, as a real stub does), then runs to the first stop.
CpuResult run(const AddressSpace& space, const BreakpointTable& breakpoints, Addr rip, RunLimits limits);

}  // namespace remora::targets::emulated
