// Z and z. A kind the backend does not support gets the empty reply, so gdb falls back (for
// software breakpoints it then writes int3 itself; for rwatch it emulates with Z4).
#include "rsp/handlers/handlers.hpp"

namespace remora::rsp::handlers {
namespace {

// Z3 (read watchpoint): x86's DR7 has no read-only condition, so backends program watch_read as
// read/write. gdb must get the empty reply: it then emulates `rwatch` with a Z4 access watch and
// compares old and new values itself; an `OK` would make it report writes as reads. lldb has no
// such fallback, so it gets a read/write (access) watch, inserted and removed as Z4.
std::optional<targets::BreakpointKind> effective_kind(const SessionState& s, targets::BreakpointKind kind) {
  if (kind != targets::BreakpointKind::watch_read) return kind;
  if (!s.features.lldb) return std::nullopt;
  return targets::BreakpointKind::watch_access;
}

Reply change(SessionState& s, const packets::Breakpoint& b, bool insert) {
  auto* control = s.target.breakpoints();
  auto kind = effective_kind(s, b.kind);
  if (!control || !kind || !control->supports(*kind)) return Reply::empty();
  auto ec = insert ? control->insert(*kind, b.addr, b.length) : control->remove(*kind, b.addr, b.length);
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
