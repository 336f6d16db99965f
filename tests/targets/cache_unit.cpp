// The memory cache's pieces: what it asks of the backend, its flush failure, its stats, and
// rule 7 (/proc/PID/maps: only private mappings are held back).
#include <doctest/doctest.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "targets/api/errors.hpp"
#include "targets/cache/memory_cache.hpp"
#include "targets/cache/proc_maps_hint.hpp"
#include "tests/targets/emulated_test_support.hpp"

namespace remora::targets::test {
namespace {

// Counts what reaches the backend and can be told to refuse writes from an address on.
struct CountingMemory : MemoryAccess {
  MemoryAccess& below;
  std::size_t reads = 0, writes = 0;
  Addr refuse_from = ~Addr{0};
  explicit CountingMemory(MemoryAccess& m) : below(m) {}
  Transfer read_virtual(Addr a, std::span<std::byte> out) override {
    ++reads;
    return below.read_virtual(a, out);
  }
  Transfer write_virtual(Addr a, std::span<const std::byte> data) override {
    ++writes;
    if (a + data.size() > refuse_from) {
      std::size_t ok = a >= refuse_from ? 0 : refuse_from - a;
      auto t = below.write_virtual(a, data.first(ok));
      return {t.bytes, make_error_code(errc::unmapped)};
    }
    return below.write_virtual(a, data);
  }
};

emulated::EmulatedOptions one_region() {
  emulated::EmulatedOptions o;
  o.regions.push_back({0x10000, 0x4000, true, true, false, "data"});
  return o;
}

// Writes go through until the bytes are proven writable this stop, then are held back.
cache::CacheConfig forced_write_back() {
  cache::CacheConfig config;
  config.write_back = cache::WriteBackMode::forced;
  return config;
}

// One data region seen through a CountingMemory, and the cache under test over that.
struct CountedCache {
  PostQueue loop;
  std::unique_ptr<Target> target = make_target(loop, one_region());
  CountingMemory counting{target->memory()};
  cache::MemoryCache c;
  explicit CountedCache(cache::CacheConfig config = {}) : c(counting, config) {}
};

TEST_CASE("cache: a second read of the same blocks makes no backend call; stats count it") {
  CountedCache f;
  std::vector<std::byte> buf(600);
  CHECK(f.c.read_virtual(0x10010, buf).bytes == 600);
  CHECK(f.counting.reads == 1);  // consecutive missing blocks come in one backend read
  CHECK(f.c.read_virtual(0x10020, std::span(buf).first(100)).bytes == 100);
  CHECK(f.counting.reads == 1);
  auto s = f.c.stats();
  CHECK(s.misses == 3);
  CHECK(s.hits == 1);
  CHECK(s.client_reads == 2);
  CHECK(s.backend_reads == 1);
  f.c.invalidate();  // the target ran: nothing read before may be served again
  CHECK(f.c.read_virtual(0x10020, std::span(buf).first(100)).bytes == 100);
  CHECK(f.counting.reads == 2);
}

TEST_CASE("cache: held-back writes reach the backend at flush, one write per contiguous run") {
  CountedCache f(forced_write_back());
  auto data = pattern(300, 7);
  CHECK(f.c.write_virtual(0x10100, data).bytes == 300);  // first write this stop: through
  CHECK(f.counting.writes == 1);
  auto again = pattern(300, 9);
  CHECK(f.c.write_virtual(0x10100, again).bytes == 300);  // proven bytes: held back
  CHECK(f.counting.writes == 1);
  CHECK(f.c.pending_bytes() == 300);
  std::vector<std::byte> raw(300);
  f.target->memory().read_virtual(0x10100, raw);
  CHECK(raw == data);  // not yet in the target
  std::vector<std::byte> seen(300);
  f.c.read_virtual(0x10100, seen);
  CHECK(seen == again);  // read-your-writes
  CHECK(!f.c.flush().error);
  CHECK(f.counting.writes == 2);  // 300 bytes across two blocks: one run
  f.target->memory().read_virtual(0x10100, raw);
  CHECK(raw == again);
  CHECK(f.c.stats().bytes_flushed == 300);
}

TEST_CASE("cache: a read of a quarter of the cache or more goes below, with held-back bytes laid over it") {
  auto config = forced_write_back();
  config.capacity_blocks = 16;  // 4 KiB: reads of 1 KiB and more bypass it
  CountedCache f(config);
  auto data = pattern(64, 3);
  CHECK(f.c.write_virtual(0x10200, data).bytes == 64);
  auto again = pattern(64, 5);
  CHECK(f.c.write_virtual(0x10200, again).bytes == 64);  // held back
  CHECK(f.c.pending_bytes() == 64);
  std::vector<std::byte> big(0x1000);
  CHECK(f.c.read_virtual(0x10000, big).bytes == big.size());
  CHECK(std::equal(again.begin(), again.end(), big.begin() + 0x200));  // read-your-writes
  CHECK(f.counting.reads == 1);
  CHECK(f.c.stats().misses == 0);  // nothing cached from it
  CHECK(f.c.read_virtual(0x10000, big).bytes == big.size());
  CHECK(f.counting.reads == 2);  // asked below again
  // Past the region's end: the backend's exact prefix.
  CHECK(f.c.read_virtual(0x13800, big).bytes == 0x800);
  CHECK(!f.c.flush().error);
}

TEST_CASE("cache: an uncached write reaches the target at once and supersedes held-back bytes") {
  PostQueue loop;
  auto target = make_target(loop, one_region());
  cache::MemoryCache c(target->memory(), forced_write_back());
  c.write_virtual(0x10000, pattern(16, 1));
  c.write_virtual(0x10000, pattern(16, 2));  // held back
  CHECK(c.pending_bytes() == 16);
  CHECK(c.write_virtual_uncached(0x10004, pattern(4, 3)).bytes == 4);
  CHECK(c.pending_bytes() == 12);
  std::vector<std::byte> raw(4);
  target->memory().read_virtual(0x10004, raw);
  CHECK(raw == pattern(4, 3));
  CHECK(!c.flush().error);
  target->memory().read_virtual(0x10004, raw);
  CHECK(raw == pattern(4, 3));  // the flush did not put the older bytes back
}

TEST_CASE("cache: a flush that fails names the first unwritten address and drops that run only") {
  CountedCache f(forced_write_back());
  f.c.write_virtual(0x10200, pattern(32, 1));
  f.c.write_virtual(0x10200, pattern(32, 2));
  f.c.write_virtual(0x10800, pattern(8, 1));
  f.c.write_virtual(0x10800, pattern(8, 2));
  CHECK(f.c.pending_bytes() == 40);
  f.counting.refuse_from = 0x10210;  // the mapping changed underneath
  auto result = f.c.flush();
  CHECK(result.error == errc::unmapped);
  CHECK(result.failed_at == 0x10210);
  CHECK(f.c.pending_bytes() == 8);  // the later run waits for the next flush
  f.counting.refuse_from = ~Addr{0};
  CHECK(!f.c.flush().error);
  CHECK(f.c.pending_bytes() == 0);
}

TEST_CASE("cache: off passes everything through; turning it off flushes first") {
  CountedCache f(forced_write_back());
  f.c.write_virtual(0x10000, pattern(8, 1));
  f.c.write_virtual(0x10000, pattern(8, 2));
  CHECK(!f.c.set_enabled(false).error);
  std::vector<std::byte> raw(8);
  f.target->memory().read_virtual(0x10000, raw);
  CHECK(raw == pattern(8, 2));
  const auto reads = f.counting.reads;
  f.c.read_virtual(0x10000, raw);
  f.c.read_virtual(0x10000, raw);
  CHECK(f.counting.reads == reads + 2);
  CHECK_FALSE(f.c.stats().enabled);
}

TEST_CASE("cache: a read starting past a block's readable prefix asks the backend for exactly it") {
  PostQueue loop;
  emulated::EmulatedOptions o;
  o.regions.push_back({0x10080, 0x80, true, true, false, "mid-block"});  // starts inside a 256-byte block
  auto target = make_target(loop, o);
  cache::MemoryCache c(target->memory());
  std::vector<std::byte> buf(0x100);
  auto t = c.read_virtual(0x10090, buf);
  CHECK(t.bytes == 0x70);  // to the region's end, as the backend says
  CHECK(c.read_virtual(0x10000, buf).bytes == 0);
}

// Rule 7 on real mappings of this very process.
TEST_CASE("proc maps hint: shared and SysV memory is never held back; private anonymous memory is") {
  void* shared = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  void* priv = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  void* text = ::mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REQUIRE(shared != MAP_FAILED);
  REQUIRE(priv != MAP_FAILED);
  REQUIRE(text != MAP_FAILED);
  const int shm_id = ::shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  REQUIRE(shm_id >= 0);
  void* sysv = ::shmat(shm_id, nullptr, 0);
  ::shmctl(shm_id, IPC_RMID, nullptr);
  REQUIRE(sysv != reinterpret_cast<void*>(-1));

  cache::ProcMapsHint hints([] { return static_cast<int>(::getpid()); });
  auto at = [&](void* p) { return hints.hint(reinterpret_cast<Addr>(p), 16); };
  CHECK(at(shared).policy == WriteBackPolicy::never);
  CHECK(at(sysv).policy == WriteBackPolicy::never);
  CHECK(at(priv).policy == WriteBackPolicy::allowed);
  CHECK(at(priv).length == 16);
  CHECK(at(text).policy == WriteBackPolicy::after_proof);  // private, but not writable: prove first
  auto code = hints.hint(reinterpret_cast<Addr>(&one_region), 1);  // our own text: file-backed
  CHECK(code.policy == WriteBackPolicy::after_proof);
  CHECK(hints.hint(0x10, 1).policy == WriteBackPolicy::never);  // unmapped

  ::shmdt(sysv);
  ::munmap(shared, 4096);
  ::munmap(priv, 4096);
  ::munmap(text, 4096);
}

TEST_CASE("proc maps hint: the parser reads the kernel's format and skips what it cannot parse") {
  auto maps = cache::parse_proc_maps(
      "00400000-00452000 r-xp 00000000 08:02 173521      /usr/bin/dbus-daemon\n"
      "7f0000000000-7f0000001000 rw-s 00000000 00:01 3     /SYSV00000000 (deleted)\n"
      "7f0000002000-7f0000003000 rw-p 00000000 00:00 0 \n"
      "7f0000004000-7f0000005000 rw-s 00000000 00:05 4     /dev/fb0\n"
      "garbage line\n"
      "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0  [vsyscall]\n");
  REQUIRE(maps.size() == 5);
  CHECK(cache::write_back_policy(maps[0]) == WriteBackPolicy::after_proof);
  CHECK(cache::write_back_policy(maps[1]) == WriteBackPolicy::never);
  CHECK(cache::write_back_policy(maps[2]) == WriteBackPolicy::allowed);
  CHECK(maps[2].path.empty());
  CHECK(cache::write_back_policy(maps[3]) == WriteBackPolicy::never);
  CHECK(cache::write_back_policy(maps[4]) == WriteBackPolicy::never);
  CHECK(maps[4].end == 0xffffffffff601000ull);
}

}  // namespace
}  // namespace remora::targets::test
