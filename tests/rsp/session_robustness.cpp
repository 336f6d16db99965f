// Whatever a client sends, the session answers with well-formed frames and acks and goes on:
// odd frames by hand, then many random packet-shaped streams (run under ASan/UBSan too).
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "rsp/framing.hpp"
#include "tests/support/transcript.hpp"

using namespace remora;
using test::frame;
using test::Transcript;

namespace {

targets::emulated::EmulatedOptions small_layout() {
  targets::emulated::EmulatedOptions options;
  options.regions = {{0x400000, 0x1000, true, false, true, "text"}, {0x600000, 0x1000, true, true, false, "data"}};
  return options;
}

// Every byte the server sends is an ack or a whole, correctly summed frame.
bool well_formed_output(std::string_view out) {
  std::vector<rsp::FrameEvent> events;
  rsp::FrameDecoder decoder(1 << 20, /*expand_rle=*/true);
  decoder.feed(out, events);
  if (decoder.in_frame()) return false;
  for (const auto& e : events)
    if (e.kind != rsp::FrameEventKind::packet && e.kind != rsp::FrameEventKind::ack &&
        e.kind != rsp::FrameEventKind::nack)
      return false;
  return true;
}

const char* const kHeads[] = {"m",  "M",  "x",  "X",  "g",  "G",  "p",     "P",         "c",     "s",
                              "C",  "S",  "H",  "T",  "Z",  "z",  "D",     "?",         "vCont", "vCont?",
                              "qC", "qRcmd,", "qXfer:features:read:", "qSupported:", "qfThreadInfo", "QStartNoAckMode"};

std::string random_packet(std::mt19937& rng) {
  static constexpr char kAlphabet[] = "0123456789abcdef,:;=-p.}*#$tcsSCrlx";
  std::uniform_int_distribution<std::size_t> head(0, std::size(kHeads) - 1);
  std::uniform_int_distribution<std::size_t> length(0, 24);
  std::uniform_int_distribution<std::size_t> letter(0, sizeof(kAlphabet) - 2);
  std::string payload = kHeads[head(rng)];
  for (std::size_t n = length(rng); n > 0; --n) payload += kAlphabet[letter(rng)];
  std::uniform_int_distribution<int> shape(0, 19);
  switch (shape(rng)) {
    case 0: return "$" + payload + "#00";  // bad checksum (usually)
    case 1: return "-";
    case 2: return "\x03";
    case 3: return payload;                // no framing at all
    default: return frame(payload);        // framed, possibly with raw '$' or '#' inside
  }
}

}  // namespace

TEST_CASE("odd frames: empty packet, notifications, lone bytes") {
  Transcript t({}, small_layout());
  REQUIRE(t.ok());
  CHECK(t.feed("$#00") == "+$#00");           // an empty packet is an unknown one
  CHECK(t.feed("%Stop:T05#00") == "");        // a (bad) notification from a client: ignored
  CHECK(t.feed(rsp::make_frame("vStopped", false, '%')) == "");
  CHECK(t.feed("%" + std::string(0x50000, 'a') + "#00") == "");  // oversized notification
  CHECK(t.session().stats().bad_checksums == 1);
  CHECK(t.feed("$QStartNoAckMode#b0") == "+$OK#9a");
  CHECK(t.feed("%qC#00") == "");  // not taken for a packet in no-ack mode either
  CHECK(t.feed("$qC#b4") == "$QC1#c5");
  CHECK(t.feed("$QStartNoAckMode#b0") == "$OK#9a");
  CHECK(t.feed("\x03") == "");                // interrupt while stopped: nothing to stop
  CHECK(t.feed("#12") == "");                 // garbage outside a frame
  CHECK(t.feed("$qC#b") == "");               // half a checksum: still waiting
  CHECK(t.session().in_frame());
  CHECK(t.feed("4") == "$QC1#c5");
  CHECK(t.feed("$qC#$qC#b4") == "$QC1#c5");   // a '$' in the checksum restarts the frame
}

TEST_CASE("random packet streams: well-formed output, the session keeps answering") {
  std::mt19937 rng(7);
  for (int round = 0; round < 60; ++round) {
    rsp::SessionOptions options;
    options.packet_size = 0x100;
    Transcript t(options, small_layout());
    REQUIRE(t.ok());
    std::string out;
    for (int i = 0; i < 60; ++i) out += t.feed(random_packet(rng));
    CHECK_MESSAGE(well_formed_output(out), "round " << round);
    // Whatever happened, a stopped, connected session still answers qC (or is busy, or gone).
    if (t.session().target_running()) out = t.feed("\x03");
    const std::string reply = t.feed("$qC#b4");
    const bool answered = reply.find("$QC1#c5") != std::string::npos || reply.find("$E") != std::string::npos ||
                          t.session().wants_close();
    CHECK_MESSAGE(answered, "round " << round << ": " << reply);
  }
}
