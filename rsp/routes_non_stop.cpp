// Non-stop mode (issue #10): offered where the target has Target::non_stop() (the ptrace
// backend); elsewhere QNonStop:1 gets an error and the session stays in all-stop.
#include <array>

#include "rsp/dispatch.hpp"
#include "rsp/handlers/non_stop_handlers.hpp"
#include "rsp/route.hpp"

namespace remora::rsp {
namespace {

namespace h = handlers;
namespace p = packets;

constexpr std::array kRoutes = {
    PacketRoute{"QNonStop", route<p::decode_switch, h::set_non_stop>, false},
    PacketRoute{"vStopped", route<p::decode_no_args, h::stopped_ack>, false},
    PacketRoute{"vCtrlC", route<p::decode_no_args, h::ctrl_c>, false},
};

}  // namespace

std::span<const PacketRoute> non_stop_routes() { return kRoutes; }

void advertise_non_stop(SessionState& state, std::string& features) {
  if (state.target.non_stop() != nullptr) features += ";QNonStop+";
}

}  // namespace remora::rsp
