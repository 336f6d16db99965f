// Memory transcripts over the default emulated layout (data rw at [0x600000, 0x2600000), nothing
// mapped after it): whole writes, partial writes in every error dialect, reads of prefixes and
// gaps, binary reads and run-length encoded replies.
#include <doctest/doctest.h>

#include <string>

#include "rsp/framing.hpp"
#include "tests/support/transcript.hpp"

using namespace remora;
using test::acked;
using test::frame;
using test::payload_of;
using test::Transcript;

namespace {

constexpr std::uint64_t kDataEnd = 0x600000 + 32 * 1024 * 1024;  // 0x2600000: the gap starts here

std::string hex(std::uint64_t v) {
  std::string out;
  rsp::append_hex_u64(out, v);
  return out;
}

// `n` bytes of a pattern that avoids zero, as hex.
std::string pattern_hex(std::size_t n, unsigned seed = 0x11) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) rsp::append_hex_byte(out, static_cast<std::uint8_t>(seed + 7 * i) | 1);
  return out;
}

// The text an lldb `Enn;HEX` error carries.
std::string lldb_error_text(const std::string& payload, std::string_view code) {
  const std::string prefix = std::string(code) + ";";
  if (!payload.starts_with(prefix)) return "<not " + prefix + "...>";
  return rsp::hex_to_text(std::string_view(payload).substr(prefix.size())).value_or("<bad hex>");
}

}  // namespace

TEST_CASE("M and X write whole ranges; m reads them back") {
  Transcript t;
  CHECK(t.feed(frame("M600000,4:deadbeef")) == "+$OK#9a");
  CHECK(t.feed(frame("m600000,4")) == acked("deadbeef"));
  // X carries escaped binary: '}' '#' '$' '*' go as '}' + (byte ^ 0x20).
  CHECK(t.feed(frame("X600010,5:a}]}\x03}\x04}\x0a")) == "+$OK#9a");
  CHECK(t.feed(frame("m600010,5")) == acked("617d23242a"));
  // x answers binary, escaped the same way.
  CHECK(t.feed(frame("x600010,5")) == acked("a}]}\x03}\x04}\x0a"));
  CHECK(t.feed(frame("x600010,0")) == "+$OK#9a");  // lldb's probe
  CHECK(t.feed(frame("X600000,0:")) == "+$OK#9a");  // gdb's probe: writes nothing
  CHECK(t.feed(frame("m600000,4")) == acked("deadbeef"));
  CHECK(t.feed(frame("m600000,0")) == "+$#00");  // nothing asked, nothing read
}

TEST_CASE("a write crossing from the data region into the gap: E0e, prefix written, rest untouched") {
  Transcript t;
  const std::string before = payload_of(t.feed(frame("m" + hex(kDataEnd - 4) + ",4")));
  CHECK(before == "00000000");
  CHECK(t.feed(frame("M" + hex(kDataEnd - 4) + ",8:" + pattern_hex(8))) == acked("E0e"));
  CHECK(payload_of(t.feed(frame("m" + hex(kDataEnd - 4) + ",8"))) == pattern_hex(8).substr(0, 8));
  CHECK(t.feed(frame("m" + hex(kDataEnd) + ",4")) == acked("E0e"));
  // The same with X.
  CHECK(t.feed(frame("X" + hex(kDataEnd - 2) + ",4:wxyz")) == acked("E0e"));
  CHECK(payload_of(t.feed(frame("m" + hex(kDataEnd - 4) + ",4"))) == pattern_hex(8).substr(0, 4) + "7778");
}

TEST_CASE("gdb with error-message+: E.text names the first unwritten address") {
  Transcript t;
  t.feed(frame("qSupported:error-message+"));
  const std::string reply = payload_of(t.feed(frame("M" + hex(kDataEnd - 3) + ",8:" + pattern_hex(8))));
  CHECK(reply.starts_with("E."));
  CHECK(reply == "E.memory write stopped at 0x2600000 after 3 of 8 bytes from 0x25ffffd: "
                 "no memory mapped at this address");
  // Reads use the same dialect.
  CHECK(payload_of(t.feed(frame("m2600000,4"))) ==
        "E.cannot read memory at 0x2600000: no memory mapped at this address");
  // Decoder errors name the packet and the problem.
  CHECK(payload_of(t.feed(frame("m600000"))) == "E.malformed m packet: missing field");
}

TEST_CASE("lldb with QEnableErrorStrings: Enn;HEX names the address") {
  Transcript t;
  CHECK(t.feed(frame("QEnableErrorStrings")) == "+$OK#9a");
  const std::string reply = payload_of(t.feed(frame("X" + hex(kDataEnd - 1) + ",2:ab")));
  CHECK(lldb_error_text(reply, "E0e") ==
        "memory write stopped at 0x2600000 after 1 of 2 bytes from 0x25fffff: no memory mapped at this address");
  CHECK(payload_of(t.feed(frame("m" + hex(kDataEnd - 1) + ",1"))) == "61");
}

TEST_CASE("an injected write fault inside a mapped region behaves like a gap") {
  targets::emulated::EmulatedOptions emulated;
  emulated.faults.push_back({targets::emulated::FaultKind::write, 0x600100, 0x10});
  Transcript t({}, emulated);
  REQUIRE(t.ok());
  CHECK(t.feed(frame("M6000fe,4:01020304")) == acked("E0e"));
  CHECK(payload_of(t.feed(frame("m6000fc,8"))) == "0000010200000000");
  t.feed(frame("qSupported:error-message+"));
  CHECK(payload_of(t.feed(frame("M6000ff,2:0506"))) ==
        "E.memory write stopped at 0x600100 after 1 of 2 bytes from 0x6000ff: injected fault");
  CHECK(t.feed(frame("M600100,1:07")).find("after 0 of 1 bytes from 0x600100") != std::string::npos);
  CHECK(t.feed(frame("M600110,1:07")) == "+$OK#9a");  // past the fault
  CHECK(payload_of(t.feed(frame("m6000ff,3"))) == "050000");  // reads are not faulted

  Transcript lldb({}, emulated);
  lldb.feed(frame("QEnableErrorStrings"));
  CHECK(lldb_error_text(payload_of(lldb.feed(frame("M60010f,2:0102"))), "E0e") ==
        "memory write stopped at 0x60010f after 0 of 2 bytes from 0x60010f: injected fault");
}

TEST_CASE("reads: a gap at the start is an error, a gap later gives the readable prefix") {
  Transcript t;
  CHECK(t.feed(frame("M25ffffe,2:abcd")) == "+$OK#9a");
  CHECK(t.feed(frame("m25ffffe,10")) == acked("abcd"));
  CHECK(t.feed(frame("x25ffffe,10")) == acked("\xab\xcd"));
  CHECK(t.feed(frame("m2600000,1")) == acked("E0e"));
  CHECK(t.feed(frame("x2600000,1")) == acked("E0e"));
  CHECK(t.feed(frame("m0,1")) == acked("E0e"));
  CHECK(t.feed(frame("mffffffffffffffff,1")) == acked("E0e"));
  CHECK(t.feed(frame("mffffffffffffffff,2")) == acked("E16"));  // wraps: malformed
  // The text region is readable but not writable.
  CHECK(t.feed(frame("m400000,2")) == acked("9090"));
  CHECK(t.feed(frame("M400000,1:cc")) == acked("E0e"));
}

TEST_CASE("a read of 64 zero bytes comes back run-length encoded") {
  Transcript t;
  const std::string out = t.feed(frame("m600100,40"));
  CHECK(out == "+$0*~0*:#6c");  // 97 + 1 and 29 + 1 zeros
  CHECK(payload_of(out) == std::string(128, '0'));
  // Runs whose count would be '#' or '$' are shortened: 7 and 8 equal digits.
  CHECK(t.feed(frame("M600200,4:11111111")) == "+$OK#9a");
  const std::string seven = t.feed(frame("m600200,4"));
  CHECK(seven.find('#') == seven.size() - 3);
  CHECK(payload_of(seven) == "11111111");
  CHECK(t.session().stats().packets_out == 3);
}

TEST_CASE("large writes and reads are bounded by the packet size") {
  rsp::SessionOptions options;
  options.packet_size = 0x200;
  Transcript t(options);
  // A read larger than half the packet size answers a shorter (legal) prefix.
  const std::string reply = payload_of(t.feed(frame("m600000,1000")));
  CHECK(reply.size() == 0x200);
  CHECK(t.feed(frame("M600000,80:" + pattern_hex(0x80))) == "+$OK#9a");
  CHECK(payload_of(t.feed(frame("m600000,80"))) == pattern_hex(0x80));
}

TEST_CASE("malformed memory packets answer E16 and count as malformed") {
  Transcript t;
  CHECK(t.feed(frame("M600000,2:aa")) == acked("E16"));
  CHECK(t.feed(frame("M600000,1:zz")) == acked("E16"));
  CHECK(t.feed(frame("X600000,1:}")) == acked("E16"));
  CHECK(t.feed(frame("m600000,")) == acked("E16"));
  CHECK(t.feed(frame("mffffffffffffffff,2")) == acked("E16"));
  CHECK(t.session().stats().malformed == 5);
  CHECK(t.feed(frame("m600000,1")) == acked("00"));  // and the session goes on
}
