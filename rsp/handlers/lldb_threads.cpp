// jThreadsInfo and qThreadStopInfo: lldb's per-thread stop state in one round trip.
#include <algorithm>
#include <vector>

#include "rsp/codec.hpp"
#include "rsp/handlers/lldb_handlers.hpp"
#include "rsp/packets/thread_id.hpp"
#include "rsp/stop_reply.hpp"

namespace remora::rsp::handlers {
namespace {

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kDigits[] = "0123456789abcdef";
  out += '"';
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      out += "\\u00";
      out += kDigits[u >> 4];
      out += kDigits[u & 15];
    } else {
      out += c;
    }
  }
  out += '"';
}

// The stop the client was last told about, or the target's own when it was told nothing yet.
std::optional<targets::StopEvent> known_stop(SessionState& s) {
  auto stop = s.last_stop ? s.last_stop : s.target.current_stop();
  if (stop && stop->kind != targets::StopKind::stopped) return std::nullopt;
  return stop;
}

// The registers of the thread lldb shows, for `jThreadsInfo`: every one. lldb-16 fetches registers
// with one `p` each (it reads with `g` only when `p` is refused), and at a public stop the
// registers it applies last are jThreadsInfo's (each thread's context is reset there, dropping the
// stop reply's): what this left out would cost a round trip per register in `register read --all`
// or an IDE's register view. The price is lldb's, ~2 us of its CPU per register at every public
// stop (0.2-0.3 ms per step with x86-64's 148; tests/bench/README.md weighs it). Composite
// registers (value_regs) lldb assembles from their parts.
std::vector<ExpeditedRegister> shown_registers(SessionState& s, targets::ThreadId thread) {
  auto& regs = s.target.registers();
  std::vector<ExpeditedRegister> out;
  for (const auto& info : regs.description().registers) {
    if (!info.value_regs.empty()) continue;
    ExpeditedRegister reg{info.regnum, std::vector<std::byte>(info.bytes())};
    if (regs.read_register(thread, info.regnum, reg.value)) continue;  // lldb asks with `p` and learns why
    out.push_back(std::move(reg));
  }
  return out;
}

void append_thread_json(SessionState& s, targets::ThreadId thread, const targets::StopEvent* stop, std::string& out) {
  // lldb-server's shape: tid in decimal, register numbers as decimal strings, values as target
  // bytes in hex; reason and signal only for the thread that stopped for a reason.
  out += "{\"tid\":" + std::to_string(thread.tid);
  if (auto name = s.target.thread_name(thread); !name.empty()) {
    out += ",\"name\":";
    append_json_string(out, name);
  }
  if (stop) {
    out += ",\"reason\":";
    append_json_string(out, lldb_stop_reason(stop->reason));
    if (stop->signal != 0) out += ",\"signal\":" + std::to_string(stop->signal);
    if (auto description = lldb_stop_description(*stop); !description.empty()) {
      out += ",\"description\":";
      append_json_string(out, description);
    }
  }
  out += ",\"registers\":{";
  bool first = true;
  // The thread that stopped for a reason is the one lldb selects and shows: all its registers
  // (see shown_registers) once the client showed it reads them (more than a few `p` between two
  // stops: SessionState::client_reads_all_registers), which a stepping loop never pays for. The
  // others get the general ones, so many threads keep the reply small.
  const bool all = stop != nullptr && s.client_reads_all_registers;
  for (const auto& reg : all ? shown_registers(s, thread) : expedited_registers(s, thread)) {
    if (!first) out += ',';
    first = false;
    out += '"' + std::to_string(reg.regnum) + "\":\"";
    append_hex(out, reg.value);
    out += '"';
  }
  out += "}}";
}

}  // namespace

Reply threads_info(SessionState& s, const packets::NoArgs&) {
  s.features.lldb = true;
  auto stop = known_stop(s);
  std::string out = "[";
  auto threads = s.target.threads();
  for (std::size_t i = 0; i < threads.size(); ++i) {
    if (i) out += ',';
    bool stopped_here = stop && stop->thread.selects(threads[i]);
    append_thread_json(s, threads[i], stopped_here ? &*stop : nullptr, out);
  }
  out += ']';
  // JSON has '#', '$', '}' and '*' only inside names: escape them as binary data is escaped.
  std::string escaped;
  append_escaped(escaped, std::span(reinterpret_cast<const std::byte*>(out.data()), out.size()));
  return Reply::with(std::move(escaped));
}

Reply thread_stop_info(SessionState& s, const packets::ThreadStopInfoQuery& q) {
  s.features.lldb = true;
  auto threads = s.target.threads();
  auto it = std::find_if(threads.begin(), threads.end(), [&](const targets::ThreadId& t) { return q.thread.selects(t); });
  if (q.thread.is_all() || q.thread.is_any() || it == threads.end())
    return Reply::error(ErrorCode::no_process, "no such thread");
  auto stop = known_stop(s);
  if (stop && stop->thread.selects(*it)) return Reply::with(render_stop_reply(s, *stop));
  // A thread that did not stop for a reason of its own: signal 0 and no reason, as lldb-server.
  std::string out = "T00thread:";
  packets::append_thread_id(out, *it, s.features.multiprocess);
  out += ';';
  for (const auto& reg : expedited_registers(s, *it)) {
    append_hex_byte(out, static_cast<std::uint8_t>(reg.regnum));
    out += ':';
    append_hex(out, reg.value);
    out += ';';
  }
  return Reply::with(std::move(out));
}

}  // namespace remora::rsp::handlers
