// qRcmd: remora's own monitor commands, then the backend's.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "rsp/codec.hpp"
#include "rsp/dispatch.hpp"
#include "rsp/handlers/handlers.hpp"

namespace remora::rsp::handlers {
namespace {

std::string_view first_word(std::string_view line) {
  auto start = line.find_first_not_of(" \t");
  if (start == std::string_view::npos) return {};
  line.remove_prefix(start);
  return line.substr(0, line.find_first_of(" \t"));
}

std::string help_text(SessionState& s) {
  std::string text =
      "remora monitor commands:\n"
      "  help            list these commands\n"
      "  exit            stop remora after this session (the target is left as --on-disconnect says)\n"
      "  stats           packets by kind, bytes, target calls and where the time went\n"
      "  trace on|off    start or stop the packet trace (to --trace's file, else stderr)\n"
      "  cache on|off|flush|stats\n"
      "                  the memory cache: switch it, write its pending bytes now, or count\n"
      "  write-uncached ADDR HEXBYTES\n"
      "                  write bytes to the target at once, past the memory cache\n";
  if (auto* extra = s.target.monitor())
    for (const auto& command : extra->commands()) {
      std::string name = "  " + command.name;
      if (name.size() < 18) name.resize(18, ' ');
      text += name + command.help + "\n";
    }
  return text;
}

// "12.3 ms", "4.56 s": enough digits to compare, few enough to read.
std::string duration_text(std::chrono::nanoseconds d) {
  const double ms = static_cast<double>(d.count()) / 1e6;
  char buf[32];
  if (ms < 1000) {
    std::snprintf(buf, sizeof buf, "%.1f ms", ms);
  } else {
    std::snprintf(buf, sizeof buf, "%.2f s", ms / 1000);
  }
  return buf;
}

// "m 40, g 3, vCont 2": every packet kind the client used, most used first.
std::string packets_by_kind(const SessionStats& st) {
  auto routes = packet_routes();
  std::vector<std::pair<std::uint64_t, std::string_view>> kinds;
  for (std::size_t i = 0; i < st.packets_by_route.size() && i < routes.size(); ++i)
    if (st.packets_by_route[i] > 0) kinds.emplace_back(st.packets_by_route[i], routes[i].name);
  if (st.unknown_packets > 0) kinds.emplace_back(st.unknown_packets, "unsupported");
  std::stable_sort(kinds.begin(), kinds.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::string text = "packets by kind:";
  for (std::size_t i = 0; i < kinds.size(); ++i)
    text += (i == 0 ? " " : ", ") + std::string(kinds[i].second) + " " + std::to_string(kinds[i].first);
  return text + (kinds.empty() ? " none\n" : "\n");
}

// Where the time went: in the stub, in target calls, with the target running, or waiting for
// the client (gdb thinking, the user typing, the link) -- what makes a session slow.
std::string time_text(const SessionStats& st) {
  const auto total = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - st.started);
  const auto own = st.handling > st.target.time ? st.handling - st.target.time : std::chrono::nanoseconds{0};
  const auto busy = st.handling + st.target_running;
  const auto waiting = total > busy ? total - busy : std::chrono::nanoseconds{0};
  return "time: session " + duration_text(total) + "; in remora " + duration_text(own) + ", in target calls " +
         duration_text(st.target.time) + ", target running " + duration_text(st.target_running) +
         ", waiting for the client " + duration_text(waiting) + "\n";
}

std::string stats_text(const SessionState& s) {
  const auto& st = s.stats;
  const auto& t = st.target;
  std::string text = "packets in " + std::to_string(st.packets_in) + ", out " + std::to_string(st.packets_out) +
                     "\nbytes in " + std::to_string(st.bytes_in) + ", out " + std::to_string(st.bytes_out) + "\n" +
                     packets_by_kind(st) + "target calls: memory reads " + std::to_string(t.memory_reads) + " (" +
                     std::to_string(t.bytes_read) + " bytes), memory writes " + std::to_string(t.memory_writes) + " (" +
                     std::to_string(t.bytes_written) + " bytes), register reads " + std::to_string(t.register_reads) +
                     ", register writes " + std::to_string(t.register_writes) + ", resumes " +
                     std::to_string(t.resumes) + ", other " + std::to_string(t.other_calls) + "\n";
  if (auto* cache = s.options.memory_cache) {
    auto c = cache->stats();
    text += "memory cache: " + std::to_string(c.client_reads) + " reads and " + std::to_string(c.client_writes) +
            " writes asked, " + std::to_string(c.backend_reads) + " reads and " + std::to_string(c.backend_writes) +
            " writes made to the target\n";
  }
  return text + time_text(st) + "bad checksums " + std::to_string(st.bad_checksums) + ", NACKs " +
         std::to_string(st.nacks) + ", oversized frames " + std::to_string(st.overflows) + ", malformed packets " +
         std::to_string(st.malformed) + "\n";
}

// monitor trace on|off: the stub's trace writer, switched in a live session.
Reply trace_command(SessionState& s, std::string_view args) {
  if (args != "on" && args != "off") return Reply::error(ErrorCode::malformed, "usage: monitor trace on|off");
  const bool on = args == "on";
  if (!s.options.observer || !s.options.observer->set_tracing(on))
    return Reply::error(ErrorCode::malformed, "this remora has no packet trace to switch");
  return Reply::with(to_hex("packet trace " + std::string(args) + "\n"));
}

// The words after the first one.
std::string_view rest_of(std::string_view line, std::string_view word) {
  auto at = line.find(word);
  line.remove_prefix(at == std::string_view::npos ? line.size() : at + word.size());
  auto start = line.find_first_not_of(" \t");
  if (start == std::string_view::npos) return {};
  line.remove_prefix(start);
  auto end = line.find_last_not_of(" \t");
  return line.substr(0, end + 1);
}

std::string cache_stats_text(const targets::CacheStats& c) {
  const auto asked = static_cast<long long>(c.client_reads + c.client_writes);
  const auto made = static_cast<long long>(c.backend_reads + c.backend_writes);
  return std::string("memory cache ") + (c.enabled ? "on" : "off") + "\nhits " + std::to_string(c.hits) +
         ", misses " + std::to_string(c.misses) + "\nreads " + std::to_string(c.client_reads) + ", writes " +
         std::to_string(c.client_writes) + " asked; target reads " + std::to_string(c.backend_reads) +
         ", writes " + std::to_string(c.backend_writes) + " made\nround trips saved " +
         std::to_string(asked - made) + "\nwrites held back " + std::to_string(c.deferred_writes) + " (" +
         std::to_string(c.bytes_deferred) + " bytes), bytes flushed " + std::to_string(c.bytes_flushed) +
         " in " + std::to_string(c.flushes) + " flushes, bytes dropped " + std::to_string(c.bytes_dropped) + "\n";
}

Reply cache_command(SessionState& s, std::string_view args) {
  auto* cache = s.options.memory_cache;
  if (!cache) return Reply::with(to_hex(std::string_view("remora: this session has no memory cache (--cache=off)\n")));
  std::string failure;
  if (args == "stats") return Reply::with(to_hex(cache_stats_text(cache->stats())));
  if (args == "flush") {
    if (!flush_pending_writes(s, &failure)) return Reply::error(ErrorCode::memory_fault, failure);
    return Reply::with(to_hex(std::string_view("memory cache flushed\n")));
  }
  if (args == "on" || args == "off") {
    auto result = cache->set_enabled(args == "on");
    if (result.error)
      return Reply::error(ErrorCode::memory_fault, "the memory cache stays on: a pending write could not reach " +
                                                       hex_address(result.failed_at) + ": " + result.error.message());
    return Reply::with(to_hex("memory cache " + std::string(args) + "\n"));
  }
  return Reply::error(ErrorCode::malformed, "usage: monitor cache on|off|flush|stats");
}

// write-uncached ADDR HEXBYTES: the seam's write_virtual_uncached, reachable by a person.
Reply write_uncached(SessionState& s, std::string_view args) {
  auto split = split_once(args, ' ');
  auto addr_text = split.head;
  if (addr_text.starts_with("0x") || addr_text.starts_with("0X")) addr_text.remove_prefix(2);
  auto addr = parse_hex_u64(addr_text);
  auto hex = split.tail;
  while (hex.starts_with(' ')) hex.remove_prefix(1);
  auto bytes = decode_hex_bytes(hex);
  if (!split.found || !addr || !bytes || bytes->empty())
    return Reply::error(ErrorCode::malformed, "usage: monitor write-uncached ADDR HEXBYTES (ADDR in hex)");
  auto t = s.memory().write_virtual_uncached(*addr, *bytes);
  if (t.complete(bytes->size()))
    return Reply::with(to_hex("wrote " + std::to_string(bytes->size()) + " bytes at " + hex_address(*addr) + "\n"));
  std::string text = "memory write stopped at " + hex_address(*addr + t.bytes) + " after " + std::to_string(t.bytes) +
                     " of " + std::to_string(bytes->size()) + " bytes";
  if (t.error) text += ": " + t.error.message();
  return Reply::error(ErrorCode::memory_fault, std::move(text));
}

Reply output(std::string_view text) {
  if (text.empty()) return Reply::ok();
  return Reply::with(to_hex(text));
}

}  // namespace

Reply monitor(SessionState& s, const packets::MonitorCommand& m) {
  auto word = first_word(m.command);
  if (word == "help") return output(help_text(s));
  if (word == "stats") return output(stats_text(s));
  if (word == "trace") return trace_command(s, rest_of(m.command, word));
  if (word == "cache") return cache_command(s, rest_of(m.command, word));
  if (word == "write-uncached") return write_uncached(s, rest_of(m.command, word));
  if (word == "exit") {
    s.wants_exit = true;
    s.wants_close = true;
    return Reply::ok();
  }
  if (auto* extra = s.target.monitor()) {
    std::error_code ec;
    auto text = extra->run(m.command, ec);
    if (text) {
      if (ec) return Reply::error(ErrorCode::malformed, *text);
      return output(*text);
    }
  }
  return output("remora: unknown monitor command '" + std::string(word) + "'; try 'monitor help'\n");
}

}  // namespace remora::rsp::handlers
