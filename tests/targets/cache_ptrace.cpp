// The cache's model-based test on the ptrace backend: one reused inferior ("spin": after its
// announcing int3 it only increments remora_counter), a private anonymous page followed by an
// unmapped one (writes crossing the boundary fault there), the .bss page holding the counter,
// and a software breakpoint planted in the data page below the cache. The target's memory is
// inspected through /proc/PID/mem directly; each resume really steps the process.
#include <doctest/doctest.h>

#include <cstring>
#include <map>

#include "targets/cache/proc_maps_hint.hpp"
#include "tests/targets/cache_model.hpp"
#include "tests/targets/ptrace_test_support.hpp"

namespace remora::targets::test {
namespace {

using model::Fixture;

struct PtraceWorld {
  Debuggee d{Debuggee::launching("spin")};
  model::SegmentMemory reference;
  std::map<Addr, std::vector<std::byte>> initial;
  Addr counter = 0;
  Fixture fx;

  PtraceWorld() {
    auto stop = d.cont();  // to the announcing int3
    REQUIRE(stop);
    const Addr unmapped = d.reg(0);  // rax
    counter = d.reg(2);              // rcx
    const Addr data = unmapped - 4096;
    const Addr bss = counter & ~Addr{0xfff};
    REQUIRE(counter + 8 <= bss + 4096);
    initial[data] = proc_read(d.pid, data, 4096);
    initial[bss] = proc_read(d.pid, bss, 4096);
    REQUIRE(initial[data].size() == 4096);
    REQUIRE(initial[bss].size() == 4096);
    const Addr bp = data + 0x123;
    REQUIRE_FALSE(d.target->breakpoints()->insert(BreakpointKind::software, bp, 1));
    fx.breakpoints = {bp};
    // Reads and writes near the counter stay inside its page (the next one may not be mapped).
    const Addr near_lo = std::max(bss, counter - 96), near_hi = std::min(bss + 4096 - 200, counter + 96);
    fx.ranges = {{data, unmapped + 64}, {unmapped - 300, unmapped + 8}, {near_lo, near_hi}};
    fx.max_read = 600;
    fx.max_write = 180;
    fx.compared = {{data, unmapped}, {bss, bss + 4096}};
    fx.lower = [this]() -> MemoryAccess& { return d.target->memory(); };
    fx.reference = [this]() -> MemoryAccess& { return reference; };
    fx.run_target = [this](const model::Op&) {
      // A few real instructions: the spin loop loads, increments and stores the counter.
      for (int i = 0; i < 3; ++i) REQUIRE(d.step());
      // The target's own change, read straight from the kernel.
      auto now = proc_read(d.pid, counter, 8);
      REQUIRE(now.size() == 8);
      REQUIRE(reference.write_virtual(counter, now).bytes == 8);
    };
    fx.inspect = [this](Addr addr, std::size_t n) { return proc_read(d.pid, addr, n); };
    fx.reset = [this] {
      reference.segments.clear();
      for (const auto& [addr, bytes] : initial) {
        // Through the breakpoint shadow, so the planted int3 stays.
        REQUIRE(d.target->memory().write_virtual(addr, bytes).bytes == bytes.size());
        reference.segments[addr] = bytes;
      }
      // The counter as it is now (the process has been running between sequences).
      auto now = proc_read(d.pid, counter, 8);
      REQUIRE(now.size() == 8);
      reference.write_virtual(counter, now);
    };
  }
};

TEST_CASE("cache model: ptrace backend, hinted by /proc/PID/maps and forced on one inferior") {
  PtraceWorld world;
  cache::ProcMapsHint hints([&] { return static_cast<int>(world.d.pid); });

  model::Options hinted;
  hinted.cache.write_back = cache::WriteBackMode::hinted;
  hinted.cache.hints = &hints;
  hinted.ops_per_sequence = 40;
  model::RunTotals totals;
  auto failure = model::run_many(world.fx, hinted, 1, 120, totals);
  INFO(failure);
  CHECK(failure.empty());
  MESSAGE("hinted: sequences " << totals.sequences << ", ops " << totals.ops << ", resumes that found held-back bytes "
                               << totals.held_back_seen << ", bytes flushed " << totals.bytes_flushed);

  model::Options forced = hinted;
  forced.cache.write_back = cache::WriteBackMode::forced;
  forced.cache.hints = nullptr;
  forced.cache.block_size = 64;
  model::RunTotals forced_totals;
  failure = model::run_many(world.fx, forced, 1000, 120, forced_totals);
  INFO(failure);
  CHECK(failure.empty());

  // Shared memory is never held back: the unmapped page is not either; the data page is.
  hints.reset();
  CHECK(hints.hint(world.fx.compared[0].start, 16).policy == WriteBackPolicy::allowed);
  CHECK(hints.hint(world.fx.compared[0].end, 16).policy == WriteBackPolicy::never);
}

TEST_CASE("cache on ptrace: a held-back write over a planted breakpoint lands in the shadow at flush") {
  PtraceWorld world;
  const Addr bp = world.fx.breakpoints[0];
  cache::ProcMapsHint hints([&] { return static_cast<int>(world.d.pid); });
  cache::CacheConfig config;
  config.hints = &hints;
  cache::MemoryCache c(world.d.target->memory(), config);
  const std::byte value[4] = {std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}};
  CHECK(c.write_virtual(bp - 1, value).bytes == 4);
  CHECK(c.pending_bytes() == 4);  // private anonymous memory: held back at once
  CHECK(proc_read(world.d.pid, bp - 1, 4)[1] == std::byte{0xcc});
  CHECK(!c.flush().error);
  auto raw = proc_read(world.d.pid, bp - 1, 4);
  CHECK(raw[0] == std::byte{1});
  CHECK(raw[1] == std::byte{0xcc});  // the int3 stays planted ...
  std::byte seen[4];
  CHECK(world.d.target->memory().read_virtual(bp - 1, seen).bytes == 4);
  CHECK(seen[1] == std::byte{2});  // ... and the shadow holds the client's byte
  REQUIRE_FALSE(world.d.target->breakpoints()->remove(BreakpointKind::software, bp, 1));
  CHECK(proc_read(world.d.pid, bp, 1)[0] == std::byte{2});
}

}  // namespace
}  // namespace remora::targets::test
