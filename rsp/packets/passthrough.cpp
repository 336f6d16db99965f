#include "rsp/packets/passthrough.hpp"

namespace remora::rsp::packets {
namespace {

constexpr std::size_t max_passthrough = 256;

// Printable ASCII without the characters that frame or escape a packet: what is forwarded must
// mean the same to the stub behind remora as it did to remora.
std::expected<Passthrough, DecodeError> decode_passthrough(std::string_view prefix, std::string_view args) {
  if (args.empty()) return std::unexpected(DecodeError::empty_field);
  if (args.size() > max_passthrough) return std::unexpected(DecodeError::too_long);
  for (char c : args)
    if (c < 0x21 || c > 0x7e || c == '$' || c == '#' || c == '}' || c == '*')
      return std::unexpected(DecodeError::bad_value);
  return Passthrough{std::string(prefix) + std::string(args)};
}

}  // namespace

std::expected<Passthrough, DecodeError> decode_qemu_query(std::string_view args) {
  return decode_passthrough("qqemu.", args);
}

std::expected<Passthrough, DecodeError> decode_qemu_set(std::string_view args) {
  return decode_passthrough("Qqemu.", args);
}

std::expected<Reverse, DecodeError> decode_reverse(std::string_view args) {
  if (args.empty()) return std::unexpected(DecodeError::missing_field);
  if (args.size() > 1) return std::unexpected(DecodeError::trailing_garbage);
  if (args != "s" && args != "c") return std::unexpected(DecodeError::unknown_action);
  return Reverse{args == "s"};
}

}  // namespace remora::rsp::packets
