#include "stub/trace_format.hpp"

#include <array>
#include <charconv>
#include <optional>
#include <utility>

namespace remora::stub {
namespace {

constexpr std::size_t kMaxRaw = 200;  // a packet shown as sent is cut here, with its length

constexpr std::string_view kHex = "0123456789abcdef";

bool is_text_byte(unsigned char c) { return (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t' || c == '\r'; }

void append_escaped(std::string& out, std::string_view bytes) {
  for (char c : bytes) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && u != '\\' && u != '"') {
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
}

// As sent, escaped, cut at kMaxRaw with the length: what the trace shows for packets it does not decode.
std::string raw(std::string_view payload) {
  std::string out;
  append_escaped(out, payload.substr(0, kMaxRaw));
  if (payload.size() > kMaxRaw) out += "... (" + std::to_string(payload.size()) + " bytes)";
  return out;
}

std::optional<std::string> unhex(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data() + i, text.data() + i + 2, value, 16);
    if (ec != std::errc{} || end != text.data() + i + 2) return std::nullopt;
    out += static_cast<char>(value);
  }
  return out;
}

// gdb's binary escape: '}' then the byte xor 0x20.
std::string unescape_binary(std::string_view data) {
  std::string out;
  out.reserve(data.size());
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (data[i] == '}' && i + 1 < data.size()) {
      out += static_cast<char>(data[++i] ^ 0x20);
    } else {
      out += data[i];
    }
  }
  return out;
}

std::optional<std::uint64_t> hex_number(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// "0x401000" from "0000000000401000" (lldb pads); the text as given when it is not a number.
std::string address(std::string_view text) {
  auto value = hex_number(text);
  if (!value) return raw(text);
  std::string out = "0x";
  bool started = false;
  for (int shift = 60; shift >= 0; shift -= 4) {
    auto digit = (*value >> shift) & 0xf;
    if (digit != 0 || started || shift == 0) {
      out += kHex[digit];
      started = true;
    }
  }
  return out;
}

std::string length(std::string_view text) {
  auto value = hex_number(text);
  return value ? std::to_string(*value) : raw(text);
}

std::pair<std::string_view, std::string_view> split(std::string_view text, char separator) {
  auto at = text.find(separator);
  if (at == std::string_view::npos) return {text, {}};
  return {text.substr(0, at), text.substr(at + 1)};
}

// gdb's own signal numbers (not Linux's: they differ from 16 on).
std::string_view signal_name(std::uint64_t number) {
  static constexpr std::array<std::string_view, 21> names = {
      "",        "SIGHUP",  "SIGINT",  "SIGQUIT", "SIGILL",  "SIGTRAP", "SIGABRT",
      "SIGEMT",  "SIGFPE",  "SIGKILL", "SIGBUS",  "SIGSEGV", "SIGSYS",  "SIGPIPE",
      "SIGALRM", "SIGTERM", "SIGURG",  "SIGSTOP", "SIGTSTP", "SIGCONT", "SIGCHLD"};
  return number < names.size() ? names[number] : std::string_view();
}

std::string signal_text(std::string_view hex) {
  auto number = hex_number(hex);
  auto name = number ? signal_name(*number) : std::string_view();
  return name.empty() ? std::string(hex) : std::string(hex) + " (" + std::string(name) + ")";
}

std::string memory_request(char kind, std::string_view args) {
  auto [where, data] = split(args, ':');
  auto [addr, len] = split(where, ',');
  std::string out = std::string(1, kind) + " addr=" + address(addr) + " len=" + length(len);
  if (kind == 'M') {
    auto bytes = unhex(data);
    out += " data=" + (bytes ? show_bytes(*bytes) : raw(data));
  } else if (kind == 'X') {
    out += " data=" + show_bytes(unescape_binary(data));
  }
  return out;
}

std::string_view breakpoint_kind(char type) {
  switch (type) {
    case '0': return "software breakpoint";
    case '1': return "hardware breakpoint";
    case '2': return "write watchpoint";
    case '3': return "read watchpoint";
    case '4': return "access watchpoint";
    default: return "unknown type";
  }
}

std::string breakpoint_request(char op, std::string_view args) {
  // Z0,addr,kind[;cond...]: the conditions stay as sent.
  auto [type, rest] = split(args, ',');
  auto [addr, tail] = split(rest, ',');
  auto [kind, extra] = split(tail, ';');
  std::string out = std::string(1, op) + std::string(type) + " addr=" + address(addr) + " kind=" + length(kind) +
                    " (" + std::string(op == 'Z' ? "insert " : "remove ") + std::string(breakpoint_kind(type.empty() ? '?' : type[0])) + ")";
  if (!extra.empty()) out += " ;" + raw(extra);
  return out;
}

std::string_view vcont_action(char action) {
  switch (action) {
    case 'c': case 'C': return "continue";
    case 's': case 'S': return "step";
    case 't': return "stop";
    case 'r': return "range-step";
    default: return "?";
  }
}

// vCont;s:p1.1;c:p1.-1 -> as sent, then what it asks: (step p1.1; continue p1.-1).
std::string vcont_request(std::string_view payload) {
  std::string out = raw(payload) + " (";
  std::string_view rest = payload.substr(6);
  bool first = true;
  while (!rest.empty()) {
    auto [action, tail] = split(rest, ';');
    rest = tail;
    auto [verb, thread] = split(action, ':');
    if (verb.empty()) continue;
    if (!first) out += "; ";
    first = false;
    out += vcont_action(verb[0]);
    if ((verb[0] == 'C' || verb[0] == 'S') && verb.size() > 1) out += " with signal " + signal_text(verb.substr(1));
    out += thread.empty() ? std::string(" all") : " " + std::string(thread);
  }
  return out + ")";
}

std::string spaced_features(std::string_view name, std::string_view list) {
  std::string out(name);
  while (!list.empty()) {
    auto [feature, rest] = split(list, ';');
    list = rest;
    if (!feature.empty()) out += " " + raw(feature);
  }
  return out;
}

std::string hex_text_request(std::string_view name, std::string_view hex) {
  auto text = unhex(hex);
  return std::string(name) + " " + (text ? show_bytes(*text, 120) : raw(hex));
}

std::string xfer_request(std::string_view args) {
  // qXfer:OBJECT:read:ANNEX:OFFSET,LENGTH
  auto [object, a] = split(args, ':');
  auto [op, b] = split(a, ':');
  auto [annex, range] = split(b, ':');
  auto [offset, len] = split(range, ',');
  std::string out = "qXfer " + raw(object) + " " + raw(op);
  if (!annex.empty()) out += " annex=" + raw(annex);
  return out + " offset=" + address(offset) + " len=" + length(len);
}

std::string vrun_request(std::string_view args) {
  std::string out = "vRun";
  while (!args.empty()) {
    auto [word, rest] = split(args, ';');
    args = rest;
    auto text = unhex(word);
    out += " " + (text ? show_bytes(*text, 120) : raw(word));
  }
  return out;
}

// The packets named by one letter, decoded into their fields; nullopt for the others.
std::optional<std::string> single_letter_request(std::string_view payload) {
  const char kind = payload[0];
  const auto args = payload.substr(1);
  switch (kind) {
    case 'm': case 'x': case 'M': case 'X': return memory_request(kind, args);
    case 'Z': case 'z': return breakpoint_request(kind, args);
    case 'g': return args.empty() ? std::string("g (read all registers)") : "g (read all registers) " + raw(args);
    case 'G': return "G (write all registers) " + std::to_string(split(args, ';').first.size() / 2) + " bytes";
    case 'p': {
      auto [reg, rest] = split(args, ';');
      return "p reg=" + address(reg) + (rest.empty() ? std::string() : " " + raw(rest));
    }
    case 'P': {
      auto [reg, value] = split(args, '=');
      return "P reg=" + address(reg) + " value=" + raw(value);
    }
    case 'c': case 's': return args.empty() ? std::string(1, kind) : std::string(1, kind) + " addr=" + address(args);
    case 'C': case 'S': return std::string(1, kind) + " sig=" + signal_text(split(args, ';').first);
    case 'H':
      if (args.empty()) return std::nullopt;
      return "H" + std::string(1, args[0]) + " thread=" + raw(args.substr(1));
    default: return std::nullopt;
  }
}

// A stop reply: T05thread:p1.1;swbreak:;06:...; -> T05 (SIGTRAP) thread=p1.1 swbreak (+2 registers).
std::string stop_reply(std::string_view payload) {
  std::string out = "T" + signal_text(payload.substr(1, 2));
  std::string_view rest = payload.substr(3);
  int registers = 0;
  while (!rest.empty()) {
    auto [pair, tail] = split(rest, ';');
    rest = tail;
    auto [key, value] = split(pair, ':');
    if (key.empty()) continue;
    if (hex_number(key) && key.size() <= 2) {  // an expedited register
      ++registers;
      continue;
    }
    out += " " + raw(key);
    if (value.empty()) continue;
    auto text = key == "exec" ? unhex(value) : std::nullopt;
    out += "=" + (text ? show_bytes(*text, 120) : raw(value));
  }
  if (registers > 0) out += " (+" + std::to_string(registers) + " registers)";
  return out;
}

bool is_hex_pair(std::string_view text) { return text.size() == 2 && hex_number(text).has_value(); }

// Enn, Enn;HEX (lldb's error strings) and E.text, marked so they stand out in a long trace.
std::optional<std::string> error_reply(std::string_view payload) {
  if (payload.size() < 2 || payload[0] != 'E') return std::nullopt;
  if (payload[1] == '.') return "!! ERROR " + raw(payload);
  if (payload.size() < 3 || !is_hex_pair(payload.substr(1, 2))) return std::nullopt;
  if (payload.size() == 3) return "!! ERROR " + std::string(payload);
  if (payload[3] != ';') return std::nullopt;
  auto text = unhex(payload.substr(4));
  return "!! ERROR " + std::string(payload.substr(0, 3)) + ": " + (text ? show_bytes(*text, 200) : raw(payload.substr(4)));
}

// Replies that can only be a stop (or an exit): S05, T05..., W00;process:..., X09.
std::optional<std::string> stop_or_exit_reply(std::string_view payload) {
  if (payload.size() < 3 || !is_hex_pair(payload.substr(1, 2))) return std::nullopt;
  auto tail = payload.substr(3);
  switch (payload[0]) {
    case 'T': return stop_reply(payload);
    case 'S': return "S" + signal_text(payload.substr(1, 2)) + (tail.empty() ? "" : " " + raw(tail));
    case 'W': return "W exited, status=" + length(payload.substr(1, 2)) + (tail.empty() ? "" : " " + raw(tail.substr(1)));
    case 'X': return "X killed by signal " + signal_text(payload.substr(1, 2)) + (tail.empty() ? "" : " " + raw(tail.substr(1)));
    default: return std::nullopt;
  }
}

std::string byte_count(std::size_t n) { return std::to_string(n) + (n == 1 ? " byte " : " bytes "); }

std::string data_reply(std::string_view request, std::string_view payload) {
  if (request == "m" || request == "g" || request == "p") {
    auto bytes = unhex(payload);
    if (bytes) return byte_count(bytes->size()) + show_bytes(*bytes);
  }
  if (request == "x") {
    // gdb 16's binary-upload replies start with 'b'; older ones are the bytes themselves.
    auto bytes = unescape_binary(payload.starts_with('b') ? payload.substr(1) : payload);
    return byte_count(bytes.size()) + show_bytes(bytes);
  }
  if (request == "qSupported") return spaced_features("features:", payload);
  if (request == "qXfer" && (payload[0] == 'l' || payload[0] == 'm')) {
    auto bytes = unescape_binary(payload.substr(1));
    return std::string(payload[0] == 'l' ? "l (last part) " : "m (more follows) ") + byte_count(bytes.size()) +
           show_bytes(bytes, 64);
  }
  if (request == "qRcmd") {
    auto hex = payload.starts_with('O') ? payload.substr(1) : payload;
    auto text = unhex(hex);
    if (text) return std::string(payload.starts_with('O') ? "O console " : "output ") + show_bytes(*text, 400);
  }
  return raw(payload);
}

}  // namespace

std::string show_bytes(std::string_view bytes, std::size_t max_shown) {
  auto shown = bytes.substr(0, max_shown);
  std::size_t printable = 0;
  for (char c : shown) printable += is_text_byte(static_cast<unsigned char>(c)) ? 1 : 0;
  std::string out;
  if (!shown.empty() && printable * 10 >= shown.size() * 9) {
    out += '"';
    append_escaped(out, shown);
    out += '"';
  } else {
    for (char c : shown) {
      auto u = static_cast<unsigned char>(c);
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
  if (bytes.size() > max_shown) out += "... (" + std::to_string(bytes.size()) + " bytes)";
  if (bytes.empty()) out = "(none)";
  return out;
}

std::string_view packet_name(std::string_view payload) {
  if (payload.empty()) return payload;
  const char lead = payload[0];
  if (lead != 'q' && lead != 'Q' && lead != 'v' && lead != 'j' && lead != '_') return payload.substr(0, 1);
  auto end = payload.find_first_of(":,;?");
  if (end != std::string_view::npos && payload[end] == '?') ++end;  // vCont? and vCont differ
  return payload.substr(0, end);
}

std::string TraceFormatter::request(std::string_view payload) {
  last_request_ = std::string(packet_name(payload));
  if (payload.empty()) return "(empty packet)";
  if (auto decoded = single_letter_request(payload)) return *decoded;
  const auto name = packet_name(payload);
  const auto args = payload.size() > name.size() ? payload.substr(name.size() + 1) : std::string_view();
  if (name == "vCont") return vcont_request(payload);
  if (name == "qSupported") return spaced_features("qSupported", args);
  if (name == "qXfer") return xfer_request(args);
  if (name == "qRcmd") return hex_text_request("qRcmd (monitor)", args);
  if (name == "vRun") return vrun_request(args);
  return raw(payload);
}

std::string TraceFormatter::reply(std::string_view payload) {
  if (payload.empty()) return "\"\" (not supported)";
  if (payload == "OK") return "OK";
  const bool data_request = last_request_ == "m" || last_request_ == "g" || last_request_ == "p" ||
                            last_request_ == "x" || last_request_ == "qXfer" || last_request_ == "qRcmd";
  if (auto error = error_reply(payload); error && (last_request_ != "x" || payload.size() <= 3 || payload[3] == ';'))
    return *error;
  if (!data_request)
    if (auto stop = stop_or_exit_reply(payload)) return *stop;
  return data_reply(last_request_, payload);
}

}  // namespace remora::stub
