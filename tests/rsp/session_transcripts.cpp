// Exact bytes in -> exact bytes out through a Session over the default emulated target: the
// link layer (acks, no-ack mode, NACK, checksums, oversized frames), negotiation, registers,
// execution and stop replies. Memory transcripts are in session_memory.cpp.
#include <doctest/doctest.h>

#include <string>

#include "rsp/framing.hpp"
#include "targets/arch/amd64.hpp"
#include "tests/support/transcript.hpp"

using namespace remora;
using test::acked;
using test::frame;
using test::le_hex64;
using test::Transcript;
using test::unacked;

namespace {

constexpr std::uint64_t kEntry = 0x400000;
constexpr std::uint64_t kInitialRsp = 0x7ffffffff000 - 8;  // 8 below the end of the stack
constexpr std::uint64_t kSpin = 0x40fff0;                   // `jmp .` in the default text

// The T reply remora sends for a stop of the emulated thread (1) at `pc`, no multiprocess.
std::string stop_reply(int signal, std::uint64_t pc, std::string_view reason = "") {
  std::string out = "T";
  rsp::append_hex_byte(out, static_cast<std::uint8_t>(signal));
  out += "thread:1;06:" + le_hex64(0) + ";07:" + le_hex64(kInitialRsp) + ";10:" + le_hex64(pc) + ";";
  out += reason;
  return out;
}

std::string hex_text(std::string_view text) { return rsp::to_hex(text); }

}  // namespace

TEST_CASE("every packet is acknowledged before its reply") {
  Transcript t;
  REQUIRE(t.ok());
  CHECK(t.feed("$?#3f") == acked(stop_reply(5, kEntry)));
  CHECK(t.feed("$vMustReplyEmpty#3a") == "+$#00");  // unknown packet: the empty reply
  CHECK(t.feed("+") == "");                           // the client's ack of our reply: nothing
  CHECK(t.feed("$qC#b4") == "+$QC1#c5");
  CHECK(t.session().stats().packets_in == 3);
}

TEST_CASE("QStartNoAckMode: the OK is still acknowledged, nothing after it is") {
  Transcript t;
  CHECK(t.feed("$QStartNoAckMode#b0") == "+$OK#9a");
  CHECK(t.feed("+") == "");
  CHECK(t.feed("$vCont?#49") == "$vCont;c;C;s;S;t#11");
  CHECK(t.feed("$qC#b4") == "$QC1#c5");
}

TEST_CASE("NACK resends the last frame; a NACK before any reply sends nothing") {
  Transcript t;
  CHECK(t.feed("-") == "");
  const std::string reply = t.feed("$qC#b4");
  CHECK(reply == "+$QC1#c5");
  CHECK(t.feed("-") == "$QC1#c5");
  CHECK(t.feed("--") == "$QC1#c5$QC1#c5");
  CHECK(t.session().stats().nacks == 4);
}

TEST_CASE("in no-ack mode a stray '-' is not a NACK") {
  // gdbserver discards '+' and '-' once acks are off; resending would put an unrequested
  // reply in front of the next one.
  Transcript t;
  CHECK(t.feed("$QStartNoAckMode#b0") == "+$OK#9a");
  CHECK(t.feed("$qC#b4") == "$QC1#c5");
  CHECK(t.feed("-") == "");
}

TEST_CASE("bad checksum: '-' in ack mode, an error reply (the packet not run) in no-ack mode") {
  Transcript t;
  CHECK(t.feed("$qC#00") == "-");
  CHECK(t.feed("$qC#zz") == "-");  // checksum digits that are not hex
  CHECK(t.session().stats().bad_checksums == 2);
  CHECK(t.session().stats().packets_in == 0);
  CHECK(t.feed("$qC#b4") == "+$QC1#c5");  // the resend goes through
  CHECK(t.feed("$QStartNoAckMode#b0") == "+$OK#9a");
  CHECK(t.feed("$qC#00") == "$E16#ac");
  CHECK(t.session().stats().bad_checksums == 3);
  CHECK(t.feed("$M600000,1:aa#00") == "$E16#ac");  // a corrupt write must not land
  CHECK(t.feed("$m600000,1#f0") == "$00#60");
}

TEST_CASE("an oversized frame gets an error reply and the session goes on") {
  rsp::SessionOptions options;
  options.packet_size = 0x100;
  Transcript t(options);
  const std::string big = frame("M600000,200:" + std::string(0x400, 'a'));
  CHECK(t.feed(big) == acked("E1b"));
  CHECK(t.session().stats().overflows == 1);
  CHECK(t.feed("$qC#b4") == "+$QC1#c5");
  // A frame just within the limit is taken.
  CHECK(t.feed(frame("M600000,40:" + std::string(0x80, 'a'))) == "+$OK#9a");
}

TEST_CASE("qSupported: derived from the target and what the client offered") {
  Transcript t;
  // qXfer:threads:read+ is offered for every backend: the list comes from Target::threads().
  CHECK(t.feed(frame("qSupported")) ==
        acked("PacketSize=40000;QStartNoAckMode+;qXfer:features:read+;vContSupported+;qXfer:threads:read+"));
  CHECK(t.feed(frame("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386;error-message+")) ==
        acked("PacketSize=40000;QStartNoAckMode+;qXfer:features:read+;vContSupported+;swbreak+;hwbreak+;"
              "multiprocess+;error-message+;qXfer:threads:read+"));
  // What is offered is served (GDB manual, "Thread List Format"); multiprocess ids after multiprocess+.
  CHECK(t.feed(frame("qXfer:threads:read::0,fff")) ==
        acked("l<?xml version=\"1.0\"?>\n<threads>\n<thread id=\"p1.1\" name=\"emulated\"/>\n</threads>\n"));
  // A new qSupported replaces what the previous one negotiated.
  const std::string plain = t.feed(frame("qSupported:xmlRegisters=i386"));
  CHECK(plain.find("swbreak") == std::string::npos);
  CHECK(plain.find("multiprocess") == std::string::npos);
  CHECK(plain.find("memory-map") == std::string::npos);

  rsp::SessionOptions with_map;
  with_map.offer_memory_map = true;
  Transcript m(with_map);
  const std::string reply = m.feed(frame("qSupported:swbreak+"));
  CHECK(reply == acked("PacketSize=40000;QStartNoAckMode+;qXfer:features:read+;vContSupported+;"
                       "qXfer:memory-map:read+;swbreak+;qXfer:threads:read+"));
  const std::string map = test::payload_of(m.feed(frame("qXfer:memory-map:read::0,1000")));
  CHECK(map.starts_with("l<?xml"));
  CHECK(map.find("<memory type=\"rom\" start=\"0x400000\" length=\"0x10000\"/>") != std::string::npos);
  CHECK(map.find("<memory type=\"ram\" start=\"0x600000\" length=\"0x2000000\"/>") != std::string::npos);
  // Without the option the object is unknown: the empty reply.
  CHECK(t.feed(frame("qXfer:memory-map:read::0,1000")) == "+$#00");
}

TEST_CASE("? answers the stop with expedited fp, sp, pc and the thread") {
  Transcript t;
  CHECK(t.feed(frame("?")) == "+" + rsp::make_frame(stop_reply(5, kEntry), true));
  // Pinned literally once: run-length encoded zeros, little-endian rsp and rip.
  CHECK(t.feed(frame("?")) ==
        "+$T05thread:1;06:0*,;07:f8ef*\"f7f0* ;10:0* 40*';#4b");
  t.feed(frame("qSupported:multiprocess+"));
  CHECK(test::payload_of(t.feed(frame("?"))).starts_with("T05thread:p1.1;06:"));
}

TEST_CASE("g: the whole register block; G writes it back") {
  Transcript t;
  std::size_t bytes = 0;
  for (const auto& r : t.target().registers().description().registers)
    if (r.in_g_packet) bytes += r.bytes();
  CHECK(bytes == 560);  // amd64 + linux + segments, as gdbserver's amd64-linux sends it
  const std::string block = test::payload_of(t.feed(frame("g")));
  CHECK(block.size() == 2 * bytes);
  CHECK(block.substr(16 * 7, 16) == le_hex64(kInitialRsp));
  CHECK(block.substr(16 * 16, 16) == le_hex64(kEntry));
  // Write rax through G and read it back with p.
  std::string changed = block;
  changed.replace(0, 16, le_hex64(0x1122334455667788));
  CHECK(t.feed(frame("G" + changed)) == "+$OK#9a");
  CHECK(t.feed(frame("p0")) == acked(le_hex64(0x1122334455667788)));
  CHECK(t.feed(frame("G" + changed.substr(2))) == acked("E16"));  // one byte short
}

TEST_CASE("p/P round trip, sizes and unknown registers") {
  Transcript t;
  CHECK(t.feed(frame("p10")) == acked(le_hex64(kEntry)));
  CHECK(t.feed(frame("P10=" + le_hex64(0x400010))) == "+$OK#9a");
  CHECK(t.feed(frame("p10")) == acked(le_hex64(0x400010)));
  CHECK(t.feed(frame("p11")) == acked("02020000"));  // eflags is 32 bits
  CHECK(t.feed(frame("P11=0302")) == acked("E16"));  // wrong size
  CHECK(t.feed(frame("p1000")) == acked("E16"));     // no such register
  CHECK(t.feed(frame("p10;thread:1;")) == acked(le_hex64(0x400010)));  // lldb suffix
  CHECK(t.feed(frame("p10;thread:5;")) == acked("E03"));                // no such thread
  CHECK(t.feed(frame("Hg5")) == acked("E03"));
  CHECK(t.feed(frame("Hg1")) == "+$OK#9a");
  CHECK(t.feed(frame("T1")) == "+$OK#9a");
  CHECK(t.feed(frame("T2")) == acked("E03"));
}

TEST_CASE("Z0 then c stops at the breakpoint with swbreak when the client offered it") {
  Transcript t;
  t.feed(frame("qSupported:swbreak+"));
  CHECK(t.feed(frame("Z0,400010,1")) == "+$OK#9a");
  CHECK(t.feed(frame("c")) == "+" + rsp::make_frame(stop_reply(5, 0x400010, "swbreak:;"), true));
  CHECK(t.feed(frame("p10")) == acked(le_hex64(0x400010)));
  CHECK(t.feed(frame("z0,400010,1")) == "+$OK#9a");
  CHECK(t.feed(frame("Z2,600000,4")) == "+$#00");  // watchpoints: not supported, empty reply

  Transcript old_client;  // no swbreak+ offered: no swbreak key
  old_client.feed(frame("Z0,400010,1"));
  CHECK(old_client.feed(frame("c")) == acked(stop_reply(5, 0x400010)));
}

TEST_CASE("s steps one instruction and reports T05") {
  Transcript t;
  t.feed(frame("qSupported:swbreak+"));
  CHECK(t.feed(frame("s")) == acked(stop_reply(5, kEntry + 1)));
  CHECK(t.feed(frame("vCont;s:1")) == acked(stop_reply(5, kEntry + 2)));
  CHECK(t.feed(frame("s400100")) == acked(stop_reply(5, 0x400101)));  // s addr: resume there
}

TEST_CASE("c into the spin loop, then 0x03 stops it with T02") {
  Transcript t;
  CHECK(t.feed(frame("c")) == "+");
  CHECK(t.session().target_running());
  // Anything but the interrupt byte while running: busy.
  CHECK(t.feed(frame("g")) == acked("E10"));
  CHECK(t.feed(frame("m600000,4")) == acked("E10"));
  CHECK(t.feed("\x03") == acked(stop_reply(2, kSpin)).substr(1));  // the interrupt is not acked
  CHECK_FALSE(t.session().target_running());
  CHECK(t.feed(frame("p10")) == acked(le_hex64(kSpin)));
}

TEST_CASE("vCont? and vCont;c") {
  Transcript t;
  CHECK(t.feed(frame("vCont?")) == acked("vCont;c;C;s;S;t"));
  CHECK(t.feed(frame("Z0,400020,1")) == "+$OK#9a");
  CHECK(t.feed(frame("vCont;c")) == acked(stop_reply(5, 0x400020)));
  CHECK(t.feed(frame("vCont;q")) == acked("E16"));
  CHECK(t.feed(frame("vCont;c:7")) == acked("E05"));  // a thread that does not exist
  CHECK(t.feed(frame("vContX")) == "+$#00");           // a different (unknown) packet
}

TEST_CASE("a stop reply that arrives late goes out once the loop runs") {
  Transcript t;
  CHECK(t.feed_no_drain(frame("s")) == "+");
  CHECK(t.feed_no_drain(frame("qC")) == acked("E10"));
  CHECK(t.run_loop() == rsp::make_frame(stop_reply(5, kEntry + 1), true));
  CHECK(t.feed(frame("qC")) == "+$QC1#c5");
}

TEST_CASE("qXfer:features:read:target.xml comes in m/l chunks") {
  Transcript t;
  const std::string& doc = t.target().registers().description().xml.at("target.xml");
  REQUIRE(doc.size() > 0x20);
  auto chunk = [](char kind, std::string_view part) {
    std::string out(1, kind);
    rsp::append_escaped(out, std::span(reinterpret_cast<const std::byte*>(part.data()), part.size()));
    return acked(out);
  };
  CHECK(t.feed(frame("qXfer:features:read:target.xml:0,10")) == chunk('m', doc.substr(0, 0x10)));
  std::string off;
  rsp::append_hex_u64(off, doc.size() - 5);
  CHECK(t.feed(frame("qXfer:features:read:target.xml:" + off + ",100")) == chunk('l', doc.substr(doc.size() - 5)));
  std::string end;
  rsp::append_hex_u64(end, doc.size());
  CHECK(t.feed(frame("qXfer:features:read:target.xml:" + end + ",100")) == "+$l#6c");
  CHECK(t.feed(frame("qXfer:features:read:nosuch.xml:0,100")) == acked("E16"));
  CHECK(t.feed(frame("qXfer:features:read:target.xml:0")) == acked("E16"));
  CHECK(t.feed(frame("qXfer:unknown:read::0,100")) == "+$#00");
}

TEST_CASE("qRcmd: help, unknown, exit") {
  Transcript t;
  auto text = rsp::hex_to_text(test::payload_of(t.feed(frame("qRcmd," + hex_text("help")))));
  REQUIRE(text);
  CHECK(text->starts_with("remora monitor commands:\n"));
  CHECK(text->find("  exit ") != std::string::npos);
  CHECK(text->find("  regions ") != std::string::npos);  // the emulated target's own commands
  CHECK_FALSE(t.session().wants_exit());
  CHECK(t.feed(frame("qRcmd,7a")) == acked(hex_text("remora: unknown monitor command 'z'; try 'monitor help'\n")));
  CHECK(t.feed(frame("qRcmd,7")) == acked("E16"));
  CHECK(t.feed(frame("qRcmd," + hex_text("exit"))) == "+$OK#9a");
  CHECK(t.session().wants_exit());
  CHECK(t.session().wants_close());
}

TEST_CASE("D answers OK and closes; k answers nothing") {
  Transcript t;
  CHECK(t.feed(frame("D")) == "+$OK#9a");
  CHECK(t.session().wants_close());

  Transcript k;
  CHECK(k.feed(frame("k")) == "+");
  CHECK(k.session().wants_close());

  Transcript pid;
  CHECK(pid.feed(frame("D;2")) == acked("E03"));  // not the process being debugged
  CHECK(pid.feed(frame("D;1")) == "+$OK#9a");
}

TEST_CASE("thread queries and extended mode") {
  Transcript t;
  CHECK(t.feed(frame("qfThreadInfo")) == "+$m1#9e");
  CHECK(t.feed(frame("qsThreadInfo")) == "+$l#6c");
  CHECK(t.feed(frame("qAttached")) == acked(t.target().attached() ? "1" : "0"));
  CHECK(t.feed(frame("!")) == "+$#00");  // not offered without --multi
  CHECK(t.feed(frame("qC:")) == acked("E16"));

  rsp::SessionOptions multi;
  multi.extended_mode = true;
  Transcript x(multi);
  CHECK(x.feed(frame("!")) == "+$OK#9a");
  CHECK(x.feed(frame("k")) == "+$OK#9a");  // extended mode: k is answered, the link stays
  CHECK_FALSE(x.session().wants_close());
  CHECK(x.feed(frame("qfThreadInfo")) == "+$l#6c");
}

TEST_CASE("on_disconnect applies the disconnect action") {
  rsp::SessionOptions kill;
  kill.on_disconnect = rsp::DisconnectAction::kill;
  Transcript t(kill);
  CHECK(t.feed(frame("c")) == "+");
  t.session().on_disconnect();
  CHECK_FALSE(t.session().target_running());
  CHECK(t.target().threads().empty());
  CHECK(t.run_loop().empty());  // nothing is owed to a client that is gone
}
