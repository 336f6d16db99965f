// c, C, s, S, vCont, vCont?, ?: every resume goes through start_running, which flushes first.
#include <vector>

#include "rsp/handlers/handlers.hpp"
#include "rsp/handlers/non_stop_handlers.hpp"
#include "rsp/stop_reply.hpp"

namespace remora::rsp::handlers {
namespace {

std::error_code set_pc(SessionState& s, targets::ThreadId thread, targets::Addr pc) {
  auto& regs = s.target.registers();
  const auto* info = regs.description().find_role(targets::GenericRole::pc);
  if (!info) return targets::errc::no_such_register;
  std::vector<std::byte> value(info->bytes());
  for (std::size_t i = 0; i < value.size() && i < 8; ++i) value[i] = std::byte((pc >> (8 * i)) & 0xff);
  return regs.write_register(thread, info->regnum, value);
}

}  // namespace

Reply start_running(SessionState& s, std::span<const targets::ResumeAction> actions) {
  ensure_all_stop(s);
  std::string failure;
  if (!flush_pending_writes(s, &failure)) {
    // gdb 13 prints "Remote failure reply" for E.text on a resume and stays stopped; lldb drops
    // the connection on an error to `c`, so it gets an exception stop instead.
    if (s.features.lldb) {
      targets::StopEvent event = s.last_stop.value_or(targets::StopEvent{});
      event.kind = targets::StopKind::stopped;
      event.thread = s.resolve_thread(std::nullopt);
      event.reason = targets::StopReason::exception;
      event.signal = targets::gdb_signal::trap;
      event.description = failure;
      return Reply::with(render_stop_reply(s, event));
    }
    return Reply::error(ErrorCode::memory_fault, failure);
  }
  std::vector<targets::ResumeAction> filtered;
  if (s.non_stop && !s.queued_threads.empty()) {
    filtered = without_queued_threads(s, actions);
    actions = filtered;
  }
  auto ec = s.target.resume(actions);
  if (ec) return error_from(ec == targets::errc::target_running ? ErrorCode::busy : ErrorCode::target_io,
                            "cannot resume the target", ec);
  // Whatever the target does from here on, nothing read before this point may be served again.
  if (s.options.memory_cache) s.options.memory_cache->invalidate();
  // Non-stop: the resume is acknowledged at once; stops come as notifications.
  if (s.non_stop) return Reply::ok();
  s.running = true;
  return Reply::none();
}

Reply resume(SessionState& s, const packets::Resume& r) {
  targets::ThreadId thread = s.continue_thread;
  if (r.addr) {
    auto ec = set_pc(s, s.resolve_thread(std::nullopt), *r.addr);
    if (ec) return error_from(ErrorCode::target_io, "cannot set the resume address", ec);
  }
  targets::ResumeAction action;
  action.kind = r.step ? targets::ResumeKind::step : targets::ResumeKind::cont;
  action.signal = r.signal;
  // A legacy step acts on one thread; a legacy continue resumes what Hc selected (all by default).
  action.thread = r.step ? s.resolve_thread(thread.is_all() ? std::nullopt : std::optional(thread)) : thread;
  return start_running(s, std::span(&action, 1));
}

Reply vcont(SessionState& s, const packets::VCont& v) {
  for (const auto& action : v.actions)
    if (action.kind == targets::ResumeKind::range_step && !s.target.can_range_step())
      return Reply::error(ErrorCode::not_supported, "range stepping is not supported by this target");
  return start_running(s, v.actions);
}

Reply vcont_query(SessionState& s, const packets::NoArgs&) {
  std::string out = "vCont;c;C;s;S;t";
  if (s.target.can_range_step()) out += ";r";
  return Reply::with(std::move(out));
}

Reply stop_status(SessionState& s, const packets::NoArgs&) {
  if (s.non_stop) return non_stop_status(s);
  ensure_all_stop(s);
  auto stop = s.last_stop ? s.last_stop : s.target.current_stop();
  // With no process at all (extended mode before vRun) gdbserver answers W00 as well.
  if (!stop) return Reply::with("W00");
  s.last_stop = stop;
  s.general_thread = targets::ThreadId::any();
  s.target.set_memory_thread(s.general_thread);
  return Reply::with(render_stop_reply(s, *stop));
}

}  // namespace remora::rsp::handlers
