// qRcmd: remora's own monitor commands, then the backend's.
#include <string>

#include "rsp/codec.hpp"
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
      "  stats           packets and bytes exchanged in this session\n";
  if (auto* extra = s.target.monitor())
    for (const auto& command : extra->commands()) {
      std::string name = "  " + command.name;
      if (name.size() < 18) name.resize(18, ' ');
      text += name + command.help + "\n";
    }
  return text;
}

std::string stats_text(const SessionStats& st) {
  return "packets in " + std::to_string(st.packets_in) + ", out " + std::to_string(st.packets_out) + "\nbytes in " +
         std::to_string(st.bytes_in) + ", out " + std::to_string(st.bytes_out) + "\nbad checksums " +
         std::to_string(st.bad_checksums) + ", NACKs " + std::to_string(st.nacks) + ", oversized frames " +
         std::to_string(st.overflows) + ", malformed packets " + std::to_string(st.malformed) + "\n";
}

Reply output(std::string_view text) {
  if (text.empty()) return Reply::ok();
  return Reply::with(to_hex(text));
}

}  // namespace

Reply monitor(SessionState& s, const packets::MonitorCommand& m) {
  auto word = first_word(m.command);
  if (word == "help") return output(help_text(s));
  if (word == "stats") return output(stats_text(s.stats));
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
