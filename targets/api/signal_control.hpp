// Signal and syscall policies the client sets (QPassSignals, QProgramSignals, QCatchSyscalls).
#pragma once
#include <optional>
#include <system_error>
#include <vector>

namespace remora::targets {

class SignalControl {
 public:
  virtual ~SignalControl() = default;
  // gdb signal numbers that are delivered to the inferior without a stop.
  virtual void set_pass_signals(std::vector<int> gdb_signals) = 0;
  // gdb signal numbers the inferior may receive when the client resumes with them.
  virtual void set_program_signals(std::vector<int> gdb_signals) = 0;
  // nullopt: catch nothing; empty: every syscall; otherwise these syscall numbers.
  virtual std::error_code set_catch_syscalls(std::optional<std::vector<int>> syscalls) = 0;
};

}  // namespace remora::targets
