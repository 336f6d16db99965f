// Running the process: vCont actions per thread, stepping threads over their own breakpoints,
// held-back events reported before anything runs, and interrupting.
#include <sys/ptrace.h>
#include <sys/wait.h>

#include <asio/post.hpp>

#include "targets/ptrace/ptrace_ops.hpp"
#include "targets/ptrace/ptrace_target.hpp"
#include "targets/ptrace/signals.hpp"

namespace remora::targets::ptrace {
namespace {
bool in_range(const ResumeAction& a, Addr pc) { return pc >= a.range_start && pc < a.range_end; }
}  // namespace

// vCont actions match left to right; the first one that selects a thread applies to it. A
// thread no action selects stays stopped, as with `t`.
std::expected<std::vector<PtraceTarget::Planned>, std::error_code> PtraceTarget::plan(
    std::span<const ResumeAction> actions) {
  if (actions.empty()) return std::unexpected(make_error_code(errc::invalid_argument));
  std::vector<Planned> out;
  for (const auto& a : actions) {
    const bool wildcard = a.thread.is_all() || a.thread.is_any() || a.thread.pid == -1;
    if (wildcard) continue;
    const Thread* t = threads_.find(static_cast<pid_t>(a.thread.tid));
    if (t == nullptr || (a.thread.pid > 0 && a.thread.pid != t->pid))
      return std::unexpected(make_error_code(errc::no_such_thread));
  }
  for (auto& t : threads_) {
    const ThreadId id{t->pid, t->tid};
    for (const auto& a : actions) {
      if (!a.thread.selects(id)) continue;
      if (a.kind != ResumeKind::stop) out.push_back({t.get(), a});
      break;
    }
  }
  return out;
}

std::error_code PtraceTarget::resume(std::span<const ResumeAction> actions) {
  // exit_unreported_ stays set until the posted exit is delivered: until then the stub must
  // not take the process for gone and quit before gdb has heard of it.
  if (exit_unreported_ && current_stop_) {
    ++generation_;  // a second resume before the delivery replaces the first report
    post_report(0, {*current_stop_});
    return {};
  }
  if (state_ == RunState::no_process) return errc::no_process;
  if (non_stop_) return resume_non_stop(actions);
  if (state_ == RunState::running) return errc::target_running;
  auto planned = plan(actions);
  if (!planned) return planned.error();
  for (auto& t : threads_)
    if (auto ec = t->regs.flush()) {
      // Killed from outside since the last stop (and the SIGCHLD not handled yet): the resume
      // reports the death, as it would have a moment later.
      if (!died_while_stopped()) return ec;
      post_report(0, {*current_stop_});
      return {};
    }
  ++generation_;
  state_ = RunState::running;
  // A held-back breakpoint hit is stale when the breakpoint is gone or the client moved the pc:
  // the thread simply runs again (its pc was set back, so it re-executes the instruction).
  for (auto& p : *planned) {
    auto& pending = p.thread->pending;
    if (pending && pending->breakpoint_pc != 0 &&
        (!software_of(p.thread->pid).inserted(pending->breakpoint_pc) || p.thread->regs.pc() != pending->breakpoint_pc))
      pending.reset();
  }
  for (auto& p : *planned)
    if (!p.thread->pending && p.thread->reported_bp != 0 && software_of(p.thread->pid).inserted(p.thread->reported_bp) &&
        p.thread->regs.pc() == p.thread->reported_bp) {
      step_over(*p.thread, p.action);
      if (state_ == RunState::no_process) {
        post_report(0, {*current_stop_});
        return {};
      }
    }
  if (!orphan_events_.empty()) {
    StopEvent event = std::move(orphan_events_.front());
    orphan_events_.erase(orphan_events_.begin());
    post_report(0, {std::move(event)});
    return {};
  }
  for (auto& p : *planned)
    if (p.thread->pending) {
      ThreadEvent event = std::move(*p.thread->pending);
      p.thread->pending.reset();
      post_report(p.thread->tid, std::move(event));
      return {};
    }
  for (auto& p : *planned) p.thread->quick_step = planned->size() == 1 && p.action.kind != ResumeKind::cont &&
                                                   step_is_quick(*p.thread);
  for (auto& p : *planned) start(*p.thread, p.action);
  if (!threads_.any_running()) {  // everything was told to stay stopped
    Thread& first = planned->empty() ? **threads_.begin() : *planned->front().thread;
    post_report(first.tid, {stop_event(first, gdb_signal::none, StopReason::signal)});
  } else if (planned->size() == 1 && planned->front().thread->quick_step) {
    post_quick_wait(planned->front().thread->tid);
  }
  return {};
}

// A step of one thread alone ends within microseconds, long before SIGCHLD has made its way
// through asio's signal pipe and epoll: the loop waits for it with a blocking waitpid right away
// (posted, so the stop is still delivered from the loop). Only when the instruction cannot wait
// in the kernel (not syscall/sysenter/int): a blocking read must not freeze remora. Range steps
// keep going the same way while they stay quick.
bool PtraceTarget::step_is_quick(Thread& t) {
  std::byte insn[2]{};
  if (software_of(t.pid).read(t.regs.pc(), insn).bytes != 2) return false;
  const auto b0 = std::to_integer<unsigned>(insn[0]), b1 = std::to_integer<unsigned>(insn[1]);
  return !((b0 == 0x0f && (b1 == 0x05 || b1 == 0x34)) || b0 == 0xcd);
}

void PtraceTarget::post_quick_wait(pid_t tid) {
  std::weak_ptr<PtraceTarget*> weak = self_;
  const std::uint64_t generation = generation_;
  asio::post(io_, [weak, generation, tid] {
    if (auto self = weak.lock()) (*self)->quick_wait(generation, tid);
  });
}

void PtraceTarget::quick_wait(std::uint64_t generation, pid_t tid) {
  while (generation == generation_ && state_ == RunState::running) {
    Thread* t = threads_.find(tid);
    if (t == nullptr || !t->running || !t->stepping || !t->quick_step) return;
    auto status = wait_blocking(tid);
    if (!status || handle_event(*t, *status)) return;
  }
}

// The thread sits on the breakpoint it reported: lift the int3, step this thread alone (the
// others are stopped, so none can run past the lifted breakpoint), plant it again. A step the
// client asked for is complete with this; anything else the step ran into is held back.
void PtraceTarget::step_over(Thread& t, const ResumeAction& action) {
  const Addr at = t.reported_bp;
  t.reported_bp = 0;
  SoftwareBreakpoints& software = software_of(t.pid);
  (void)software.lift(at);
  t.stepping = true;
  t.step_from = 0;
  t.range.reset();
  t.regs.invalidate();
  const int sig = action.kind == ResumeKind::step ? deliverable(linux_signal_from_gdb(action.signal)) : 0;
  if (resume_thread(t.tid, true, sig)) {
    (void)software.replant(at);
    return;
  }
  t.running = true;
  auto status = wait_blocking(t.tid);
  // A PTRACE_INTERRUPT that reached the thread just after it had stopped on its own stays
  // pending in the kernel and ends this resume before the step: step again (bounded).
  for (int retry = 0; retry < 3 && status && WIFSTOPPED(*status) && ptrace_event_of(*status) == PTRACE_EVENT_STOP;
       ++retry) {
    if (resume_thread(t.tid, true, sig)) break;
    status = wait_blocking(t.tid);
  }
  (void)software.replant(at);
  if (!status) {
    threads_.remove(t.tid);
    return;
  }
  const pid_t tid = t.tid;
  absorb(t, *status);
  Thread* after = threads_.find(tid);
  if (after == nullptr || !after->pending || after->pending->stop.reason != StopReason::step) return;
  // A plain step trap: finished only if the client wanted a step (or left its range).
  const bool done = action.kind == ResumeKind::step ||
                    (action.kind == ResumeKind::range_step && !in_range(action, after->regs.pc()));
  if (!done) after->pending.reset();
  if (action.kind == ResumeKind::step) after->stop_signal = 0;
}

void PtraceTarget::start(Thread& t, const ResumeAction& action) {
  int sig = deliverable(linux_signal_from_gdb(action.signal));
  if (sig == 0) sig = deliverable(std::exchange(t.deferred_signal, 0));
  t.stepping = action.kind == ResumeKind::step || action.kind == ResumeKind::range_step;
  t.range.reset();
  if (action.kind == ResumeKind::range_step && action.range_start < action.range_end)
    t.range = std::pair{action.range_start, action.range_end};
  // Only a step needs its start pc (to tell an executed int3 from a step), and only when
  // there are int3s at all; the pc is usually cached from the stop reply anyway.
  t.step_from = t.stepping && !software_of(t.pid).empty() ? t.regs.pc() : 0;
  t.reported_bp = 0;
  t.stop_signal = 0;
  t.regs.invalidate();
  resume_ptrace(t, sig);
}

// Stops found synchronously are delivered from the loop, never from inside resume().
void PtraceTarget::post_report(pid_t tid, ThreadEvent event) {
  std::weak_ptr<PtraceTarget*> weak = self_;
  const std::uint64_t generation = generation_;
  asio::post(io_, [weak, generation, tid, event = std::move(event)] {
    if (auto self = weak.lock()) (*self)->deliver_posted(generation, tid, event);
  });
}

void PtraceTarget::deliver_posted(std::uint64_t generation, pid_t tid, const ThreadEvent& event) {
  if (generation != generation_) return;
  if (non_stop_) {  // a process's end or a thread's exit: nothing else stops (tid is 0)
    if (state_ == RunState::no_process) exit_unreported_ = false;
    if (listener_ != nullptr) listener_->on_stop(event.stop);
    return;
  }
  if (state_ == RunState::running) {
    state_ = RunState::stopped;
    interrupt_requested_ = false;
    if (Thread* t = threads_.find(tid)) t->reported_bp = event.breakpoint_pc;
    current_stop_ = event.stop;
  } else if (state_ != RunState::no_process) {
    return;
  }
  exit_unreported_ = false;
  if (listener_ != nullptr) listener_->on_stop(event.stop);
}

// Stops the process with PTRACE_INTERRUPT rather than gdbserver's kill(SIGINT): the program's
// own SIGINT handling is untouched and nothing is queued for it; the stop is reported as
// SIGINT with reason interrupt, as gdb expects after ^C.
std::error_code PtraceTarget::interrupt() {
  if (non_stop_) return interrupt_non_stop();
  if (state_ == RunState::no_process) return exit_unreported_ ? std::error_code{} : make_error_code(errc::no_process);
  if (state_ != RunState::running) return {};
  interrupt_requested_ = true;
  for (auto& t : threads_) {
    if (!t->running) continue;
    if (!t->interrupt_sent) (void)interrupt_thread(t->tid);
    t->interrupt_sent = true;
    break;
  }
  return {};  // no thread running: a posted stop is on its way and answers the interrupt
}

}  // namespace remora::targets::ptrace
