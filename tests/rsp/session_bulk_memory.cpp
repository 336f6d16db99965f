// PacketSize-sized X, m and x through one Session: the decoder's payload buffer, the session's
// scratch and reply buffers are reused from packet to packet, so a short packet after a long
// one must show none of the long one's bytes.
#include <doctest/doctest.h>

#include <random>
#include <span>
#include <string>

#include "rsp/codec.hpp"
#include "rsp/framing.hpp"
#include "tests/support/transcript.hpp"

using namespace remora;

namespace {

std::string random_bytes(std::mt19937& rng, std::size_t size) {
  std::string out(size, '\0');
  for (auto& c : out) c = static_cast<char>(rng());
  return out;
}

std::string hex(std::uint64_t v) {
  std::string out;
  rsp::append_hex_u64(out, v);
  return out;
}

}  // namespace

TEST_CASE("PacketSize X, m and x through one Session: reused buffers carry no old bytes") {
  test::Transcript t;
  REQUIRE(t.ok());
  std::mt19937 rng(9);
  const std::string data = random_bytes(rng, 120000);
  std::string escaped;
  rsp::append_escaped(escaped, std::as_bytes(std::span(data)));
  CHECK(t.feed(test::frame("X600000," + hex(data.size()) + ":" + escaped)) == "+$OK#9a");
  CHECK(t.feed(test::frame("QStartNoAckMode")) == "+$OK#9a");
  // A long reply, then a shorter one, then a long one again from the same buffers.
  CHECK(test::payload_of(t.feed(test::frame("m600000," + hex(data.size())))) ==
        rsp::to_hex(std::string_view(data)));
  CHECK(test::payload_of(t.feed(test::frame("m600010,3"))) == rsp::to_hex(std::string_view(data).substr(16, 3)));
  CHECK(test::payload_of(t.feed(test::frame("x600000,10000"))) == [&] {
    std::string out;
    rsp::append_escaped(out, std::as_bytes(std::span(data).first(0x10000)));
    return out;
  }());
  // A shorter X after a longer one writes exactly its own bytes.
  CHECK(t.feed(test::frame("X600000,2:ab")) == "$OK#9a");
  CHECK(test::payload_of(t.feed(test::frame("m600000,4"))) ==
        "6162" + rsp::to_hex(std::string_view(data).substr(2, 2)));
  CHECK(t.feed(test::frame("M600002,1:7f")) == "$OK#9a");
  CHECK(test::payload_of(t.feed(test::frame("m600000,4"))) == "61627f" + rsp::to_hex(std::string_view(data).substr(3, 1)));
}
