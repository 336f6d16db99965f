// The session's output does not depend on how the client's byte stream is split: one byte at a
// time, random cuts, or all at once give the same bytes out.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "tests/support/transcript.hpp"

using namespace remora;
using test::frame;
using test::Transcript;

namespace {

// A client stream touching every framing path: packets, a bad checksum, a NACK, garbage, an
// abandoned frame, an oversized frame, binary data with escapes, no-ack mode switched on in the
// middle. Resumes come last: a stop is delivered by the loop, so a packet after a resume would
// find the target running or stopped depending on where the cuts fall (as with a real client).
std::string client_stream() {
  std::string s;
  s += "+";
  s += frame("qSupported:swbreak+;error-message+;multiprocess+");
  s += frame("?");
  s += "$qC#00";  // bad checksum: '-'
  s += frame("qC");
  s += "-";       // NACK: the QC reply again
  s += "junk\r\n";
  s += "$m600000,4#";   // abandoned by the next '$'
  s += frame("M600000,8:0123456789abcdef");
  s += frame("X600010,5:a}]}\x03}\x04}\x0a");
  s += frame("x600010,5");
  s += frame("m600000,40");  // run-length encoded reply
  s += frame("M" + std::string(0x300, '0'));  // oversized for the 0x200 PacketSize below
  s += frame("M600ffe,4:01020304");  // partial write: E. text
  s += frame("g");
  s += frame("P10=1000400000000000");
  s += frame("vMustReplyEmpty");
  s += frame("qXfer:features:read:target.xml:0,40");
  s += frame("QStartNoAckMode");
  s += "+";
  s += frame("p10");
  s += "$qC#00";  // refused with an error in no-ack mode
  s += frame("Z0,400020,1");
  s += frame("c");  // stops at the breakpoint
  return s;
}

rsp::SessionOptions small_packets() {
  rsp::SessionOptions options;
  options.packet_size = 0x200;
  return options;
}

// Small regions: the default 32 MiB data region costs a noticeable time to allocate on its first
// write, and the random-split test builds hundreds of sessions.
targets::emulated::EmulatedOptions small_layout() {
  targets::emulated::EmulatedOptions options;
  options.regions = {{0x400000, 0x1000, true, false, true, "text"}, {0x600000, 0x1000, true, true, false, "data"}};
  return options;
}

std::string whole(const std::string& stream) {
  Transcript t(small_packets(), small_layout());
  return t.feed(stream);
}

}  // namespace

TEST_CASE("the reference transcript covers the paths it claims to") {
  const std::string out = whole(client_stream());
  CHECK(out.find("-") != std::string::npos);
  CHECK(out.find("E.memory write stopped at 0x601000 after 2 of 4") != std::string::npos);
  CHECK(out.find("0*~") != std::string::npos);
  CHECK(out.find("swbreak:;") != std::string::npos);
  CHECK(out.find("$E.packet longer than the PacketSize") != std::string::npos);
  Transcript t(small_packets(), small_layout());
  t.feed(client_stream());
  CHECK(t.session().stats().bad_checksums == 2);
  CHECK(t.session().stats().nacks == 1);
  CHECK(t.session().stats().overflows == 1);
}

TEST_CASE("one byte at a time gives the same bytes out") {
  const std::string stream = client_stream();
  const std::string expected = whole(stream);
  Transcript t(small_packets(), small_layout());
  std::string out;
  for (char c : stream) out += t.feed(std::string_view(&c, 1));
  CHECK(out == expected);
  CHECK_FALSE(t.session().in_frame());
}

TEST_CASE("random splits give the same bytes out") {
  const std::string stream = client_stream();
  const std::string expected = whole(stream);
  std::mt19937 rng(20240611);
  for (int round = 0; round < 200; ++round) {
    std::uniform_int_distribution<std::size_t> count(1, 40);
    std::uniform_int_distribution<std::size_t> where(1, stream.size() - 1);
    std::vector<std::size_t> cuts(count(rng));
    for (auto& c : cuts) c = where(rng);
    std::sort(cuts.begin(), cuts.end());
    Transcript t(small_packets(), small_layout());
    const std::string out = t.feed_split(stream, cuts);
    CHECK_MESSAGE(out == expected, "round " << round);
    if (out != expected) break;
  }
}

TEST_CASE("splits inside a frame leave the session waiting, not answering") {
  Transcript t;
  const std::string packet = frame("m600000,4");
  for (std::size_t i = 0; i + 1 < packet.size(); ++i) {
    CHECK(t.feed(std::string_view(&packet[i], 1)).empty());
    CHECK(t.session().in_frame());
  }
  CHECK(t.feed(std::string_view(&packet.back(), 1)) == test::acked("00000000"));
  CHECK_FALSE(t.session().in_frame());
}

TEST_CASE("an interrupt split from the resume it stops still stops it") {
  const std::string stream = frame("c") + "\x03";
  Transcript whole_stream;
  const std::string expected = whole_stream.feed(stream);
  CHECK(test::payload_of(expected).starts_with("T02thread:1;"));
  for (std::size_t cut = 1; cut < stream.size(); ++cut) {
    Transcript t;
    CHECK(t.feed_split(stream, {cut}) == expected);
  }
}
