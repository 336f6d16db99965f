// QNonStop, vStopped, vCtrlC and `?` in non-stop mode. The queue of stop replies lives in
// SessionState; the Session announces its first entry with a %Stop notification.
#include <algorithm>

#include "rsp/handlers/non_stop_handlers.hpp"
#include "rsp/stop_reply.hpp"

namespace remora::rsp::handlers {

// QNonStop:1 also adopts a target a previous non-stop client left in non-stop mode, running
// threads and all. QNonStop:0 stops every thread first, as the GDB manual asks of a stub entering
// all-stop mode: gdb 13 sends it on every all-stop connect and gives up if it is refused.
Reply set_non_stop(SessionState& s, const packets::Switch& on) {
  auto* control = s.target.non_stop();
  if (control == nullptr) return Reply::error(ErrorCode::not_supported, "this target has no non-stop mode");
  if (on.on == s.non_stop && on.on == control->enabled()) return Reply::ok();
  // Whatever the cache holds must reach the target before threads run behind its back.
  std::string failure;
  if (!flush_pending_writes(s, &failure)) return Reply::error(ErrorCode::memory_fault, failure);
  if (s.options.memory_cache) s.options.memory_cache->invalidate();
  if (!on.on) {
    control->stop_all_and_leave();
  } else if (!control->enabled()) {
    if (auto ec = control->set_non_stop(true))
      return error_from(ec == targets::errc::target_running ? ErrorCode::busy : ErrorCode::target_io,
                        "cannot switch to non-stop mode while the target runs", ec);
  }
  s.non_stop = on.on;
  s.clear_stops();
  return Reply::ok();
}

void ensure_all_stop(SessionState& s) {
  if (s.non_stop) return;
  if (auto* control = s.target.non_stop(); control != nullptr && control->enabled()) control->stop_all_and_leave();
}

// The client has the front entry (the notification, or the last vStopped reply): drop it and
// hand over the next, or OK when none is left.
Reply stopped_ack(SessionState& s, const packets::NoArgs&) {
  if (!s.non_stop) return Reply::error(ErrorCode::not_supported, "vStopped is for non-stop mode");
  if (!s.stop_queue.empty()) s.drop_front_stop();
  if (s.stop_queue.empty()) return Reply::ok();
  return Reply::with(s.stop_queue.front());
}

// gdb sends vCtrlC in non-stop mode for ^C: one running thread stops and reports SIGINT.
Reply ctrl_c(SessionState& s, const packets::NoArgs&) {
  if (!s.non_stop) return Reply::error(ErrorCode::not_supported, "vCtrlC is for non-stop mode (send 0x03)");
  if (auto ec = s.target.interrupt())
    return error_from(ec == targets::errc::no_process ? ErrorCode::no_process : ErrorCode::target_io,
                      "cannot interrupt the target", ec);
  return Reply::ok();
}

Reply non_stop_status(SessionState& s) {
  s.clear_stops();
  if (auto* control = s.target.non_stop())
    for (const auto& stop : control->stopped_threads()) s.queue_stop(render_stop_reply(s, stop), stop.thread);
  // No thread at all: the process is gone (or was never there); say how it ended.
  if (s.stop_queue.empty() && s.target.threads().empty()) {
    auto end = s.target.current_stop();
    if (end && end->kind != targets::StopKind::stopped)
      s.queue_stop(render_stop_reply(s, *end), targets::ThreadId::any());
  }
  if (s.stop_queue.empty()) return Reply::ok();
  return Reply::with(s.stop_queue.front());
}

// A wildcard action does not resume a thread whose stop the client has not taken yet (it is
// still in the queue): the client would act on that stop after the thread ran on — after a
// displaced step, from gdb's scratch pad. Actions that name the thread still apply.
std::vector<targets::ResumeAction> without_queued_threads(const SessionState& s,
                                                          std::span<const targets::ResumeAction> actions) {
  std::vector<targets::ResumeAction> out;
  for (const auto& thread : s.queued_threads) {
    if (thread.is_any()) continue;
    const bool named = std::any_of(actions.begin(), actions.end(), [&](const targets::ResumeAction& a) {
      return a.thread == thread || (a.thread.tid == thread.tid && a.thread.pid <= 0);
    });
    if (named) continue;
    targets::ResumeAction leave;
    leave.kind = targets::ResumeKind::stop;  // a stopped thread stays as it is
    leave.thread = thread;
    out.push_back(leave);
  }
  out.insert(out.end(), actions.begin(), actions.end());
  return out;
}

}  // namespace remora::rsp::handlers
