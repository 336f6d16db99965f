// Non-stop mode's own packets (rsp/routes_non_stop.cpp): QNonStop, vStopped, vCtrlC.
#pragma once
#include "rsp/handlers/handlers.hpp"
#include "rsp/packets/process.hpp"

namespace remora::rsp::handlers {

Reply set_non_stop(SessionState& s, const packets::Switch& on);
Reply stopped_ack(SessionState& s, const packets::NoArgs&);
Reply ctrl_c(SessionState& s, const packets::NoArgs&);
// `?` in non-stop mode: every stopped thread queued afresh, the first as the reply.
Reply non_stop_status(SessionState& s);

}  // namespace remora::rsp::handlers
