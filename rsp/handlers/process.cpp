// D and k, and the flush that precedes anything that lets the target go.
#include "rsp/handlers/handlers.hpp"

namespace remora::rsp::handlers {

bool flush_pending_writes(SessionState& s, std::string* failure_text) {
  if (!s.options.memory_cache) return true;
  auto result = s.options.memory_cache->flush();
  if (!result.error) return true;
  std::string text = "a cached memory write could not reach the target at " + hex_address(result.failed_at) + ": " +
                     result.error.message();
  s.note(text);
  if (failure_text) *failure_text = std::move(text);
  return false;
}

Reply detach(SessionState& s, const packets::Detach& d) {
  auto threads = s.target.threads();
  if (d.pid && !threads.empty() && threads.front().pid != *d.pid)
    return Reply::error(ErrorCode::no_process, "not debugging that process");
  std::string failure;
  if (!flush_pending_writes(s, &failure)) return Reply::error(ErrorCode::memory_fault, failure);
  auto ec = s.target.detach();
  if (ec) return error_from(ErrorCode::target_io, "cannot detach", ec);
  s.last_stop.reset();
  // In extended mode the client stays connected and may run or attach to something else.
  s.wants_close = !s.options.extended_mode;
  return Reply::ok();
}

Reply kill(SessionState& s, const packets::NoArgs&) {
  // The process is going away: pending writes may be dropped, so nothing is flushed.
  if (s.options.memory_cache) s.options.memory_cache->invalidate();
  auto ec = s.target.kill();
  if (ec && ec != targets::errc::no_process) s.note("kill failed: " + ec.message());
  s.last_stop.reset();
  s.running = false;
  // gdb does not wait for a reply to `k` in non-extended mode; gdbserver closes the link.
  if (!s.options.extended_mode) {
    s.wants_close = true;
    return Reply::none();
  }
  return Reply::ok();
}

Reply vkill(SessionState& s, const packets::ProcessArg& k) {
  auto threads = s.target.threads();
  if (threads.empty() || threads.front().pid != *k.pid)
    return Reply::error(ErrorCode::no_process, "not debugging that process");
  // Unlike `k`, gdb waits for the reply to vKill (and says "Can't kill process" when vKill is
  // unsupported while multiprocess+ was negotiated), so it is answered before the link closes.
  kill(s, packets::NoArgs{});
  s.wants_close = !s.options.extended_mode;
  return Reply::ok();
}

}  // namespace remora::rsp::handlers
