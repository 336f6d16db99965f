// Routes for lldb's dialect: discovery, thread info, memory regions, register info.
#include "rsp/dispatch.hpp"

namespace remora::rsp {

std::span<const PacketRoute> lldb_routes() { return {}; }

void advertise_lldb(SessionState&, std::string&) {}

}  // namespace remora::rsp
