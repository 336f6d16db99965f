// qSupported and the other negotiation packets, and qXfer reads. What qSupported offers is
// derived from the target's capability accessors and the session options, never a fixed string.
#include "rsp/codec.hpp"
#include "rsp/dispatch.hpp"
#include "rsp/handlers/handlers.hpp"
#include "rsp/handlers/lldb_handlers.hpp"

namespace remora::rsp::handlers {
namespace {

void record_client_feature(ClientFeatures& f, std::string_view feature) {
  if (feature == "multiprocess+") f.multiprocess = true;
  if (feature == "swbreak+") f.swbreak = true;
  if (feature == "hwbreak+") f.hwbreak = true;
  if (feature == "error-message+") f.error_message = true;
  if (feature == "binary-upload+") f.binary_upload = true;
}

std::string memory_map_xml(targets::MemoryRegions& regions) {
  std::string xml =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE memory-map PUBLIC \"+//IDN gnu.org//DTD GDB Memory Map V1.0//EN\" "
      "\"http://sourceware.org/gdb/gdb-memory-map.dtd\">\n<memory-map>\n";
  for (const auto& region : regions.regions()) {
    // gdb knows ram, rom and flash; memory the debugger may not write is rom to it.
    xml += std::string("  <memory type=\"") + (region.writable ? "ram" : "rom") + "\" start=\"" +
           hex_address(region.start) + "\" length=\"" + hex_address(region.size) + "\"/>\n";
  }
  xml += "</memory-map>\n";
  return xml;
}

}  // namespace

Reply xfer_slice(std::string_view document, std::uint64_t offset, std::uint64_t length, std::size_t packet_size) {
  if (offset > document.size()) return Reply::error(ErrorCode::malformed, "qXfer offset past the end");
  std::size_t left = document.size() - offset;
  // Binary escaping can double the data, so send no more than half the packet size.
  std::size_t take = std::min<std::uint64_t>({length, left, packet_size / 2 - 1});
  std::string out = take < left ? "m" : "l";
  auto chunk = document.substr(offset, take);
  append_escaped(out, std::span(reinterpret_cast<const std::byte*>(chunk.data()), chunk.size()));
  return Reply::with(std::move(out));
}

Reply supported(SessionState& s, const packets::SupportedFeatures& f) {
  s.features.multiprocess = s.features.swbreak = s.features.hwbreak = s.features.error_message = false;
  s.features.binary_upload = false;
  s.features.offered.clear();
  for (const auto& feature : f.features) {
    record_client_feature(s.features, feature);
    s.features.offered.insert(feature);
  }
  std::string out = "PacketSize=";
  append_hex_u64(out, s.options.packet_size);
  out += ";QStartNoAckMode+;qXfer:features:read+;vContSupported+";
  if (s.options.offer_memory_map && s.target.memory_regions() && s.target.memory_regions()->whole_map())
    out += ";qXfer:memory-map:read+";
  if (auto* bp = s.target.breakpoints()) {
    if (bp->supports(targets::BreakpointKind::software)) out += s.features.swbreak ? ";swbreak+" : "";
    if (bp->supports(targets::BreakpointKind::hardware)) out += s.features.hwbreak ? ";hwbreak+" : "";
  }
  // Only features the client offered are echoed; remora speaks them but must not impose them.
  if (s.features.multiprocess) out += ";multiprocess+";
  if (s.features.error_message) out += ";error-message+";
  // gdb 16 reads memory with `x` (replies prefixed 'b') only once this is echoed.
  if (s.features.binary_upload) out += ";binary-upload+";
  for (const auto& capability : capabilities())
    if (capability.advertise) capability.advertise(s, out);
  return Reply::with(std::move(out));
}

Reply start_no_ack(SessionState&, const packets::NoArgs&) {
  // The session switches acks off once this OK has been sent (it is still acknowledged itself).
  return Reply::ok();
}

Reply attached(SessionState& s, const packets::ProcessArg& a) {
  auto threads = s.target.threads();
  if (threads.empty() || (a.pid && threads.front().pid != *a.pid))
    return Reply::error(ErrorCode::no_process, "no process");
  return Reply::with(s.target.attached() ? "1" : "0");
}

Reply xfer_read(SessionState& s, const packets::XferRead& x) {
  if (x.object == "features") {
    // lldb gets lldb-server's flat form, with its register sets and unwinding numbers.
    if (s.features.lldb && x.annex == "target.xml")
      return xfer_slice(lldb_target_xml(s.target.registers().description()), x.offset, x.length, s.options.packet_size);
    const auto& docs = s.target.registers().description().xml;
    auto it = docs.find(x.annex);
    if (it == docs.end()) return Reply::error(ErrorCode::malformed, "no target description document " + x.annex);
    return xfer_slice(it->second, x.offset, x.length, s.options.packet_size);
  }
  if (x.object == "memory-map" && s.options.offer_memory_map && s.target.memory_regions() &&
      s.target.memory_regions()->whole_map()) {
    if (!x.annex.empty()) return Reply::error(ErrorCode::malformed, "memory-map takes no annex");
    return xfer_slice(memory_map_xml(*s.target.memory_regions()), x.offset, x.length, s.options.packet_size);
  }
  return Reply::empty();
}

Reply thread_suffix_supported(SessionState& s, const packets::NoArgs&) {
  s.features.thread_suffix = true;
  s.features.lldb = true;
  return Reply::ok();
}

Reply list_threads_in_stop_reply(SessionState& s, const packets::NoArgs&) {
  s.features.threads_in_stop_reply = true;
  s.features.lldb = true;
  return Reply::ok();
}

Reply enable_error_strings(SessionState& s, const packets::NoArgs&) {
  s.features.lldb_error_strings = true;
  return Reply::ok();
}

Reply extended_mode(SessionState& s, const packets::NoArgs&) {
  if (!s.options.extended_mode) return Reply::empty();
  return Reply::ok();
}

}  // namespace remora::rsp::handlers
