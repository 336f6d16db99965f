// The readable --trace: each packet kind decoded into its fields, errors marked, binary shown
// as text or short hex, long payloads cut with their length; and --trace-format=raw unchanged.
#include "stub/trace_format.hpp"

#include <doctest/doctest.h>

#include <cstdio>

#include "stub/trace.hpp"

using remora::rsp::PacketObserver;
using remora::stub::packet_name;
using remora::stub::show_bytes;
using remora::stub::TraceFormat;
using remora::stub::TraceFormatter;
using remora::stub::TraceWriter;

TEST_CASE("memory requests show address and length") {
  TraceFormatter f;
  CHECK(f.request("m401000,40") == "m addr=0x401000 len=64");
  CHECK(f.request("x0000000000401000,1000") == "x addr=0x401000 len=4096");
  CHECK(f.request("M600100,4:11223344") == "M addr=0x600100 len=4 data=11223344");
  CHECK(f.request("M600100,2:6869") == "M addr=0x600100 len=2 data=\"hi\"");
  // X: gdb's binary escape ('}' then byte ^ 0x20) undone before the bytes are shown.
  CHECK(f.request(std::string("X401000,3:") + "}]\x01\x02") == "X addr=0x401000 len=3 data=7d0102");
  CHECK(f.request("X401000,0:") == "X addr=0x401000 len=0 data=(none)");
}

TEST_CASE("a large X shows its length and only the first bytes") {
  TraceFormatter f;
  std::string data(4096, '\x90');
  auto line = f.request("X401000,1000:" + data);
  std::string shown;
  for (int i = 0; i < 32; ++i) shown += "90";
  CHECK(line == "X addr=0x401000 len=4096 data=" + shown + "... (4096 bytes)");
  CHECK(line.size() < 120);
}

TEST_CASE("replies to memory reads: the bytes as text or hex, cut with their count") {
  TraceFormatter f;
  f.request("m401000,4");
  CHECK(f.reply("7f454c46") == "4 bytes 7f454c46");
  f.request("m600000,5");
  CHECK(f.reply("68656c6c6f") == "5 bytes \"hello\"");
  f.request("m400000,100");
  auto line = f.reply(std::string(512, '0'));
  CHECK(line == "256 bytes " + std::string(64, '0') + "... (256 bytes)");
  f.request("x400000,2");
  CHECK(f.reply("b\x01\x02") == "2 bytes 0102");
}

TEST_CASE("stop replies: signal named, thread and reason as fields, registers counted") {
  TraceFormatter f;
  f.request("vCont;c:p1.-1");
  CHECK(f.reply("T05thread:p1.1;swbreak:;06:0000000000000000;07:00f0ffffff7f0000;10:3611400000000000;") ==
        "T05 (SIGTRAP) thread=p1.1 swbreak (+3 registers)");
  f.request("c");
  CHECK(f.reply("T0bthread:p2f.2f;core:1;") == "T0b (SIGSEGV) thread=p2f.2f core=1");
  f.request("s");
  CHECK(f.reply("S05") == "S05 (SIGTRAP)");
  f.request("vCont;c");
  CHECK(f.reply("W03;process:1234") == "W exited, status=3 process:1234");
  f.request("c");
  CHECK(f.reply("X09") == "X killed by signal 09 (SIGKILL)");
}

TEST_CASE("vCont keeps its text and says what each action asks") {
  TraceFormatter f;
  CHECK(f.request("vCont;c:p1.-1") == "vCont;c:p1.-1 (continue p1.-1)");
  CHECK(f.request("vCont;s:p1.1;c") == "vCont;s:p1.1;c (step p1.1; continue all)");
  CHECK(f.request("vCont;C0b:1") == "vCont;C0b:1 (continue with signal 0b (SIGSEGV) 1)");
  CHECK(f.request("vCont?") == "vCont?");
}

TEST_CASE("breakpoints: type named, address and kind as fields") {
  TraceFormatter f;
  CHECK(f.request("Z0,401136,1") == "Z0 addr=0x401136 kind=1 (insert software breakpoint)");
  CHECK(f.request("z0,401136,1") == "z0 addr=0x401136 kind=1 (remove software breakpoint)");
  CHECK(f.request("Z2,600100,4") == "Z2 addr=0x600100 kind=4 (insert write watchpoint)");
}

TEST_CASE("qSupported: features one by one, in both directions") {
  TraceFormatter f;
  CHECK(f.request("qSupported:multiprocess+;swbreak+;xmlRegisters=i386") ==
        "qSupported multiprocess+ swbreak+ xmlRegisters=i386");
  CHECK(f.reply("PacketSize=40000;QStartNoAckMode+;qXfer:features:read+") ==
        "features: PacketSize=40000 QStartNoAckMode+ qXfer:features:read+");
}

TEST_CASE("errors stand out: Enn, E.text and lldb's Enn;HEX") {
  TraceFormatter f;
  f.request("M600ffc,8:0102030405060708");
  CHECK(f.reply("E0e") == "!! ERROR E0e");
  CHECK(f.reply("E.memory write stopped at 0x601000") == "!! ERROR E.memory write stopped at 0x601000");
  CHECK(f.reply("E0e;6e6f") == "!! ERROR E0e: \"no\"");
  f.request("m0,4");
  CHECK(f.reply("E0e") == "!! ERROR E0e");
}

TEST_CASE("registers, threads, monitor, qXfer and vRun decoded") {
  TraceFormatter f;
  CHECK(f.request("g") == "g (read all registers)");
  CHECK(f.request("G" + std::string(32, '0')) == "G (write all registers) 16 bytes");
  CHECK(f.request("p10") == "p reg=0x10");
  CHECK(f.request("P0=3412000000000000") == "P reg=0x0 value=3412000000000000");
  CHECK(f.request("Hgp1.1") == "Hg thread=p1.1");
  CHECK(f.request("C0b") == "C sig=0b (SIGSEGV)");
  CHECK(f.request("qXfer:features:read:target.xml:0,ffb") ==
        "qXfer features read annex=target.xml offset=0x0 len=4091");
  CHECK(f.reply("l<?xml version=\"1.0\"?>") == "l (last part) 21 bytes \"<?xml version=\\x221.0\\x22?>\"");
  CHECK(f.request("qRcmd,7374617473") == "qRcmd (monitor) \"stats\"");
  CHECK(f.reply("7061636b6574730a") == "output \"packets\\n\"");
  CHECK(f.request("vRun;2f62696e2f74727565;2d61") == "vRun \"/bin/true\" \"-a\"");
  f.request("qAttached");
  CHECK(f.reply("") == "\"\" (not supported)");
  CHECK(f.reply("OK") == "OK");
}

TEST_CASE("packets it does not decode are shown as sent, escaped and cut") {
  TraceFormatter f;
  CHECK(f.request("qfThreadInfo") == "qfThreadInfo");
  CHECK(f.request(std::string("vFile:pread:3,10,0")) == "vFile:pread:3,10,0");
  auto line = f.request("jUnknown:" + std::string(300, 'a'));
  CHECK(line == "jUnknown:" + std::string(191, 'a') + "... (309 bytes)");
  CHECK(f.request(std::string("qX\x01")) == "qX\\x01");
}

TEST_CASE("show_bytes: text when printable, hex otherwise, elided with the length") {
  CHECK(show_bytes("hello") == "\"hello\"");
  CHECK(show_bytes(std::string("\x7f" "ELF\x02\x01", 6)) == "7f454c460201");
  CHECK(show_bytes(std::string(40, 'a'), 8) == "\"aaaaaaaa\"... (40 bytes)");
  CHECK(show_bytes("") == "(none)");
}

TEST_CASE("packet names for the trace and stats") {
  CHECK(packet_name("m401000,4") == "m");
  CHECK(packet_name("vCont;c") == "vCont");
  CHECK(packet_name("vCont?") == "vCont?");
  CHECK(packet_name("qXfer:features:read:target.xml:0,ffb") == "qXfer");
  CHECK(packet_name("qC") == "qC");
}

namespace {
std::string written_by(TraceFormat format, bool enabled, bool switch_on) {
  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  {
    TraceWriter writer(file, format, enabled);
    if (switch_on) CHECK(writer.set_tracing(true));
    writer.on_packet(PacketObserver::Direction::from_client, "m401000,4");
    writer.on_packet(PacketObserver::Direction::to_client, "E0e");
    writer.on_note("a note");
  }
  std::rewind(file);
  char buf[512] = {};
  std::size_t n = std::fread(buf, 1, sizeof buf - 1, file);
  std::fclose(file);
  return std::string(buf, n);
}
}  // namespace

TEST_CASE("the writer: readable by default, raw on request, silent until switched on") {
  auto readable = written_by(TraceFormat::readable, true, false);
  CHECK(readable.find(" -> m addr=0x401000 len=4\n") != std::string::npos);
  CHECK(readable.find(" <- !! ERROR E0e\n") != std::string::npos);
  auto raw = written_by(TraceFormat::raw, true, false);
  CHECK(raw.find(" -> m401000,4\n") != std::string::npos);
  CHECK(raw.find(" <- E0e\n") != std::string::npos);
  CHECK(written_by(TraceFormat::readable, false, false).empty());
  auto switched = written_by(TraceFormat::readable, false, true);
  CHECK(switched.find(" remora: a note\n") != std::string::npos);
}

TEST_CASE("a trace switched on mid-packet still decodes the reply (monitor trace on)") {
  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  {
    TraceWriter writer(file, TraceFormat::readable, false);
    writer.on_packet(PacketObserver::Direction::from_client, "qRcmd,7472616365206f6e");
    writer.set_tracing(true);
    writer.on_packet(PacketObserver::Direction::to_client, "7061636b6574207472616365206f6e0a");
    writer.on_packet(PacketObserver::Direction::from_client, "m0,1");
    writer.on_packet(PacketObserver::Direction::to_client, "41");
  }
  std::rewind(file);
  char buf[512] = {};
  std::size_t n = std::fread(buf, 1, sizeof buf - 1, file);
  std::fclose(file);
  std::string text(buf, n);
  CHECK(text.find(" <- output \"packet trace on\\n\"\n") != std::string::npos);
  CHECK(text.find(" <- 1 byte \"A\"\n") != std::string::npos);
}
