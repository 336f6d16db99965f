// Stop replies (T, W, X) in the dialect the client negotiated.
#pragma once
#include <string>
#include <vector>

#include "rsp/session_state.hpp"

namespace remora::rsp {

std::string render_stop_reply(SessionState& state, const targets::StopEvent& event);

// The registers that go with a stop: pc, sp and fp; for lldb every register of the first
// register set (the general-purpose ones), as lldb-server sends them. Unreadable ones are left out.
struct ExpeditedRegister {
  unsigned regnum = 0;
  std::vector<std::byte> value;
};
std::vector<ExpeditedRegister> expedited_registers(SessionState& state, targets::ThreadId thread);

// lldb's `reason:` word for a stop, and its `description:` text ("" when there is none): for a
// watchpoint the decimal address, which lldb looks its watchpoint up by.
const char* lldb_stop_reason(targets::StopReason reason);
std::string lldb_stop_description(const targets::StopEvent& event);

}  // namespace remora::rsp
