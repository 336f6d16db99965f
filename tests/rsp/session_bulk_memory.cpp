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

TEST_CASE("x answers as much as fits in one packet once escaped, whatever the data") {
  rsp::SessionOptions options;
  options.packet_size = 0x1000;
  test::Transcript t(options);
  REQUIRE(t.ok());
  // Fills 0x2000 bytes with `c`, 0x400 per X (escaped, that fits the small PacketSize).
  auto fill = [&t](char c) {
    const std::string raw(0x400, c);
    std::string body;
    rsp::append_escaped(body, std::as_bytes(std::span(raw)));
    for (std::uint64_t at = 0; at < 0x2000; at += 0x400)
      REQUIRE(t.feed(test::frame("X" + hex(0x600000 + at) + ",400:" + body)) == "+$OK#9a");
  };
  // Plain bytes: PacketSize - 1 of them (lldb asks for far more than half a packet at a time).
  fill('a');
  CHECK(test::payload_of(t.feed(test::frame("x600000,2000"))) == std::string(0xfff, 'a'));
  // Bytes that all need escaping: half as many, and the reply still fits.
  fill('}');
  const auto reply = test::payload_of(t.feed(test::frame("x600000,2000")));
  CHECK(reply.size() <= 0xfff);
  auto decoded = rsp::unescape_binary(reply);
  REQUIRE(decoded);
  CHECK(test::text_of(*decoded) == std::string(0x7ff, '}'));
}
