// lldb's memory packets over the default emulated layout (text r-x [0x400000, 0x410000), data
// rw- [0x600000, 0x2600000), stack rw- [0x7ffffffde000, 0x7ffffffff000)): qMemoryRegionInfo for
// regions and gaps, _M / _m allocation, and `x` in lldb's and gdb 16's forms.
#include <doctest/doctest.h>

#include <string>

#include "tests/support/transcript.hpp"

using namespace remora;
using test::frame;
using test::payload_of;
using test::Transcript;

namespace {

std::string ask(Transcript& t, std::string_view packet) { return payload_of(t.feed(frame(packet))); }
std::string hex_of(std::string_view text) { return rsp::to_hex(text); }

}  // namespace

TEST_CASE("qMemoryRegionInfo: regions with permissions and names; gaps without permissions") {
  Transcript t;
  REQUIRE(t.ok());
  CHECK(ask(t, "qMemoryRegionInfo:400000") == "start:400000;size:10000;permissions:rx;name:" + hex_of("text") + ";");
  CHECK(ask(t, "qMemoryRegionInfo:40ffff") == "start:400000;size:10000;permissions:rx;name:" + hex_of("text") + ";");
  CHECK(ask(t, "qMemoryRegionInfo:600123") == "start:600000;size:2000000;permissions:rw;name:" + hex_of("data") + ";");
  // The gap between text and data, whichever address in it is asked about.
  CHECK(ask(t, "qMemoryRegionInfo:410000") == "start:410000;size:1f0000;");
  CHECK(ask(t, "qMemoryRegionInfo:5fffff") == "start:410000;size:1f0000;");
  // Below the first region, and above the last one (to the end of the address space).
  CHECK(ask(t, "qMemoryRegionInfo:0") == "start:0;size:400000;");
  CHECK(ask(t, "qMemoryRegionInfo:7ffffffff000") == "start:7ffffffff000;size:ffff800000000fff;");
  CHECK(ask(t, "qMemoryRegionInfo:ffffffffffffffff") == "start:7ffffffff000;size:ffff800000000fff;");
  CHECK(ask(t, "qMemoryRegionInfo") == "E16");
  CHECK(ask(t, "qMemoryRegionInfo:") == "E16");
  CHECK(ask(t, "qMemoryRegionInfo:12g") == "E16");
}

TEST_CASE("a mapped region without permissions is reported like lldb-server: no permissions key") {
  targets::emulated::EmulatedOptions emulated;
  emulated.regions.push_back({0x1000, 0x1000, false, false, false, "guard"});
  emulated.regions.push_back({0x2000, 0x1000, true, false, false, ""});
  Transcript t({}, emulated);
  REQUIRE(t.ok());
  CHECK(ask(t, "qMemoryRegionInfo:1800") == "start:1000;size:1000;name:" + hex_of("guard") + ";");
  CHECK(ask(t, "qMemoryRegionInfo:2000") == "start:2000;size:1000;permissions:r;");
}

TEST_CASE("_M carves a new region, usable at once; _m removes only what _M made") {
  Transcript t;
  REQUIRE(t.ok());
  CHECK(ask(t, "_M1000,rw") == "10000000");
  CHECK(ask(t, "qMemoryRegionInfo:10000000") == "start:10000000;size:1000;permissions:rw;name:" + hex_of("allocated") + ";");
  CHECK(ask(t, "m10000000,4") == "00000000");  // new memory reads as zeros
  CHECK(ask(t, "M10000ffe,2:abcd") == "OK");
  CHECK(ask(t, "x10000ffe,2") == "\xab\xcd");
  CHECK(ask(t, "M10000fff,2:0102") == "E0e");  // one page, rounded up, no more
  // Sizes round up to pages; the next allocation follows; executable memory for JIT code.
  CHECK(ask(t, "_M1,rx") == "10001000");
  CHECK(ask(t, "qMemoryRegionInfo:10001000") == "start:10001000;size:1000;permissions:rx;name:" + hex_of("allocated") + ";");
  CHECK(ask(t, "M10001000,1:00") == "E0e");  // read-only to the debugger too, as asked
  CHECK(ask(t, "_M2001,") == "10002000");   // no permissions at all is legal
  CHECK(ask(t, "qMemoryRegionInfo:10004fff") == "start:10002000;size:3000;name:" + hex_of("allocated") + ";");
  // Freed memory is gone; its address is reused first.
  CHECK(ask(t, "_m10000000") == "OK");
  CHECK(ask(t, "m10000000,1") == "E0e");
  // The gap now runs from the end of data to the next allocation.
  CHECK(ask(t, "qMemoryRegionInfo:10000000") == "start:2600000;size:da01000;");
  CHECK(ask(t, "_m10000000") == "E16");     // twice
  CHECK(ask(t, "_m600000") == "E16");       // the program's own memory is never unmapped
  CHECK(ask(t, "_m10001001") == "E16");     // not the start of an allocation
  CHECK(ask(t, "_M1000,rwx") == "10000000");
  // Malformed requests.
  CHECK(ask(t, "_M0,rw") == "E16");
  CHECK(ask(t, "_M1000,rq") == "E16");
  CHECK(ask(t, "_M1000,rr") == "E16");
  CHECK(ask(t, "_M1000") == "E16");
  CHECK(ask(t, "_M200000000,rw") == "E05");  // more than the emulated allocator hands out
  CHECK(ask(t, "_m") == "E16");
}

TEST_CASE("x: lldb gets raw binary and OK for its x0,0 probe; gdb 16 with binary-upload+ gets 'b'") {
  Transcript lldb;
  REQUIRE(lldb.ok());
  CHECK(ask(lldb, "M600000,4:237d2a24") == "OK");
  CHECK(ask(lldb, "x0,0") == "OK");
  CHECK(ask(lldb, "x600000,4") == "}\x03}]}\x0a}\x04");  // '#' '}' '*' '$' escaped
  CHECK(ask(lldb, "x2600000,4") == "E0e");

  Transcript gdb;
  REQUIRE(gdb.ok());
  const auto supported = ask(gdb, "qSupported:multiprocess+;binary-upload+");
  CHECK(supported.find(";binary-upload+") != std::string::npos);
  CHECK(ask(gdb, "M600000,4:237d2a24") == "OK");
  CHECK(ask(gdb, "x600000,4") == "b}\x03}]}\x0a}\x04");
  CHECK(ask(gdb, "x600000,0") == "b");
  CHECK(ask(gdb, "x25ffffe,4") == std::string("b\0\0", 3));  // the readable prefix
  CHECK(ask(gdb, "x2600000,4") == "E0e");
  // A gdb that did not offer it is not told about it.
  Transcript old_gdb;
  CHECK(ask(old_gdb, "qSupported:multiprocess+").find("binary-upload") == std::string::npos);
}
