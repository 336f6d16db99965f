// XML text and attribute values as gdb and lldb read them: target descriptions, qXfer
// documents (threads, osdata, libraries). One escaper for every document remora writes.
#pragma once
#include <string>
#include <string_view>

namespace remora::targets {

// Appends `text` with &, <, >, " and ' escaped.
void append_xml_escaped(std::string& out, std::string_view text);

inline std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  append_xml_escaped(out, text);
  return out;
}

}  // namespace remora::targets
