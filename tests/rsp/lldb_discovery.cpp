// lldb's discovery packets over the default emulated target: qHostInfo, qProcessInfo,
// qRegisterInfoN, qGetWorkingDir, qWatchpointSupportInfo, qSupported's lldb features and the
// flat target.xml lldb is given.
#include <doctest/doctest.h>

#include <string>

#include "tests/support/transcript.hpp"

using namespace remora;
using test::frame;
using test::payload_of;
using test::Transcript;

namespace {

std::string ask(Transcript& t, std::string_view packet) { return payload_of(t.feed(frame(packet))); }

// An lldb session as lldb-16 opens it (the packets it sends before any query of its own).
void lldb_handshake(Transcript& t) {
  REQUIRE(t.ok());
  CHECK(ask(t, "QStartNoAckMode") == "OK");
  const auto supported = payload_of(t.feed(frame("qSupported:xmlRegisters=i386,arm,mips,arc;multiprocess+;fork-events+;vfork-events+")));
  CHECK(supported.find(";multiprocess+") != std::string::npos);
  CHECK(supported.find("binary-upload") == std::string::npos);  // lldb did not offer it
  CHECK(payload_of(t.feed(frame("QThreadSuffixSupported"))) == "OK");
  CHECK(payload_of(t.feed(frame("QListThreadsInStopReply"))) == "OK");
}

std::string hex_of(std::string_view text) { return rsp::to_hex(text); }

}  // namespace

TEST_CASE("qHostInfo and qProcessInfo describe an x86-64 Linux process from the description") {
  Transcript t;
  lldb_handshake(t);
  CHECK(ask(t, "qHostInfo") ==
        "triple:" + hex_of("x86_64-pc-linux-gnu") + ";endian:little;ptrsize:8;ostype:linux;"
        "watchpoint_exceptions_received:after;");
  CHECK(ask(t, "qProcessInfo") == "pid:1;triple:" + hex_of("x86_64-pc-linux-gnu") + ";endian:little;ptrsize:8;ostype:linux;");
  CHECK(ask(t, "qHostInfo:x") == "E16");  // no arguments
  // After a kill there is no process to describe.
  t.feed(frame("vKill;1"));
  CHECK(ask(t, "qProcessInfo") == "E03");
}

TEST_CASE("qRegisterInfoN: name, g-block offset, lldb encoding, set, DWARF/EH numbers, generic role") {
  Transcript t;
  lldb_handshake(t);
  CHECK(ask(t, "qRegisterInfo0") ==
        "name:rax;bitsize:64;offset:0;encoding:uint;format:hex;set:General Purpose Registers;gcc:0;ehframe:0;dwarf:0;");
  // rip (16): the pc, alt-name pc, at 16*8 in the g block; DWARF 16.
  CHECK(ask(t, "qRegisterInfo10") ==
        "name:rip;alt-name:pc;bitsize:64;offset:128;encoding:uint;format:hex;set:General Purpose Registers;"
        "gcc:16;ehframe:16;dwarf:16;generic:pc;");
  // rdi (5) carries the first argument.
  CHECK(ask(t, "qRegisterInfo5").find(";generic:arg1;") != std::string::npos);
  // eflags: 32 bits after rip's 8 bytes; the flags role.
  CHECK(ask(t, "qRegisterInfo11") ==
        "name:eflags;alt-name:flags;bitsize:32;offset:136;encoding:uint;format:hex;set:General Purpose Registers;"
        "gcc:49;ehframe:49;dwarf:49;generic:flags;");
  // xmm0 (0x28): a vector in the FPU set, after rax..gs (8*17 + 4*7), st0-7 (8*10), fctrl..fop (8*4).
  CHECK(ask(t, "qRegisterInfo28") ==
        "name:xmm0;bitsize:128;offset:" + std::to_string(17 * 8 + 7 * 4 + 8 * 10 + 8 * 4) +
        ";encoding:vector;format:vector-uint8;set:Floating Point Registers;gcc:17;ehframe:17;dwarf:17;");
  // fs_base (58) has a DWARF number, orig_rax (57) has none.
  CHECK(ask(t, "qRegisterInfo3a").find("name:fs_base;") == 0);
  CHECK(ask(t, "qRegisterInfo3a").find(";dwarf:58;") != std::string::npos);
  CHECK(ask(t, "qRegisterInfo39").find("name:orig_rax;") == 0);
  CHECK(ask(t, "qRegisterInfo39").find("dwarf") == std::string::npos);
  // lldb asks until an error ends the list: gs_base (59) is the last.
  CHECK(ask(t, "qRegisterInfo3b").find("name:gs_base;") == 0);
  CHECK(ask(t, "qRegisterInfo3c") == "E16");
  CHECK(ask(t, "qRegisterInfo") == "E16");
  CHECK(ask(t, "qRegisterInfozz") == "E16");
}

TEST_CASE("lldb gets a flat target.xml with lldb's attributes; gdb keeps the xi:include form") {
  Transcript gdb;
  const auto gdb_xml = payload_of(gdb.feed(frame("qXfer:features:read:target.xml:0,3fff")));
  CHECK(gdb_xml.find("xi:include") != std::string::npos);
  CHECK(gdb_xml.find("encoding=") == std::string::npos);

  Transcript t;
  lldb_handshake(t);
  const auto xml = payload_of(t.feed(frame("qXfer:features:read:target.xml:0,3ffff")));
  REQUIRE(xml.starts_with("l<?xml"));  // all of it in one reply
  CHECK(xml.find("xi:include") == std::string::npos);
  CHECK(xml.find("<architecture>i386:x86-64</architecture>") != std::string::npos);
  CHECK(xml.find("<reg name=\"rip\" bitsize=\"64\" regnum=\"16\" offset=\"128\" encoding=\"uint\" format=\"hex\" "
                 "group=\"General Purpose Registers\" ehframe_regnum=\"16\" dwarf_regnum=\"16\" generic=\"pc\"/>") !=
        std::string::npos);
  CHECK(xml.find("<reg name=\"rsp\" bitsize=\"64\" regnum=\"7\" offset=\"56\"") != std::string::npos);
  CHECK(xml.find("name=\"xmm15\" bitsize=\"128\" regnum=\"55\"") != std::string::npos);
  CHECK(xml.find("<reg name=\"gs_base\"") != std::string::npos);
  CHECK(xml.find("<feature name=\"org.gnu.gdb.i386.sse\">") != std::string::npos);
  CHECK(xml.ends_with("</target>\n"));
  // Read in pieces, it is the same document.
  const auto first = payload_of(t.feed(frame("qXfer:features:read:target.xml:0,100")));
  REQUIRE(first.size() == 0x101);
  CHECK(first.substr(1) == xml.substr(1, 0x100));
}

TEST_CASE("qGetWorkingDir and qWatchpointSupportInfo answer from the target's accessors") {
  Transcript t;
  lldb_handshake(t);
  // The emulated machine has no working directory: the packet is not supported.
  CHECK(ask(t, "qGetWorkingDir") == "");
  // It supports no watchpoint kind: zero slots, so lldb refuses `watchpoint set` up front.
  CHECK(ask(t, "qWatchpointSupportInfo:") == "num:0;");
  CHECK(ask(t, "qWatchpointSupportInfo") == "num:0;");
  CHECK(ask(t, "qWatchpointSupportInfo:4") == "E16");
}
