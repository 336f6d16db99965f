// The model-based test of the memory cache (issue 5): random seeded sequences of reads, writes
// (some crossing faults, some over breakpoints), uncached writes, resumes and changes the target
// makes itself, applied to backend+cache and to a plain reference; every reply and the target's
// memory after each resume must agree. A failure prints the seed and the shrunk sequence.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "targets/api/errors.hpp"
#include "targets/cache/memory_cache.hpp"

namespace remora::targets::test::model {

struct Op {
  enum Kind { read, write, write_uncached, resume } kind = read;
  Addr addr = 0;
  std::size_t length = 0;
  std::vector<std::byte> data;         // write, write_uncached
  std::vector<std::pair<Addr, std::vector<std::byte>>> target_changes;  // resume: what the target writes
};

std::string describe(const Op& op);
std::string describe(const std::vector<Op>& ops);

// What one backend offers the harness. Ranges are where ops land.
struct Fixture {
  struct Range {
    Addr start;
    Addr end;
  };
  std::vector<Range> ranges;              // where reads and writes aim (faults inside and around)
  std::vector<Range> target_writable;     // where the target's own changes land
  std::vector<Range> compared;            // compared with the reference after each resume
  std::vector<Addr> breakpoints;          // int3 planted below the cache (raw memory shows 0xcc)
  std::size_t max_read = 1100;            // the longest read / write an op makes
  std::size_t max_write = 700;

  std::function<MemoryAccess&()> lower;       // what the cache wraps
  std::function<MemoryAccess&()> reference;   // the plain reference
  // The target runs: `changes` are written by the target itself (both sides get them), then the
  // fixture may change more on its own (sync_reference copies those into the reference).
  std::function<void(const Op&)> run_target;
  // The cached side's memory straight from the target (no cache, no breakpoint shadow).
  std::function<std::vector<std::byte>(Addr, std::size_t)> inspect;
  // Back to the initial state (before each sequence; shrinking replays from here).
  std::function<void()> reset;
};

struct Options {
  cache::CacheConfig cache;
  std::size_t ops_per_sequence = 60;
  // Asserted over a whole run: some write was held back and was seen missing from the target
  // before the flush that then wrote it. A cache that writes everything through fails this.
  bool expect_write_back = true;
};

// Random ops over the fixture's ranges; writes often aim at bytes written earlier in the same
// stop so that `after_proof` write-back has something to hold back.
std::vector<Op> generate(std::mt19937_64& rng, const Fixture& fx, std::size_t count);

struct RunTotals {
  std::uint64_t sequences = 0;
  std::uint64_t ops = 0;
  std::uint64_t held_back_seen = 0;  // resumes where the target lacked held-back bytes before the flush
  std::uint64_t bytes_flushed = 0;
  CacheStats last_stats;
};

// Runs one sequence from fx.reset(); the text of the first disagreement, or nullopt.
std::optional<std::string> run_sequence(Fixture& fx, const Options& options, const std::vector<Op>& ops,
                                        RunTotals* totals);

// Drops ops while the failure persists (replaying from reset each time).
std::vector<Op> shrink(Fixture& fx, const Options& options, std::vector<Op> ops);

// Runs `sequences` seeded sequences; returns the first failure (seed, shrunk sequence, why) or "".
std::string run_many(Fixture& fx, const Options& options, std::uint64_t first_seed, std::size_t sequences,
                     RunTotals& totals);

// The reference backends' model: known segments of bytes; anything else is unmapped.
struct SegmentMemory : MemoryAccess {
  std::map<Addr, std::vector<std::byte>> segments;
  std::byte* at(Addr a) {
    auto it = segments.upper_bound(a);
    if (it == segments.begin()) return nullptr;
    --it;
    return a - it->first < it->second.size() ? &it->second[a - it->first] : nullptr;
  }
  Transfer read_virtual(Addr addr, std::span<std::byte> out) override {
    for (std::size_t i = 0; i < out.size(); ++i) {
      auto* p = at(addr + i);
      if (!p) return {i, make_error_code(errc::unmapped)};
      out[i] = *p;
    }
    return {out.size(), {}};
  }
  Transfer write_virtual(Addr addr, std::span<const std::byte> data) override {
    for (std::size_t i = 0; i < data.size(); ++i) {
      auto* p = at(addr + i);
      if (!p) return {i, make_error_code(errc::unmapped)};
      *p = data[i];
    }
    return {data.size(), {}};
  }
};

}  // namespace remora::targets::test::model
