// Packet handlers, one file per capability. A handler gets a decoded request and the session
// state and returns a Reply; it never sees packet text or output bytes.
#pragma once
#include "rsp/packets/control.hpp"
#include "rsp/packets/execution.hpp"
#include "rsp/packets/memory.hpp"
#include "rsp/packets/registers.hpp"
#include "rsp/reply.hpp"
#include "rsp/session_state.hpp"

namespace remora::rsp::handlers {

// memory.cpp
Reply read_memory_hex(SessionState& s, const packets::ReadMemory& r);
Reply read_memory_binary(SessionState& s, const packets::ReadMemory& r);
Reply write_memory(SessionState& s, const packets::WriteMemory& w);

// registers.cpp
Reply read_registers(SessionState& s, const packets::ReadRegisters& r);
Reply write_registers(SessionState& s, const packets::WriteRegisters& w);
Reply read_register(SessionState& s, const packets::ReadRegister& r);
Reply write_register(SessionState& s, const packets::WriteRegister& w);

// execution.cpp
Reply resume(SessionState& s, const packets::Resume& r);
Reply vcont(SessionState& s, const packets::VCont& v);
Reply vcont_query(SessionState& s, const packets::NoArgs&);
Reply stop_status(SessionState& s, const packets::NoArgs&);
// Flushes pending writes and starts the target; the single place every resume goes through.
Reply start_running(SessionState& s, std::span<const targets::ResumeAction> actions);

// threads.cpp
Reply set_thread(SessionState& s, const packets::SetThread& h);
Reply thread_alive(SessionState& s, const packets::ThreadAlive& t);
Reply current_thread(SessionState& s, const packets::NoArgs&);
Reply first_thread_info(SessionState& s, const packets::NoArgs&);
Reply subsequent_thread_info(SessionState& s, const packets::NoArgs&);

// breakpoints.cpp
Reply insert_breakpoint(SessionState& s, const packets::Breakpoint& b);
Reply remove_breakpoint(SessionState& s, const packets::Breakpoint& b);

// query.cpp
Reply supported(SessionState& s, const packets::SupportedFeatures& f);
Reply start_no_ack(SessionState& s, const packets::NoArgs&);
Reply attached(SessionState& s, const packets::ProcessArg& a);
Reply xfer_read(SessionState& s, const packets::XferRead& x);
// The piece of a qXfer document at offset,length: `m` while more follows, `l` for the last one.
Reply xfer_slice(std::string_view document, std::uint64_t offset, std::uint64_t length, std::size_t packet_size);
Reply thread_suffix_supported(SessionState& s, const packets::NoArgs&);
Reply list_threads_in_stop_reply(SessionState& s, const packets::NoArgs&);
Reply enable_error_strings(SessionState& s, const packets::NoArgs&);
Reply extended_mode(SessionState& s, const packets::NoArgs&);

// monitor.cpp
Reply monitor(SessionState& s, const packets::MonitorCommand& m);

// process.cpp
Reply detach(SessionState& s, const packets::Detach& d);
Reply kill(SessionState& s, const packets::NoArgs&);
Reply vkill(SessionState& s, const packets::ProcessArg& k);
// Flushes the memory cache; false (and a note) when a pending write could not be written.
bool flush_pending_writes(SessionState& s, std::string* failure_text);

// Shared wording.
std::string hex_address(targets::Addr addr);
Reply error_from(ErrorCode code, std::string_view what, std::error_code ec);

}  // namespace remora::rsp::handlers
