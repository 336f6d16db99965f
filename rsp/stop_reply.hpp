// Stop replies (T, W, X) in the dialect the client negotiated.
#pragma once
#include <string>

#include "rsp/session_state.hpp"

namespace remora::rsp {

std::string render_stop_reply(SessionState& state, const targets::StopEvent& event);

}  // namespace remora::rsp
