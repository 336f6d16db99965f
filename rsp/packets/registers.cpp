#include "rsp/packets/registers.hpp"

#include "rsp/packets/thread_id.hpp"

namespace remora::rsp::packets {
namespace {

std::expected<unsigned, DecodeError> decode_regnum(std::string_view text) {
  auto value = parse_hex_u64(text);
  if (!value) return std::unexpected(value.error());
  if (*value > 0xffff) return std::unexpected(DecodeError::overflow);
  return static_cast<unsigned>(*value);
}

}  // namespace

std::expected<ThreadSuffix, DecodeError> split_thread_suffix(std::string_view args) {
  auto parts = split_once(args, ';');
  if (!parts.found) return ThreadSuffix{args, std::nullopt};
  std::string_view suffix = parts.tail;
  if (!suffix.starts_with("thread:")) return std::unexpected(DecodeError::trailing_garbage);
  suffix.remove_prefix(7);
  if (suffix.ends_with(';')) suffix.remove_suffix(1);
  auto thread = parse_thread_id(suffix);
  if (!thread) return std::unexpected(thread.error());
  return ThreadSuffix{parts.head, *thread};
}

std::expected<ReadRegisters, DecodeError> decode_read_registers(std::string_view args) {
  auto split = split_thread_suffix(args);
  if (!split) return std::unexpected(split.error());
  if (!split->body.empty()) return std::unexpected(DecodeError::trailing_garbage);
  return ReadRegisters{split->thread};
}

std::expected<WriteRegisters, DecodeError> decode_write_registers(std::string_view args) {
  auto split = split_thread_suffix(args);
  if (!split) return std::unexpected(split.error());
  auto data = decode_hex_bytes(split->body);
  if (!data) return std::unexpected(data.error());
  return WriteRegisters{std::move(*data), split->thread};
}

std::expected<ReadRegister, DecodeError> decode_read_register(std::string_view args) {
  auto split = split_thread_suffix(args);
  if (!split) return std::unexpected(split.error());
  auto regnum = decode_regnum(split->body);
  if (!regnum) return std::unexpected(regnum.error());
  return ReadRegister{*regnum, split->thread};
}

std::expected<WriteRegister, DecodeError> decode_write_register(std::string_view args) {
  auto split = split_thread_suffix(args);
  if (!split) return std::unexpected(split.error());
  auto parts = split_once(split->body, '=');
  if (!parts.found) return std::unexpected(DecodeError::missing_field);
  auto regnum = decode_regnum(parts.head);
  if (!regnum) return std::unexpected(regnum.error());
  auto value = decode_hex_bytes(parts.tail);
  if (!value) return std::unexpected(value.error());
  if (value->empty()) return std::unexpected(DecodeError::empty_field);
  return WriteRegister{*regnum, std::move(*value), split->thread};
}

}  // namespace remora::rsp::packets
