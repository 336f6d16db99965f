#include "targets/cache/memory_cache.hpp"

#include <algorithm>
#include <cstring>

#include "targets/api/errors.hpp"

namespace remora::targets::cache {

MemoryCache::MemoryCache(MemoryAccess& lower, CacheConfig config)
    : lower_(lower), config_(config), enabled_(config.enabled) {
  // A block size that is not a power of two would break base_of(); fall back to the default.
  if (config_.block_size == 0 || (config_.block_size & (config_.block_size - 1)) != 0)
    config_.block_size = CacheConfig{}.block_size;
  config_.capacity_blocks = std::max<std::size_t>(config_.capacity_blocks, 4);
}

MemoryCache::Block* MemoryCache::find(Addr base) {
  auto it = blocks_.find(base);
  return it == blocks_.end() ? nullptr : &it->second;
}

// Element references stay valid across inserts (unordered_map never moves its nodes); eviction
// happens only at the start of a public call, never while a caller holds a Block&.
MemoryCache::Block& MemoryCache::block_at(Addr base) {
  auto [it, inserted] = blocks_.try_emplace(base);
  Block& b = it->second;
  if (inserted) {
    b.data.assign(config_.block_size, std::byte{0});
    b.dirty.assign(config_.block_size, 0);
    b.proven.assign(config_.block_size, 0);
  }
  b.last_use = ++clock_;
  return b;
}

void MemoryCache::evict_if_full() {
  if (blocks_.size() < config_.capacity_blocks) return;
  std::vector<std::pair<std::uint64_t, Addr>> clean;
  for (const auto& [base, b] : blocks_)
    if (b.dirty_count == 0) clean.emplace_back(b.last_use, base);
  std::sort(clean.begin(), clean.end());
  // Evict down to three quarters so eviction is amortised over many misses.
  const std::size_t target = config_.capacity_blocks * 3 / 4;
  for (const auto& entry : clean) {
    if (blocks_.size() <= target) break;
    blocks_.erase(entry.second);
  }
}

WritableHint MemoryCache::hint(Addr addr, std::size_t length) {
  return config_.hints ? config_.hints->hint(addr, length) : lower_.writable_hint(addr, length);
}

WritableHint MemoryCache::writable_hint(Addr addr, std::size_t length) { return lower_.writable_hint(addr, length); }

// How many blocks from `base` on are not cached yet, up to what the read still needs.
std::size_t MemoryCache::missing_run(Addr base, std::size_t wanted) {
  const std::size_t bs = config_.block_size;
  const std::size_t limit = std::max<std::size_t>(1, config_.capacity_blocks / 2);
  std::size_t n = 0;
  for (Addr b = base; n < limit && n * bs < wanted; b += bs) {
    if (n > 0 && b == 0) break;  // wrapped past the top
    const Block* blk = find(b);
    if (blk && blk->fetched) break;
    ++n;
  }
  return std::max<std::size_t>(n, 1);
}

// One backend read for a run of blocks. The backend returns the exact readable prefix from
// `base`, so every block before the stop is whole, the block holding the stop knows its exact
// readable prefix, and blocks after it are left unknown (they may be readable again).
std::size_t MemoryCache::fetch_run(Addr base, std::size_t count) {
  const std::size_t bs = config_.block_size;
  std::vector<std::byte> buffer(count * bs);
  auto t = lower_.read_virtual(base, buffer);
  stats_.backend_reads++;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t avail = t.bytes > i * bs ? std::min(bs, t.bytes - i * bs) : 0;
    if (i > 0 && avail == 0) break;
    Block& b = block_at(base + i * bs);
    b.fetched = true;
    b.valid = avail;
    b.fault = avail < bs ? t.error : std::error_code{};
    for (std::size_t j = 0; j < avail; ++j)
      if (!b.dirty[j]) b.data[j] = buffer[i * bs + j];
    stats_.misses++;
    if (avail < bs) return i + 1;
  }
  return count;
}

Transfer MemoryCache::read_through(Addr addr, std::span<std::byte> out) {
  auto t = lower_.read_virtual(addr, out);
  stats_.backend_reads++;
  overlay_dirty(addr, out.first(std::min(t.bytes, out.size())));
  return t;
}

void MemoryCache::overlay_dirty(Addr addr, std::span<std::byte> bytes) {
  if (pending_ == 0 || bytes.empty()) return;
  for (std::size_t k = 0; k < bytes.size();) {
    const Addr a = addr + k;
    const std::size_t off = a - base_of(a);
    const std::size_t n = std::min(config_.block_size - off, bytes.size() - k);
    if (const Block* b = find(base_of(a)); b && b->dirty_count > 0)
      for (std::size_t j = 0; j < n; ++j)
        if (b->dirty[off + j]) bytes[k + j] = b->data[off + j];
    k += n;
  }
}

// QEMU system mode: addresses mean something else through another vCPU or in physical mode, so
// nothing cached under the old view may be served. Such a backend never lets writes be held
// back (MemoryAccess::view), so invalidate() drops no pending byte here.
void MemoryCache::sync_view() {
  const std::uint64_t v = lower_.view();
  if (v == view_) return;
  view_ = v;
  invalidate();
}

Transfer MemoryCache::read_virtual(Addr addr, std::span<std::byte> out) {
  if (!enabled_ || out.empty()) return lower_.read_virtual(addr, out);
  stats_.client_reads++;
  sync_view();
  if (wraps(addr, out.size())) return read_through(addr, out);
  // Where reads have side effects (device memory) only the bytes asked are read, never cached.
  const Addr first = base_of(addr);
  const Addr last = base_of(addr + (out.size() - 1));
  if (!lower_.may_read_ahead(first, static_cast<std::size_t>(last - first) + config_.block_size))
    return read_through(addr, out);
  // A read of a quarter of the cache or more (gdb's dump: 128 KiB at a time) would only evict
  // what smaller reads will ask again, and costs a block copy per 256 bytes (7 ms per MiB, perf):
  // it goes below, with the held-back bytes laid over it.
  if (out.size() >= config_.capacity_blocks * config_.block_size / 4) return read_through(addr, out);
  evict_if_full();
  const std::size_t bs = config_.block_size;
  std::size_t done = 0;
  std::size_t prefetched = 0;  // blocks the last fetch_run brought in for this read (misses, not hits)
  while (done < out.size()) {
    const Addr a = addr + done;
    const Addr base = base_of(a);
    const std::size_t off = a - base;
    Block* b = find(base);
    if (b && b->fetched) {
      if (prefetched > 0) {
        --prefetched;
      } else {
        stats_.hits++;
      }
      b->last_use = ++clock_;
    } else {
      prefetched = fetch_run(base, missing_run(base, off + out.size() - done)) - 1;
      b = find(base);
    }
    if (off >= b->valid) {
      // Unreadable from here as seen from the block's start. When the read began here, the
      // bytes asked for may still be readable (a region starting mid-block): ask exactly them.
      if (done > 0) return {done, b->fault};
      return read_through(a, out);
    }
    const std::size_t n = std::min(b->valid - off, out.size() - done);
    std::memcpy(out.data() + done, b->data.data() + off, n);
    done += n;
    if (done < out.size() && off + n < bs) return {done, b->fault};
  }
  return {done, {}};
}

// A write reached the target: cached copies take the bytes, any held-back bytes under them are
// superseded, and the bytes are proven writable for the rest of this stop.
void MemoryCache::note_written(Addr addr, std::span<const std::byte> bytes) {
  for (std::size_t k = 0; k < bytes.size();) {
    const Addr a = addr + k;
    const std::size_t off = a - base_of(a);
    const std::size_t n = std::min(config_.block_size - off, bytes.size() - k);
    Block* b = find(base_of(a));
    if (!b && config_.write_back != WriteBackMode::off) b = &block_at(base_of(a));
    if (b) {
      for (std::size_t j = 0; j < n; ++j) {
        b->data[off + j] = bytes[k + j];
        b->proven[off + j] = 1;
        if (b->dirty[off + j]) {
          b->dirty[off + j] = 0;
          b->dirty_count--;
          pending_--;
        }
      }
    }
    k += n;
  }
}

// `length` bytes from `addr`, inside one block: may all of them be held back?
bool MemoryCache::deferrable(Addr addr, std::size_t length) {
  if (config_.write_back == WriteBackMode::off) return false;
  if (pending_ + length > config_.max_pending_bytes) return false;
  const Block* b = find(base_of(addr));
  const std::size_t off = addr - base_of(addr);
  for (std::size_t k = 0; k < length;) {
    auto h = hint(addr + k, length - k);
    if (h.length == 0) return false;
    const std::size_t n = std::min(h.length, length - k);
    auto policy = h.policy;
    if (policy == WriteBackPolicy::never && config_.write_back == WriteBackMode::forced)
      policy = WriteBackPolicy::after_proof;
    if (policy == WriteBackPolicy::never) return false;
    if (policy == WriteBackPolicy::after_proof) {
      if (!b) return false;
      for (std::size_t j = 0; j < n; ++j)
        if (!b->proven[off + k + j]) return false;
    }
    k += n;
  }
  return true;
}

void MemoryCache::defer(Addr addr, std::span<const std::byte> bytes) {
  Block& b = block_at(base_of(addr));
  const std::size_t off = addr - base_of(addr);
  for (std::size_t j = 0; j < bytes.size(); ++j) {
    b.data[off + j] = bytes[j];
    if (!b.dirty[off + j]) {
      b.dirty[off + j] = 1;
      b.dirty_count++;
      pending_++;
    }
  }
  stats_.deferred_writes++;
  stats_.bytes_deferred += bytes.size();
}

Transfer MemoryCache::write_through(Addr addr, std::span<const std::byte> data) {
  auto t = lower_.write_virtual(addr, data);
  stats_.backend_writes++;
  note_written(addr, data.first(std::min(t.bytes, data.size())));
  return t;
}

// Block by block in address order: a piece is held back only when all of it may be; runs of
// pieces that may not are written through in one backend call, so its fault boundary is the
// reply's, and every byte held back lies before any boundary.
Transfer MemoryCache::write_virtual(Addr addr, std::span<const std::byte> data) {
  if (!enabled_ || data.empty()) return lower_.write_virtual(addr, data);
  stats_.client_writes++;
  sync_view();
  if (wraps(addr, data.size())) return write_through(addr, data);
  evict_if_full();
  std::size_t done = 0;
  std::size_t run = 0;  // bytes after `done` waiting to be written through
  auto flush_run = [&]() -> bool {
    if (run == 0) return true;
    auto t = write_through(addr + done, data.subspan(done, run));
    done += std::min(t.bytes, run);
    const bool whole = t.bytes >= run;
    run = 0;
    if (!whole) last_error_ = t.error ? t.error : make_error_code(errc::unmapped);
    return whole;
  };
  while (done + run < data.size()) {
    const Addr a = addr + done + run;
    const std::size_t piece = std::min(config_.block_size - (a - base_of(a)), data.size() - done - run);
    if (!deferrable(a, piece)) {
      run += piece;
      continue;
    }
    if (!flush_run()) return {done, last_error_};
    defer(a, data.subspan(done, piece));
    done += piece;
  }
  if (!flush_run()) return {done, last_error_};
  return {done, {}};
}

Transfer MemoryCache::write_virtual_uncached(Addr addr, std::span<const std::byte> data) {
  if (!enabled_) return lower_.write_virtual_uncached(addr, data);
  stats_.client_writes++;
  sync_view();
  auto t = lower_.write_virtual_uncached(addr, data);
  stats_.backend_writes++;
  note_written(addr, data.first(std::min(t.bytes, data.size())));
  return t;
}

void MemoryCache::clear_dirty(Addr addr, std::size_t length) {
  for (std::size_t k = 0; k < length;) {
    const Addr a = addr + k;
    const std::size_t off = a - base_of(a);
    const std::size_t n = std::min(config_.block_size - off, length - k);
    if (Block* b = find(base_of(a)))
      for (std::size_t j = 0; j < n; ++j)
        if (b->dirty[off + j]) {
          b->dirty[off + j] = 0;
          b->dirty_count--;
          pending_--;
        }
    k += n;
  }
}

// Held-back bytes as address-ordered runs, adjacent blocks merged, so a flush makes as few
// backend writes as it can.
std::vector<MemoryCache::Run> MemoryCache::pending_runs() const {
  std::vector<Addr> bases;
  for (const auto& [base, b] : blocks_)
    if (b.dirty_count > 0) bases.push_back(base);
  std::sort(bases.begin(), bases.end());
  std::vector<Run> runs;
  for (Addr base : bases) {
    const Block& b = blocks_.at(base);
    for (std::size_t j = 0; j < config_.block_size; ++j) {
      if (!b.dirty[j]) continue;
      const Addr a = base + j;
      if (runs.empty() || runs.back().addr + runs.back().bytes.size() != a) runs.push_back(Run{a, {}});
      runs.back().bytes.push_back(b.data[j]);
    }
  }
  return runs;
}

WriteBackMemory::FlushResult MemoryCache::flush() {
  if (pending_ == 0) return {};
  stats_.flushes++;
  for (const auto& run : pending_runs()) {
    auto t = lower_.write_virtual(run.addr, run.bytes);
    stats_.backend_writes++;
    const std::size_t written = std::min(t.bytes, run.bytes.size());
    stats_.bytes_flushed += written;
    clear_dirty(run.addr, written);
    if (written < run.bytes.size()) {
      // The rest of this run cannot be written: it is dropped (the failure was reported and
      // the resume refused), so that the next resume is not refused forever. Later runs stay.
      clear_dirty(run.addr + written, run.bytes.size() - written);
      stats_.bytes_dropped += run.bytes.size() - written;
      return {t.error ? t.error : make_error_code(errc::unmapped), run.addr + written};
    }
  }
  return {};
}

void MemoryCache::invalidate() {
  stats_.bytes_dropped += pending_;
  pending_ = 0;
  blocks_.clear();
  if (config_.hints) config_.hints->reset();
}

WriteBackMemory::FlushResult MemoryCache::set_enabled(bool on) {
  if (on == enabled_) return {};
  if (!on) {
    if (auto result = flush(); result.error) return result;
  }
  invalidate();
  enabled_ = on;
  return {};
}

CacheStats MemoryCache::stats() const {
  CacheStats s = stats_;
  s.enabled = enabled_;
  return s;
}

}  // namespace remora::targets::cache
