// Routes for extended mode, launch settings, signal policies, qXfer objects, memory search and
// CRC, and the optional events. Every handler answers the empty reply when the target lacks the
// accessor it needs; advertise_process offers exactly the same set.
#include <array>

#include "rsp/dispatch.hpp"
#include "rsp/handlers/handlers.hpp"
#include "rsp/handlers/process_handlers.hpp"
#include "rsp/route.hpp"

namespace remora::rsp {
namespace {

namespace h = handlers;
namespace p = packets;

// The qXfer objects routed here (the route table is static, so each name gdb knows gets its own
// route; `features` and `memory-map` stay with the core qXfer route in query.cpp).
constexpr char kAuxv[] = "auxv";
constexpr char kExecFile[] = "exec-file";
constexpr char kLibraries[] = "libraries";
constexpr char kLibrariesSvr4[] = "libraries-svr4";
constexpr char kOsdata[] = "osdata";
constexpr char kSiginfo[] = "siginfo";
constexpr char kThreads[] = "threads";
constexpr std::array<std::string_view, 6> kBackendObjects = {kAuxv, kExecFile, kLibraries, kLibrariesSvr4, kOsdata,
                                                             kSiginfo};

template <const char* Name>
Reply xfer(SessionState& s, const p::XferObject& x) {
  return h::xfer_object(s, Name, x);
}

// vAttach;pid has vKill's shape (a required ';' and a hex pid), so it shares the decoder.
constexpr std::array kRoutes = {
    PacketRoute{"vRun", route<p::decode_vrun, h::run_program>, false},
    PacketRoute{"vAttach", route<p::decode_vkill, h::attach_process>, false},
    PacketRoute{"R", route<p::decode_restart, h::restart>, true},
    PacketRoute{"QEnvironmentHexEncoded", route<p::decode_set_environment, h::set_environment>, false},
    PacketRoute{"QEnvironmentUnset", route<p::decode_unset_environment, h::unset_environment>, false},
    PacketRoute{"QEnvironmentReset", route<p::decode_no_args, h::reset_environment>, false},
    PacketRoute{"QSetWorkingDir", route<p::decode_working_dir, h::set_working_dir>, false},
    PacketRoute{"QDisableRandomization", route<p::decode_switch, h::disable_randomization>, false},
    PacketRoute{"QStartupWithShell", route<p::decode_switch, h::startup_with_shell>, false},
    PacketRoute{"QPassSignals", route<p::decode_signal_list, h::pass_signals>, false},
    PacketRoute{"QProgramSignals", route<p::decode_signal_list, h::program_signals>, false},
    PacketRoute{"QCatchSyscalls", route<p::decode_catch_syscalls, h::catch_syscalls>, false},
    PacketRoute{"QThreadEvents", route<p::decode_switch, h::thread_events>, false},
    PacketRoute{"qThreadExtraInfo", route<p::decode_thread_extra_info, h::thread_extra_info>, false},
    PacketRoute{"qSearch:memory", route<p::decode_search_memory, h::search_memory>, false},
    PacketRoute{"qCRC", route<p::decode_crc, h::memory_crc>, false},
    PacketRoute{"qXfer:auxv", route<p::decode_xfer_object, xfer<kAuxv>>, false},
    PacketRoute{"qXfer:exec-file", route<p::decode_xfer_object, xfer<kExecFile>>, false},
    PacketRoute{"qXfer:libraries", route<p::decode_xfer_object, xfer<kLibraries>>, false},
    PacketRoute{"qXfer:libraries-svr4", route<p::decode_xfer_object, xfer<kLibrariesSvr4>>, false},
    PacketRoute{"qXfer:osdata", route<p::decode_xfer_object, xfer<kOsdata>>, false},
    PacketRoute{"qXfer:siginfo", route<p::decode_xfer_object, xfer<kSiginfo>>, false},
    PacketRoute{"qXfer:threads", route<p::decode_xfer_object, xfer<kThreads>>, false},
};

void advertise_xfer_objects(SessionState& s, std::string& features) {
  auto* objects = s.target.xfer_objects();
  if (!objects) return;
  for (const auto& object : objects->objects()) {
    // Only names with a route here; anything else would be offered and then answered empty.
    if (std::find(kBackendObjects.begin(), kBackendObjects.end(), object.name) == kBackendObjects.end()) continue;
    features += ";qXfer:" + object.name + ":read+";
    if (object.writable) features += ";qXfer:" + object.name + ":write+";
  }
}

}  // namespace

std::span<const PacketRoute> process_routes() { return kRoutes; }

void advertise_process(SessionState& s, std::string& features) {
  // The names gdb's remote.c looks for in qSupported (remote_protocol_features), as gdbserver
  // offers them; launch settings only where vRun can use them.
  if (h::launch_enabled(s))
    features += ";QEnvironmentHexEncoded+;QEnvironmentUnset+;QEnvironmentReset+;QSetWorkingDir+"
                ";QStartupWithShell+;QDisableRandomization+";
  if (s.target.signal_control()) features += ";QPassSignals+;QProgramSignals+;QCatchSyscalls+";
  advertise_xfer_objects(s, features);
  features += ";qXfer:threads:read+";  // generated from Target::threads() for every backend
  h::negotiate_events(s, features);
}

}  // namespace remora::rsp
