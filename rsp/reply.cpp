#include "rsp/reply.hpp"

#include "rsp/codec.hpp"

namespace remora::rsp {

bool render_reply(const Reply& reply, ErrorDialect dialect, std::string& out) {
  switch (reply.kind) {
    case Reply::Kind::none: return false;
    case Reply::Kind::empty: return true;
    case Reply::Kind::ok: out += "OK"; return true;
    case Reply::Kind::data: out += reply.data; return true;
    case Reply::Kind::error: break;
  }
  if (dialect == ErrorDialect::gdb_text && !reply.text.empty()) {
    out += "E.";
    // Error text travels unescaped, so framing characters are replaced rather than sent.
    for (char c : reply.text) out += (c == '$' || c == '#' || c == '}' || c == '*') ? '?' : c;
    return true;
  }
  out += 'E';
  append_hex_byte(out, static_cast<std::uint8_t>(reply.code));
  if (dialect == ErrorDialect::lldb_text && !reply.text.empty()) {
    out += ';';
    append_hex(out, std::string_view(reply.text));
  }
  return true;
}

}  // namespace remora::rsp
