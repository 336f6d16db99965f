// The ptrace Target's facade: process lifetime (adopt, detach, kill), memory, registers,
// breakpoints and the memory map. The event loop lives in ptrace_events.cpp, running in
// ptrace_resume.cpp.
#include "targets/ptrace/ptrace_target.hpp"

#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include "targets/ptrace/attacher.hpp"
#include "targets/ptrace/hw_probe.hpp"
#include "targets/ptrace/proc_files.hpp"
#include "targets/ptrace/ptrace_ops.hpp"
#include "targets/ptrace/signals.hpp"

namespace remora::targets::ptrace {
PtraceTarget::PtraceTarget(asio::io_context& io) : io_(io), sigchld_(io, SIGCHLD) { arm_sigchld(); }

PtraceTarget::~PtraceTarget() {
  if (state_ == RunState::no_process) return;
  if (launched_)
    (void)kill();
  else
    (void)detach();
}

std::error_code PtraceTarget::adopt(pid_t pid, const std::vector<pid_t>& tids, bool launched) {
  if (auto ec = memory_.open(pid)) return ec;
  pid_ = pid;
  launched_ = launched;
  threads_.clear();
  for (pid_t tid : tids) threads_.add(tid, pid);
  children_.clear();
  orphan_events_.clear();
  selected_ = 0;
  software_.forget_all();
  hardware_ = DebugRegisters{};
  state_ = RunState::stopped;
  exit_unreported_ = false;
  interrupt_requested_ = false;
  // gdbserver reports the first stop of a launched or attached process as SIGTRAP.
  current_stop_ = stop_event(*threads_.find(pid), gdb_signal::trap, StopReason::signal);
  threads_.find(pid)->last_stop = current_stop_;
  return {};
}

// Nothing is traced any more. `final_state` is the exit the client is told about (nullopt after
// a detach).
void PtraceTarget::mark_process_gone(std::optional<StopEvent> final_state) {
  threads_.clear();
  children_.clear();
  orphan_events_.clear();
  selected_ = 0;
  memory_.close();
  software_.forget_all();
  hardware_ = DebugRegisters{};
  allocator_.forget();
  state_ = RunState::no_process;
  interrupt_requested_ = false;
  pid_ = 0;
  current_stop_ = std::move(final_state);
}

std::expected<StopEvent, std::string> PtraceTarget::start_launch(const LaunchSpec& spec) {
  if (state_ != RunState::no_process) return std::unexpected("a process is already being debugged");
  auto pid = launch_process(spec);
  if (!pid) return std::unexpected(pid.error());
  if (auto ec = adopt(*pid, {*pid}, true)) {
    ::kill(*pid, SIGKILL);
    (void)wait_blocking(*pid);
    return std::unexpected("cannot open the memory of process " + std::to_string(*pid) + ": " + ec.message());
  }
  initial_ = LaunchRequest{spec.program, spec.args, spec.settings};
  return *current_stop_;
}

std::expected<StopEvent, std::string> PtraceTarget::start_attach(pid_t pid) {
  if (state_ != RunState::no_process) return std::unexpected("a process is already being debugged");
  auto attached = attach_process(pid);
  if (!attached) return std::unexpected(attached.error());
  std::vector<pid_t> tids;
  for (const auto& t : *attached) tids.push_back(t.tid);
  if (auto ec = adopt(pid, tids, false)) {
    for (pid_t tid : tids) ::ptrace(PTRACE_DETACH, tid, nullptr, nullptr);
    return std::unexpected("cannot open the memory of process " + std::to_string(pid) + ": " + ec.message());
  }
  for (const auto& t : *attached) threads_.find(t.tid)->deferred_signal = t.deferred_signal;
  return *current_stop_;
}

std::error_code PtraceTarget::detach() {
  if (state_ == RunState::no_process) return errc::no_process;
  ++generation_;
  if (state_ == RunState::running) stop_all(0);
  if (state_ == RunState::no_process) return {};  // it died while we stopped it
  for (auto& [pid, child] : children_) {
    child->software.remove_all();
    detach_threads_of(pid, false);
  }
  software_.remove_all();
  detach_threads_of(pid_, !hardware_.empty());
  mark_process_gone(std::nullopt);
  return {};
}

// Each thread gets back the signal it stopped with (not ours: SIGSTOP, SIGTRAP).
void PtraceTarget::detach_threads_of(pid_t pid, bool clear_debug_registers) {
  const DebugRegisters cleared;
  for (pid_t tid : threads_.tids()) {
    Thread* t = threads_.find(tid);
    if (t->pid != pid) continue;
    if (clear_debug_registers) (void)cleared.apply(t->tid);
    (void)t->regs.flush();
    int sig = t->deferred_signal != 0 ? t->deferred_signal : t->stop_signal;
    if (sig == SIGSTOP || sig == SIGTRAP) sig = 0;
    ::ptrace(PTRACE_DETACH, t->tid, nullptr, reinterpret_cast<void*>(static_cast<long>(sig)));
    threads_.remove(tid);
  }
}

// `D;pid` with several processes: the others stay debugged. Detaching the main process makes
// a kept fork child the main one (gdb's follow-fork-mode child).
std::error_code PtraceTarget::detach_process(std::int64_t pid) {
  if (state_ == RunState::no_process) return errc::no_process;
  if (state_ == RunState::running && !non_stop_) return errc::target_running;
  if (state_ == RunState::running) {  // non-stop: the others run on once it is done
    const auto paused = pause_running();
    auto ec = detach_process(pid);
    unpause(paused);
    return ec;
  }
  if (pid == pid_) {
    if (children_.empty()) return detach();
    software_.remove_all();
    detach_threads_of(pid_, !hardware_.empty());
    promote_child();
    return {};
  }
  auto it = children_.find(static_cast<pid_t>(pid));
  if (it == children_.end()) return errc::no_process;
  it->second->software.remove_all();
  detach_threads_of(it->first, false);
  children_.erase(it);
  if (selected_ == pid) selected_ = 0;
  return {};
}

std::error_code PtraceTarget::select_process(std::int64_t pid) {
  if (pid <= 0 || pid == pid_) {
    selected_ = 0;
    return {};
  }
  if (!children_.contains(static_cast<pid_t>(pid))) return errc::no_process;
  selected_ = static_cast<pid_t>(pid);
  return {};
}

// The main process is gone (detached or exited) while a fork child is kept: it takes its place.
void PtraceTarget::promote_child() {
  auto node = children_.extract(children_.begin());
  ForkChild& child = *node.mapped();
  pid_ = child.pid;
  (void)memory_.open(pid_);
  software_.copy_table_from(child.software);
  hardware_ = DebugRegisters{};  // a fork child does not inherit debug registers
  selected_ = 0;
  if (Thread* leader = threads_.find(pid_)) current_stop_ = stop_event(*leader, gdb_signal::trap, StopReason::signal);
}

SoftwareBreakpoints& PtraceTarget::software_of(pid_t pid) {
  if (pid != 0 && pid != pid_)
    if (auto it = children_.find(pid); it != children_.end()) return it->second->software;
  return software_;
}

ProcMemory& PtraceTarget::memory_of(pid_t pid) {
  if (pid != 0 && pid != pid_)
    if (auto it = children_.find(pid); it != children_.end()) return it->second->memory;
  return memory_;
}

std::error_code PtraceTarget::kill() {
  if (state_ == RunState::no_process) {
    if (!exit_unreported_) return errc::no_process;
    exit_unreported_ = false;  // it is dead already; the kill is what the client sees
    return {};
  }
  ++generation_;
  for (auto& [pid, child] : children_) ::kill(pid, SIGKILL);
  ::kill(pid_, SIGKILL);
  reap_all_after_kill();
  StopEvent killed;
  killed.kind = StopKind::terminated;
  killed.thread = {pid_, pid_};
  killed.signal = gdb_signal::kill;
  mark_process_gone(killed);
  return {};
}

// A leader's exit is reported only after every other thread is reaped, so leaders go last.
void PtraceTarget::reap_all_after_kill() {
  auto reap = [](pid_t tid) {
    while (auto status = wait_blocking(tid))
      if (!WIFSTOPPED(*status)) break;
  };
  for (auto& t : threads_)
    if (t->tid != t->pid) reap(t->tid);
  for (auto& t : threads_)
    if (t->tid == t->pid) reap(t->tid);
}

std::vector<ThreadId> PtraceTarget::threads() {
  std::vector<ThreadId> out;
  if (state_ == RunState::no_process) return out;
  for (auto& t : threads_) out.push_back({t->pid, t->tid});
  return out;
}

std::string PtraceTarget::thread_name(ThreadId thread) {
  if (state_ == RunState::no_process) return {};
  const Thread* t = thread_for(thread);
  return t != nullptr ? task_name(t->pid, t->tid) : std::string{};
}

// A wildcard picks the thread of the last stop (what `Hg0` means to gdb), else the first.
Thread* PtraceTarget::thread_for(ThreadId thread) {
  if (thread.is_any() || thread.is_all()) {
    if (thread.pid > 0 && thread.pid != pid_) {  // pN.-1 / pN.0: that process's first thread
      for (auto& t : threads_)
        if (t->pid == thread.pid) return t.get();
      return nullptr;
    }
    if (current_stop_)
      if (Thread* t = threads_.find(static_cast<pid_t>(current_stop_->thread.tid))) return t;
    return threads_.empty() ? nullptr : threads_.begin()->get();
  }
  Thread* t = threads_.find(static_cast<pid_t>(thread.tid));
  return t != nullptr && (thread.pid <= 0 || thread.pid == t->pid) ? t : nullptr;
}

StopEvent PtraceTarget::stop_event(const Thread& t, int gdb_signal, StopReason reason) const {
  StopEvent e;
  e.kind = StopKind::stopped;
  e.thread = {t.pid, t.tid};
  e.signal = gdb_signal;
  e.reason = reason;
  return e;
}

// Memory stays readable while running (/proc/PID/mem does not need a stopped tracee).
Transfer PtraceTarget::read_virtual(Addr addr, std::span<std::byte> out) {
  if (state_ == RunState::no_process) return {0, errc::no_process};
  return selected_software().read(addr, out);
}

Transfer PtraceTarget::write_virtual(Addr addr, std::span<const std::byte> data) {
  if (state_ == RunState::no_process) return {0, errc::no_process};
  return selected_software().write(addr, data);
}

const TargetDescription& PtraceTarget::description() const { return host_description(); }

std::error_code PtraceTarget::read_register(ThreadId thread, unsigned regnum, std::span<std::byte> out) {
  if (state_ == RunState::no_process) return errc::no_process;
  Thread* t = thread_for(thread);
  if (t == nullptr) return errc::no_such_thread;
  if (t->running) return errc::target_running;
  return t->regs.read(regnum, out);
}

std::error_code PtraceTarget::write_register(ThreadId thread, unsigned regnum, std::span<const std::byte> value) {
  if (state_ == RunState::no_process) return errc::no_process;
  Thread* t = thread_for(thread);
  if (t == nullptr) return errc::no_such_thread;
  if (t->running) return errc::target_running;
  return t->regs.write(regnum, value);
}

// DR7 has no read-only condition: watch_read is a read/write watch (the protocol layer decides
// what gdb is offered). The debug-register kinds exist only where #DB is actually raised.
bool PtraceTarget::supports(BreakpointKind kind) const {
  return kind == BreakpointKind::software || debug_registers_fire();
}

// A process killed from outside while stopped is told at the next resume, but gdb inserts its
// breakpoints before it resumes: an error there would stop gdb from resuming and it would never
// learn of the death (gdbserver lets it through to the resume). So once the death is known, a
// breakpoint request succeeds — there is no memory left for it to change.
//
// A tracee in a ptrace stop leaves it only for SIGKILL, so a leader that is no longer `t` is
// dying; its exit is reapable a moment later (bounded: 100 x 1 ms). The SIGCHLD handler may not
// have run yet when the breakpoint request failed because the memory was already gone.
bool PtraceTarget::died_while_stopped() {
  for (int tries = 0; tries < 100 && state_ == RunState::stopped; ++tries) {
    on_sigchld();
    if (state_ != RunState::stopped || task_state(pid_, pid_) == 't') break;
    ::usleep(1000);
  }
  return state_ == RunState::no_process && exit_unreported_;
}

// In non-stop mode int3s go in and out while threads run (one byte through /proc/PID/mem);
// debug registers can only be set in stopped threads, so those are paused for it.
std::error_code PtraceTarget::insert(BreakpointKind kind, Addr addr, std::size_t length) {
  if (state_ == RunState::no_process) return exit_unreported_ ? std::error_code{} : errc::no_process;
  if (state_ == RunState::running && !non_stop_) return errc::target_running;
  if (kind == BreakpointKind::software) {
    auto ec = selected_software().insert(addr);
    return ec && died_while_stopped() ? std::error_code{} : ec;
  }
  if (!supports(kind)) return errc::not_supported;
  if (auto ec = hardware_.insert(kind, addr, length)) return ec;
  if (auto ec = apply_debug_registers()) {
    (void)hardware_.remove(kind, addr, length);
    (void)apply_debug_registers();
    return ec;
  }
  return {};
}

std::error_code PtraceTarget::remove(BreakpointKind kind, Addr addr, std::size_t length) {
  if (state_ == RunState::no_process) return exit_unreported_ ? std::error_code{} : errc::no_process;
  if (state_ == RunState::running && !non_stop_) return errc::target_running;
  if (kind == BreakpointKind::software) {
    auto ec = selected_software().remove(addr);
    if (!ec && state_ == RunState::running) removed_while_running_.insert(addr);
    return ec && died_while_stopped() ? std::error_code{} : ec;
  }
  if (auto ec = hardware_.remove(kind, addr, length)) return ec;
  return apply_debug_registers();
}

std::error_code PtraceTarget::apply_debug_registers() {
  const auto paused = state_ == RunState::running ? pause_running() : std::vector<pid_t>{};
  std::error_code first;
  for (auto& t : threads_)
    if (auto ec = hardware_.apply(t->tid); ec && !first) first = ec;
  if (!paused.empty()) unpause(paused);
  return first;
}

std::vector<MemoryRegion> PtraceTarget::regions() {
  if (state_ == RunState::no_process) return {};
  return read_maps(selected_ != 0 ? selected_ : pid_);
}

std::expected<std::unique_ptr<PtraceTarget>, std::string> make_ptrace_target(asio::io_context& io,
                                                                            PtraceOptions options) {
  auto target = std::make_unique<PtraceTarget>(io);
  if (options.launch) {
    auto stop = target->start_launch(*options.launch);
    if (!stop) return std::unexpected(stop.error());
  } else if (options.attach_pid) {
    auto stop = target->start_attach(*options.attach_pid);
    if (!stop) return std::unexpected(stop.error());
  }
  return target;
}

}  // namespace remora::targets::ptrace
