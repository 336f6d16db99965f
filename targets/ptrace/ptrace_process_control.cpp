// Extended mode (vRun, vAttach, vKill) and the client's signal policies.
#include "targets/ptrace/ptrace_target.hpp"
#include "targets/ptrace/signals.hpp"

namespace remora::targets::ptrace {

std::expected<StopEvent, std::error_code> PtraceTarget::launch(const LaunchRequest& request) {
  LaunchSpec spec;
  spec.program = request.program;
  spec.args = request.args;
  spec.settings = request.settings;
  if (spec.program.empty() && initial_) {  // `run` with no program: the one remora started with
    spec.program = initial_->program;
    if (spec.args.empty()) spec.args = initial_->args;
  }
  auto stop = start_launch(spec);
  if (!stop) {
    last_error_ = stop.error();
    return std::unexpected(make_error_code(state_ == RunState::no_process ? errc::invalid_argument
                                                                           : errc::resource_exhausted));
  }
  return *stop;
}

std::expected<StopEvent, std::error_code> PtraceTarget::attach(std::int64_t pid) {
  auto stop = start_attach(static_cast<pid_t>(pid));
  if (!stop) {
    last_error_ = stop.error();
    return std::unexpected(make_error_code(errc::invalid_argument));
  }
  return *stop;
}

std::error_code PtraceTarget::kill_process(std::int64_t pid) {
  if (state_ == RunState::no_process || pid != pid_) return errc::no_process;
  return kill();
}

void PtraceTarget::set_pass_signals(std::vector<int> gdb_signals) {
  pass_signals_.clear();
  for (int s : gdb_signals)
    if (int linux_signal = linux_signal_from_gdb(s)) pass_signals_.insert(linux_signal);
}

// The inferior receives whatever signal the client resumes with; nothing to filter here.
void PtraceTarget::set_program_signals(std::vector<int>) {}

std::error_code PtraceTarget::set_catch_syscalls(std::optional<std::vector<int>> syscalls) {
  if (!syscalls) return {};
  return errc::not_supported;
}

}  // namespace remora::targets::ptrace
