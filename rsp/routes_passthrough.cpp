// Routes for packets a backend forwards to the stub it fronts (Target::passthrough()): QEMU's
// qqemu.*/Qqemu.* family, answered by QEMU itself, and bs/bc (reverse step/continue), offered
// only when that stub offers them (QEMU: -icount record/replay in replay mode). Without the
// capability every one of them gets the empty reply, as an unknown packet would.
#include <array>

#include "rsp/dispatch.hpp"
#include "rsp/handlers/passthrough_handlers.hpp"
#include "rsp/route.hpp"

namespace remora::rsp {
namespace {

namespace h = handlers;
namespace p = packets;

constexpr std::array kRoutes = {
    PacketRoute{"qqemu.", route<p::decode_qemu_query, h::passthrough>, true},
    PacketRoute{"Qqemu.", route<p::decode_qemu_set, h::passthrough>, true},
    PacketRoute{"b", route<p::decode_reverse, h::reverse>, true},
};

}  // namespace

std::span<const PacketRoute> passthrough_routes() { return kRoutes; }

void advertise_passthrough(SessionState& state, std::string& features) {
  auto* forward = state.target.passthrough();
  if (forward && forward->can_reverse()) features += ";ReverseStep+;ReverseContinue+";
}

}  // namespace remora::rsp
