#include "rsp/packets/control.hpp"

#include <limits>

namespace remora::rsp::packets {

std::expected<Breakpoint, DecodeError> decode_breakpoint(std::string_view args) {
  // type,addr,kind — conditions and commands (";X..." lists) are not offered, so none may follow.
  auto type_rest = split_once(args, ',');
  if (!type_rest.found) return std::unexpected(DecodeError::missing_field);
  auto type = parse_hex_u64(type_rest.head);
  if (!type) return std::unexpected(type.error());
  if (*type > 4) return std::unexpected(DecodeError::unknown_action);
  auto addr_rest = split_once(type_rest.tail, ',');
  if (!addr_rest.found) return std::unexpected(DecodeError::missing_field);
  auto addr = parse_hex_u64(addr_rest.head);
  if (!addr) return std::unexpected(addr.error());
  auto kind = parse_hex_u64(addr_rest.tail);
  if (!kind) return std::unexpected(kind.error());
  if (*kind > 0x10000) return std::unexpected(DecodeError::bad_value);
  if (*kind > 0 && *addr > std::numeric_limits<std::uint64_t>::max() - (*kind - 1))
    return std::unexpected(DecodeError::address_wrap);
  return Breakpoint{static_cast<targets::BreakpointKind>(*type), *addr, static_cast<std::size_t>(*kind)};
}

std::expected<Detach, DecodeError> decode_detach(std::string_view args) {
  if (args.empty()) return Detach{};
  if (args.front() != ';') return std::unexpected(DecodeError::trailing_garbage);
  auto pid = parse_hex_u64(args.substr(1));
  if (!pid) return std::unexpected(pid.error());
  if (*pid > 0x7fffffffffffffffULL) return std::unexpected(DecodeError::overflow);
  return Detach{static_cast<std::int64_t>(*pid)};
}

namespace {
std::expected<ProcessArg, DecodeError> decode_pid_after(std::string_view args, char separator, bool required) {
  if (args.empty()) {
    if (required) return std::unexpected(DecodeError::missing_field);
    return ProcessArg{};
  }
  if (args.front() != separator) return std::unexpected(DecodeError::trailing_garbage);
  auto pid = parse_hex_u64(args.substr(1));
  if (!pid) return std::unexpected(pid.error());
  if (*pid > 0x7fffffffffffffffULL) return std::unexpected(DecodeError::overflow);
  return ProcessArg{static_cast<std::int64_t>(*pid)};
}
}  // namespace

std::expected<ProcessArg, DecodeError> decode_attached(std::string_view args) {
  return decode_pid_after(args, ':', false);
}

std::expected<ProcessArg, DecodeError> decode_vkill(std::string_view args) {
  return decode_pid_after(args, ';', true);
}

std::expected<MonitorCommand, DecodeError> decode_monitor(std::string_view args) {
  if (args.empty() || args.front() != ',') return std::unexpected(DecodeError::missing_field);
  auto text = hex_to_text(args.substr(1));
  if (!text) return std::unexpected(text.error());
  return MonitorCommand{std::move(*text)};
}

std::expected<XferRead, DecodeError> decode_xfer_read(std::string_view args) {
  // args follows "qXfer": ":object:read:annex:offset,length"
  if (args.empty() || args.front() != ':') return std::unexpected(DecodeError::missing_field);
  auto object = split_once(args.substr(1), ':');
  if (!object.found || object.head.empty()) return std::unexpected(DecodeError::missing_field);
  auto op = split_once(object.tail, ':');
  if (!op.found) return std::unexpected(DecodeError::missing_field);
  if (op.head != "read") return std::unexpected(DecodeError::unknown_action);
  // The annex may itself contain ':' in theory; the offset,length field is after the last one.
  std::string_view rest = op.tail;
  auto colon = rest.rfind(':');
  if (colon == std::string_view::npos) return std::unexpected(DecodeError::missing_field);
  auto range = split_once(rest.substr(colon + 1), ',');
  if (!range.found) return std::unexpected(DecodeError::missing_field);
  auto offset = parse_hex_u64(range.head);
  if (!offset) return std::unexpected(offset.error());
  auto length = parse_hex_u64(range.tail);
  if (!length) return std::unexpected(length.error());
  return XferRead{std::string(object.head), std::string(rest.substr(0, colon)), *offset, *length};
}

std::expected<SupportedFeatures, DecodeError> decode_supported(std::string_view args) {
  SupportedFeatures request;
  if (args.empty()) return request;
  if (args.front() != ':') return std::unexpected(DecodeError::trailing_garbage);
  std::string_view rest = args.substr(1);
  while (!rest.empty()) {
    auto parts = split_once(rest, ';');
    if (!parts.head.empty()) request.features.emplace_back(parts.head);
    if (request.features.size() > 256) return std::unexpected(DecodeError::too_long);
    if (!parts.found) break;
    rest = parts.tail;
  }
  return request;
}

std::expected<NoArgs, DecodeError> decode_no_args(std::string_view args) {
  if (!args.empty()) return std::unexpected(DecodeError::trailing_garbage);
  return NoArgs{};
}

}  // namespace remora::rsp::packets
