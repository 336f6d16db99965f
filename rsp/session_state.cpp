#include "rsp/session_state.hpp"

namespace remora::rsp {

targets::ThreadId SessionState::resolve_thread(std::optional<targets::ThreadId> explicit_thread) {
  if (explicit_thread && !explicit_thread->is_any() && !explicit_thread->is_all()) return *explicit_thread;
  if (!general_thread.is_any() && !general_thread.is_all()) return general_thread;
  if (last_stop && last_stop->kind == targets::StopKind::stopped) return last_stop->thread;
  auto threads = target.threads();
  return threads.empty() ? targets::ThreadId{} : threads.front();
}

}  // namespace remora::rsp
