// g, G, p, P over the target description. Unavailable registers read as `xx` (gdb's convention).
#include <vector>

#include "rsp/codec.hpp"
#include "rsp/handlers/handlers.hpp"

namespace remora::rsp::handlers {
namespace {

ErrorCode code_for(std::error_code ec) {
  if (ec == targets::errc::no_such_thread) return ErrorCode::no_process;
  if (ec == targets::errc::target_running) return ErrorCode::busy;
  return ErrorCode::target_io;
}

}  // namespace

Reply read_registers(SessionState& s, const packets::ReadRegisters& r) {
  auto thread = s.resolve_thread(r.thread);
  auto& regs = s.target.registers();
  std::string out;
  std::vector<std::byte> value;
  for (const auto& info : regs.description().registers) {
    if (!info.in_g_packet) continue;
    value.resize(info.bytes());
    auto ec = regs.read_register(thread, info.regnum, value);
    if (ec == targets::errc::register_unavailable) {
      out.append(info.bytes() * 2, 'x');
      continue;
    }
    if (ec) return error_from(code_for(ec), "cannot read register " + info.name, ec);
    append_hex(out, value);
  }
  return Reply::with(std::move(out));
}

Reply write_registers(SessionState& s, const packets::WriteRegisters& w) {
  auto thread = s.resolve_thread(w.thread);
  auto& regs = s.target.registers();
  std::size_t expected_size = 0;
  for (const auto& info : regs.description().registers)
    if (info.in_g_packet) expected_size += info.bytes();
  if (w.data.size() != expected_size)
    return Reply::error(ErrorCode::malformed, "G carries " + std::to_string(w.data.size()) + " bytes; the register block is " +
                                                  std::to_string(expected_size));
  std::size_t offset = 0;
  for (const auto& info : regs.description().registers) {
    if (!info.in_g_packet) continue;
    std::span<const std::byte> value(w.data.data() + offset, info.bytes());
    offset += info.bytes();
    auto ec = regs.write_register(thread, info.regnum, value);
    if (ec && ec != targets::errc::register_unavailable)
      return error_from(code_for(ec), "cannot write register " + info.name, ec);
  }
  return Reply::ok();
}

Reply read_register(SessionState& s, const packets::ReadRegister& r) {
  ++s.register_reads_since_stop;
  auto& regs = s.target.registers();
  const auto* info = regs.description().find(r.regnum);
  if (!info) return Reply::error(ErrorCode::malformed, "no register number " + std::to_string(r.regnum));
  std::vector<std::byte> value(info->bytes());
  auto ec = regs.read_register(s.resolve_thread(r.thread), r.regnum, value);
  if (ec == targets::errc::register_unavailable) return Reply::with(std::string(info->bytes() * 2, 'x'));
  if (ec) return error_from(code_for(ec), "cannot read register " + info->name, ec);
  std::string out;
  append_hex(out, value);
  return Reply::with(std::move(out));
}

Reply write_register(SessionState& s, const packets::WriteRegister& w) {
  auto& regs = s.target.registers();
  const auto* info = regs.description().find(w.regnum);
  if (!info) return Reply::error(ErrorCode::malformed, "no register number " + std::to_string(w.regnum));
  if (w.value.size() != info->bytes())
    return Reply::error(ErrorCode::malformed, "register " + info->name + " takes " + std::to_string(info->bytes()) +
                                                  " bytes, not " + std::to_string(w.value.size()));
  auto ec = regs.write_register(s.resolve_thread(w.thread), w.regnum, w.value);
  if (ec) return error_from(code_for(ec), "cannot write register " + info->name, ec);
  return Reply::ok();
}

}  // namespace remora::rsp::handlers
