#include "rsp/packets/process.hpp"

namespace remora::rsp::packets {
namespace {

// More arguments than any command line gdb would send; a bound so nothing grows without limit.
constexpr std::size_t kMaxRunArgs = 4096;

// Hex text that ends up in argv, envp or a path: a NUL byte would silently cut it short there.
std::expected<std::string, DecodeError> c_string_from_hex(std::string_view hex) {
  auto text = hex_to_text(hex);
  if (!text) return std::unexpected(text.error());
  if (text->find('\0') != std::string::npos) return std::unexpected(DecodeError::bad_value);
  return text;
}

// ":hex" after a Q packet's name.
std::expected<std::string, DecodeError> colon_hex_text(std::string_view args) {
  if (args.empty() || args.front() != ':') return std::unexpected(DecodeError::missing_field);
  return c_string_from_hex(args.substr(1));
}

}  // namespace

std::expected<RunProgram, DecodeError> decode_vrun(std::string_view args) {
  if (args.empty() || args.front() != ';') return std::unexpected(DecodeError::missing_field);
  RunProgram run;
  std::string_view rest = args.substr(1);
  bool first = true;
  while (true) {
    auto field = split_once(rest, ';');
    auto text = c_string_from_hex(field.head);
    if (!text) return std::unexpected(text.error());
    if (first)
      run.program = std::move(*text);
    else
      run.args.push_back(std::move(*text));  // an empty argument is a real (empty) argv entry
    if (run.args.size() > kMaxRunArgs) return std::unexpected(DecodeError::too_long);
    first = false;
    if (!field.found) break;
    rest = field.tail;
  }
  return run;
}

std::expected<Restart, DecodeError> decode_restart(std::string_view args) {
  // gdb sends `R0`; the value means nothing (gdbserver ignores it) but must be a number.
  if (args.empty()) return Restart{};
  auto value = parse_hex_u64(args);
  if (!value) return std::unexpected(value.error());
  return Restart{};
}

std::expected<SetEnvironment, DecodeError> decode_set_environment(std::string_view args) {
  auto text = colon_hex_text(args);
  if (!text) return std::unexpected(text.error());
  // NAME=VALUE; the value may hold '=' itself, the name may not be empty (gdbserver refuses it).
  auto eq = text->find('=');
  if (eq == std::string::npos || eq == 0) return std::unexpected(DecodeError::bad_value);
  return SetEnvironment{text->substr(0, eq), text->substr(eq + 1)};
}

std::expected<HexText, DecodeError> decode_unset_environment(std::string_view args) {
  auto text = colon_hex_text(args);
  if (!text) return std::unexpected(text.error());
  if (text->empty()) return std::unexpected(DecodeError::empty_field);
  return HexText{std::move(*text)};
}

std::expected<HexText, DecodeError> decode_working_dir(std::string_view args) {
  auto text = colon_hex_text(args);
  if (!text) return std::unexpected(text.error());
  return HexText{std::move(*text)};
}

std::expected<Switch, DecodeError> decode_switch(std::string_view args) {
  if (args.empty() || args.front() != ':') return std::unexpected(DecodeError::missing_field);
  auto value = args.substr(1);
  if (value.empty()) return std::unexpected(DecodeError::empty_field);
  if (value != "0" && value != "1") return std::unexpected(DecodeError::bad_value);
  return Switch{value == "1"};
}

}  // namespace remora::rsp::packets
