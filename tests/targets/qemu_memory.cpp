// The QEMU backend's memory over a fake QEMU 7.2 stub that behaves as the real one does:
// `m` over PacketSize/2 answers E22; `m` is all-or-nothing across pages; `M` across pages writes
// the earlier pages and then answers E14; an oversized packet is dropped without a reply.
#include <doctest/doctest.h>

#include <map>
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
