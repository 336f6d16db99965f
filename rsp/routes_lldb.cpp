// Routes for lldb's dialect: discovery, thread info, memory regions and allocation, register
// info and register state. Packets whose capability the target lacks answer empty in their
// handler (the accessor is asked there), so what lldb is told matches what works.
#include <array>

#include "rsp/dispatch.hpp"
#include "rsp/handlers/lldb_handlers.hpp"
#include "rsp/route.hpp"

namespace remora::rsp {
namespace {

namespace h = handlers;
namespace p = packets;

constexpr std::array kLldbRoutes = {
    PacketRoute{"qHostInfo", route<p::decode_no_args, h::host_info>, false},
    PacketRoute{"qProcessInfo", route<p::decode_no_args, h::process_info>, false},
    // The register number follows the name directly: qRegisterInfo1a.
    PacketRoute{"qRegisterInfo", route<p::decode_register_info, h::register_info>, true},
    PacketRoute{"qGetWorkingDir", route<p::decode_no_args, h::working_dir>, false},
    PacketRoute{"qWatchpointSupportInfo", route<p::decode_watchpoint_support_info, h::watchpoint_support_info>, false},
    PacketRoute{"jThreadsInfo", route<p::decode_no_args, h::threads_info>, false},
    PacketRoute{"qThreadStopInfo", route<p::decode_thread_stop_info, h::thread_stop_info>, true},
    PacketRoute{"qMemoryRegionInfo", route<p::decode_memory_region_info, h::memory_region_info>, false},
    PacketRoute{"_M", route<p::decode_allocate_memory, h::allocate_memory>, true},
    PacketRoute{"_m", route<p::decode_deallocate_memory, h::deallocate_memory>, true},
    PacketRoute{"QSaveRegisterState", route<p::decode_save_register_state, h::save_register_state>, false},
    PacketRoute{"QRestoreRegisterState", route<p::decode_restore_register_state, h::restore_register_state>, false},
};

}  // namespace

std::span<const PacketRoute> lldb_routes() { return kLldbRoutes; }

// Nothing to add: lldb-16 probes its packets one by one (QThreadSuffixSupported,
// QListThreadsInStopReply, qHostInfo, ... are sent whatever qSupported said) and reads none of
// them from the qSupported reply; its `x` is probed with `x0,0`.
void advertise_lldb(SessionState&, std::string&) {}

}  // namespace remora::rsp
