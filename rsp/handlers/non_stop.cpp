// QNonStop, vStopped, vCtrlC and `?` in non-stop mode. The queue of stop replies lives in
// SessionState; the Session announces its first entry with a %Stop notification.
#include "rsp/handlers/non_stop_handlers.hpp"
#include "rsp/stop_reply.hpp"

namespace remora::rsp::handlers {

Reply set_non_stop(SessionState& s, const packets::Switch& on) {
  auto* control = s.target.non_stop();
  if (control == nullptr) return Reply::error(ErrorCode::not_supported, "this target has no non-stop mode");
  if (on.on == s.non_stop) return Reply::ok();
  // Whatever the cache holds must reach the target before threads run behind its back.
  std::string failure;
  if (!flush_pending_writes(s, &failure)) return Reply::error(ErrorCode::memory_fault, failure);
  if (s.options.memory_cache) s.options.memory_cache->invalidate();
  if (auto ec = control->set_non_stop(on.on))
    return error_from(ec == targets::errc::target_running ? ErrorCode::busy : ErrorCode::target_io,
                      "cannot switch non-stop mode while threads run", ec);
  s.non_stop = on.on;
  s.stop_queue.clear();
  return Reply::ok();
}

// The client has the front entry (the notification, or the last vStopped reply): drop it and
// hand over the next, or OK when none is left.
Reply stopped_ack(SessionState& s, const packets::NoArgs&) {
  if (!s.non_stop) return Reply::error(ErrorCode::not_supported, "vStopped is for non-stop mode");
  if (!s.stop_queue.empty()) s.stop_queue.pop_front();
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
  s.stop_queue.clear();
  if (auto* control = s.target.non_stop())
    for (const auto& stop : control->stopped_threads()) s.stop_queue.push_back(render_stop_reply(s, stop));
  // No thread at all: the process is gone (or was never there); say how it ended.
  if (s.stop_queue.empty() && s.target.threads().empty()) {
    auto end = s.target.current_stop();
    if (end && end->kind != targets::StopKind::stopped) s.stop_queue.push_back(render_stop_reply(s, *end));
  }
  if (s.stop_queue.empty()) return Reply::ok();
  return Reply::with(s.stop_queue.front());
}

}  // namespace remora::rsp::handlers
