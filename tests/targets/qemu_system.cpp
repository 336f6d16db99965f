// QEMU system mode's memory view (targets/qemu/qemu_system.*) under the memory cache: the cache
// reads whole blocks only inside RAM/ROM (from QEMU's `info mtree -f`, translated with gva2gpa in
// virtual mode), reads exactly the bytes asked elsewhere (device reads have side effects), and
// drops what it holds when the vCPU or qqemu.PhyMemMode changes.
#include <doctest/doctest.h>

#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "targets/cache/memory_cache.hpp"
#include "targets/qemu/qemu_system.hpp"

using namespace remora::targets;
using namespace remora::targets::qemu;

namespace {

// QEMU 7.2's `info mtree -f` for qemu-system-i386 -nodefaults (shortened: the I/O view goes).
constexpr std::string_view kMtree =
    "FlatView #0\r\n"
    " AS \"cpu-smm-0\", root: memory\r\n"
    " Root memory region: memory\r\n"
    "  0000000000000000-00000000000bffff (prio 0, ram): pc.ram\r\n"
    "  00000000000a0000-00000000000bffff (prio 1, i/o): smram-low\r\n"
    "\r\n"
    "FlatView #3\r\n"
    " AS \"memory\", root: system\r\n"
    " AS \"cpu-memory-0\", root: system\r\n"
    " Root memory region: system\r\n"
    "  0000000000000000-00000000000bffff (prio 0, ram): pc.ram\r\n"
    "  00000000000c0000-00000000000dffff (prio 1, rom): pc.rom\r\n"
    "  00000000000e0000-00000000000fffff (prio 0, rom): pc.bios @0000000000020000\r\n"
    "  0000000000100000-0000000007ffffff (prio 0, ram): pc.ram @0000000000100000\r\n"
    "  00000000fec00000-00000000fec00fff (prio 0, i/o): ioapic\r\n"
    "  00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios\r\n";

// The layer below: every byte reads as its address's low byte; records each access.
struct Recorder : MemoryAccess {
  std::vector<std::pair<Addr, std::size_t>> reads;
  Transfer read_virtual(Addr a, std::span<std::byte> out) override {
    reads.emplace_back(a, out.size());
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = std::byte((a + i) & 0xff);
    return {out.size(), {}};
  }
  Transfer write_virtual(Addr, std::span<const std::byte> data) override { return {data.size(), {}}; }
};

struct Fixture {
  Recorder below;
  int cpu = 1;
  bool physical = false;
  int selects = 0;
  int translations = 0;
  std::map<Addr, Addr> page_table{{0x100000, 0x100000}, {0x5000, 0xfec00000}};  // virtual -> physical
  SystemMemory system{below,
                      {[this] {
                         ++selects;
                         return std::error_code{};
                       },
                       [this] { return cpu; }, [this] { return physical; },
                       [this](std::string_view command) -> std::optional<std::string> {
                         ++translations;
                         auto page = std::stoull(std::string(command.substr(command.find("0x") + 2)), nullptr, 16);
                         auto it = page_table.find(page);
                         if (it == page_table.end()) return std::string("Unmapped\r\n");
                         char text[64];
                         std::snprintf(text, sizeof text, "gpa: 0x%llx\r\n", static_cast<unsigned long long>(it->second));
                         return std::string(text);
                       }}};
  cache::MemoryCache cache{system};
  Fixture() { system.set_ram(parse_mtree_ram(kMtree)); }

  std::size_t read(Addr a, std::size_t n) {
    std::vector<std::byte> out(n);
    auto t = cache.read_virtual(a, out);
    for (std::size_t i = 0; i < t.bytes; ++i) REQUIRE(out[i] == std::byte((a + i) & 0xff));
    return t.bytes;
  }
};

}  // namespace

TEST_CASE("qemu system: the RAM map is the ram and rom regions of address space \"memory\"") {
  auto ram = parse_mtree_ram(kMtree);
  REQUIRE(ram.size() == 5);
  CHECK(ram[0].first == 0);
  CHECK(ram[0].last == 0xbffff);
  CHECK(ram[2].first == 0xe0000);  // pc.bios, an alias with an offset: still ROM
  CHECK(ram[3].last == 0x7ffffff);
  CHECK(ram[4].first == 0xfffc0000);
  CHECK(parse_mtree_ram("no monitor here").empty());
  CHECK(parse_gva2gpa("gpa: 0x102000\r\n") == Addr{0x102000});
  CHECK_FALSE(parse_gva2gpa("Unmapped\r\n"));
}

TEST_CASE("qemu system: device memory is read exactly as asked, every time; RAM a block at a time") {
  Fixture f;
  f.physical = true;
  CHECK(f.read(0xfec00000, 4) == 4);
  CHECK(f.read(0xfec00000, 4) == 4);
  REQUIRE(f.below.reads.size() == 2);
  CHECK(f.below.reads[0] == std::pair<Addr, std::size_t>{0xfec00000, 4});
  CHECK(f.below.reads[1] == std::pair<Addr, std::size_t>{0xfec00000, 4});
  f.below.reads.clear();
  CHECK(f.read(0x8004, 4) == 4);
  CHECK(f.read(0x8010, 8) == 8);  // same block: served from the cache
  REQUIRE(f.below.reads.size() == 1);
  CHECK(f.below.reads[0] == std::pair<Addr, std::size_t>{0x8000, 256});
  // RAM then ROM (adjacent regions) is one readable range; the end of RAM at 128 MiB is not.
  CHECK(f.system.may_read_ahead(0xbff00, 0x200));
  CHECK_FALSE(f.system.may_read_ahead(0x7ffff00, 0x200));
  CHECK(f.selects == 3);  // every backend access went through the memory vCPU's Hg
}

TEST_CASE("qemu system: a changed vCPU or PhyMemMode drops what the cache holds") {
  Fixture f;
  f.physical = true;
  f.read(0x8000, 4);
  f.read(0x8000, 4);
  CHECK(f.below.reads.size() == 1);
  f.cpu = 2;
  f.read(0x8000, 4);
  CHECK(f.below.reads.size() == 2);
  f.physical = false;
  f.cpu = 1;
  f.page_table[0x8000] = 0x8000;
  f.read(0x8000, 4);
  CHECK(f.below.reads.size() == 3);
  f.read(0x8000, 4);
  CHECK(f.below.reads.size() == 3);
}

TEST_CASE("qemu system: virtual mode translates each page once and reads ahead only into RAM") {
  Fixture f;
  f.read(0x100010, 4);  // mapped to RAM: a block
  CHECK(f.below.reads.back() == std::pair<Addr, std::size_t>{0x100000, 256});
  f.read(0x100100, 4);  // same page, next block: no second translation
  CHECK(f.translations == 1);
  f.read(0x5000, 4);  // mapped to the IOAPIC: exact
  CHECK(f.below.reads.back() == std::pair<Addr, std::size_t>{0x5000, 4});
  f.read(0x7000, 4);  // unmapped in the page tables: exact (QEMU then answers the fault itself)
  CHECK(f.below.reads.back() == std::pair<Addr, std::size_t>{0x7000, 4});
  // The monitor translates through the first vCPU only: through another, nothing is read ahead.
  f.cpu = 2;
  f.read(0x100010, 4);
  CHECK(f.below.reads.back() == std::pair<Addr, std::size_t>{0x100010, 4});
  // Without a RAM map (no monitor answered) nothing is read ahead anywhere.
  f.system.set_ram({});
  f.physical = true;
  f.cpu = 1;
  f.read(0x8000, 4);
  CHECK(f.below.reads.back() == std::pair<Addr, std::size_t>{0x8000, 4});
}
