// Extended mode (vRun, vAttach, vKill) and the client's signal policies.
#include <sys/wait.h>

#include <csignal>

#include "targets/ptrace/ptrace_ops.hpp"
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

// vKill;pid: with a kept fork child only that process goes (the other stays debugged).
std::error_code PtraceTarget::kill_process(std::int64_t pid) {
  if (state_ == RunState::no_process || !threads_.any_of_process(static_cast<pid_t>(pid))) return errc::no_process;
  if (children_.empty()) return kill();
  if (state_ == RunState::running) return errc::target_running;
  const auto victim = static_cast<pid_t>(pid);
  ::kill(victim, SIGKILL);
  for (bool leader_turn : {false, true})  // a leader's exit comes after its other threads'
    for (pid_t tid : threads_.tids())
      if (Thread* t = threads_.find(tid); t != nullptr && t->pid == victim && (tid == victim) == leader_turn) {
        while (auto status = wait_blocking(tid))
          if (!WIFSTOPPED(*status)) break;
        threads_.remove(tid);
      }
  child_process_exit(victim);
  return {};
}

void PtraceTarget::set_pass_signals(std::vector<int> gdb_signals) {
  pass_signals_.clear();
  for (int s : gdb_signals)
    if (int linux_signal = linux_signal_from_gdb(s)) pass_signals_.insert(linux_signal);
}

// QProgramSignals: only these may reach the inferior (from a resume or as a pass signal).
void PtraceTarget::set_program_signals(std::vector<int> gdb_signals) {
  std::set<int> linux_signals;
  for (int s : gdb_signals)
    if (int linux_signal = linux_signal_from_gdb(s)) linux_signals.insert(linux_signal);
  program_signals_ = std::move(linux_signals);
}

// Threads resumed from now on run with PTRACE_SYSCALL (see resume_ptrace); the ones already
// running pick it up at their next resume, as gdbserver's do.
std::error_code PtraceTarget::set_catch_syscalls(std::optional<std::vector<int>> syscalls) {
  if (!syscalls) {
    catch_syscalls_.reset();
    for (auto& t : threads_) t->in_syscall = false;
    return {};
  }
  catch_syscalls_ = std::set<int>(syscalls->begin(), syscalls->end());
  return {};
}

}  // namespace remora::targets::ptrace
