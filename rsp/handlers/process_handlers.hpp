// Handlers of routes_process.cpp. Each answers the empty reply when the target lacks the
// capability it needs, so a packet works exactly where advertise_process offers it.
#pragma once
#include "rsp/packets/control.hpp"
#include "rsp/packets/process.hpp"
#include "rsp/packets/process_query.hpp"
#include "rsp/reply.hpp"
#include "rsp/session_state.hpp"

namespace remora::rsp::handlers {

// process_launch.cpp: extended mode (vRun, vAttach, R) and the launch settings vRun uses.
// Launch settings and vRun/vAttach/R work only in extended mode with a ProcessControl.
bool launch_enabled(SessionState& s);
Reply run_program(SessionState& s, const packets::RunProgram& r);
Reply attach_process(SessionState& s, const packets::ProcessArg& a);
Reply restart(SessionState& s, const packets::Restart&);
Reply set_environment(SessionState& s, const packets::SetEnvironment& e);
Reply unset_environment(SessionState& s, const packets::HexText& e);
Reply reset_environment(SessionState& s, const packets::NoArgs&);
Reply set_working_dir(SessionState& s, const packets::HexText& d);
Reply disable_randomization(SessionState& s, const packets::Switch& v);
Reply startup_with_shell(SessionState& s, const packets::Switch& v);

// process_signals.cpp: signal/syscall policies and the optional events.
Reply pass_signals(SessionState& s, const packets::SignalList& l);
Reply program_signals(SessionState& s, const packets::SignalList& l);
Reply catch_syscalls(SessionState& s, const packets::CatchSyscalls& c);
Reply thread_events(SessionState& s, const packets::Switch& v);
// From the client's qSupported offer and the backend's reportable_events(): tells the backend
// what to report and appends the matching features (fork-events+, ...) to `features`.
void negotiate_events(SessionState& s, std::string& features);

// process_xfer.cpp: qXfer objects of XferObjects, qXfer:threads (every backend), qThreadExtraInfo.
Reply xfer_object(SessionState& s, std::string_view name, const packets::XferObject& x);
Reply thread_extra_info(SessionState& s, const packets::ThreadExtraInfo& t);
// The `<threads>` document of qXfer:threads:read, thread ids in the client's dialect.
std::string threads_xml(SessionState& s);

// process_memory.cpp: qSearch:memory and qCRC over SessionState::memory().
Reply search_memory(SessionState& s, const packets::SearchMemory& q);
Reply memory_crc(SessionState& s, const packets::MemoryCrc& c);
// gdb's CRC-32 (libiberty xcrc32): polynomial 0x04c11db7, MSB first, no reflection, no final xor.
std::uint32_t gdb_crc32(std::span<const std::byte> bytes, std::uint32_t crc);

}  // namespace remora::rsp::handlers
