// Routes for extended mode, launch settings, signal policies, qXfer objects, memory search and CRC.
#include "rsp/dispatch.hpp"

namespace remora::rsp {

std::span<const PacketRoute> process_routes() { return {}; }

void advertise_process(SessionState&, std::string&) {}

}  // namespace remora::rsp
