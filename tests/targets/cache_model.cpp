// The harness of the cache's model-based test (cache_model.hpp); the fixtures and test cases
// live in cache_model_emulated.cpp and cache_ptrace.cpp.
#include "tests/targets/cache_model.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace remora::targets::test::model {
namespace {

std::string hex(Addr a) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(a));
  return buf;
}

std::string hex_bytes(const std::vector<std::byte>& data, std::size_t limit = 16) {
  std::string out;
  for (std::size_t i = 0; i < data.size() && i < limit; ++i) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned>(data[i]));
    out += buf;
  }
  if (data.size() > limit) out += "...";
  return out;
}

std::vector<std::byte> random_bytes(std::mt19937_64& rng, std::size_t n) {
  std::vector<std::byte> out(n);
  for (auto& b : out) b = static_cast<std::byte>(rng() & 0xff);
  return out;
}

Addr random_in(std::mt19937_64& rng, const std::vector<Fixture::Range>& ranges) {
  const auto& r = ranges[rng() % ranges.size()];
  return r.start + rng() % (r.end - r.start);
}

// The target's memory as the reference says it should be: the reference's bytes, with the
// int3s planted below the cache.
std::vector<std::byte> expected_raw(Fixture& fx, Addr start, std::vector<std::byte> bytes) {
  for (Addr bp : fx.breakpoints)
    if (bp >= start && bp - start < bytes.size()) bytes[bp - start] = std::byte{0xcc};
  return bytes;
}

std::vector<std::byte> reference_bytes(Fixture& fx, const Fixture::Range& r) {
  std::vector<std::byte> bytes(r.end - r.start);
  auto t = fx.reference().read_virtual(r.start, bytes);
  bytes.resize(t.bytes);
  return expected_raw(fx, r.start, std::move(bytes));
}

// The first disagreement between the target's memory and the reference, or "".
std::string compare_memory(Fixture& fx) {
  for (const auto& r : fx.compared) {
    auto want = reference_bytes(fx, r);
    auto got = fx.inspect(r.start, r.end - r.start);
    if (got.size() != want.size())
      return "target memory at " + hex(r.start) + " is readable for " + std::to_string(got.size()) +
             " bytes, the reference for " + std::to_string(want.size());
    for (std::size_t i = 0; i < got.size(); ++i)
      if (got[i] != want[i])
        return "target memory at " + hex(r.start + i) + " holds " + hex_bytes({got[i]}) + ", the reference " +
               hex_bytes({want[i]});
  }
  return {};
}

std::string apply(Fixture& fx, cache::MemoryCache& cache, const Op& op, RunTotals* totals) {
  switch (op.kind) {
    case Op::read: {
      std::vector<std::byte> got(op.length), want(op.length);
      auto t = cache.read_virtual(op.addr, got);
      auto r = fx.reference().read_virtual(op.addr, want);
      if (t.bytes != r.bytes)
        return "read returned " + std::to_string(t.bytes) + " bytes, the reference " + std::to_string(r.bytes);
      for (std::size_t i = 0; i < t.bytes; ++i)
        if (got[i] != want[i])
          return "read byte at " + hex(op.addr + i) + " is " + hex_bytes({got[i]}) + ", the reference " +
                 hex_bytes({want[i]});
      return {};
    }
    case Op::write:
    case Op::write_uncached: {
      auto t = op.kind == Op::write ? cache.write_virtual(op.addr, op.data) : cache.write_virtual_uncached(op.addr, op.data);
      auto r = fx.reference().write_virtual(op.addr, op.data);
      if (t.bytes != r.bytes)
        return "write took " + std::to_string(t.bytes) + " bytes, the reference " + std::to_string(r.bytes);
      if (op.kind == Op::write_uncached) {
        // Uncached means in the target now, not at the next flush.
        // (Compared over the readable prefix: a write may land in bytes that cannot be read.)
        auto raw = fx.inspect(op.addr, t.bytes);
        auto want = expected_raw(fx, op.addr, {op.data.begin(), op.data.begin() + static_cast<std::ptrdiff_t>(raw.size())});
        if (raw != want) return "an uncached write is not in the target at once";
      }
      return {};
    }
    case Op::resume: {
      const std::size_t pending = cache.pending_bytes();
      if (pending > 0 && !compare_memory(fx).empty() && totals) totals->held_back_seen++;
      const auto before = cache.stats().bytes_flushed;
      auto flushed = cache.flush();
      if (flushed.error) return "flush failed at " + hex(flushed.failed_at) + ": " + flushed.error.message();
      if (cache.stats().bytes_flushed - before != pending)
        return "flush wrote " + std::to_string(cache.stats().bytes_flushed - before) + " of " +
               std::to_string(pending) + " pending bytes";
      if (totals) totals->bytes_flushed += pending;
      if (auto why = compare_memory(fx); !why.empty()) return "after the flush, " + why;
      fx.run_target(op);
      cache.invalidate();
      if (auto why = compare_memory(fx); !why.empty()) return "after the target ran, " + why;
      return {};
    }
  }
  return {};
}

}  // namespace

std::string describe(const Op& op) {
  switch (op.kind) {
    case Op::read: return "read " + hex(op.addr) + " len " + std::to_string(op.length);
    case Op::write:
    case Op::write_uncached:
      return std::string(op.kind == Op::write ? "write " : "write-uncached ") + hex(op.addr) + " len " +
             std::to_string(op.data.size()) + " [" + hex_bytes(op.data) + "]";
    case Op::resume: {
      std::string out = "resume";
      for (const auto& [addr, data] : op.target_changes) out += " (target writes " + hex(addr) + " [" + hex_bytes(data) + "])";
      return out;
    }
  }
  return "?";
}

std::string describe(const std::vector<Op>& ops) {
  std::string out;
  for (std::size_t i = 0; i < ops.size(); ++i) out += "  " + std::to_string(i) + ": " + describe(ops[i]) + "\n";
  return out;
}

std::vector<Op> generate(std::mt19937_64& rng, const Fixture& fx, std::size_t count) {
  std::vector<Op> ops;
  std::vector<std::pair<Addr, std::size_t>> recent;  // writes in this stop
  auto place = [&](Op& op, std::size_t max_len) {
    const auto pick = rng() % 100;
    if (!recent.empty() && pick < 45) {
      auto [a, n] = recent[rng() % recent.size()];
      const std::size_t skip = rng() % n;
      op.addr = a + skip;
      op.length = 1 + rng() % (n - skip);
    } else if (!fx.breakpoints.empty() && pick < 55) {
      op.addr = fx.breakpoints[rng() % fx.breakpoints.size()] - rng() % 8;
      op.length = 1 + rng() % 16;
    } else {
      op.addr = random_in(rng, fx.ranges);
      op.length = 1 + rng() % (rng() % 4 == 0 ? max_len : 24);
    }
  };
  while (ops.size() < count) {
    Op op;
    const auto pick = rng() % 100;
    if (pick < 10) {
      op.kind = Op::resume;
      for (auto n = rng() % 3; n > 0 && !fx.target_writable.empty(); --n) {
        const Addr a = random_in(rng, fx.target_writable);
        const auto& r = *std::find_if(fx.target_writable.begin(), fx.target_writable.end(),
                                      [&](const Fixture::Range& x) { return a >= x.start && a < x.end; });
        op.target_changes.emplace_back(a, random_bytes(rng, 1 + rng() % std::min<Addr>(16, r.end - a)));
      }
      recent.clear();
    } else if (pick < 45) {
      op.kind = Op::read;
      place(op, fx.max_read);
    } else {
      op.kind = pick < 88 ? Op::write : Op::write_uncached;
      place(op, fx.max_write);
      op.data = random_bytes(rng, op.length);
      recent.emplace_back(op.addr, op.length);
    }
    ops.push_back(std::move(op));
  }
  Op last;
  last.kind = Op::resume;  // every sequence ends with a flush and a check of the target's memory
  ops.push_back(last);
  return ops;
}

std::optional<std::string> run_sequence(Fixture& fx, const Options& options, const std::vector<Op>& ops,
                                        RunTotals* totals) {
  fx.reset();
  cache::MemoryCache cache(fx.lower(), options.cache);
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (auto why = apply(fx, cache, ops[i], totals); !why.empty())
      return "op " + std::to_string(i) + " (" + describe(ops[i]) + "): " + why;
    if (totals) totals->ops++;
  }
  if (totals) {
    totals->sequences++;
    totals->last_stats = cache.stats();
  }
  return std::nullopt;
}

std::vector<Op> shrink(Fixture& fx, const Options& options, std::vector<Op> ops) {
  for (int pass = 0; pass < 4; ++pass) {
    bool changed = false;
    for (std::size_t i = ops.size(); i-- > 0;) {
      auto candidate = ops;
      candidate.erase(candidate.begin() + static_cast<std::ptrdiff_t>(i));
      if (run_sequence(fx, options, candidate, nullptr)) {
        ops = std::move(candidate);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return ops;
}

std::string run_many(Fixture& fx, const Options& options, std::uint64_t first_seed, std::size_t sequences,
                     RunTotals& totals) {
  for (std::uint64_t seed = first_seed; seed < first_seed + sequences; ++seed) {
    std::mt19937_64 rng(seed);
    auto ops = generate(rng, fx, options.ops_per_sequence);
    auto why = run_sequence(fx, options, ops, &totals);
    if (!why) continue;
    auto shrunk = shrink(fx, options, ops);
    auto shrunk_why = run_sequence(fx, options, shrunk, nullptr);
    return "seed " + std::to_string(seed) + ": " + *why + "\nshrunk to " + std::to_string(shrunk.size()) +
           " ops (" + shrunk_why.value_or("no longer fails") + "):\n" + describe(shrunk);
  }
  if (options.expect_write_back && (totals.held_back_seen == 0 || totals.bytes_flushed == 0))
    return "no write was held back and then flushed in " + std::to_string(sequences) +
           " sequences (held-back writes seen missing before a flush: " + std::to_string(totals.held_back_seen) +
           ", bytes flushed: " + std::to_string(totals.bytes_flushed) + ")";
  return {};
}

}  // namespace remora::targets::test::model
