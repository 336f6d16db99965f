// The QEMU backend's memory over a fake QEMU 7.2 stub that behaves as the real one does:
// `m` over PacketSize/2 answers E22; `m` is all-or-nothing across pages; `M` across pages writes
// the earlier pages and then answers E14; an oversized packet is dropped without a reply.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>
#include <ostream>
#include <vector>

#include "rsp/codec.hpp"
#include "targets/api/errors.hpp"
#include "targets/qemu/qemu_memory.hpp"

using namespace remora::targets;
using namespace remora::targets::qemu;

namespace {

constexpr Addr page = 0x1000;

struct FakeQemu {
  struct Page {
    bool readable = true;
    bool writable = true;
    std::vector<std::byte> bytes = std::vector<std::byte>(page, std::byte{0xaa});
  };
  std::map<Addr, Page> pages;  // by page base; absent = unmapped
  Addr fine_limit = ~Addr{0};  // a write reaching this address fails (a finer granule, e.g. MMIO)
  std::size_t packet_size = 0x1000;
  int requests = 0;
  std::size_t largest = 0;
  bool crossed_page = false;   // a request remora sent crossed a page boundary
  int fail_after = -1;         // the link dies after this many requests
  std::vector<std::size_t> batches;  // sizes of pipelined windows, in order

  Page* at(Addr a) {
    auto it = pages.find(a - a % page);
    return it == pages.end() ? nullptr : &it->second;
  }

  std::expected<std::string, std::error_code> operator()(std::string_view p) {
    if (fail_after >= 0 && requests >= fail_after) return std::unexpected(make_error_code(errc::backend_io));
    ++requests;
    largest = std::max(largest, p.size());
    if (p.size() + 4 > packet_size) return std::unexpected(make_error_code(errc::timeout));  // dropped
    auto comma = p.find(',');
    Addr addr = *remora::rsp::parse_hex_u64(p.substr(1, comma - 1));
    auto colon = p.find(':');
    std::size_t len = *remora::rsp::parse_hex_u64(p.substr(comma + 1, colon == std::string_view::npos ? colon : colon - comma - 1));
    if (len && (addr / page) != ((addr + len - 1) / page)) crossed_page = true;
    return p[0] == 'm' ? read(addr, len) : write(addr, len, p.substr(colon + 1));
  }

  std::string read(Addr addr, std::size_t len) {
    if (len > packet_size / 2) return "E22";
    for (Addr a = addr; a < addr + len; a = a - a % page + page)
      if (!at(a) || !at(a)->readable) return "E14";
    std::vector<std::byte> out;
    for (Addr a = addr; a < addr + len; ++a) out.push_back(at(a)->bytes[a % page]);
    return remora::rsp::to_hex(out);
  }

  std::string write(Addr addr, std::size_t len, std::string_view hex) {
    auto data = *remora::rsp::decode_hex_bytes(hex);
    if (data.size() != len) return "E22";
    if (addr + len > fine_limit && addr < fine_limit + 1) return "E14";
    // Page by page, as QEMU's cpu_memory_rw_debug: earlier pages stay written.
    for (Addr a = addr; a < addr + len; a = a - a % page + page) {
      Page* pg = at(a);
      if (!pg || !pg->writable) return "E14";
      for (Addr b = a; b < addr + len && b < a - a % page + page; ++b) pg->bytes[b % page] = data[b - addr];
    }
    return "OK";
  }
};

std::vector<std::byte> pattern(std::size_t n, int seed = 1) {
  std::vector<std::byte> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = std::byte((i * 7 + seed) & 0xff);
  return v;
}

QemuMemory memory_over(FakeQemu& fake) {
  return QemuMemory([&fake](std::string_view p) { return fake(p); }, {fake.packet_size, page});
}

// QEMU handles pipelined requests one after the other, each whatever the earlier ones answered.
QemuMemory pipelined_over(FakeQemu& fake, std::size_t read_window = 32, std::size_t write_window = 8) {
  QemuMemory mem([&fake](std::string_view p) { return fake(p); }, {fake.packet_size, page},
                 [&fake](std::span<const std::string> packets) {
                   fake.batches.push_back(packets.size());
                   std::vector<QemuMemory::Reply> replies;
                   for (const auto& p : packets) replies.push_back(fake(p));
                   return replies;
                 });
  mem.set_pipeline({read_window, write_window, {}});
  return mem;
}

std::size_t largest_batch(const FakeQemu& fake) {
  std::size_t n = 0;
  for (auto b : fake.batches) n = std::max(n, b);
  return n;
}

// Random page maps, repeatable.
struct XorShift {
  std::uint64_t state;
  std::uint64_t operator()() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  }
};

// A write over a random page map: the prefix QEMU can write landed, no byte outside it changed.
Transfer check_write_over_map(FakeQemu& fake, QemuMemory& mem, Addr at, std::span<const std::byte> data, int round) {
  std::vector<std::vector<std::byte>> before;
  for (auto& [a, pg] : fake.pages) before.push_back(pg.bytes);
  Transfer t = mem.write_virtual(at, data);
  std::size_t k = 0;
  for (auto& [a, pg] : fake.pages) {
    for (Addr b = a; b < a + page; ++b) {
      const bool in_prefix = b >= at && b < at + t.bytes;
      const std::byte want = in_prefix ? data[b - at] : before[k][b - a];
      if (pg.bytes[b - a] != want) FAIL("round " << round << ": byte at " << b << " (prefix " << t.bytes << ")");
    }
    ++k;
  }
  // The prefix ends at the first page QEMU cannot write.
  Addr end = at;
  while (end < at + data.size() && fake.at(end) && fake.at(end)->writable) end = end - end % page + page;
  CHECK(t.bytes == std::min<std::size_t>(data.size(), end - at));
  return t;
}

}  // namespace

TEST_CASE("qemu memory: a write crossing into an unmapped page writes exactly the prefix") {
  FakeQemu fake;
  fake.pages[0x1000] = {};
  auto mem = memory_over(fake);
  auto data = pattern(16);
  Transfer t = mem.write_virtual(0x1ff8, data);
  CHECK(t.bytes == 8);
  CHECK(t.error == errc::unmapped);
  for (int i = 0; i < 8; ++i) CHECK(fake.pages[0x1000].bytes[0xff8 + i] == data[i]);
  CHECK(fake.pages[0x1000].bytes[0xff7] == std::byte{0xaa});
  // The crossing request QEMU refused was redone within pages: the 8 bytes that fit, then the
  // halving probes of the unmapped page (8, 4, 2, 1 bytes... all refused) and one read.
  CHECK(fake.crossed_page);
  CHECK(fake.requests <= 1 + 1 + 4 + 1);
}

TEST_CASE("qemu memory: a write stopping at a read-only page says write_protected") {
  FakeQemu fake;
  fake.pages[0x1000] = {};
  fake.pages[0x2000] = {};
  fake.pages[0x2000].writable = false;
  auto mem = memory_over(fake);
  auto data = pattern(0x1800);
  Transfer t = mem.write_virtual(0x1400, data);
  CHECK(t.bytes == 0xc00);
  CHECK(t.error == errc::write_protected);
  CHECK(fake.pages[0x2000].bytes[0] == std::byte{0xaa});
}

TEST_CASE("qemu memory: large transfers stay within QEMU's limits; reads never cross a page") {
  FakeQemu fake;
  for (Addr a = 0x10000; a < 0x20000; a += page) fake.pages[a] = {};
  auto mem = memory_over(fake);
  auto data = pattern(40000, 3);
  Transfer w = mem.write_virtual(0x10123, data);
  CHECK(w.bytes == data.size());
  CHECK(fake.largest <= fake.packet_size - 4);
  const int writes = fake.requests;
  // Full `M` of 2016 bytes across pages, as gdb sends them (3 per page when stopping at each).
  CHECK(writes == static_cast<int>((data.size() + 2015) / 2016));
  fake.crossed_page = false;
  std::vector<std::byte> back(data.size());
  Transfer r = mem.read_virtual(0x10123, back);
  CHECK(r.bytes == back.size());
  CHECK(back == data);
  CHECK(fake.requests - writes <= static_cast<int>(data.size() / 2048) + 11);
  CHECK_FALSE(fake.crossed_page);
}

TEST_CASE("qemu memory: reads return the readable prefix across pages") {
  FakeQemu fake;
  fake.pages[0x1000] = {};
  fake.pages[0x2000] = {};
  fake.pages[0x3000] = {};
  fake.pages[0x3000].readable = false;
  auto mem = memory_over(fake);
  std::vector<std::byte> out(0x2000);
  Transfer t = mem.read_virtual(0x1800, out);
  CHECK(t.bytes == 0x1800);
  CHECK(t.error == errc::unmapped);
  std::vector<std::byte> none(16);
  CHECK(mem.read_virtual(0x5000, none).bytes == 0);
}

TEST_CASE("qemu memory: within a page a finer fault boundary is found by halving") {
  FakeQemu fake;
  fake.pages[0x1000] = {};
  fake.fine_limit = 0x1321;  // the first byte QEMU refuses (device-like)
  auto mem = memory_over(fake);
  auto data = pattern(0x200, 5);
  Transfer t = mem.write_virtual(0x1200, data);
  CHECK(t.bytes == 0x121);
  for (std::size_t i = 0; i < 0x121; ++i) CHECK(fake.pages[0x1000].bytes[0x200 + i] == data[i]);
  CHECK(fake.pages[0x1000].bytes[0x321] == std::byte{0xaa});
  CHECK(fake.requests <= 2 + 10 + 1);  // the chunk, log2(0x200) probes, one read
}

TEST_CASE("qemu memory: a dead link ends the transfer with what was confirmed") {
  FakeQemu fake;
  for (Addr a = 0x1000; a < 0x5000; a += page) fake.pages[a] = {};
  fake.fail_after = 3;
  auto mem = memory_over(fake);
  auto data = pattern(0x3000);
  Transfer t = mem.write_virtual(0x1000, data);
  CHECK(t.bytes == 3 * 2016);  // three full requests confirmed, the fourth never answered
  CHECK(t.error == errc::backend_io);
}

TEST_CASE("qemu memory: QEMU's error replies") {
  CHECK(memory_error_from_reply("E14") == errc::unmapped);
  CHECK(memory_error_from_reply("E22") == errc::invalid_argument);
  CHECK(memory_error_from_reply("") == errc::not_supported);
  CHECK(MemoryLimits{}.max_read() == 2048);
  CHECK(MemoryLimits{}.max_write() * 2 + 48 <= 0x1000);
}

TEST_CASE("qemu memory: a pipelined read with a fault in the middle returns the prefix before it") {
  FakeQemu fake;
  for (Addr a = 0x1000; a < 0x9000; a += page) fake.pages[a] = {};
  fake.pages[0x4000].readable = false;  // readable pages after it too: only the prefix counts
  for (Addr a = 0x1000; a < 0x9000; ++a) fake.at(a)->bytes[a % page] = std::byte(a * 13 & 0xff);
  auto mem = pipelined_over(fake);
  std::vector<std::byte> out(0x8000);
  Transfer t = mem.read_virtual(0x1000, out);
  CHECK(t.bytes == 0x3000);
  CHECK(t.error == errc::unmapped);
  for (std::size_t i = 0; i < t.bytes; ++i) REQUIRE(out[i] == std::byte((0x1000 + i) * 13 & 0xff));
  // One window of 16 requests of 2 KiB (none crossing a page), not 16 round trips.
  CHECK(fake.batches == std::vector<std::size_t>{16});
  CHECK_FALSE(fake.crossed_page);
}

TEST_CASE("qemu memory: pipelined reads keep to the window and stop where reading ahead is not allowed") {
  FakeQemu fake;
  for (Addr a = 0x10000; a < 0x40000; a += page) fake.pages[a] = {};
  auto mem = pipelined_over(fake, 8);
  std::vector<std::byte> out(0x20000);
  CHECK(mem.read_virtual(0x10900, out).bytes == out.size());
  CHECK(largest_batch(fake) == 8);
  CHECK(fake.requests == 0x20000 / 2048 + 1);  // starting off a 2 KiB boundary costs one more
  // A device region (system mode outside RAM): exactly one request at a time.
  fake.batches.clear();
  mem.set_pipeline({32, 8, [](Addr, std::size_t) { return false; }});
  CHECK(mem.read_virtual(0x10000, std::span(out).first(0x4000)).bytes == 0x4000);
  CHECK(fake.batches.empty());
}

TEST_CASE("qemu memory: a pipelined write refused at a page boundary writes nothing after it") {
  FakeQemu fake;
  for (Addr a = 0x10000; a < 0x20000; a += page) fake.pages[a] = {};
  fake.pages[0x14000].writable = false;  // writable pages after it: a naive pipeline writes them
  auto mem = pipelined_over(fake);
  auto data = pattern(0x7000, 9);
  Transfer t = mem.write_virtual(0x10100, data);
  CHECK(t.bytes == 0x14000 - 0x10100);
  CHECK(t.error == errc::write_protected);
  for (std::size_t i = 0; i < t.bytes; ++i) REQUIRE(fake.at(0x10100 + i)->bytes[(0x10100 + i) % page] == data[i]);
  for (Addr a = 0x14000; a < 0x18000; ++a) REQUIRE(fake.at(a)->bytes[a % page] == std::byte{0xaa});
  CHECK(largest_batch(fake) > 1);
  // The same range again in this stop: the pages before the fault are proven, so whole windows.
  fake.batches.clear();
  Transfer again = mem.write_virtual(0x10100, std::span(data).first(t.bytes));
  CHECK(again.bytes == t.bytes);
  CHECK(largest_batch(fake) == 8);
  // After the guest ran nothing is proven: the first window stops at the first page.
  mem.forget_proofs();
  fake.batches.clear();
  CHECK(mem.write_virtual(0x10100, std::span(data).first(t.bytes)).bytes == t.bytes);
  CHECK(largest_batch(fake) < 8);
}

TEST_CASE("qemu memory: pipelined writes over random page maps never write past the fault") {
  XorShift next{0x9e3779b97f4a7c15};
  for (int round = 0; round < 300; ++round) {
    FakeQemu fake;
    const Addr base = 0x100000;
    for (Addr a = base; a < base + 12 * page; a += page) {
      const auto kind = next() % 8;
      if (kind == 0) continue;  // unmapped
      fake.pages[a] = {};
      fake.pages[a].writable = kind != 1;
    }
    auto mem = pipelined_over(fake, 32, 1 + next() % 16);
    // Some pages already proven by an earlier write in this stop.
    for (Addr a = base; a < base + 12 * page; a += page)
      if (next() % 3 == 0) (void)mem.write_virtual(a + next() % page, pattern(1 + next() % 64, 7));
    const Addr at = base + next() % (2 * page);
    check_write_over_map(fake, mem, at, pattern(1 + next() % (9 * page), static_cast<int>(round)), round);
  }
}

TEST_CASE("qemu memory: the previous stop's first read is prefetched with the stop's g, until a write") {
  FakeQemu fake;
  fake.pages[0x7000] = {};
  auto mem = pipelined_over(fake);
  CHECK_FALSE(mem.guess_packet());
  std::vector<std::byte> out(0x100);
  CHECK(mem.read_virtual(0x7f00, out).bytes == out.size());
  (void)mem.read_virtual(0x7000, std::span(out).first(8));  // not the first read of the stop
  mem.ran();
  auto guess = mem.guess_packet();
  REQUIRE(guess);
  CHECK(*guess == "m7f00,100");
  // What QemuTarget does at the stop: the guess rides with `g`; the guest changed meanwhile.
  fake.pages[0x7000].bytes[0xf10] = std::byte{0x42};
  mem.take_guess(fake(*guess));
  const int before = fake.requests;
  CHECK(mem.read_virtual(0x7f10, std::span(out).first(16)).bytes == 16);
  CHECK(out[0] == std::byte{0x42});
  CHECK(fake.requests == before);  // served from the prefetch
  // A write drops it: the next read asks QEMU again and sees the written byte.
  std::byte one[1] = {std::byte{0x43}};
  CHECK(mem.write_virtual(0x7f10, one).bytes == 1);
  CHECK(mem.read_virtual(0x7f10, std::span(out).first(1)).bytes == 1);
  CHECK(out[0] == std::byte{0x43});
  CHECK(fake.requests == before + 2);
  // A prefetch QEMU refused serves nothing: the read asks QEMU.
  mem.ran();
  fake.pages.clear();
  mem.take_guess(fake(*mem.guess_packet()));
  CHECK(mem.read_virtual(0x7f00, out).bytes == 0);
}

namespace {

// QEMU's process seen from outside (/proc/QEMUPID/mem) over the fake's pages: every page QEMU
// holds is there, whatever the guest may do with it (as a host process sees QEMU's memory), and
// the host mapping is writable only where `host_writable` says (QEMU write-protects a page it
// translated code from). `skew` shifts every address: a wrong guest_base.
struct FakeHost final : HostView {
  FakeQemu& qemu;
  std::set<Addr> host_writable_pages;  // page bases
  Addr skew = 0;
  int ran_count = 0;
  int unsound_writes = 0;  // bytes written where the guest may not write or QEMU holds translations
  explicit FakeHost(FakeQemu& q) : qemu(q) {}
  std::size_t read(Addr guest, std::span<std::byte> out) override {
    std::size_t n = 0;
    for (; n < out.size(); ++n) {
      auto* pg = qemu.at(guest + skew + n);
      if (!pg) break;
      out[n] = pg->bytes[(guest + skew + n) % page];
    }
    return n;
  }
  std::size_t write(Addr guest, std::span<const std::byte> data) override {
    std::size_t n = 0;
    for (; n < data.size(); ++n) {
      auto* pg = qemu.at(guest + skew + n);
      if (!pg) break;
      const Addr base = guest + skew + n - (guest + skew + n) % page;
      if (!pg->writable || !host_writable_pages.contains(base)) ++unsound_writes;
      pg->bytes[(guest + skew + n) % page] = data[n];
    }
    return n;
  }
  bool host_writable(Addr guest, std::size_t length) override {
    for (Addr a = guest - guest % page; a < guest + length; a += page)
      if (!host_writable_pages.contains(a)) return false;
    return true;
  }
  void ran() override { ++ran_count; }
};

int count_requests(const FakeQemu& fake) { return fake.requests; }

}  // namespace

TEST_CASE("qemu memory through the host: QEMU proves each page readable once per stop, the bytes come from the host") {
  FakeQemu fake;
  FakeHost host(fake);
  for (Addr a = 0x10000; a < 0x20000; a += page) fake.pages[a].bytes = pattern(page, static_cast<int>(a >> 12));
  auto mem = pipelined_over(fake);
  mem.set_host_view(&host);
  std::vector<std::byte> out(0x10000);
  Transfer t = mem.read_virtual(0x10000, out);
  CHECK(t.bytes == out.size());
  for (Addr a = 0x10000; a < 0x20000; a += page)
    CHECK(std::equal(fake.pages[a].bytes.begin(), fake.pages[a].bytes.end(), out.begin() + (a - 0x10000)));
  CHECK(count_requests(fake) == 8);  // one 2-byte `m` across each pair of pages
  CHECK(largest_batch(fake) == 8);
  CHECK(mem.host_stats().bytes_read == out.size());
  CHECK(mem.host_stats().probes == 8);
  // The same stop: no QEMU request at all.
  CHECK(mem.read_virtual(0x10010, std::span(out).first(0x3000)).bytes == 0x3000);
  CHECK(count_requests(fake) == 8);
  // The guest ran: its mappings may have changed, so QEMU is asked again.
  mem.ran();
  CHECK(host.ran_count == 1);
  CHECK(mem.read_virtual(0x10010, std::span(out).first(0x3000)).bytes == 0x3000);
  CHECK(count_requests(fake) == 8 + 2);  // 0x10010..0x1300f: 4 pages
}

TEST_CASE("qemu memory through the host: a read ends at the first page QEMU cannot read, exactly") {
  FakeQemu fake;
  FakeHost host(fake);
  fake.pages[0x1000] = {};
  fake.pages[0x2000] = {};
  fake.pages[0x2000].readable = false;  // mapped in QEMU's process, not readable by the guest
  fake.pages[0x3000] = {};
  auto mem = pipelined_over(fake);
  mem.set_host_view(&host);
  std::vector<std::byte> out(0x3000);
  Transfer t = mem.read_virtual(0x1800, out);
  CHECK(t.bytes == 0x800);
  CHECK(t.error == errc::unmapped);
  t = mem.read_virtual(0x2000, out);
  CHECK(t.bytes == 0);
}

TEST_CASE("qemu memory through the host: writes go straight in only where QEMU's host mapping is writable") {
  FakeQemu fake;
  FakeHost host(fake);
  for (Addr a = 0x1000; a < 0x6000; a += page) fake.pages[a] = {};
  fake.pages[0x5000].writable = false;       // read-only for the guest (and on the host)
  host.host_writable_pages = {0x1000, 0x2000, 0x4000};  // 0x3000: QEMU translated code from it
  auto mem = pipelined_over(fake);
  mem.set_host_view(&host);
  auto data = pattern(0x4800, 7);
  const int before = count_requests(fake);
  Transfer t = mem.write_virtual(0x1800, data);
  // Up to the read-only page, exactly; nothing of it or after it.
  CHECK(t.bytes == 0x5000 - 0x1800);
  CHECK(t.error == errc::write_protected);
  for (Addr a = 0x1800; a < 0x5000; ++a) CHECK(fake.at(a)->bytes[a % page] == data[a - 0x1800]);
  CHECK(fake.pages[0x5000].bytes[0] == std::byte{0xaa});
  CHECK(fake.pages[0x1000].bytes[0x7ff] == std::byte{0xaa});
  // The translated-code page and the read-only one went to QEMU (which drops its translations);
  // the others were written from the host.
  CHECK(mem.host_stats().pages_through_qemu == 2);
  CHECK(mem.host_stats().bytes_written == 0x800 + 0x1000 + 0x1000);
  CHECK(count_requests(fake) > before + 5);
}

TEST_CASE("qemu memory through the host: a write into an unmapped page keeps the exact prefix") {
  FakeQemu fake;
  FakeHost host(fake);
  fake.pages[0x1000] = {};
  host.host_writable_pages = {0x1000, 0x2000};
  auto mem = pipelined_over(fake);
  mem.set_host_view(&host);
  auto data = pattern(0x20);
  Transfer t = mem.write_virtual(0x1ff0, data);
  CHECK(t.bytes == 0x10);
  CHECK(t.error == errc::unmapped);
  for (int i = 0; i < 0x10; ++i) CHECK(fake.pages[0x1000].bytes[0xff0 + i] == data[i]);
}

TEST_CASE("qemu memory through the host: a host that shows other bytes than QEMU is never used again") {
  FakeQemu fake;
  FakeHost host(fake);
  for (Addr a = 0x1000; a < 0x4000; a += page) fake.pages[a].bytes = pattern(page, static_cast<int>(a >> 12));
  host.host_writable_pages = {0x1000, 0x2000, 0x3000};
  host.skew = page;  // a wrong guest_base
  auto mem = pipelined_over(fake);
  mem.set_host_view(&host);
  std::vector<std::byte> out(0x2000);
  CHECK(mem.read_virtual(0x1000, out).bytes == out.size());
  CHECK(mem.host_stats().disabled);
  CHECK_FALSE(mem.host_view_active());
  CHECK(std::equal(out.begin(), out.begin() + page, fake.pages[0x1000].bytes.begin()));
  auto data = pattern(0x100, 3);
  CHECK(mem.write_virtual(0x1000, data).bytes == data.size());
  CHECK(fake.pages[0x1000].bytes[0] == data[0]);
  CHECK(fake.pages[0x2000].bytes[0] != data[0]);
  CHECK(mem.host_stats().bytes_written == 0);
}

TEST_CASE("qemu memory through the host: random page maps, reads and writes keep QEMU's exact boundaries") {
  XorShift next{0x2545f4914f6cdd1d};
  for (int round = 0; round < 300; ++round) {
    FakeQemu fake;
    FakeHost host(fake);
    const Addr base = 0x100000;
    for (Addr a = base; a < base + 12 * page; a += page) {
      const auto kind = next() % 10;
      if (kind == 0) continue;  // unmapped
      fake.pages[a] = {};
      fake.pages[a].bytes = pattern(page, static_cast<int>(a >> 12) + round);
      fake.pages[a].readable = kind != 1;               // mapped in QEMU's process, not the guest's
      fake.pages[a].writable = kind != 1 && kind != 2;  // read-only
      if (kind > 4) host.host_writable_pages.insert(a);  // else: QEMU translated code from it
    }
    auto mem = pipelined_over(fake, 1 + next() % 32, 1 + next() % 8);
    mem.set_host_view(&host);
    const Addr at = base + next() % (3 * page);
    // Reads: the prefix up to the first page the guest cannot read.
    Addr read_end = at;
    while (read_end < base + 12 * page && fake.at(read_end) && fake.at(read_end)->readable)
      read_end = read_end - read_end % page + page;
    std::vector<std::byte> out(1 + next() % (9 * page));
    Transfer r = mem.read_virtual(at, out);
    CHECK(r.bytes == std::min<std::size_t>(out.size(), read_end - at));
    for (std::size_t i = 0; i < r.bytes; ++i)
      if (out[i] != fake.at(at + i)->bytes[(at + i) % page]) FAIL("round " << round << ": read byte " << i);
    // Writes: the prefix up to the first page the guest cannot write, nothing after it.
    const std::uint64_t written_before = mem.host_stats().bytes_written;
    Transfer t = check_write_over_map(fake, mem, at, pattern(1 + next() % (9 * page), round + 99), round);
    // No byte went around QEMU into a page the guest cannot write or QEMU translated code from.
    CHECK(host.unsound_writes == 0);
    CHECK(mem.host_stats().bytes_written - written_before <= t.bytes);
    CHECK_FALSE(mem.host_stats().disabled);
  }
}

TEST_CASE("qemu memory through the host: asked once per stop whether it may be used (a guest with threads: no)") {
  FakeQemu fake;
  FakeHost host(fake);
  fake.pages[0x1000] = {};
  host.host_writable_pages = {0x1000};
  auto mem = pipelined_over(fake);
  int asked = 0;
  bool single_thread = false;
  mem.set_host_view(&host, [&] {
    ++asked;
    return single_thread;
  });
  std::vector<std::byte> out(0x100);
  auto data = pattern(0x100, 4);
  CHECK(mem.read_virtual(0x1000, out).bytes == out.size());
  CHECK(mem.write_virtual(0x1000, data).bytes == data.size());
  CHECK(fake.pages[0x1000].bytes[0] == data[0]);
  CHECK(asked == 1);
  CHECK(mem.host_stats().bytes_read + mem.host_stats().bytes_written == 0);
  CHECK(mem.host_stats().stops_not_allowed == 1);
  mem.ran();
  single_thread = true;
  CHECK(mem.read_virtual(0x1000, out).bytes == out.size());
  CHECK(mem.write_virtual(0x1000, data).bytes == data.size());
  CHECK(asked == 2);
  CHECK(mem.host_stats().bytes_read == out.size());
  CHECK(mem.host_stats().bytes_written == data.size());
}
