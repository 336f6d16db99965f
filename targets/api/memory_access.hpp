// The memory seam, modelled on dbgeng's IDebugDataSpaces::ReadVirtual/WriteVirtual:
// a transfer may stop short; the first `bytes` moved and `error` says why it stopped.
#pragma once
#include <cstddef>
#include <span>
#include <system_error>

#include "targets/api/types.hpp"

namespace remora::targets {

struct Transfer {
  std::size_t bytes = 0;  // the first `bytes` bytes were moved
  std::error_code error;  // why the transfer stopped short (may be empty even when short)

  // The contract is decided by the count, never by `error` alone: a backend that stops short
  // without setting an error still produced a partial transfer.
  bool complete(std::size_t requested) const { return bytes >= requested; }
};

class MemoryAccess {
 public:
  virtual ~MemoryAccess() = default;

  // Reads as much of [addr, addr+out.size()) as is readable, from the start.
  virtual Transfer read_virtual(Addr addr, std::span<std::byte> out) = 0;

  // Writes a prefix of `data`; bytes before the first fault are written and stay written.
  // May land in a cache: the write is guaranteed to reach the target before it runs again.
  virtual Transfer write_virtual(Addr addr, std::span<const std::byte> data) = 0;

  // Like write_virtual, but reaches the target before returning.
  virtual Transfer write_virtual_uncached(Addr addr, std::span<const std::byte> data) {
    return write_virtual(addr, data);
  }
};

// A memory layer that may hold writes back (the memory cache). The session flushes it before
// the target runs and invalidates it when the target has run.
class WriteBackMemory : public MemoryAccess {
 public:
  // Writes every pending byte to the layer below. On failure nothing may run: the returned
  // transfer names how far the failing range got (`failed_at` is its first unwritten address).
  struct FlushResult {
    std::error_code error;
    Addr failed_at = 0;
  };
  virtual FlushResult flush() = 0;
  virtual void invalidate() = 0;
};

}  // namespace remora::targets
