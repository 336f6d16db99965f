// Routes for vFile: host file access, confined.
#include "rsp/dispatch.hpp"

namespace remora::rsp {

std::span<const PacketRoute> host_io_routes() { return {}; }

void advertise_host_io(SessionState&, std::string&) {}

}  // namespace remora::rsp
