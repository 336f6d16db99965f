// H, T, qC, qfThreadInfo, qsThreadInfo.
#include <algorithm>

#include "rsp/handlers/handlers.hpp"
#include "rsp/packets/thread_id.hpp"

namespace remora::rsp::handlers {
namespace {

bool thread_exists(SessionState& s, targets::ThreadId wanted) {
  auto threads = s.target.threads();
  return std::any_of(threads.begin(), threads.end(), [&](const targets::ThreadId& t) { return wanted.selects(t); });
}

}  // namespace

Reply set_thread(SessionState& s, const packets::SetThread& h) {
  bool wildcard = h.thread.is_any() || h.thread.is_all();
  if (!wildcard && !thread_exists(s, h.thread)) return Reply::error(ErrorCode::no_process, "no such thread");
  (h.op == 'g' ? s.general_thread : s.continue_thread) = h.thread;
  if (h.op == 'g') s.target.set_memory_thread(h.thread);
  // With several processes, memory and breakpoint packets act on the process of Hg.
  if (h.op == 'g' && !wildcard && h.thread.pid > 0)
    if (auto* control = s.target.process_control()) (void)control->select_process(h.thread.pid);
  return Reply::ok();
}

Reply thread_alive(SessionState& s, const packets::ThreadAlive& t) {
  if (t.thread.is_any() || t.thread.is_all() || !thread_exists(s, t.thread))
    return Reply::error(ErrorCode::no_process, "thread is not alive");
  return Reply::ok();
}

Reply current_thread(SessionState& s, const packets::NoArgs&) {
  if (s.target.threads().empty()) return Reply::error(ErrorCode::no_process, "no process");
  std::string out = "QC";
  packets::append_thread_id(out, s.resolve_thread(std::nullopt), s.features.multiprocess);
  return Reply::with(std::move(out));
}

Reply first_thread_info(SessionState& s, const packets::NoArgs&) {
  auto threads = s.target.threads();
  if (threads.empty()) return Reply::with("l");
  // All threads go in the first reply; qsThreadInfo then ends the list.
  std::string out = "m";
  for (std::size_t i = 0; i < threads.size(); ++i) {
    if (i) out += ',';
    packets::append_thread_id(out, threads[i], s.features.multiprocess);
  }
  return Reply::with(std::move(out));
}

Reply subsequent_thread_info(SessionState&, const packets::NoArgs&) { return Reply::with("l"); }

}  // namespace remora::rsp::handlers
