#include "rsp/stop_reply.hpp"

#include <vector>

#include "rsp/codec.hpp"
#include "rsp/packets/thread_id.hpp"

namespace remora::rsp {
namespace {

using targets::GenericRole;
using targets::StopReason;

// pc, sp and fp go with every stop so gdb and lldb need no register round trip to show where the
// thread is and to start unwinding.
void append_expedited(SessionState& state, targets::ThreadId thread, std::string& out) {
  auto& regs = state.target.registers();
  const auto& desc = regs.description();
  for (auto role : {GenericRole::fp, GenericRole::sp, GenericRole::pc}) {
    const auto* info = desc.find_role(role);
    if (!info) continue;
    std::vector<std::byte> value(info->bytes());
    if (regs.read_register(thread, info->regnum, value)) continue;
    append_hex_byte(out, static_cast<std::uint8_t>(info->regnum));
    out += ':';
    append_hex(out, value);
    out += ';';
  }
}

void append_gdb_reason(const SessionState& state, const targets::StopEvent& event, std::string& out) {
  switch (event.reason) {
    case StopReason::breakpoint:
      if (state.features.swbreak) out += "swbreak:;";
      break;
    case StopReason::hw_breakpoint:
      if (state.features.hwbreak) out += "hwbreak:;";
      break;
    case StopReason::watch_write:
    case StopReason::watch_read:
    case StopReason::watch_access:
      out += event.reason == StopReason::watch_write ? "watch:" : event.reason == StopReason::watch_read ? "rwatch:" : "awatch:";
      append_hex_u64(out, event.watch_address);
      out += ';';
      break;
    default:
      break;
  }
}

const char* lldb_reason(StopReason reason) {
  switch (reason) {
    case StopReason::breakpoint:
    case StopReason::hw_breakpoint: return "breakpoint";
    case StopReason::watch_write:
    case StopReason::watch_read:
    case StopReason::watch_access: return "watchpoint";
    case StopReason::step: return "trace";
    case StopReason::exception: return "exception";
    default: return "signal";
  }
}

void append_lldb_keys(SessionState& state, const targets::StopEvent& event, std::string& out) {
  out += "reason:";
  out += lldb_reason(event.reason);
  out += ';';
  if (event.reason == StopReason::exception && !event.description.empty()) {
    out += "description:";
    append_hex(out, std::string_view(event.description));
    out += ';';
  }
  if (!state.features.threads_in_stop_reply) return;
  auto threads = state.target.threads();
  out += "threads:";
  for (std::size_t i = 0; i < threads.size(); ++i) {
    if (i) out += ',';
    packets::append_thread_id(out, threads[i], false);
  }
  out += ';';
}

}  // namespace

std::string render_stop_reply(SessionState& state, const targets::StopEvent& event) {
  std::string out;
  bool multiprocess = state.features.multiprocess;
  if (event.kind != targets::StopKind::stopped) {
    out += event.kind == targets::StopKind::exited ? 'W' : 'X';
    append_hex_byte(out, static_cast<std::uint8_t>(event.kind == targets::StopKind::exited ? event.exit_code
                                                                                           : event.signal));
    if (multiprocess) {
      out += ";process:";
      append_hex_u64(out, static_cast<std::uint64_t>(event.thread.pid));
    }
    return out;
  }
  out += 'T';
  append_hex_byte(out, static_cast<std::uint8_t>(event.signal));
  out += "thread:";
  packets::append_thread_id(out, event.thread, multiprocess);
  out += ';';
  append_expedited(state, event.thread, out);
  if (state.features.lldb)
    append_lldb_keys(state, event, out);
  else
    append_gdb_reason(state, event, out);
  if (state.features.lldb && event.reason >= StopReason::watch_write && event.reason <= StopReason::watch_access) {
    out += "watch:";  // lldb reads the address from the watch key too
    append_hex_u64(out, event.watch_address);
    out += ';';
  }
  return out;
}

}  // namespace remora::rsp
