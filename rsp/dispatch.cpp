#include "rsp/dispatch.hpp"

#include <array>
#include <vector>

#include "rsp/handlers/handlers.hpp"
#include "rsp/route.hpp"

namespace remora::rsp {
namespace {

namespace h = handlers;
namespace p = packets;

constexpr std::array kCoreRoutes = {
    PacketRoute{"?", route<p::decode_no_args, h::stop_status>, true},
    PacketRoute{"!", route<p::decode_no_args, h::extended_mode>, true},
    PacketRoute{"m", route<p::decode_read_memory, h::read_memory_hex>, true},
    PacketRoute{"x", route<p::decode_read_memory, h::read_memory_binary>, true},
    PacketRoute{"M", route<p::decode_write_memory_hex, h::write_memory>, true},
    PacketRoute{"X", route<p::decode_write_memory_binary, h::write_memory>, true},
    PacketRoute{"g", route<p::decode_read_registers, h::read_registers>, true},
    PacketRoute{"G", route<p::decode_write_registers, h::write_registers>, true},
    PacketRoute{"p", route<p::decode_read_register, h::read_register>, true},
    PacketRoute{"P", route<p::decode_write_register, h::write_register>, true},
    PacketRoute{"c", route<p::decode_continue, h::resume>, true},
    PacketRoute{"C", route<p::decode_continue_signal, h::resume>, true},
    PacketRoute{"s", route<p::decode_step, h::resume>, true},
    PacketRoute{"S", route<p::decode_step_signal, h::resume>, true},
    PacketRoute{"H", route<p::decode_set_thread, h::set_thread>, true},
    PacketRoute{"T", route<p::decode_thread_alive, h::thread_alive>, true},
    PacketRoute{"Z", route<p::decode_breakpoint, h::insert_breakpoint>, true},
    PacketRoute{"z", route<p::decode_breakpoint, h::remove_breakpoint>, true},
    PacketRoute{"D", route<p::decode_detach, h::detach>, true},
    PacketRoute{"k", route<p::decode_no_args, h::kill>, true},
    PacketRoute{"vKill", route<p::decode_vkill, h::vkill>, false},
    PacketRoute{"vCont?", route<p::decode_no_args, h::vcont_query>, false},
    PacketRoute{"vCont", route<p::decode_vcont, h::vcont>, false},
    PacketRoute{"qSupported", route<p::decode_supported, h::supported>, false},
    PacketRoute{"QStartNoAckMode", route<p::decode_no_args, h::start_no_ack>, false},
    PacketRoute{"qAttached", route<p::decode_attached, h::attached>, false},
    PacketRoute{"qXfer", route<p::decode_xfer_read, h::xfer_read>, false},
    PacketRoute{"qC", route<p::decode_no_args, h::current_thread>, false},
    PacketRoute{"qfThreadInfo", route<p::decode_no_args, h::first_thread_info>, false},
    PacketRoute{"qsThreadInfo", route<p::decode_no_args, h::subsequent_thread_info>, false},
    PacketRoute{"qRcmd", route<p::decode_monitor, h::monitor>, false},
    PacketRoute{"QThreadSuffixSupported", route<p::decode_no_args, h::thread_suffix_supported>, false},
    PacketRoute{"QListThreadsInStopReply", route<p::decode_no_args, h::list_threads_in_stop_reply>, false},
    PacketRoute{"QEnableErrorStrings", route<p::decode_no_args, h::enable_error_strings>, false},
};

// Every capability's table, in one list: the dispatcher and qSupported both read it.
const std::vector<PacketRoute>& all_routes() {
  static const std::vector<PacketRoute> routes = [] {
    std::vector<PacketRoute> out(kCoreRoutes.begin(), kCoreRoutes.end());
    for (const auto& capability : capabilities())
      if (capability.routes) {
        auto extra = capability.routes();
        out.insert(out.end(), extra.begin(), extra.end());
      }
    return out;
  }();
  return routes;
}


bool is_separator(char c) { return c == ':' || c == ',' || c == ';' || c == '?'; }

bool is_single_letter(char c) { return c != 'q' && c != 'Q' && c != 'v' && c != 'j' && c != '_'; }

int find_route(std::string_view payload) {
  if (payload.empty()) return -1;
  int best = -1;
  std::size_t best_length = 0;
  const auto& routes = all_routes();
  for (std::size_t i = 0; i < routes.size(); ++i) {
    const auto& r = routes[i];
    if (!payload.starts_with(r.name) || r.name.size() <= best_length) continue;
    if (is_single_letter(payload.front()) != (r.name.size() == 1)) continue;
    bool boundary = payload.size() == r.name.size() || r.any_suffix || is_separator(payload[r.name.size()]);
    if (!boundary) continue;
    best = static_cast<int>(i);
    best_length = r.name.size();
  }
  return best;
}

}  // namespace

std::span<const PacketRoute> packet_routes() { return all_routes(); }

DispatchResult dispatch(SessionState& state, std::string_view payload) {
  DispatchResult result;
  result.route = find_route(payload);
  if (result.route < 0) {
    result.reply = Reply::empty();
    return result;
  }
  const auto& r = all_routes()[static_cast<std::size_t>(result.route)];
  // In all-stop mode the client waits for the stop; only the interrupt byte may come meanwhile.
  if (state.running) {
    result.reply = Reply::error(ErrorCode::busy, "the target is running; interrupt it first");
    return result;
  }
  result.reply = r.run(state, payload.substr(r.name.size()), result.decode_error);
  if (result.decode_error) result.reply.text = "malformed " + std::string(r.name) + " packet: " + result.reply.text;
  result.no_ack_after_reply = r.name == "QStartNoAckMode" && result.reply.kind == Reply::Kind::ok;
  return result;
}

}  // namespace remora::rsp
