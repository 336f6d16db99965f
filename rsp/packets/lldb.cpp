#include "rsp/packets/lldb.hpp"

#include "rsp/packets/registers.hpp"
#include "rsp/packets/thread_id.hpp"

namespace remora::rsp::packets {

std::expected<RegisterInfoQuery, DecodeError> decode_register_info(std::string_view args) {
  auto regnum = parse_hex_u64(args);
  if (!regnum) return std::unexpected(regnum.error());
  if (*regnum > 0xffff) return std::unexpected(DecodeError::overflow);
  return RegisterInfoQuery{static_cast<unsigned>(*regnum)};
}

std::expected<MemoryRegionQuery, DecodeError> decode_memory_region_info(std::string_view args) {
  if (args.empty() || args.front() != ':') return std::unexpected(DecodeError::missing_field);
  auto addr = parse_hex_u64(args.substr(1));
  if (!addr) return std::unexpected(addr.error());
  return MemoryRegionQuery{*addr};
}

std::expected<AllocateMemory, DecodeError> decode_allocate_memory(std::string_view args) {
  auto parts = split_once(args, ',');
  if (!parts.found) return std::unexpected(DecodeError::missing_field);
  auto size = parse_hex_u64(parts.head);
  if (!size) return std::unexpected(size.error());
  if (*size == 0) return std::unexpected(DecodeError::bad_value);
  AllocateMemory request{*size, {}};
  // lldb writes each of r, w, x at most once, in that order; none at all is legal.
  auto& p = request.permissions;
  for (char c : parts.tail) {
    bool& flag = c == 'r' ? p.readable : c == 'w' ? p.writable : p.executable;
    if ((c != 'r' && c != 'w' && c != 'x') || flag) return std::unexpected(DecodeError::bad_value);
    flag = true;
  }
  return request;
}

std::expected<DeallocateMemory, DecodeError> decode_deallocate_memory(std::string_view args) {
  auto addr = parse_hex_u64(args);
  if (!addr) return std::unexpected(addr.error());
  return DeallocateMemory{*addr};
}

std::expected<SaveRegisterState, DecodeError> decode_save_register_state(std::string_view args) {
  auto split = split_thread_suffix(args);
  if (!split) return std::unexpected(split.error());
  if (!split->body.empty()) return std::unexpected(DecodeError::trailing_garbage);
  return SaveRegisterState{split->thread};
}

std::expected<RestoreRegisterState, DecodeError> decode_restore_register_state(std::string_view args) {
  auto split = split_thread_suffix(args);
  if (!split) return std::unexpected(split.error());
  if (split->body.empty() || split->body.front() != ':') return std::unexpected(DecodeError::missing_field);
  // The id is decimal: lldb-server prints it with PRIu32 and lldb echoes it back as it came.
  auto id = parse_dec_u64(split->body.substr(1));
  if (!id) return std::unexpected(id.error());
  if (*id > 0xffffffffULL) return std::unexpected(DecodeError::overflow);
  return RestoreRegisterState{static_cast<std::uint32_t>(*id), split->thread};
}

std::expected<ThreadStopInfoQuery, DecodeError> decode_thread_stop_info(std::string_view args) {
  auto thread = parse_thread_id(args);
  if (!thread) return std::unexpected(thread.error());
  return ThreadStopInfoQuery{*thread};
}

std::expected<WatchpointSupportQuery, DecodeError> decode_watchpoint_support_info(std::string_view args) {
  if (!args.empty() && args != ":") return std::unexpected(DecodeError::trailing_garbage);
  return WatchpointSupportQuery{};
}

}  // namespace remora::rsp::packets
