// Breakpoints (Z/z), process control (D, k) and queries that carry arguments.
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

struct Breakpoint {  // Z type,addr,kind / z type,addr,kind
  targets::BreakpointKind kind = targets::BreakpointKind::software;
  targets::Addr addr = 0;
  std::size_t length = 0;  // "kind" on the wire: bytes of the instruction or watched range
};

struct Detach {  // D / D;pid
  std::optional<std::int64_t> pid;
};

struct ProcessArg {  // qAttached[:pid] / vKill;pid
  std::optional<std::int64_t> pid;
};

struct MonitorCommand {  // qRcmd,hex
  std::string command;
};

struct XferRead {  // qXfer:object:read:annex:offset,length
  std::string object;
  std::string annex;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

struct SupportedFeatures {  // qSupported[:feature;feature...]
  std::vector<std::string> features;  // as sent: "multiprocess+", "xmlRegisters=i386", ...
};

std::expected<Breakpoint, DecodeError> decode_breakpoint(std::string_view args);
std::expected<Detach, DecodeError> decode_detach(std::string_view args);
// gdb sends `qAttached:pid` once multiprocess+ is negotiated, and `vKill;pid` (never bare).
std::expected<ProcessArg, DecodeError> decode_attached(std::string_view args);
std::expected<ProcessArg, DecodeError> decode_vkill(std::string_view args);
std::expected<MonitorCommand, DecodeError> decode_monitor(std::string_view args);
std::expected<XferRead, DecodeError> decode_xfer_read(std::string_view args);
std::expected<SupportedFeatures, DecodeError> decode_supported(std::string_view args);
// Packets that take no arguments at all.
struct NoArgs {};
std::expected<NoArgs, DecodeError> decode_no_args(std::string_view args);

}  // namespace remora::rsp::packets
