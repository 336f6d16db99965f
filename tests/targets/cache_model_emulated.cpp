// The cache's model-based test on the emulated backend: regions with read-only, unmapped, and
// mid-block read and write faults; the reference is a second emulated target with the same layout.
#include <doctest/doctest.h>

#include "tests/targets/cache_model.hpp"
#include "tests/targets/emulated_test_support.hpp"

namespace remora::targets::test {
namespace {

using model::Fixture;

emulated::EmulatedOptions layout() {
  emulated::EmulatedOptions o;
  o.regions.push_back({0x10000, 0x2000, true, true, false, "data"});
  o.regions.push_back({0x12000, 0x400, true, false, false, "rodata"});
  o.regions.push_back({0x13000, 0x800, true, true, false, "holes"});
  o.faults.push_back({emulated::FaultKind::write, 0x13410, 0x30});
  o.faults.push_back({emulated::FaultKind::read, 0x13700, 0x20});
  return o;
}

struct EmulatedWorld {
  PostQueue loop;
  std::unique_ptr<Target> cached_side;
  std::unique_ptr<Target> reference_side;
  Fixture fx;

  EmulatedWorld() {
    fx.ranges = {{0xff00, 0x10400}, {0x11e00, 0x12500}, {0x12f80, 0x13840}};
    fx.target_writable = {{0x10000, 0x12000}, {0x13000, 0x13400}};
    fx.compared = {{0x10000, 0x10500}, {0x11e00, 0x12400}, {0x13000, 0x13700}, {0x13720, 0x13800}};
    fx.lower = [this]() -> MemoryAccess& { return cached_side->memory(); };
    fx.reference = [this]() -> MemoryAccess& { return reference_side->memory(); };
    fx.run_target = [this](const model::Op& op) {
      // The emulated CPU never writes memory: the target's own stores are made here, below the
      // cache, as a running target would make them.
      for (const auto& [addr, data] : op.target_changes) {
        REQUIRE(cached_side->memory().write_virtual(addr, data).bytes == data.size());
        REQUIRE(reference_side->memory().write_virtual(addr, data).bytes == data.size());
      }
    };
    fx.inspect = [this](Addr addr, std::size_t n) {
      std::vector<std::byte> out(n);
      out.resize(cached_side->memory().read_virtual(addr, out).bytes);
      return out;
    };
    fx.reset = [this] {
      cached_side = make_target(loop, layout());
      reference_side = make_target(loop, layout());
      REQUIRE(cached_side);
      REQUIRE(reference_side);
    };
    fx.reset();
  }
};

// Vouches for the bytes the layout makes writable (and only those), as a backend would.
struct ExactHint : cache::HintSource {
  WritableHint hint(Addr addr, std::size_t length) override {
    struct Span {
      Addr start, end;
      WriteBackPolicy policy;
    };
    static constexpr Span spans[] = {{0x10000, 0x12000, WriteBackPolicy::allowed},
                                     {0x13000, 0x13410, WriteBackPolicy::allowed},
                                     {0x13440, 0x13800, WriteBackPolicy::after_proof}};
    Addr next = addr + length;
    for (const auto& s : spans) {
      if (addr >= s.start && addr < s.end) return {s.policy, static_cast<std::size_t>(std::min<Addr>(s.end - addr, length))};
      if (s.start > addr) next = std::min(next, s.start);
    }
    return {WriteBackPolicy::never, static_cast<std::size_t>(next - addr)};
  }
};

// Claims faulting bytes are writable: write-back there hides the fault boundary.
struct LyingHint : cache::HintSource {
  WritableHint hint(Addr, std::size_t length) override { return {WriteBackPolicy::allowed, length}; }
};

model::Options forced(std::size_t block = 64) {
  model::Options o;
  o.cache.write_back = cache::WriteBackMode::forced;
  o.cache.block_size = block;
  o.cache.capacity_blocks = 32;  // small, so eviction happens inside sequences
  return o;
}

// Write-back only where `hint` allows it (and proof, where it asks for proof).
model::Options hinted_by(cache::HintSource& hint) {
  auto o = forced();
  o.cache.write_back = cache::WriteBackMode::hinted;
  o.cache.hints = &hint;
  return o;
}

TEST_CASE("cache model: emulated backend, write-back forced over 1500 seeded sequences") {
  EmulatedWorld world;
  model::RunTotals totals;
  auto failure = model::run_many(world.fx, forced(), 1, 1500, totals);
  INFO(failure);
  CHECK(failure.empty());
  MESSAGE("sequences " << totals.sequences << ", ops " << totals.ops << ", resumes that found held-back bytes "
                       << totals.held_back_seen << ", bytes flushed " << totals.bytes_flushed);
  CHECK(totals.held_back_seen > 50);
}

TEST_CASE("cache model: emulated backend, other block sizes") {
  for (std::size_t block : {16u, 256u, 4096u}) {
    EmulatedWorld world;
    model::RunTotals totals;
    auto failure = model::run_many(world.fx, forced(block), 5000, 200, totals);
    INFO("block " << block << ": " << failure);
    CHECK(failure.empty());
  }
}

TEST_CASE("cache model: emulated backend, write-back where an exact backend hint allows it") {
  EmulatedWorld world;
  ExactHint hint;
  model::RunTotals totals;
  auto failure = model::run_many(world.fx, hinted_by(hint), 9000, 500, totals);
  INFO(failure);
  CHECK(failure.empty());
  CHECK(totals.last_stats.deferred_writes + totals.held_back_seen > 0);
}

TEST_CASE("cache model: a write-through-everything cache fails the write-back assertion") {
  EmulatedWorld world;
  auto options = forced();
  options.cache.write_back = cache::WriteBackMode::off;
  model::RunTotals totals;
  auto failure = model::run_many(world.fx, options, 1, 300, totals);
  // The contract itself holds (every reply and the memory agree) ...
  CHECK(totals.sequences == 300);
  // ... but nothing was held back, and the test says so.
  CHECK(failure.starts_with("no write was held back"));
  options.expect_write_back = false;
  model::RunTotals again;
  CHECK(model::run_many(world.fx, options, 1, 300, again).empty());
}

TEST_CASE("cache model: a cache that holds back faulting bytes is caught, with seed and shrunk sequence") {
  EmulatedWorld world;
  LyingHint hint;
  model::RunTotals totals;
  auto failure = model::run_many(world.fx, hinted_by(hint), 1, 300, totals);
  MESSAGE(failure);
  CHECK(failure.starts_with("seed "));
  CHECK(failure.find("shrunk to ") != std::string::npos);
}

}  // namespace
}  // namespace remora::targets::test
