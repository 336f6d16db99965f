// The one table from packet name to decoder+handler, and the one place unknown packets get the
// empty reply.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "rsp/codec.hpp"
#include "rsp/reply.hpp"
#include "rsp/session_state.hpp"

namespace remora::rsp {

struct PacketRoute {
  std::string_view name;
  Reply (*run)(SessionState&, std::string_view args, std::optional<DecodeError>& error);
  // true: any text may follow the name (single-letter packets, qRegisterInfoN); false: the name
  // must end the packet or be followed by ':', ',', ';' or '?'.
  bool any_suffix;
};

std::span<const PacketRoute> packet_routes();

// A capability beyond the core: its routes, and what it adds to the qSupported reply (each
// entry starts with ';'). Gate both on the same target accessor, so what is offered is exactly
// what works. The list is in capabilities.cpp; each capability lives in its own routes_*.cpp.
struct Capability {
  std::span<const PacketRoute> (*routes)();
  void (*advertise)(SessionState& state, std::string& features);
};
std::span<const Capability> capabilities();

struct DispatchResult {
  Reply reply;
  int route = -1;                       // index into packet_routes(), -1 for unknown
  std::optional<DecodeError> decode_error;  // set when the packet did not decode
  bool no_ack_after_reply = false;      // QStartNoAckMode succeeded
};

DispatchResult dispatch(SessionState& state, std::string_view payload);

}  // namespace remora::rsp
