// Memory packets: m, M, X, x.
#pragma once
#include <cstddef>
#include <expected>
#include <string_view>
#include <vector>

#include "rsp/codec.hpp"
#include "targets/api/types.hpp"

namespace remora::rsp::packets {

struct ReadMemory {  // `m addr,length` (hex reply) and `x addr,length` (binary reply)
  targets::Addr addr = 0;
  std::size_t length = 0;
};

struct WriteMemory {  // `M addr,length:hex` and `X addr,length:binary`
  targets::Addr addr = 0;
  // Checked, exactly `length` bytes, still encoded: write_memory decodes it into the session's
  // reused buffer (a view into the packet, valid while the handler runs).
  EncodedBytes data;
};

std::expected<ReadMemory, DecodeError> decode_read_memory(std::string_view args);
std::expected<WriteMemory, DecodeError> decode_write_memory_hex(std::string_view args);
std::expected<WriteMemory, DecodeError> decode_write_memory_binary(std::string_view args);

}  // namespace remora::rsp::packets
