// The one table from packet name to decoder+handler, and the one place unknown packets get the
// empty reply.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
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

struct DispatchResult {
  Reply reply;
  int route = -1;                       // index into packet_routes(), -1 for unknown
  std::optional<DecodeError> decode_error;  // set when the packet did not decode
  bool no_ack_after_reply = false;      // QStartNoAckMode succeeded
};

DispatchResult dispatch(SessionState& state, std::string_view payload);

}  // namespace remora::rsp
