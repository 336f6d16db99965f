#include "rsp/stop_reply.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "rsp/codec.hpp"
#include "rsp/packets/thread_id.hpp"

namespace remora::rsp {
namespace {

using targets::GenericRole;
using targets::StopReason;

void append_expedited(SessionState& state, targets::ThreadId thread, std::string& out) {
  for (const auto& reg : expedited_registers(state, thread)) {
    append_hex_byte(out, static_cast<std::uint8_t>(reg.regnum));
    out += ':';
    append_hex(out, reg.value);
    out += ';';
  }
}

// The optional events (fork-events+, vfork-events+, exec-events+, QCatchSyscalls, QThreadEvents)
// as the GDB manual's Stop Reply Packets name them; the backend reports only what was negotiated.
void append_event_keys(const SessionState& state, const targets::StopEvent& event, std::string& out) {
  switch (event.reason) {
    case StopReason::fork:
    case StopReason::vfork:
      // The child in thread-id syntax (`pPID.TID` with multiprocess), as gdbserver's write_ptid.
      out += event.reason == StopReason::fork ? "fork:" : "vfork:";
      packets::append_thread_id(out, event.child, state.features.multiprocess);
      out += ';';
      break;
    case StopReason::vfork_done: out += "vforkdone:;"; break;
    case StopReason::exec:
      out += "exec:";
      append_hex(out, std::string_view(event.exec_path));
      out += ';';
      break;
    case StopReason::syscall_entry:
    case StopReason::syscall_return:
      out += event.reason == StopReason::syscall_entry ? "syscall_entry:" : "syscall_return:";
      append_hex_u64(out, static_cast<std::uint64_t>(event.syscall < 0 ? 0 : event.syscall));
      out += ';';
      break;
    case StopReason::thread_created: out += "create:;"; break;
    default: break;
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
      append_event_keys(state, event, out);
      break;
  }
}

// lldb reads memory through a cache of 512-byte lines that it empties at every stop, and unwinds
// frame 0 right after each stop reply (before it asks jThreadsInfo): without this, one `x` of a
// stack line per stop. `memory:ADDR=HEX;` goes into that cache (lldb's expedited memory) and
// serves every read within it until the thread runs again: sp's line and the next, which hold
// the return address and saved registers of frame 0. Only the readable prefix is sent.
void append_lldb_stack_memory(SessionState& state, targets::ThreadId thread, std::string& out) {
  constexpr std::uint64_t kLine = 512;
  const auto* sp = state.target.registers().description().find_role(GenericRole::sp);
  if (!sp || sp->bytes() > 8) return;
  std::vector<std::byte> value(sp->bytes());
  if (state.target.registers().read_register(thread, sp->regnum, value)) return;
  std::uint64_t addr = 0;
  for (std::size_t b = 0; b < value.size(); ++b) addr |= std::to_integer<std::uint64_t>(value[b]) << (8 * b);
  addr &= ~(kLine - 1);
  std::array<std::byte, 2 * kLine> bytes{};
  auto transfer = state.memory().read_virtual(addr, bytes);
  if (transfer.bytes == 0) return;  // lldb will ask, and hear why not
  out += "memory:0x";
  append_hex_u64(out, addr);
  out += '=';
  append_hex(out, std::span<const std::byte>(bytes).first(std::min(transfer.bytes, bytes.size())));
  out += ';';
}

void append_lldb_keys(SessionState& state, const targets::StopEvent& event, std::string& out) {
  out += "reason:";
  out += lldb_stop_reason(event.reason);
  out += ';';
  if (event.reason == StopReason::fork || event.reason == StopReason::vfork) append_event_keys(state, event, out);
  if (auto description = lldb_stop_description(event); !description.empty()) {
    out += "description:";
    append_hex(out, std::string_view(description));
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
  // thread-pcs: every thread's pc (a big-endian hex number), so lldb can step over breakpoints
  // in other threads without reading their registers; dropped if any pc is unreadable.
  const auto* pc = state.target.registers().description().find_role(GenericRole::pc);
  if (!pc || pc->bytes() > 8) return;
  std::string pcs;
  std::vector<std::byte> value(pc->bytes());
  for (std::size_t i = 0; i < threads.size(); ++i) {
    if (state.target.registers().read_register(threads[i], pc->regnum, value)) return;
    std::uint64_t v = 0;
    for (std::size_t b = 0; b < value.size(); ++b) v |= std::to_integer<std::uint64_t>(value[b]) << (8 * b);
    if (i) pcs += ',';
    append_hex_u64(pcs, v);
  }
  out += "thread-pcs:" + pcs + ';';
}

}  // namespace

std::vector<ExpeditedRegister> expedited_registers(SessionState& state, targets::ThreadId thread) {
  auto& regs = state.target.registers();
  const auto& desc = regs.description();
  std::vector<const targets::RegisterInfo*> wanted;
  if (state.features.lldb && !desc.registers.empty()) {
    // lldb-server expedites its whole general-purpose set, sparing lldb a `p` per register.
    for (const auto& info : desc.registers)
      if (info.in_g_packet && info.lldb_set == desc.registers.front().lldb_set) wanted.push_back(&info);
  } else {
    // pc, sp and fp go with every stop so gdb needs no register round trip to show where the
    // thread is and to start unwinding.
    for (auto role : {GenericRole::fp, GenericRole::sp, GenericRole::pc})
      if (const auto* info = desc.find_role(role)) wanted.push_back(info);
  }
  std::vector<ExpeditedRegister> out;
  for (const auto* info : wanted) {
    ExpeditedRegister reg{info->regnum, std::vector<std::byte>(info->bytes())};
    if (regs.read_register(thread, info->regnum, reg.value)) continue;
    out.push_back(std::move(reg));
  }
  return out;
}

const char* lldb_stop_reason(StopReason reason) {
  switch (reason) {
    case StopReason::breakpoint:
    case StopReason::hw_breakpoint: return "breakpoint";
    case StopReason::watch_write:
    case StopReason::watch_read:
    case StopReason::watch_access: return "watchpoint";
    case StopReason::step: return "trace";
    case StopReason::exception: return "exception";
    case StopReason::fork: return "fork";  // lldb-16 takes the child from the fork:/vfork: key
    case StopReason::vfork: return "vfork";
    case StopReason::vfork_done: return "vforkdone";
    case StopReason::exec: return "exec";
    default: return "signal";
  }
}

std::string lldb_stop_description(const targets::StopEvent& event) {
  if (event.reason == StopReason::exception) return event.description;
  // lldb-16 reads "ADDR [INDEX [HIT_ADDR]]" in decimal and finds its watchpoint by address.
  if (event.reason >= StopReason::watch_write && event.reason <= StopReason::watch_access)
    return std::to_string(event.watch_address);
  return {};
}

std::string render_stop_reply(SessionState& state, const targets::StopEvent& event) {
  std::string out;
  bool multiprocess = state.features.multiprocess;
  if (event.reason == StopReason::thread_exited) {
    // `w AA;tid` (QThreadEvents): the thread's exit status, then which thread it was.
    out += 'w';
    append_hex_byte(out, static_cast<std::uint8_t>(event.exit_code));
    out += ';';
    packets::append_thread_id(out, event.thread, multiprocess);
    return out;
  }
  if (event.kind == targets::StopKind::no_resumed) return "N";
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
  if (state.features.lldb) append_lldb_stack_memory(state, event.thread, out);
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
