#include "rsp/packets/memory.hpp"

#include <limits>

namespace remora::rsp::packets {
namespace {

struct Range {
  targets::Addr addr;
  std::uint64_t length;
};

// `addr,length` with both fields present and addr+length not past the address space.
std::expected<Range, DecodeError> decode_range(std::string_view text) {
  auto fields = split_once(text, ',');
  if (!fields.found) return std::unexpected(DecodeError::missing_field);
  auto addr = parse_hex_u64(fields.head);
  if (!addr) return std::unexpected(addr.error());
  auto length = parse_hex_u64(fields.tail);
  if (!length) return std::unexpected(length.error());
  // The last byte touched is addr+length-1; a range ending exactly at 2^64 is allowed.
  if (*length > 0 && *addr > std::numeric_limits<std::uint64_t>::max() - (*length - 1))
    return std::unexpected(DecodeError::address_wrap);
  return Range{*addr, *length};
}

std::expected<Range, DecodeError> decode_write_header(std::string_view header) {
  auto range = decode_range(header);
  if (!range) return std::unexpected(range.error());
  if (range->length > std::numeric_limits<std::size_t>::max() / 2) return std::unexpected(DecodeError::too_long);
  return range;
}

}  // namespace

std::expected<ReadMemory, DecodeError> decode_read_memory(std::string_view args) {
  auto range = decode_range(args);
  if (!range) return std::unexpected(range.error());
  return ReadMemory{range->addr, static_cast<std::size_t>(range->length)};
}

std::expected<WriteMemory, DecodeError> decode_write_memory_hex(std::string_view args) {
  auto parts = split_once(args, ':');
  if (!parts.found) return std::unexpected(DecodeError::missing_field);
  auto range = decode_write_header(parts.head);
  if (!range) return std::unexpected(range.error());
  if (parts.tail.size() != range->length * 2) return std::unexpected(DecodeError::length_mismatch);
  auto data = EncodedBytes::hex(parts.tail);
  if (!data) return std::unexpected(data.error());
  return WriteMemory{range->addr, *data};
}

std::expected<WriteMemory, DecodeError> decode_write_memory_binary(std::string_view args) {
  auto parts = split_once(args, ':');
  if (!parts.found) return std::unexpected(DecodeError::missing_field);
  auto range = decode_write_header(parts.head);
  if (!range) return std::unexpected(range.error());
  auto data = EncodedBytes::binary(parts.tail);
  if (!data) return std::unexpected(data.error());
  if (data->size() != range->length) return std::unexpected(DecodeError::length_mismatch);
  return WriteMemory{range->addr, *data};
}

}  // namespace remora::rsp::packets
