// QSaveRegisterState / QRestoreRegisterState: lldb saves a thread's registers before it runs an
// expression in the inferior and restores them after. A snapshot is every register of the
// description read through RegisterAccess; restoring writes them all back.
#include "rsp/handlers/lldb_handlers.hpp"

namespace remora::rsp::handlers {
namespace {

// lldb holds one snapshot per expression in flight; more than this is a client that leaks.
constexpr std::size_t kMaxSnapshots = 64;

ErrorCode register_error_code(std::error_code ec) {
  if (ec == targets::errc::no_such_thread || ec == targets::errc::no_process) return ErrorCode::no_process;
  if (ec == targets::errc::target_running) return ErrorCode::busy;
  return ErrorCode::target_io;
}

}  // namespace

Reply save_register_state(SessionState& s, const packets::SaveRegisterState& r) {
  s.features.lldb = true;
  if (s.saved_registers.size() >= kMaxSnapshots)
    return Reply::error(ErrorCode::too_long, "too many saved register states (" + std::to_string(kMaxSnapshots) + ")");
  auto thread = s.resolve_thread(r.thread);
  auto& regs = s.target.registers();
  SessionState::SavedRegisters snapshot{thread, {}};
  for (const auto& info : regs.description().registers) {
    std::vector<std::byte> value(info.bytes());
    auto ec = regs.read_register(thread, info.regnum, value);
    if (ec == targets::errc::register_unavailable) value.clear();  // restored as "leave alone"
    else if (ec) return error_from(register_error_code(ec), "cannot save register " + info.name, ec);
    snapshot.values.push_back(std::move(value));
  }
  // Ids start at 1 and are not reused within a session; 0 is what lldb takes for "failed".
  std::uint32_t id = s.next_save_id++;
  if (s.next_save_id == 0) s.next_save_id = 1;
  s.saved_registers[id] = std::move(snapshot);
  return Reply::with(std::to_string(id));
}

Reply restore_register_state(SessionState& s, const packets::RestoreRegisterState& r) {
  s.features.lldb = true;
  auto it = s.saved_registers.find(r.id);
  if (it == s.saved_registers.end())
    return Reply::error(ErrorCode::malformed, "no saved register state " + std::to_string(r.id));
  // The snapshot goes back to the thread named now, as lldb-server does (normally the same one).
  auto thread = r.thread ? s.resolve_thread(r.thread) : it->second.thread;
  auto& regs = s.target.registers();
  const auto& infos = regs.description().registers;
  const auto& values = it->second.values;
  for (std::size_t i = 0; i < infos.size() && i < values.size(); ++i) {
    if (values[i].empty()) continue;
    auto ec = regs.write_register(thread, infos[i].regnum, values[i]);
    if (ec == targets::errc::register_unavailable) continue;
    // The snapshot is kept on failure so the client may try again.
    if (ec) return error_from(register_error_code(ec), "cannot restore register " + infos[i].name, ec);
  }
  s.saved_registers.erase(it);
  return Reply::ok();
}

}  // namespace remora::rsp::handlers
