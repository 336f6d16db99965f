// Non-stop mode's own packets (rsp/routes_non_stop.cpp): QNonStop, vStopped, vCtrlC.
#pragma once
#include <span>
#include <vector>

#include "rsp/handlers/handlers.hpp"
#include "rsp/packets/process.hpp"

namespace remora::rsp::handlers {

Reply set_non_stop(SessionState& s, const packets::Switch& on);
Reply stopped_ack(SessionState& s, const packets::NoArgs&);
Reply ctrl_c(SessionState& s, const packets::NoArgs&);
// `?` in non-stop mode: every stopped thread queued afresh, the first as the reply.
Reply non_stop_status(SessionState& s);
// An all-stop client on a target a non-stop client left running: every thread stops first.
void ensure_all_stop(SessionState& s);
// The actions, with a `stop` (leave alone) first for each thread whose stop is still queued.
std::vector<targets::ResumeAction> without_queued_threads(const SessionState& s,
                                                          std::span<const targets::ResumeAction> actions);

}  // namespace remora::rsp::handlers
