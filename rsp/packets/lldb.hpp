// lldb's own packets (lldb/docs/lldbgdbremote.md): register info, memory regions, allocation,
// register state snapshots and per-thread stop info.
#pragma once
#include <cstdint>
#include <expected>
#include <optional>
#include <string_view>

#include "rsp/codec.hpp"
#include "targets/api/memory_allocator.hpp"
#include "targets/api/types.hpp"

namespace remora::rsp::packets {

struct RegisterInfoQuery {  // qRegisterInfo<hex regnum>
  unsigned regnum = 0;
};

struct MemoryRegionQuery {  // qMemoryRegionInfo:<hex addr>
  targets::Addr addr = 0;
};

struct AllocateMemory {  // _M<hex size>,<perms from "rwx">
  std::uint64_t size = 0;
  targets::AllocationPermissions permissions;
};

struct DeallocateMemory {  // _m<hex addr>
  targets::Addr addr = 0;
};

struct SaveRegisterState {  // QSaveRegisterState[;thread:TID;]
  std::optional<targets::ThreadId> thread;
};

struct RestoreRegisterState {  // QRestoreRegisterState:<decimal id>[;thread:TID;]
  std::uint32_t id = 0;
  std::optional<targets::ThreadId> thread;
};

struct ThreadStopInfoQuery {  // qThreadStopInfo<thread id>
  targets::ThreadId thread;
};

std::expected<RegisterInfoQuery, DecodeError> decode_register_info(std::string_view args);
std::expected<MemoryRegionQuery, DecodeError> decode_memory_region_info(std::string_view args);
std::expected<AllocateMemory, DecodeError> decode_allocate_memory(std::string_view args);
std::expected<DeallocateMemory, DecodeError> decode_deallocate_memory(std::string_view args);
std::expected<SaveRegisterState, DecodeError> decode_save_register_state(std::string_view args);
std::expected<RestoreRegisterState, DecodeError> decode_restore_register_state(std::string_view args);
std::expected<ThreadStopInfoQuery, DecodeError> decode_thread_stop_info(std::string_view args);
// lldb sends `qWatchpointSupportInfo:`; the bare form is accepted too.
struct WatchpointSupportQuery {};
std::expected<WatchpointSupportQuery, DecodeError> decode_watchpoint_support_info(std::string_view args);

}  // namespace remora::rsp::packets
