// Non-stop mode: each thread stops and runs on its own. A thread's stop is reported alone (no
// other thread is touched); resumes act on the threads they name; `t` and vCtrlC stop one thread.
// Stepping a thread over its own int3 stops the other threads of the process for that one step
// (gdbserver does the same): a lifted int3 must not let another thread run past it.
#include <asio/post.hpp>
#include <utility>

#include "targets/ptrace/ptrace_ops.hpp"
#include "targets/ptrace/ptrace_target.hpp"
#include "targets/ptrace/signals.hpp"

namespace remora::targets::ptrace {
namespace {
using Kind = Classified::Kind;
}  // namespace

std::error_code PtraceTarget::set_non_stop(bool on) {
  if (state_ != RunState::no_process && threads_.any_running()) return errc::target_running;
  non_stop_ = on;
  removed_while_running_.clear();
  for (auto& t : threads_) t->stop_request.reset();
  return {};
}

void PtraceTarget::stop_all_and_leave() {
  if (!non_stop_) return;
  if (state_ != RunState::no_process) {
    ++generation_;  // reports posted for the client that left are kept as pending instead
    stop_all(0);
    for (auto& t : threads_) {
      t->stop_request.reset();
      t->report_posted = false;
    }
    if (state_ != RunState::no_process) {
      state_ = RunState::stopped;
      const bool known = current_stop_ && threads_.find(static_cast<pid_t>(current_stop_->thread.tid)) != nullptr;
      if (!known && !threads_.empty())
        current_stop_ = stop_event(**threads_.begin(), gdb_signal::none, StopReason::signal);
    }
  }
  non_stop_ = false;
  removed_while_running_.clear();
}

std::vector<StopEvent> PtraceTarget::stopped_threads() {
  std::vector<StopEvent> out;
  if (state_ == RunState::no_process) return out;
  for (auto& t : threads_) {
    if (t->running || t->zombie) continue;
    out.push_back(t->last_stop ? *t->last_stop : stop_event(*t, gdb_signal::none, StopReason::signal));
  }
  return out;
}

void PtraceTarget::update_run_state() {
  if (state_ == RunState::no_process) return;
  const bool any = threads_.any_running();
  state_ = any ? RunState::running : RunState::stopped;
  if (!any) removed_while_running_.clear();  // no thread can have an int3 trap in flight now
}

// Told to the client at once, from the event loop; the thread stays stopped.
void PtraceTarget::report_thread(Thread& t, ThreadEvent event) {
  t.stop_request.reset();
  t.reported_bp = event.breakpoint_pc;
  t.last_stop = event.stop;
  current_stop_ = event.stop;
  update_run_state();
  if (listener_ != nullptr) listener_->on_stop(event.stop);
}

// From inside a call the client made (a resume, a breakpoint insertion): the event waits in
// `pending` until the loop delivers it, so a client that resumes the thread first cannot lose it.
void PtraceTarget::post_thread_report(Thread& t, ThreadEvent event) {
  t.pending = std::move(event);
  t.report_posted = true;
  std::weak_ptr<PtraceTarget*> weak = self_;
  const std::uint64_t generation = generation_;
  const pid_t tid = t.tid;
  asio::post(io_, [weak, generation, tid] {
    if (auto self = weak.lock(); self && (*self)->generation_ == generation) (*self)->deliver_thread_report(tid);
  });
}

void PtraceTarget::deliver_thread_report(pid_t tid) {
  Thread* t = threads_.find(tid);
  if (t == nullptr || !t->report_posted || !t->pending) return;
  t->report_posted = false;
  ThreadEvent event = std::move(*t->pending);
  t->pending.reset();
  report_thread(*t, std::move(event));
}

bool PtraceTarget::handle_event_non_stop(Thread& t, int status) {
  auto c = classify(t, status);
  switch (c.kind) {
    case Kind::report:
      if (undo_removed_breakpoint_trap(t, c.event))
        resume_same(t);
      else
        report_thread(t, std::move(c.event));
      return false;
    case Kind::quiet:
      if (t.stop_request) {
        const int signal = *t.stop_request;
        report_thread(t, {stop_event(t, signal, signal == gdb_signal::int_ ? StopReason::interrupt : StopReason::signal)});
      } else {
        resume_same(t);  // an interrupt whose reason is gone (the thread reported something else first)
      }
      return false;
    case Kind::resume:
    case Kind::range_continue:
      resume_same(t);
      return false;
    case Kind::pass_signal: resume_same(t, c.linux_signal); return false;
    case Kind::clone: {
      const pid_t tid = t.tid;
      adopt_clone(c.new_tid, t.pid);
      if (Thread* child = threads_.find(c.new_tid)) {
        if (reported_.threads)
          report_thread(*child, {stop_event(*child, gdb_signal::trap, StopReason::thread_created)});
        else
          resume_same(*child);
      }
      if (Thread* parent = threads_.find(tid)) resume_same(*parent);
      return false;
    }
    case Kind::thread_exit:
      threads_.remove(t.tid);
      if (reported_.threads) {
        if (listener_ != nullptr) listener_->on_stop(c.event.stop);
      } else if (!threads_.any_running() && !threads_.empty() && !no_resumed_told_) {
        no_resumed_told_ = true;  // once until something runs again (threads dying in an exit_group)
        StopEvent none;
        none.kind = StopKind::no_resumed;
        if (listener_ != nullptr) listener_->on_stop(none);
      }
      update_run_state();
      return false;
    case Kind::process_exit:
      if (c.event.stop.thread.pid != pid_ || !children_.empty()) {
        child_process_exit(static_cast<pid_t>(c.event.stop.thread.pid));
        update_run_state();
        if (listener_ != nullptr) listener_->on_stop(c.event.stop);
        return false;
      }
      mark_process_gone(c.event.stop);
      exit_unreported_ = false;
      if (listener_ != nullptr) listener_->on_stop(c.event.stop);
      return true;
  }
  return false;
}

// A SIGTRAP that no inserted int3 explains: if the byte before the pc was one of ours, removed
// while the thread was already trapping on it, the thread goes back to run the real instruction
// there (gdb, told swbreak, would not move the pc back itself) and the trap is not reported.
bool PtraceTarget::undo_removed_breakpoint_trap(Thread& t, const ThreadEvent& event) {
  if (removed_while_running_.empty() || t.stepping) return false;
  if (event.stop.reason != StopReason::signal || event.stop.signal != gdb_signal::trap) return false;
  const Addr pc = t.regs.pc();
  if (!removed_while_running_.contains(pc - 1)) return false;
  std::byte byte{};
  if (software_of(t.pid).read(pc - 1, std::span(&byte, 1)).bytes != 1 || byte == std::byte{0xcc}) return false;
  t.stop_signal = 0;
  (void)t.regs.set_pc(pc - 1);
  return true;
}

// vCont in non-stop mode: each thread takes the first action that selects it; a thread no action
// selects is left as it is, running or stopped.
std::error_code PtraceTarget::resume_non_stop(std::span<const ResumeAction> actions) {
  if (state_ == RunState::no_process) return errc::no_process;
  if (actions.empty()) return errc::invalid_argument;
  for (const auto& a : actions) {
    // A stop for a thread that is gone is moot (the session adds such actions for queued stops).
    if (a.kind == ResumeKind::stop || a.thread.is_all() || a.thread.is_any() || a.thread.pid == -1) continue;
    const Thread* t = threads_.find(static_cast<pid_t>(a.thread.tid));
    if (t == nullptr || (a.thread.pid > 0 && a.thread.pid != t->pid)) return errc::no_such_thread;
  }
  std::vector<std::pair<pid_t, ResumeAction>> chosen;
  for (auto& t : threads_)
    for (const auto& a : actions)
      if (a.thread.selects({t->pid, t->tid})) {
        chosen.emplace_back(t->tid, a);
        break;
      }
  for (const auto& [tid, action] : chosen) {
    Thread* t = threads_.find(tid);  // an earlier step-over may have seen this thread exit
    if (t == nullptr || t->zombie) continue;
    if (action.kind == ResumeKind::stop) {
      request_stop(*t, gdb_signal::none);
      continue;
    }
    if (t->running || t->report_posted) continue;
    resume_thread_non_stop(*t, action);
    if (state_ == RunState::no_process) break;
  }
  if (state_ == RunState::no_process && current_stop_) post_report(0, {*current_stop_});
  update_run_state();
  if (threads_.any_running()) no_resumed_told_ = false;
  return {};
}

void PtraceTarget::resume_thread_non_stop(Thread& t, const ResumeAction& action) {
  auto& pending = t.pending;
  if (pending && pending->breakpoint_pc != 0 &&
      (!software_of(t.pid).inserted(pending->breakpoint_pc) || t.regs.pc() != pending->breakpoint_pc))
    pending.reset();  // stale, as in all-stop (ptrace_resume.cpp)
  if (pending) {
    ThreadEvent event = std::move(*pending);
    pending.reset();
    post_thread_report(t, std::move(event));
    return;
  }
  if (t.regs.flush()) return;  // the thread is exiting: its exit comes through the loop
  t.quick_step = false;
  const bool on_breakpoint = t.reported_bp != 0 && software_of(t.pid).inserted(t.reported_bp) &&
                             t.regs.pc() == t.reported_bp;
  if (!on_breakpoint) {
    start(t, action);
    return;
  }
  const pid_t tid = t.tid;
  auto paused = pause_running();
  if (state_ != RunState::no_process) {
    step_over(t, action);
    if (Thread* after = threads_.find(tid); after != nullptr && state_ != RunState::no_process) {
      if (after->pending) {
        ThreadEvent event = std::move(*after->pending);
        after->pending.reset();
        post_thread_report(*after, std::move(event));
      } else {
        start(*after, action);
      }
    }
  }
  unpause(paused);
}

// Stops every running thread and waits for it; what a thread ran into meanwhile is kept as its
// pending event. Returns the threads to let run again.
std::vector<pid_t> PtraceTarget::pause_running() {
  std::vector<pid_t> paused;
  for (auto& t : threads_)
    if (t->running) paused.push_back(t->tid);
  stop_all(0);
  // Not update_run_state(): removed_while_running_ must outlive the pause (unpause reads it).
  if (state_ != RunState::no_process) state_ = RunState::stopped;
  return paused;
}

// The paused threads run on unless they found something to report (posted to the client) or
// the client asked them to stop meanwhile.
void PtraceTarget::unpause(const std::vector<pid_t>& paused) {
  if (state_ == RunState::no_process) {
    if (current_stop_) post_report(0, {*current_stop_});
    return;
  }
  for (pid_t tid : paused) {
    Thread* t = threads_.find(tid);
    if (t == nullptr || t->running || t->zombie) continue;
    if (t->pending && undo_removed_breakpoint_trap(*t, *t->pending)) t->pending.reset();
    if (t->pending) {
      ThreadEvent event = std::move(*t->pending);
      t->pending.reset();
      post_thread_report(*t, std::move(event));
    } else if (t->stop_request) {
      const int signal = *t->stop_request;
      post_thread_report(*t, {stop_event(*t, signal, signal == gdb_signal::int_ ? StopReason::interrupt
                                                                               : StopReason::signal)});
    } else {
      resume_same(*t, std::exchange(t->deferred_signal, 0));
    }
  }
  for (auto& event : orphan_events_) post_report(0, {std::move(event)});
  orphan_events_.clear();
  update_run_state();
}

void PtraceTarget::request_stop(Thread& t, int gdb_signal) {
  if (!t.running) return;  // stopped already: its stop is reported or on its way
  t.stop_request = gdb_signal;
  if (!t.interrupt_sent) (void)interrupt_thread(t.tid);
  t.interrupt_sent = true;
}

// vCtrlC: the first running thread stops with SIGINT, as ^C would stop the program.
std::error_code PtraceTarget::interrupt_non_stop() {
  if (state_ == RunState::no_process) return exit_unreported_ ? std::error_code{} : make_error_code(errc::no_process);
  for (auto& t : threads_)
    if (t->running) {
      request_stop(*t, gdb_signal::int_);
      break;
    }
  return {};
}

}  // namespace remora::targets::ptrace
