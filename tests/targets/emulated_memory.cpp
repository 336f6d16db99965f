// Memory of the emulated target: layout, read prefixes, partial writes, faults, spec parsers.
#include <doctest/doctest.h>

#include "targets/emulated/emulated_target.hpp"
#include "tests/targets/emulated_test_support.hpp"

using namespace remora::targets;
using namespace remora::targets::test;
using emulated::EmulatedOptions;
using emulated::FaultKind;
using emulated::parse_fault_spec;
using emulated::parse_region_spec;
using emulated::RegionSpec;

namespace {

RegionSpec region(Addr start, Addr size, const char* perms, const char* name = "") {
  auto spec = parse_region_spec(std::to_string(start) + "," + std::to_string(size) + "," + perms +
                                (*name ? std::string(",") + name : std::string()));
  REQUIRE(spec.has_value());
  return *spec;
}

// rw 0x1000-0x2000, r-- 0x2000-0x3000, gap, -w- 0x4000-0x5000
EmulatedOptions small_layout() {
  EmulatedOptions o;
  o.regions = {region(0x1000, 0x1000, "rw-", "rw"), region(0x2000, 0x1000, "r--", "ro"),
               region(0x4000, 0x1000, "-w-", "wo")};
  return o;
}

std::vector<std::byte> read(Target& t, Addr addr, std::size_t n, Transfer& tr) {
  std::vector<std::byte> out(n, std::byte{0xAA});
  tr = t.memory().read_virtual(addr, out);
  return out;
}

}  // namespace

TEST_CASE("default layout: text, data and stack regions") {
  PostQueue loop;
  auto t = make_target(loop);
  REQUIRE(t);
  auto regions = t->memory_regions()->regions();
  REQUIRE(regions.size() == 3);
  CHECK(regions[0].start == 0x400000);
  CHECK(regions[0].size == 0x10000);
  CHECK((regions[0].readable && !regions[0].writable && regions[0].executable));
  CHECK(regions[0].name == "text");
  CHECK(regions[1].start == 0x600000);
  CHECK(regions[1].size == 32 * 1024 * 1024);
  CHECK((regions[1].readable && regions[1].writable && !regions[1].executable));
  CHECK(regions[2].start == 0x7ffffffde000);
  CHECK(regions[2].size == 0x21000);
  CHECK(regions[2].name == "stack");

  Transfer tr;
  auto text = read(*t, 0x40ffee, 4, tr);
  CHECK(tr.bytes == 4);
  CHECK(text == bytes({0x90, 0x90, 0xEB, 0xFE}));
  auto data = read(*t, 0x600000, 8, tr);
  CHECK(tr.bytes == 8);
  CHECK(data == std::vector<std::byte>(8, std::byte{0}));
}

TEST_CASE("reads return the readable prefix") {
  PostQueue loop;
  auto t = make_target(loop);
  Transfer tr;
  auto out = read(*t, 0x40fff8, 16, tr);
  CHECK(tr.bytes == 8);
  CHECK(tr.error == errc::unmapped);
  CHECK(out[7] == std::byte{0x90});
  CHECK(out[8] == std::byte{0xAA});  // untouched past the prefix

  read(*t, 0x500000, 16, tr);
  CHECK(tr.bytes == 0);
  CHECK(tr.error == errc::unmapped);

  auto t2 = make_target(loop, small_layout());
  read(*t2, 0x4000, 4, tr);
  CHECK(tr.bytes == 0);
  CHECK(tr.error == errc::read_protected);
  // Contiguous regions read as one span: rw then r--.
  read(*t2, 0x1ff0, 0x20, tr);
  CHECK(tr.bytes == 0x20);
  // Stops at the end of the last region before the gap.
  read(*t2, 0x2ff0, 0x20, tr);
  CHECK(tr.bytes == 0x10);
  CHECK(tr.error == errc::unmapped);
}

TEST_CASE("write at a region end into a gap writes the prefix") {
  PostQueue loop;
  auto t = make_target(loop);
  const Addr end = 0x600000 + 32 * 1024 * 1024;
  auto data = pattern(16);
  auto tr = t->memory().write_virtual(end - 4, data);
  CHECK(tr.bytes == 4);
  CHECK(tr.error == errc::unmapped);
  CHECK_FALSE(tr.complete(16));
  Transfer rd;
  auto back = read(*t, end - 4, 4, rd);
  CHECK(back == std::vector<std::byte>(data.begin(), data.begin() + 4));
}

TEST_CASE("write into a read-only region stops at its start; the rest is untouched") {
  PostQueue loop;
  auto t = make_target(loop, small_layout());
  auto data = pattern(0x20, 7);
  auto tr = t->memory().write_virtual(0x1ff0, data);
  CHECK(tr.bytes == 0x10);
  CHECK(tr.error == errc::write_protected);
  Transfer rd;
  auto back = read(*t, 0x1ff0, 0x20, rd);
  REQUIRE(rd.bytes == 0x20);
  CHECK(std::equal(back.begin(), back.begin() + 0x10, data.begin()));
  CHECK(std::all_of(back.begin() + 0x10, back.end(), [](std::byte b) { return b == std::byte{0}; }));
  // The default text region is read-only through the debugger too.
  auto def = make_target(loop);
  tr = def->memory().write_virtual(0x400000, bytes({0xCC}));
  CHECK(tr.bytes == 0);
  CHECK(tr.error == errc::write_protected);
}

TEST_CASE("injected write fault: prefix written, faulting area untouched, still readable") {
  PostQueue loop;
  auto options = small_layout();
  options.faults = {{FaultKind::write, 0x1800, 0}};
  auto t = make_target(loop, options);
  REQUIRE(t);
  auto before = pattern(0x20, 3);
  auto after = pattern(0x20, 9);
  REQUIRE(t->memory().write_virtual(0x17f0, std::span(before).first(0x10)).bytes == 0x10);
  auto tr = t->memory().write_virtual(0x17f0, after);
  CHECK(tr.bytes == 0x10);
  CHECK(tr.error == errc::injected_fault);
  Transfer rd;
  auto back = read(*t, 0x17f0, 0x20, rd);
  CHECK(rd.bytes == 0x20);  // reads of a write-fault area succeed
  CHECK(std::equal(back.begin(), back.begin() + 0x10, after.begin()));
  CHECK(std::all_of(back.begin() + 0x10, back.end(), [](std::byte b) { return b == std::byte{0}; }));
  // The fault runs to the end of its region: 0x1fff faults too.
  CHECK(t->memory().write_virtual(0x1fff, bytes({1})).error == errc::injected_fault);
}

TEST_CASE("injected read fault with a length") {
  PostQueue loop;
  auto options = small_layout();
  options.faults = {{FaultKind::read, 0x1100, 0x10}};
  auto t = make_target(loop, options);
  REQUIRE(t);
  Transfer tr;
  auto out = read(*t, 0x10f0, 0x40, tr);
  CHECK(tr.bytes == 0x10);
  CHECK(tr.error == errc::injected_fault);
  read(*t, 0x1110, 0x10, tr);
  CHECK(tr.bytes == 0x10);
  // Writes into a read-fault area succeed.
  CHECK(t->memory().write_virtual(0x1100, pattern(0x10)).bytes == 0x10);
}

TEST_CASE("large transfers round-trip") {
  PostQueue loop;
  auto t = make_target(loop);
  auto data = pattern(8 * 1024 * 1024, 5);
  auto tr = t->memory().write_virtual(0x700000, data);
  CHECK(tr.bytes == data.size());
  CHECK_FALSE(tr.error);
  std::vector<std::byte> back(data.size());
  CHECK(t->memory().read_virtual(0x700000, back).bytes == data.size());
  CHECK(back == data);
}

TEST_CASE("overlapping regions and misplaced faults are refused") {
  PostQueue loop;
  EmulatedOptions o;
  o.regions = {region(0x1000, 0x1000, "rw-", "a"), region(0x1800, 0x1000, "rw-", "b")};
  auto t = emulated::make_emulated_target(o, loop.post());
  REQUIRE_FALSE(t.has_value());
  CHECK(t.error().find("overlaps") != std::string::npos);

  o.regions = {region(0x1000, 0x1000, "rw-")};
  o.faults = {{FaultKind::read, 0x9000, 0}};
  t = emulated::make_emulated_target(o, loop.post());
  REQUIRE_FALSE(t.has_value());
  CHECK(t.error().find("no region") != std::string::npos);

  CHECK_FALSE(emulated::make_emulated_target({}, nullptr).has_value());
}

TEST_CASE("monitor: regions, fault, fault clear") {
  PostQueue loop;
  auto t = make_target(loop, small_layout());
  auto* mon = t->monitor();
  REQUIRE(mon);
  CHECK(mon->commands().size() == 2);
  std::error_code ec;
  auto text = mon->run("regions", ec);
  REQUIRE(text);
  CHECK_FALSE(ec);
  CHECK(text->find("0x0000000000001000-0x0000000000002000 rw- rw") != std::string::npos);
  CHECK(text->find("-w- wo") != std::string::npos);

  text = mon->run("fault write 0x1010,4", ec);
  REQUIRE(text);
  CHECK_FALSE(ec);
  auto tr = t->memory().write_virtual(0x1000, pattern(0x20));
  CHECK(tr.bytes == 0x10);
  CHECK(tr.error == errc::injected_fault);
  CHECK(t->memory().write_virtual(0x1014, pattern(4)).bytes == 4);  // past the 4 faulting bytes
  CHECK(mon->run("regions", ec)->find("fault write 0x0000000000001010-0x0000000000001014") != std::string::npos);

  CHECK(mon->run("  fault read 0x2000  ", ec));
  CHECK_FALSE(ec);
  Transfer rd;
  read(*t, 0x2000, 4, rd);
  CHECK(rd.error == errc::injected_fault);

  CHECK(mon->run("fault clear", ec));
  CHECK(t->memory().write_virtual(0x1000, pattern(0x20)).bytes == 0x20);
  read(*t, 0x2000, 4, rd);
  CHECK(rd.bytes == 4);

  for (const char* bad : {"fault", "fault bogus 0x1000", "fault read", "fault read zz", "fault write 0x9000",
                          "fault read 0x1000,0", "fault clear now"}) {
    CAPTURE(bad);
    ec.clear();
    auto r = mon->run(bad, ec);
    CHECK(r.has_value());
    CHECK(ec == errc::invalid_argument);
  }
  CHECK_FALSE(mon->run("frobnicate", ec).has_value());
}

TEST_CASE("memory after kill reports no process") {
  PostQueue loop;
  auto t = make_target(loop);
  REQUIRE_FALSE(t->kill());
  Transfer tr;
  read(*t, 0x400000, 4, tr);
  CHECK(tr.error == errc::no_process);
  CHECK(t->memory().write_virtual(0x600000, bytes({1})).error == errc::no_process);
}

TEST_CASE("parse_region_spec accepts C numbers, permissions and names") {
  auto r = parse_region_spec("0x1000,4096,r-x,text,with,commas");
  REQUIRE(r);
  CHECK(r->start == 0x1000);
  CHECK(r->size == 4096);
  CHECK((r->readable && !r->writable && r->executable));
  CHECK(r->name == "text,with,commas");
  r = parse_region_spec("010,0X10,rw");
  REQUIRE(r);
  CHECK(r->start == 8);
  CHECK(r->size == 16);
  CHECK((r->readable && r->writable && !r->executable));
  CHECK(r->name.empty());
  r = parse_region_spec("0,1,---");
  REQUIRE(r);
  CHECK_FALSE((r->readable || r->writable || r->executable));
  CHECK(parse_region_spec("0xfffffffffffff000,0xfff,rw-"));
}

TEST_CASE("parse_region_spec errors") {
  for (const char* bad : {"", "0x1000", "0x1000,0x10", "zz,0x10,rw-", "0x1000,zz,rw-", "-1,0x10,rw-",
                          "0x1000,0,rw-", "0xfffffffffffff000,0x1000,rw-", "0x1000,0x10,",
                          "0x1000,0x10,rwq", "0x1000,0x10,rr", "0x1000,0x10,rw-,", "0x1g,1,r",
                          "99999999999999999999,1,r", "0x,1,r"}) {
    CAPTURE(bad);
    auto r = parse_region_spec(bad);
    CHECK_FALSE(r.has_value());
    if (!r) CHECK_FALSE(r.error().empty());
  }
}

TEST_CASE("parse_fault_spec") {
  auto f = parse_fault_spec("read:0x1000");
  REQUIRE(f);
  CHECK(f->kind == FaultKind::read);
  CHECK(f->address == 0x1000);
  CHECK(f->length == 0);
  f = parse_fault_spec("write:4096,16");
  REQUIRE(f);
  CHECK(f->kind == FaultKind::write);
  CHECK(f->address == 4096);
  CHECK(f->length == 16);
  for (const char* bad : {"", "read", "exec:0x1000", "read:", "read:zz", "read:0x1000,", "read:0x1000,zz",
                          "read:0x1000,0", "write:0xffffffffffffffff,2", "read:0x1000,4,5"}) {
    CAPTURE(bad);
    auto r = parse_fault_spec(bad);
    CHECK_FALSE(r.has_value());
    if (!r) CHECK_FALSE(r.error().empty());
  }
}
