// qXfer objects a backend offers through XferObjects (auxv, libraries-svr4, exec-file, siginfo,
// osdata, ...), qXfer:threads generated here for every backend, and qThreadExtraInfo.
#include <algorithm>

#include "rsp/codec.hpp"
#include "rsp/handlers/handlers.hpp"
#include "rsp/handlers/process_handlers.hpp"
#include "rsp/packets/thread_id.hpp"
#include "targets/api/xml_text.hpp"

namespace remora::rsp::handlers {
namespace {

// Sliced like target.xml (query.cpp).
Reply slice(std::string_view document, const packets::XferObject& x, std::size_t packet_size) {
  return xfer_slice(document, x.offset, x.length, packet_size);
}

std::optional<targets::XferObjects::Object> find_object(targets::XferObjects& objects, std::string_view name) {
  for (auto& object : objects.objects())
    if (object.name == name) return object;
  return std::nullopt;
}

Reply write_object(targets::XferObjects& objects, std::string_view name, const packets::XferObject& x) {
  auto written = objects.write(name, x.annex, x.offset, x.data);
  if (!written) return error_from(ErrorCode::target_io, "cannot write " + std::string(name), written.error());
  std::string out;
  append_hex_u64(out, *written);  // the reply to a qXfer write: how many bytes were taken
  return Reply::with(std::move(out));
}

// lldb-16 takes `main-lm` for the address of the r_debug pointer (ProcessGDBRemote's
// GetImageInfoAddress falls back to the list's link map when qShlibInfoAddr is unanswered, and
// DYLDRendezvous reads r_debug through it): it then reads the main program's l_addr as r_debug,
// never sees the dynamic linker's RT_ADD/RT_CONSISTENT and misses every library loaded after it
// connected (no libc: IDE call stacks stop at main). lldb-server sends no main-lm; to lldb, nor
// does remora. gdb (solib-svr4) uses it as gdbserver sends it.
std::string without_main_lm(std::string document) {
  constexpr std::string_view key = " main-lm=\"";
  auto at = document.find(key);
  auto end = at == std::string::npos ? at : document.find('"', at + key.size());
  if (end != std::string::npos) document.erase(at, end + 1 - at);
  return document;
}

}  // namespace

std::string threads_xml(SessionState& s) {
  std::string xml = "<?xml version=\"1.0\"?>\n<threads>\n";
  for (const auto& thread : s.target.threads()) {
    xml += "<thread id=\"";
    packets::append_thread_id(xml, thread, s.features.multiprocess);
    xml += '"';
    auto name = s.target.thread_name(thread);
    if (!name.empty()) {
      xml += " name=\"";
      targets::append_xml_escaped(xml, name);
      xml += '"';
    }
    xml += "/>\n";
  }
  xml += "</threads>\n";
  return xml;
}

Reply xfer_object(SessionState& s, std::string_view name, const packets::XferObject& x) {
  if (name == "threads") {
    // Every backend has threads: generated here from Target::threads() and thread_name().
    if (x.write) return Reply::empty();
    if (!x.annex.empty()) return Reply::error(ErrorCode::malformed, "qXfer:threads takes no annex");
    return slice(threads_xml(s), x, s.options.packet_size);
  }
  auto* objects = s.target.xfer_objects();
  if (!objects) return Reply::empty();
  auto object = find_object(*objects, name);
  if (!object || (x.write && !object->writable)) return Reply::empty();
  if (x.write) return write_object(*objects, name, x);
  auto document = objects->read(name, x.annex);
  if (!document) {
    auto code = document.error() == targets::errc::no_process ? ErrorCode::no_process : ErrorCode::target_io;
    return error_from(code, "cannot read " + std::string(name), document.error());
  }
  if (name == "libraries-svr4" && s.features.lldb) return slice(without_main_lm(*document), x, s.options.packet_size);
  return slice(*document, x, s.options.packet_size);
}

Reply thread_extra_info(SessionState& s, const packets::ThreadExtraInfo& t) {
  auto threads = s.target.threads();
  auto it = std::find_if(threads.begin(), threads.end(), [&](const targets::ThreadId& candidate) {
    return !t.thread.is_any() && !t.thread.is_all() && t.thread.selects(candidate);
  });
  if (it == threads.end()) return Reply::error(ErrorCode::no_process, "no such thread");
  // gdb shows this text in parentheses after the thread; a nameless thread has none.
  return Reply::with(to_hex(s.target.thread_name(*it)));
}

}  // namespace remora::rsp::handlers
