// m, x, M, X on the WriteVirtual contract: reads answer the readable prefix; a write that stops
// short is an error naming the first address not written, decided by the byte count.
#include <algorithm>
#include <span>
#include <string>

#include "rsp/codec.hpp"
#include "rsp/handlers/handlers.hpp"

namespace remora::rsp::handlers {
namespace {

// `n` bytes of the session's scratch buffer. It only grows, so after the first PacketSize packet
// there is neither an allocation nor a zero-fill per packet.
std::span<std::byte> scratch(SessionState& s, std::size_t n) {
  if (s.scratch.size() < n) s.scratch.resize(n);
  return std::span(s.scratch).first(n);
}

// The reply text buffer the Session gave back after the last data reply, emptied.
std::string reply_text(SessionState& s) {
  std::string out = std::move(s.reply_buffer);
  out.clear();
  return out;
}

// Reads up to `limit` bytes; an error only when not even the first byte could be read.
std::expected<std::span<const std::byte>, Reply> read_prefix(SessionState& s, const packets::ReadMemory& r,
                                                             std::size_t limit) {
  auto buffer = scratch(s, std::min(r.length, limit));
  auto transfer = s.memory().read_virtual(r.addr, buffer);
  if (transfer.bytes == 0 && !buffer.empty()) {
    std::string text = "cannot read memory at " + hex_address(r.addr);
    if (transfer.error) text += ": " + transfer.error.message();
    return std::unexpected(Reply::error(ErrorCode::memory_fault, std::move(text)));
  }
  return buffer.first(std::min(transfer.bytes, buffer.size()));
}

}  // namespace

Reply read_memory_hex(SessionState& s, const packets::ReadMemory& r) {
  // A reply longer than the packet size could not be received; a shorter read is legal.
  auto bytes = read_prefix(s, r, s.options.packet_size / 2);
  if (!bytes) return bytes.error();
  std::string out = reply_text(s);
  append_hex(out, *bytes);
  return Reply::with(std::move(out));
}

Reply read_memory_binary(SessionState& s, const packets::ReadMemory& r) {
  // Two dialects of one packet. gdb 16, once binary-upload+ was negotiated, expects 'b' before
  // the data. lldb (which never offers binary-upload+) expects the bare data, and probes with
  // `x0,0` expecting OK.
  const bool gdb_form = s.features.binary_upload;
  if (r.length == 0) return gdb_form ? Reply::with("b") : Reply::ok();
  // As much as fits in a packet once escaped (a shorter read is legal; lldb-16 asks for
  // ~128 KiB at a time, and half of that per reply doubled its round trips).
  auto bytes = read_prefix(s, r, s.options.packet_size - 1);
  if (!bytes) return bytes.error();
  std::string out = reply_text(s);
  if (gdb_form) out += 'b';
  append_escaped(out, bytes->first(escaped_prefix_fitting(*bytes, s.options.packet_size - 1)));
  return Reply::with(std::move(out));
}

Reply write_memory(SessionState& s, const packets::WriteMemory& w) {
  // A zero-length X is gdb's probe for binary download support.
  if (w.data.empty()) return Reply::ok();
  auto bytes = scratch(s, w.data.size());
  w.data.decode_into(bytes);
  auto transfer = s.memory().write_virtual(w.addr, bytes);
  if (transfer.complete(bytes.size())) return Reply::ok();
  targets::Addr boundary = w.addr + transfer.bytes;
  std::string text = "memory write stopped at " + hex_address(boundary) + " after " +
                     std::to_string(transfer.bytes) + " of " + std::to_string(w.data.size()) +
                     " bytes from " + hex_address(w.addr);
  text += transfer.error ? ": " + transfer.error.message() : std::string(": the target wrote no further");
  // The trace names the boundary whatever the client negotiated.
  s.note(text);
  return Reply::error(ErrorCode::memory_fault, std::move(text));
}

std::string hex_address(targets::Addr addr) {
  std::string out = "0x";
  append_hex_u64(out, addr);
  return out;
}

Reply error_from(ErrorCode code, std::string_view what, std::error_code ec) {
  std::string text(what);
  if (ec) text += ": " + ec.message();
  return Reply::error(code, std::move(text));
}

}  // namespace remora::rsp::handlers
