// qqemu.*/Qqemu.* forwarded to the stub behind remora, and bs/bc (routes_passthrough.cpp).
#include "rsp/handlers/passthrough_handlers.hpp"

namespace remora::rsp::handlers {

Reply passthrough(SessionState& s, const packets::Passthrough& p) {
  auto* forward = s.target.passthrough();
  if (!forward) return Reply::empty();
  auto reply = forward->forward(p.packet);
  if (!reply) return error_from(ErrorCode::target_io, "the stub behind remora did not answer", reply.error());
  // The stub's own answer, whatever it is (an empty reply says it does not know the packet).
  return reply->empty() ? Reply::empty() : Reply::with(std::move(*reply));
}

// Like start_running (execution.cpp): flush first, and nothing read before may be served again.
Reply reverse(SessionState& s, const packets::Reverse& r) {
  auto* forward = s.target.passthrough();
  if (!forward || !forward->can_reverse()) return Reply::empty();
  std::string failure;
  if (!flush_pending_writes(s, &failure)) return Reply::error(ErrorCode::memory_fault, failure);
  if (auto ec = forward->reverse(r.step)) return error_from(ErrorCode::target_io, "cannot run backwards", ec);
  if (s.options.memory_cache) s.options.memory_cache->invalidate();
  s.running = true;
  return Reply::none();
}

}  // namespace remora::rsp::handlers

