// Handlers for lldb's own packets. Each is gated on the target accessor it needs: without it the
// packet gets the empty reply, as an unknown packet would, and lldb falls back on its own.
#pragma once
#include <string>

#include "rsp/handlers/handlers.hpp"
#include "rsp/packets/lldb.hpp"

namespace remora::rsp::handlers {

// lldb_discovery.cpp
Reply host_info(SessionState& s, const packets::NoArgs&);
Reply process_info(SessionState& s, const packets::NoArgs&);
Reply register_info(SessionState& s, const packets::RegisterInfoQuery& q);
Reply working_dir(SessionState& s, const packets::NoArgs&);
Reply watchpoint_support_info(SessionState& s, const packets::WatchpointSupportQuery&);

// lldb_threads.cpp
Reply threads_info(SessionState& s, const packets::NoArgs&);
Reply thread_stop_info(SessionState& s, const packets::ThreadStopInfoQuery& q);

// lldb_memory.cpp
Reply memory_region_info(SessionState& s, const packets::MemoryRegionQuery& q);
Reply allocate_memory(SessionState& s, const packets::AllocateMemory& a);
Reply deallocate_memory(SessionState& s, const packets::DeallocateMemory& d);

// lldb_registers.cpp
Reply save_register_state(SessionState& s, const packets::SaveRegisterState& r);
Reply restore_register_state(SessionState& s, const packets::RestoreRegisterState& r);

// lldb_target_xml.cpp: one flat target.xml in lldb-server's form (lldb's register sets,
// encodings, DWARF/EH numbers and generic roles as attributes), from the description's table.
std::string lldb_target_xml(const targets::TargetDescription& desc);

// The LLVM triple lldb expects for a description ("x86_64-pc-linux-gnu"), "" when unknown.
struct LldbArch {
  std::string triple;
  unsigned pointer_size = 0;
  bool x86 = false;
};
LldbArch lldb_arch(const targets::TargetDescription& desc);
// lldb's name for a generic register role ("pc", "arg1", ...), nullptr for none.
const char* lldb_generic_name(targets::GenericRole role);

}  // namespace remora::rsp::handlers
