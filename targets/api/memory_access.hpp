// The memory seam, modelled on dbgeng's IDebugDataSpaces::ReadVirtual/WriteVirtual:
// a transfer may stop short; the first `bytes` moved and `error` says why it stopped.
#pragma once
#include <cstddef>
#include <cstdint>
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

// May a write to a range be held back in a cache (written at the next flush) instead of being
// written at once? Only where nobody else can see the bytes (not MAP_SHARED, SysV/POSIX shm or a
// device) and the write cannot fail later, so the fault boundary a client sees stays exact.
enum class WriteBackPolicy {
  never,        // always write through (shared, device, unknown, unmapped)
  after_proof,  // private: hold back only bytes a write has reached during this stop
  allowed,      // private and known writable during this stop (the backend has proven it)
};
struct WritableHint {
  WriteBackPolicy policy = WriteBackPolicy::never;
  std::size_t length = 0;  // the policy holds for this many bytes from the asked address (> 0)
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

  // What the backend knows about holding writes to [addr, addr+length) back. Asked by the memory
  // cache; valid until the target runs. The default never lets a write be held back.
  virtual WritableHint writable_hint(Addr addr, std::size_t length) {
    (void)addr;
    return {WriteBackPolicy::never, length};
  }

  // Which view of memory addresses currently name (QEMU system mode: the vCPU whose page tables
  // translate, and virtual vs physical mode). A cache above drops everything it holds when the
  // view changes. A backend whose view can change keeps writable_hint() at `never`, so no write
  // is ever pending in a cache across a change.
  virtual std::uint64_t view() const { return 0; }

  // May a layer above read [addr, addr+length) although nobody asked for all of it (cache blocks,
  // read-ahead)? False where reads have side effects (device memory): there only the bytes asked
  // for are read, each time they are asked for.
  virtual bool may_read_ahead(Addr addr, std::size_t length) {
    (void)addr;
    (void)length;
    return true;
  }
};

// What the memory cache did (monitor cache stats, --trace). "Round trips saved" is
// client_reads + client_writes - backend_reads - backend_writes (flush writes included).
struct CacheStats {
  bool enabled = false;
  std::uint64_t hits = 0;            // blocks served from the cache
  std::uint64_t misses = 0;          // blocks fetched from the target
  std::uint64_t client_reads = 0;    // reads asked of the cache
  std::uint64_t client_writes = 0;   // writes asked of the cache (uncached ones included)
  std::uint64_t backend_reads = 0;   // reads the cache made below
  std::uint64_t backend_writes = 0;  // writes the cache made below (flushes included)
  std::uint64_t deferred_writes = 0;  // block pieces held back instead of written through
  std::uint64_t bytes_deferred = 0;
  std::uint64_t bytes_flushed = 0;
  std::uint64_t flushes = 0;          // flushes that wrote something
  std::uint64_t bytes_dropped = 0;    // pending bytes dropped (k, a failed flush's rest)
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
  // Forgets every cached byte, pending writes included (after a flush, or when the process is gone).
  virtual void invalidate() = 0;

  // monitor cache on|off|stats. Turning the cache off flushes first; a failed flush keeps it on.
  virtual FlushResult set_enabled(bool on) = 0;
  virtual bool enabled() const = 0;
  virtual CacheStats stats() const = 0;
};

}  // namespace remora::targets
