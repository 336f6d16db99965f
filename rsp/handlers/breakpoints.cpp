// Z and z. A kind the backend does not support gets the empty reply, so gdb falls back (for
// software breakpoints it then writes int3 itself; for rwatch it emulates with Z4).
#include "rsp/handlers/handlers.hpp"

namespace remora::rsp::handlers {
namespace {

Reply change(SessionState& s, const packets::Breakpoint& b, bool insert) {
  auto* control = s.target.breakpoints();
  if (!control || !control->supports(b.kind)) return Reply::empty();
  auto ec = insert ? control->insert(b.kind, b.addr, b.length) : control->remove(b.kind, b.addr, b.length);
  if (!ec) return Reply::ok();
  std::string what = std::string(insert ? "cannot insert" : "cannot remove") + " breakpoint at " + hex_address(b.addr);
  return error_from(ec == targets::errc::unmapped || ec == targets::errc::write_protected ? ErrorCode::memory_fault
                                                                                         : ErrorCode::target_io,
                    what, ec);
}

}  // namespace

Reply insert_breakpoint(SessionState& s, const packets::Breakpoint& b) { return change(s, b, true); }
Reply remove_breakpoint(SessionState& s, const packets::Breakpoint& b) { return change(s, b, false); }

}  // namespace remora::rsp::handlers
