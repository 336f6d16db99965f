// Handlers for packets forwarded to the stub a backend fronts (Target::passthrough()); each
// answers empty when the target has no such stub.
#pragma once
#include "rsp/handlers/handlers.hpp"
#include "rsp/packets/passthrough.hpp"

namespace remora::rsp::handlers {

Reply passthrough(SessionState& s, const packets::Passthrough& p);
Reply reverse(SessionState& s, const packets::Reverse& r);

}  // namespace remora::rsp::handlers
