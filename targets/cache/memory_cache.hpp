// The memory cache: a block cache over a MemoryAccess (Session -> cache -> breakpoint shadow ->
// backend; ptrace's int3 shadow sits below, so cached bytes never show remora's int3s and a
// flushed write over a breakpoint lands in the shadow).
//
// Reads fetch whole aligned blocks (consecutive missing blocks in one backend read) and keep the
// exact readable prefix of each, so fault boundaries are the backend's. Writes are written
// through unless the backend vouches for the bytes (WritableHint): `allowed` bytes, and
// `after_proof` bytes that a write already reached during this stop, are held back as dirty
// bytes and written by flush(). Everything is forgotten by invalidate() (every stop and resume).
#pragma once
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "targets/api/memory_access.hpp"

namespace remora::targets::cache {

enum class WriteBackMode {
  off,     // write everything through
  hinted,  // hold back what the backend's WritableHint allows (the default)
  forced,  // tests: treat `never` as `after_proof` (hold back rewrites of proven bytes anywhere)
};

// Where the cache asks about holding writes back; by default the layer below it.
class HintSource {
 public:
  virtual ~HintSource() = default;
  virtual WritableHint hint(Addr addr, std::size_t length) = 0;
  virtual void reset() {}  // the target ran or stopped: what it knew may be stale
};

struct CacheConfig {
  std::size_t block_size = 256;        // a power of two
  std::size_t capacity_blocks = 1024;  // clean blocks beyond this are evicted (LRU)
  std::size_t max_pending_bytes = 1 << 20;  // beyond this, writes go through
  WriteBackMode write_back = WriteBackMode::hinted;
  HintSource* hints = nullptr;         // nullptr: lower.writable_hint()
  bool enabled = true;
};

class MemoryCache final : public WriteBackMemory {
 public:
  explicit MemoryCache(MemoryAccess& lower, CacheConfig config = {});

  Transfer read_virtual(Addr addr, std::span<std::byte> out) override;
  Transfer write_virtual(Addr addr, std::span<const std::byte> data) override;
  Transfer write_virtual_uncached(Addr addr, std::span<const std::byte> data) override;
  WritableHint writable_hint(Addr addr, std::size_t length) override;

  FlushResult flush() override;
  void invalidate() override;
  FlushResult set_enabled(bool on) override;
  bool enabled() const override { return enabled_; }
  CacheStats stats() const override;

  std::size_t pending_bytes() const { return pending_; }
  const CacheConfig& config() const { return config_; }

 private:
  struct Block {
    std::vector<std::byte> data;
    std::vector<std::uint8_t> dirty;   // held-back bytes (valid whether fetched or not)
    std::vector<std::uint8_t> proven;  // bytes a write reached during this stop
    std::size_t valid = 0;             // readable prefix, once fetched
    std::error_code fault;             // why the prefix ends before the block does
    std::size_t dirty_count = 0;
    std::uint64_t last_use = 0;
    bool fetched = false;
  };

  Block& block_at(Addr base);
  Block* find(Addr base);
  Addr base_of(Addr a) const { return a & ~static_cast<Addr>(config_.block_size - 1); }
  // The cache handles no range that wraps past the top of the address space (the last block
  // itself is fine); those go straight to the backend.
  static bool wraps(Addr a, std::size_t n) { return n > 0 && a + (n - 1) < a; }
  std::size_t fetch_run(Addr base, std::size_t blocks);  // how many blocks it brought in
  std::size_t missing_run(Addr base, std::size_t wanted);
  Transfer read_through(Addr addr, std::span<std::byte> out);
  void overlay_dirty(Addr addr, std::span<std::byte> bytes);
  void note_written(Addr addr, std::span<const std::byte> bytes);
  bool deferrable(Addr addr, std::size_t length);
  void defer(Addr addr, std::span<const std::byte> bytes);
  Transfer write_through(Addr addr, std::span<const std::byte> data);
  void evict_if_full();
  void clear_dirty(Addr addr, std::size_t length);
  struct Run {
    Addr addr;
    std::vector<std::byte> bytes;
  };
  std::vector<Run> pending_runs() const;
  WritableHint hint(Addr addr, std::size_t length);
  void sync_view();

  MemoryAccess& lower_;
  CacheConfig config_;
  bool enabled_ = true;
  std::unordered_map<Addr, Block> blocks_;
  std::size_t pending_ = 0;
  std::uint64_t clock_ = 0;
  std::error_code last_error_;  // the failing write-through's error inside write_virtual
  std::uint64_t view_ = 0;      // lower_.view() the cached bytes were read under
  CacheStats stats_;
};

}  // namespace remora::targets::cache
