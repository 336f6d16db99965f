// What a handler answers. One place (render_reply) turns it into bytes for the client's dialect.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace remora::rsp {

// The one table of error numbers remora sends. They follow errno values, as gdbserver and
// lldb-server mostly do, so a number alone still says something.
enum class ErrorCode : std::uint8_t {
  not_permitted = 0x01,    // EPERM: refused by policy
  no_process = 0x03,       // ESRCH: no such process or thread
  target_io = 0x05,        // EIO: the backend failed
  memory_fault = 0x0e,     // EFAULT: memory could not be (wholly) accessed
  busy = 0x10,             // EBUSY: the target is running
  malformed = 0x16,        // EINVAL: the packet did not decode
  too_long = 0x1b,         // EFBIG: longer than the packet size allows
  not_supported = 0x26,    // ENOSYS: known packet, operation not available here
};

struct Reply {
  enum class Kind { none, empty, ok, data, error };
  Kind kind = Kind::empty;
  std::string data;        // data: the payload as is (already hex or escaped)
  ErrorCode code = ErrorCode::malformed;
  std::string text;        // error: for clients that accept error text

  static Reply none() { return {Kind::none, {}, {}, {}}; }
  static Reply empty() { return {Kind::empty, {}, {}, {}}; }
  static Reply ok() { return {Kind::ok, {}, {}, {}}; }
  static Reply with(std::string payload) { return {Kind::data, std::move(payload), {}, {}}; }
  static Reply error(ErrorCode code, std::string text) { return {Kind::error, {}, code, std::move(text)}; }
};

// How the client accepts error text: nothing (`Enn`), gdb's `E.text`, or lldb's `Enn;HEXTEXT`.
enum class ErrorDialect { number_only, gdb_text, lldb_text };

// Appends the reply payload (no framing) to `out`. Returns false for Kind::none (send nothing).
bool render_reply(const Reply& reply, ErrorDialect dialect, std::string& out);

}  // namespace remora::rsp
