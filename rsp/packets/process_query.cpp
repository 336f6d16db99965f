#include "rsp/packets/process_query.hpp"

#include "rsp/packets/thread_id.hpp"

namespace remora::rsp::packets {
namespace {

constexpr std::size_t kMaxListEntries = 4096;  // more than there are signals or syscalls

// "a;b;c" of hex numbers no larger than `max`. gdb ends QPassSignals/QProgramSignals with a
// ';' after the last signal (remote.c writes one after every entry), so one trailing ';' is
// taken; an empty entry anywhere else is not.
std::expected<std::vector<int>, DecodeError> hex_list(std::string_view text, std::uint64_t max) {
  std::vector<int> out;
  while (!text.empty()) {
    auto field = split_once(text, ';');
    auto value = parse_hex_u64(field.head);
    if (!value) return std::unexpected(value.error());
    if (*value > max) return std::unexpected(DecodeError::bad_value);
    out.push_back(static_cast<int>(*value));
    if (out.size() > kMaxListEntries) return std::unexpected(DecodeError::too_long);
    if (!field.found) break;
    text = field.tail;
  }
  return out;
}

// addr + length - 1 must not pass the end of the address space.
bool wraps(std::uint64_t addr, std::uint64_t length) { return length > 0 && addr > ~std::uint64_t{0} - (length - 1); }

}  // namespace

std::expected<SignalList, DecodeError> decode_signal_list(std::string_view args) {
  if (args.empty() || args.front() != ':') return std::unexpected(DecodeError::missing_field);
  auto list = hex_list(args.substr(1), 0xff);  // gdb signal numbers travel as one byte
  if (!list) return std::unexpected(list.error());
  return SignalList{std::move(*list)};
}

std::expected<CatchSyscalls, DecodeError> decode_catch_syscalls(std::string_view args) {
  if (args.empty() || args.front() != ':') return std::unexpected(DecodeError::missing_field);
  auto parts = split_once(args.substr(1), ';');
  if (parts.head == "0") {
    if (parts.found) return std::unexpected(DecodeError::trailing_garbage);
    return CatchSyscalls{std::nullopt};
  }
  if (parts.head != "1") return std::unexpected(parts.head.empty() ? DecodeError::empty_field : DecodeError::bad_value);
  if (!parts.found) return CatchSyscalls{std::vector<int>{}};
  if (parts.tail.empty()) return std::unexpected(DecodeError::empty_field);
  auto list = hex_list(parts.tail, 0x7fffffff);
  if (!list) return std::unexpected(list.error());
  return CatchSyscalls{std::move(*list)};
}

std::expected<XferObject, DecodeError> decode_xfer_object(std::string_view args) {
  if (args.empty() || args.front() != ':') return std::unexpected(DecodeError::missing_field);
  auto op = split_once(args.substr(1), ':');
  if (!op.found) return std::unexpected(DecodeError::missing_field);
  XferObject x;
  if (op.head == "read") {
    // As decode_xfer_read: the offset,length field is after the last ':'.
    auto colon = op.tail.rfind(':');
    if (colon == std::string_view::npos) return std::unexpected(DecodeError::missing_field);
    auto range = split_once(op.tail.substr(colon + 1), ',');
    if (!range.found) return std::unexpected(DecodeError::missing_field);
    auto offset = parse_hex_u64(range.head);
    if (!offset) return std::unexpected(offset.error());
    auto length = parse_hex_u64(range.tail);
    if (!length) return std::unexpected(length.error());
    x.annex = std::string(op.tail.substr(0, colon));
    x.offset = *offset;
    x.length = *length;
    return x;
  }
  if (op.head != "write") return std::unexpected(DecodeError::unknown_action);
  // The data is binary and may hold ':', so annex and offset are the first two fields.
  auto annex = split_once(op.tail, ':');
  if (!annex.found) return std::unexpected(DecodeError::missing_field);
  auto offset_data = split_once(annex.tail, ':');
  if (!offset_data.found) return std::unexpected(DecodeError::missing_field);
  auto offset = parse_hex_u64(offset_data.head);
  if (!offset) return std::unexpected(offset.error());
  auto data = unescape_binary(offset_data.tail);
  if (!data) return std::unexpected(data.error());
  x.write = true;
  x.annex = std::string(annex.head);
  x.offset = *offset;
  x.data = std::move(*data);
  return x;
}

std::expected<ThreadExtraInfo, DecodeError> decode_thread_extra_info(std::string_view args) {
  if (args.empty() || args.front() != ',') return std::unexpected(DecodeError::missing_field);
  auto thread = parse_thread_id(args.substr(1));
  if (!thread) return std::unexpected(thread.error());
  return ThreadExtraInfo{*thread};
}

std::expected<SearchMemory, DecodeError> decode_search_memory(std::string_view args) {
  if (args.empty() || args.front() != ':') return std::unexpected(DecodeError::missing_field);
  // The pattern is binary and may hold ';': only the first two separators count.
  auto addr_rest = split_once(args.substr(1), ';');
  if (!addr_rest.found) return std::unexpected(DecodeError::missing_field);
  auto length_rest = split_once(addr_rest.tail, ';');
  if (!length_rest.found) return std::unexpected(DecodeError::missing_field);
  auto addr = parse_hex_u64(addr_rest.head);
  if (!addr) return std::unexpected(addr.error());
  auto length = parse_hex_u64(length_rest.head);
  if (!length) return std::unexpected(length.error());
  if (wraps(*addr, *length)) return std::unexpected(DecodeError::address_wrap);
  auto pattern = unescape_binary(length_rest.tail);
  if (!pattern) return std::unexpected(pattern.error());
  if (pattern->empty()) return std::unexpected(DecodeError::empty_field);
  return SearchMemory{*addr, *length, std::move(*pattern)};
}

std::expected<MemoryCrc, DecodeError> decode_crc(std::string_view args) {
  if (args.empty() || args.front() != ':') return std::unexpected(DecodeError::missing_field);
  auto parts = split_once(args.substr(1), ',');
  if (!parts.found) return std::unexpected(DecodeError::missing_field);
  auto addr = parse_hex_u64(parts.head);
  if (!addr) return std::unexpected(addr.error());
  auto length = parse_hex_u64(parts.tail);
  if (!length) return std::unexpected(length.error());
  if (wraps(*addr, *length)) return std::unexpected(DecodeError::address_wrap);
  return MemoryCrc{*addr, *length};
}

}  // namespace remora::rsp::packets
