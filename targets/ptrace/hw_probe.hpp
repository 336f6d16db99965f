// Whether this machine raises debug exceptions for the x86 debug registers. Some hypervisors
// accept DR0-DR7 writes but never deliver #DB: then hardware breakpoints and watchpoints are
// refused, so gdb falls back to software watchpoints instead of waiting for hits that never come.
#pragma once

namespace remora::targets::ptrace {

// Probed once, on first use (a forked child with a DR0 execute breakpoint, ~1 ms).
bool debug_registers_fire();

}  // namespace remora::targets::ptrace
