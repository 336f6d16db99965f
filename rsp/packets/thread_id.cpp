#include "rsp/packets/thread_id.hpp"

namespace remora::rsp::packets {
namespace {

// One component: hex number, or -1 meaning "all".
std::expected<std::int64_t, DecodeError> parse_component(std::string_view text) {
  if (text == "-1") return -1;
  auto value = parse_hex_u64(text);
  if (!value) return std::unexpected(value.error() == DecodeError::empty_field ? DecodeError::bad_thread_id
                                                                              : value.error());
  if (*value > 0x7fffffffffffffffULL) return std::unexpected(DecodeError::overflow);
  return static_cast<std::int64_t>(*value);
}

}  // namespace

std::expected<targets::ThreadId, DecodeError> parse_thread_id(std::string_view text) {
  if (text.empty()) return std::unexpected(DecodeError::bad_thread_id);
  if (text.front() != 'p') {
    auto tid = parse_component(text);
    if (!tid) return std::unexpected(tid.error());
    // Without a process part the pid is implied; 0/-1 keep their wildcard meaning for both.
    std::int64_t pid = (*tid == -1) ? -1 : 0;
    return targets::ThreadId{pid, *tid};
  }
  auto parts = split_once(text.substr(1), '.');
  auto pid = parse_component(parts.head);
  if (!pid) return std::unexpected(pid.error());
  if (!parts.found) return targets::ThreadId{*pid, -1};  // `pPID`: every thread of PID
  auto tid = parse_component(parts.tail);
  if (!tid) return std::unexpected(tid.error());
  return targets::ThreadId{*pid, *tid};
}

void append_thread_id(std::string& out, targets::ThreadId id, bool multiprocess) {
  auto component = [&out](std::int64_t v) {
    if (v < 0)
      out += "-1";
    else
      append_hex_u64(out, static_cast<std::uint64_t>(v));
  };
  if (multiprocess) {
    out += 'p';
    component(id.pid);
    out += '.';
  }
  component(id.tid);
}

}  // namespace remora::rsp::packets
