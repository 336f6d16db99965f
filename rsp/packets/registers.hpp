// Register packets: g, G, p, P (each may carry lldb's `;thread:TID;` suffix).
#pragma once
#include <expected>
#include <optional>
#include <string_view>
#include <vector>

#include "rsp/codec.hpp"
#include "targets/api/types.hpp"

namespace remora::rsp::packets {

struct ReadRegisters {  // g
  std::optional<targets::ThreadId> thread;
};
struct WriteRegisters {  // G hex
  std::vector<std::byte> data;
  std::optional<targets::ThreadId> thread;
};
struct ReadRegister {  // p regnum
  unsigned regnum = 0;
  std::optional<targets::ThreadId> thread;
};
struct WriteRegister {  // P regnum=hex
  unsigned regnum = 0;
  std::vector<std::byte> value;
  std::optional<targets::ThreadId> thread;
};

// Splits off lldb's `;thread:TID;` suffix (QThreadSuffixSupported).
struct ThreadSuffix {
  std::string_view body;
  std::optional<targets::ThreadId> thread;
};
std::expected<ThreadSuffix, DecodeError> split_thread_suffix(std::string_view args);

std::expected<ReadRegisters, DecodeError> decode_read_registers(std::string_view args);
std::expected<WriteRegisters, DecodeError> decode_write_registers(std::string_view args);
std::expected<ReadRegister, DecodeError> decode_read_register(std::string_view args);
std::expected<WriteRegister, DecodeError> decode_write_register(std::string_view args);

}  // namespace remora::rsp::packets
