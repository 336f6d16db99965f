// D and k, and the flush that precedes anything that lets the target go.
#include <algorithm>

#include "rsp/handlers/handlers.hpp"
#include "rsp/stop_reply.hpp"

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
  bool known = !d.pid || std::any_of(threads.begin(), threads.end(), [&](auto& t) { return t.pid == *d.pid; });
  // lldb sends `D;1` for the emulated machine's pid and the padded `D;0000000000000001`.
  if (!threads.empty() && !known) return Reply::error(ErrorCode::no_process, "not debugging that process");
  std::string failure;
  if (!flush_pending_writes(s, &failure)) return Reply::error(ErrorCode::memory_fault, failure);
  // With several processes (a fork child kept for the client), `D;pid` lets go of that one only
  // and the link stays up, as gdbserver does for follow-fork-mode child.
  bool others = d.pid && std::any_of(threads.begin(), threads.end(), [&](auto& t) { return t.pid != *d.pid; });
  if (others) {
    auto* control = s.target.process_control();
    auto ec = control ? control->detach_process(*d.pid) : std::make_error_code(std::errc::function_not_supported);
    if (ec) return error_from(ErrorCode::target_io, "cannot detach process " + std::to_string(*d.pid), ec);
    return Reply::ok();
  }
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
  auto threads = s.target.threads();
  auto ec = s.target.kill();
  if (ec && ec != targets::errc::no_process) s.note("kill failed: " + ec.message());
  s.last_stop.reset();
  s.running = false;
  // lldb waits (3 s) for the exit status, as lldb-server sends it, to print "Process N exited
  // with status = 9"; gdb reads no reply to `k`.
  if (s.features.lldb) {
    auto end = s.target.current_stop();
    if (!end || end->kind == targets::StopKind::stopped) {
      end = targets::StopEvent{};
      end->kind = targets::StopKind::terminated;
      end->signal = targets::gdb_signal::kill;
    }
    if (!threads.empty()) end->thread.pid = threads.front().pid;
    s.wants_close = !s.options.extended_mode;
    return Reply::with(render_stop_reply(s, *end));
  }
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
