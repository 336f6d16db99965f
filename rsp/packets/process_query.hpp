// Signal and syscall policies (QPassSignals, QProgramSignals, QCatchSyscalls), qXfer objects of
// the process (auxv, siginfo, ...), qThreadExtraInfo, qSearch:memory and qCRC.
#pragma once
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rsp/codec.hpp"
#include "targets/api/types.hpp"

namespace remora::rsp::packets {

struct SignalList {  // QPassSignals:sig;sig... / QProgramSignals:... (hex gdb signal numbers)
  std::vector<int> signals;
};

struct CatchSyscalls {  // QCatchSyscalls:0 / QCatchSyscalls:1[;sysno...]
  std::optional<std::vector<int>> syscalls;  // nullopt: catch none; empty: catch every syscall
};

struct XferObject {  // qXfer:NAME:read:annex:offset,length / qXfer:NAME:write:annex:offset:data
  bool write = false;
  std::string annex;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;     // read only
  std::vector<std::byte> data;  // write only (binary, unescaped)
};

struct ThreadExtraInfo {  // qThreadExtraInfo,thread-id
  targets::ThreadId thread;
};

struct SearchMemory {  // qSearch:memory:addr;length;pattern (pattern binary, escaped)
  targets::Addr addr = 0;
  std::uint64_t length = 0;
  std::vector<std::byte> pattern;
};

struct MemoryCrc {  // qCRC:addr,length
  targets::Addr addr = 0;
  std::uint64_t length = 0;
};

std::expected<SignalList, DecodeError> decode_signal_list(std::string_view args);
std::expected<CatchSyscalls, DecodeError> decode_catch_syscalls(std::string_view args);
// args follow "qXfer:NAME" (the route names the object).
std::expected<XferObject, DecodeError> decode_xfer_object(std::string_view args);
std::expected<ThreadExtraInfo, DecodeError> decode_thread_extra_info(std::string_view args);
// args follow "qSearch:memory".
std::expected<SearchMemory, DecodeError> decode_search_memory(std::string_view args);
std::expected<MemoryCrc, DecodeError> decode_crc(std::string_view args);

}  // namespace remora::rsp::packets
