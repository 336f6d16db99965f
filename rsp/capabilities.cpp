// The capabilities beyond the core packets. Each lives in its own routes_*.cpp with its handlers.
#include <array>

#include "rsp/dispatch.hpp"

namespace remora::rsp {

// routes_process.cpp: extended mode, launch settings, signals, qXfer objects, search, CRC.
std::span<const PacketRoute> process_routes();
void advertise_process(SessionState& state, std::string& features);
// routes_lldb.cpp: lldb's discovery, thread and memory-region packets.
std::span<const PacketRoute> lldb_routes();
void advertise_lldb(SessionState& state, std::string& features);
// routes_host_io.cpp: vFile.
std::span<const PacketRoute> host_io_routes();
void advertise_host_io(SessionState& state, std::string& features);
// routes_passthrough.cpp: packets forwarded to the stub a backend fronts (QEMU's qqemu.*, bs/bc).
std::span<const PacketRoute> passthrough_routes();
void advertise_passthrough(SessionState& state, std::string& features);

// routes_non_stop.cpp: QNonStop, vStopped, vCtrlC.
std::span<const PacketRoute> non_stop_routes();
void advertise_non_stop(SessionState& state, std::string& features);

std::span<const Capability> capabilities() {
  static constexpr std::array list = {
      Capability{process_routes, advertise_process},
      Capability{lldb_routes, advertise_lldb},
      Capability{host_io_routes, advertise_host_io},
      Capability{passthrough_routes, advertise_passthrough},
      Capability{non_stop_routes, advertise_non_stop},
  };
  return list;
}

}  // namespace remora::rsp
