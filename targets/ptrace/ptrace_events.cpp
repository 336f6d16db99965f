// The event loop: SIGCHLD -> waitpid for each known thread -> what the status means -> either
// handled quietly (the thread runs on) or reported after stopping every other thread (all-stop).
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <utility>

#include "targets/ptrace/proc_files.hpp"
#include "targets/ptrace/ptrace_ops.hpp"
#include "targets/ptrace/ptrace_target.hpp"
#include "targets/ptrace/signals.hpp"

namespace remora::targets::ptrace {
namespace {
using Kind = Classified::Kind;

StopReason reason_for(BreakpointKind kind) {
  switch (kind) {
    case BreakpointKind::watch_write: return StopReason::watch_write;
    case BreakpointKind::watch_read: return StopReason::watch_read;
    case BreakpointKind::watch_access: return StopReason::watch_access;
    default: return StopReason::hw_breakpoint;
  }
}

// The report of a debug-register hit, whose stop was made with reason_for(hit.kind): a
// watchpoint also names the data address it caught.
ThreadEvent hardware_hit_event(StopEvent stop, const DebugRegisters::Hit& hit) {
  ThreadEvent e{std::move(stop)};
  if (hit.kind != BreakpointKind::hardware) e.stop.watch_address = hit.addr;
  return e;
}
}  // namespace

// Armed before the work is done, so a listener that destroys the target cancels the new wait
// (its handler then sees operation_aborted and touches nothing).
void PtraceTarget::arm_sigchld() {
  sigchld_.async_wait([this](const asio::error_code& ec, int) {
    if (ec) return;
    arm_sigchld();
    on_sigchld();
  });
}

// SIGCHLD coalesces, so every known thread is asked; a stopped tracee cannot report twice
// before it is resumed, so one waitpid per thread is enough.
void PtraceTarget::on_sigchld() {
  if (state_ == RunState::no_process) return;
  for (pid_t tid : threads_.tids()) {
    Thread* t = threads_.find(tid);
    if (t == nullptr) continue;
    auto status = wait_nohang(tid);
    if (!status) continue;
    if (handle_event(*t, *status)) return;  // reported: everything else waits for the next resume
  }
}

// Returns true when a stop was reported (or the process is gone).
bool PtraceTarget::handle_event(Thread& t, int status) {
  if (non_stop_) return handle_event_non_stop(t, status);
  const bool running = state_ == RunState::running;
  auto c = classify(t, status);
  switch (c.kind) {
    case Kind::report:
      if (!running) {  // cannot happen for a stopped process; keep it rather than lose it
        t.pending = std::move(c.event);
        return false;
      }
      return report_now(t.tid, std::move(c.event));
    case Kind::quiet:
      if (running && interrupt_requested_)
        return report_now(t.tid, {stop_event(t, gdb_signal::int_, StopReason::interrupt)});
      if (running) resume_same(t);
      return false;
    case Kind::resume:
    case Kind::range_continue:
      if (running) resume_same(t);
      return false;
    case Kind::pass_signal:
      if (running) resume_same(t, c.linux_signal);
      else t.deferred_signal = c.linux_signal;
      return false;
    case Kind::clone:
      adopt_clone(c.new_tid, t.pid);
      if (running && reported_.threads)
        if (Thread* child = threads_.find(c.new_tid))  // QThreadEvents: the new thread reports itself
          return report_now(child->tid, {stop_event(*child, gdb_signal::trap, StopReason::thread_created)});
      if (running) {
        if (Thread* child = threads_.find(c.new_tid)) resume_same(*child);
        resume_same(t);
      }
      return false;
    case Kind::thread_exit: {
      threads_.remove(t.tid);
      if (running && reported_.threads) return report_now(0, std::move(c.event));
      // The only running thread vanished (a step of an exiting thread): tell the client
      // something rather than leave it waiting forever.
      if (running && !threads_.any_running() && !threads_.empty()) {
        Thread& first = **threads_.begin();
        return report_now(first.tid, {stop_event(first, gdb_signal::none, StopReason::signal)});
      }
      return false;
    }
    case Kind::process_exit:
      if (c.event.stop.thread.pid != pid_ || !children_.empty()) {  // one of several processes
        child_process_exit(static_cast<pid_t>(c.event.stop.thread.pid));
        if (running) return report_now(0, std::move(c.event));
        return false;
      }
      mark_process_gone(c.event.stop);
      if (!running) {
        exit_unreported_ = true;  // killed from outside while stopped: told at the next resume
        return true;
      }
      if (listener_ != nullptr) listener_->on_stop(c.event.stop);
      return true;
  }
  return false;
}

Classified PtraceTarget::classify(Thread& t, int status) {
  const bool interrupted = std::exchange(t.interrupt_sent, false);
  t.running = false;
  if (WIFEXITED(status) || WIFSIGNALED(status)) return classify_exit(t, status);
  const int sig = WSTOPSIG(status);
  switch (ptrace_event_of(status)) {
    case 0: break;
    case PTRACE_EVENT_CLONE: {
      Classified c{Kind::clone};
      c.new_tid = static_cast<pid_t>(event_message(t.tid).value_or(0));
      return c;
    }
    case PTRACE_EVENT_FORK:
    case PTRACE_EVENT_VFORK:
    case PTRACE_EVENT_VFORK_DONE: return classify_fork(t, ptrace_event_of(status));
    case PTRACE_EVENT_EXEC: return classify_exec(t);
    case PTRACE_EVENT_STOP:
      // Our PTRACE_INTERRUPT, or a group stop (SIGSTOP delivered to the process): a traced
      // thread in group stop is simply resumed.
      if (!interrupted) return {Kind::resume};
      note_queued_trap(t);
      return {Kind::quiet};
    default: return {Kind::resume};
  }
  if (sig == (SIGTRAP | 0x80)) return classify_syscall(t);
  if (sig == SIGTRAP) return classify_trap(t);
  if (pass_signals_.contains(sig)) {
    Classified c{Kind::pass_signal};
    c.linux_signal = sig;
    return c;
  }
  t.stop_signal = sig;
  return {Kind::report, {stop_event(t, gdb_signal_from_linux(sig), StopReason::signal)}};
}

// The kernel reports a pending PTRACE_INTERRUPT before it dequeues signals, so a thread that
// had just executed one of our int3s can stop for the interrupt with the SIGTRAP still queued.
// Only our own traps matter (int3s, debug registers, steps), so without any the check is skipped.
void PtraceTarget::note_queued_trap(Thread& t) {
  const SoftwareBreakpoints& software = software_of(t.pid);
  if (software.empty() && hardware_.empty() && !t.stepping) return;
  if ((thread_pending_signals(t.pid, t.tid) & (1ull << (SIGTRAP - 1))) == 0) return;
  t.trap_queued = true;
  const Addr pc = t.regs.pc();
  t.trap_pc = software.inserted(pc - 1) ? pc : 0;  // 0: not an int3 of ours
}

// That queued SIGTRAP, delivered before the thread ran anything on this resume.
Classified PtraceTarget::classify_queued_trap(Thread& t) {
  t.trap_queued = false;
  SoftwareBreakpoints& software = software_of(t.pid);
  if (!hardware_.empty())
    if (auto hit = hardware_.take_hit(t.tid))
      return {Kind::report, hardware_hit_event(stop_event(t, gdb_signal::trap, reason_for(hit->kind)), *hit)};
  const Addr pc = t.regs.pc();
  // A step trap whose step the client never heard of, or a thread the client moved: moot.
  if (t.trap_pc == 0 || pc != t.trap_pc) return {Kind::resume};
  if (software.inserted(pc - 1)) {
    (void)t.regs.set_pc(pc - 1);
    return {Kind::report, {stop_event(t, gdb_signal::trap, StopReason::breakpoint), pc - 1}};
  }
  (void)t.regs.set_pc(pc - 1);  // the breakpoint was removed meanwhile: run the real instruction
  return {Kind::resume};
}

// A SIGTRAP: a debug-register hit, a finished step, one of our int3s, or the program's own trap.
Classified PtraceTarget::classify_trap(Thread& t) {
  if (t.trap_queued) return classify_queued_trap(t);
  SoftwareBreakpoints& software = software_of(t.pid);
  if (!hardware_.empty())
    if (auto hit = hardware_.take_hit(t.tid))
      return {Kind::report, hardware_hit_event(stop_event(t, gdb_signal::trap, reason_for(hit->kind)), *hit)};
  const Addr pc = t.regs.pc();
  const bool ran_int3 = t.stepping ? (t.step_from != 0 && pc == t.step_from + 1 && software.inserted(t.step_from))
                                   : software.inserted(pc - 1);
  if (ran_int3) {
    (void)t.regs.set_pc(pc - 1);  // as gdb expects: the pc of a breakpoint stop is the breakpoint
    return {Kind::report, {stop_event(t, gdb_signal::trap, StopReason::breakpoint), pc - 1}};
  }
  if (t.stepping) {
    if (t.range && pc >= t.range->first && pc < t.range->second) return {Kind::range_continue};
    return {Kind::report, {stop_event(t, gdb_signal::trap, StopReason::step)}};
  }
  t.stop_signal = SIGTRAP;
  return {Kind::report, {stop_event(t, gdb_signal::trap, StopReason::signal)}};
}

// A new thread is stopped at its first instruction; its initial stop may have been queued
// before its parent's clone event or may come now: a blocking wait on its tid covers both.
void PtraceTarget::adopt_clone(pid_t new_tid, pid_t pid) {
  if (new_tid <= 0 || threads_.find(new_tid) != nullptr) return;
  auto status = wait_blocking(new_tid);
  if (!status || !WIFSTOPPED(*status)) return;  // killed before it ever ran
  Thread& t = threads_.add(new_tid, pid);
  if (!hardware_.empty() && pid == pid_) (void)hardware_.apply(t.tid);
}

// A status that arrived while stopping everything: the thread stays stopped; anything worth
// telling is kept for the next resume instead of lost.
void PtraceTarget::absorb(Thread& t, int status) {
  auto c = classify(t, status);
  switch (c.kind) {
    case Kind::report: t.pending = std::move(c.event); break;
    case Kind::pass_signal: t.deferred_signal = c.linux_signal; break;
    case Kind::clone:
      adopt_clone(c.new_tid, t.pid);
      if (Thread* child = threads_.find(c.new_tid); child != nullptr && reported_.threads)
        child->pending = ThreadEvent{stop_event(*child, gdb_signal::trap, StopReason::thread_created)};
      break;
    case Kind::thread_exit:
      threads_.remove(t.tid);
      if (reported_.threads) orphan_events_.push_back(c.event.stop);
      break;
    case Kind::process_exit:
      if (c.event.stop.thread.pid != pid_ || !children_.empty()) {
        child_process_exit(static_cast<pid_t>(c.event.stop.thread.pid));
        orphan_events_.push_back(c.event.stop);
      } else
        mark_process_gone(c.event.stop);
      break;
    case Kind::quiet:
    case Kind::resume:
    case Kind::range_continue: break;
  }
}

void PtraceTarget::stop_all(pid_t except) {
  for (auto& t : threads_) {
    if (!t->running || t->tid == except || t->interrupt_sent) continue;
    (void)interrupt_thread(t->tid);  // fails only for a thread that is exiting: its exit comes
    t->interrupt_sent = true;
  }
  // A leader's exit is reported only after every other thread is reaped: leaders go last.
  for (bool leader_turn : {false, true}) {
    for (pid_t tid : threads_.tids()) {
      Thread* t = threads_.find(tid);
      if (t == nullptr || (tid == t->pid) != leader_turn) continue;
      if (leader_turn && !wait_leader(*t)) continue;
      for (; t != nullptr && t->running; t = threads_.find(tid)) {
        auto status = wait_blocking(tid);
        if (!status) {
          threads_.remove(tid);
          break;
        }
        absorb(*t, *status);
        if (state_ == RunState::no_process) return;
      }
    }
  }
}

// A leader that called pthread_exit while other threads run is a zombie: it reports nothing
// until they are all gone, so a blocking wait would hang. gdbserver looks at /proc for this too.
// Returns false when the leader was found to be such a zombie (it counts as stopped).
bool PtraceTarget::wait_leader(Thread& leader) {
  if (!leader.running) return true;
  bool others = false;
  for (auto& t : threads_) others = others || (t->pid == leader.pid && t->tid != leader.tid);
  if (!others) return true;  // a lone leader always reports: the blocking wait is fine
  for (int round = 0;; ++round) {
    if (auto status = wait_nohang(leader.tid)) {
      absorb(leader, *status);
      return true;
    }
    const char state = task_state(leader.pid, leader.tid);
    if (state == 'Z' || state == 'X') {
      leader.zombie = true;
      leader.running = false;
      leader.interrupt_sent = false;
      return false;
    }
    ::usleep(round < 20 ? 20 : 1000);  // an interrupted thread stops within microseconds
  }
}

// All-stop: everything else stops before the client hears about this thread (tid 0: a thread
// or process that is gone).
bool PtraceTarget::report_now(pid_t tid, ThreadEvent event) {
  stop_all(tid);
  if (state_ == RunState::no_process) {  // the process died meanwhile: that is the news
    if (listener_ != nullptr && current_stop_) listener_->on_stop(*current_stop_);
    return true;
  }
  state_ = RunState::stopped;
  interrupt_requested_ = false;
  if (Thread* reported = threads_.find(tid)) reported->reported_bp = event.breakpoint_pc;
  current_stop_ = event.stop;
  if (listener_ != nullptr) listener_->on_stop(event.stop);
  return true;
}

void PtraceTarget::resume_same(Thread& t, int linux_signal) {
  if (t.stepping && t.range && !software_of(t.pid).empty()) t.step_from = t.regs.pc();
  if (t.quick_step) t.quick_step = step_is_quick(t);  // a range step going on (the pc is cached)
  (void)t.regs.flush();  // a set-back pc; nothing to do when the set is clean
  t.regs.invalidate();
  resume_ptrace(t, deliverable(linux_signal));
}

// PTRACE_SYSCALL instead of PTRACE_CONT while syscalls are caught. A failure means the thread
// is exiting: its exit comes.
void PtraceTarget::resume_ptrace(Thread& t, int linux_signal) {
  if (!t.stepping && catch_syscalls_)
    (void)resume_thread_syscall(t.tid, linux_signal);
  else
    (void)resume_thread(t.tid, t.stepping, linux_signal);
  t.running = true;
}

// QProgramSignals: once the client has listed them, other signals are not delivered.
int PtraceTarget::deliverable(int linux_signal) const {
  if (linux_signal == 0 || !program_signals_ || program_signals_->contains(linux_signal)) return linux_signal;
  return 0;
}

}  // namespace remora::targets::ptrace
