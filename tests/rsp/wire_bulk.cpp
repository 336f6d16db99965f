// The bulk fast paths of framing and codec (word-at-a-time RLE scan, checksum and unescaping,
// buffers reused across frames) checked against plain one-byte-at-a-time references.
// (session_bulk_memory.cpp checks the Session's reused buffers.)
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "rsp/codec.hpp"
#include "rsp/framing.hpp"

using namespace remora;

namespace {

// The character-at-a-time encoder framing.cpp had before the fast scan: the output must match it
// byte for byte.
std::string reference_rle(std::string_view p) {
  auto bad_count = [](std::size_t repeats) {
    const auto c = static_cast<char>(repeats + 29);
    return c == '#' || c == '$' || c == '}';
  };
  std::string out;
  std::size_t i = 0;
  while (i < p.size()) {
    const char c = p[i];
    std::size_t j = i + 1;
    while (j < p.size() && p[j] == c && j - i <= '~' - 29) ++j;
    std::size_t repeats = j - i - 1;
    if (c == '*' || c == '#' || c == '$' || c == '}' || repeats < 3) {
      out.append(j - i, c);
      i = j;
      continue;
    }
    while (bad_count(repeats)) --repeats;
    out += c;
    out += '*';
    out += static_cast<char>(repeats + 29);
    i += repeats + 1;
  }
  return out;
}

std::uint8_t reference_checksum(std::string_view p) {
  unsigned sum = 0;
  for (char c : p) sum += static_cast<unsigned char>(c);
  return static_cast<std::uint8_t>(sum);
}

// Text with runs of every length up to 200 of characters that include the never-encoded ones.
std::string runny_text(std::mt19937& rng, std::size_t size) {
  static constexpr std::string_view kAlphabet = "0a*#$}f~ ";
  std::string out;
  while (out.size() < size) {
    const char c = kAlphabet[rng() % kAlphabet.size()];
    const std::size_t run = rng() % 4 == 0 ? 1 + rng() % 200 : 1 + rng() % 5;
    out.append(run, c);
  }
  out.resize(size);
  return out;
}

std::string random_bytes(std::mt19937& rng, std::size_t size) {
  std::string out(size, '\0');
  for (auto& c : out) c = static_cast<char>(rng());
  return out;
}

std::string text_of(const std::vector<std::byte>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// One frame's payload as the decoder hands it out.
std::string decode_one(rsp::FrameDecoder& decoder, std::string_view wire) {
  std::vector<rsp::FrameEvent> events;
  decoder.feed(wire, events);
  if (events.size() != 1 || events[0].kind != rsp::FrameEventKind::packet) return "<no packet>";
  std::string payload = std::move(events[0].payload);
  return payload;
}

}  // namespace

TEST_CASE("RLE output equals the character-at-a-time encoder's, and expands back") {
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    const std::string payload = round % 3 == 0 ? rsp::to_hex(std::string_view(random_bytes(rng, rng() % 3000)))
                                               : runny_text(rng, rng() % 3000);
    const std::string wire = rsp::make_frame(payload, /*rle=*/true);
    const std::string body = wire.substr(1, wire.size() - 4);
    REQUIRE(body == reference_rle(payload));
    if (payload.find('*') != std::string::npos) continue;  // a raw '*' makes expansion ambiguous
    std::string expanded;
    REQUIRE(rsp::expand_rle(body, expanded));
    CHECK(expanded == payload);
  }
  // Runs right at the end, where the word scan hands over to the byte tail.
  for (std::size_t n = 0; n < 24; ++n) {
    const std::string payload = std::string(n, 'x') + "yyyy";
    const std::string wire = rsp::make_frame(payload, true);
    CHECK(wire.substr(1, wire.size() - 4) == reference_rle(payload));
  }
}

TEST_CASE("checksum equals the plain byte sum at every length and alignment") {
  std::mt19937 rng(11);
  const std::string data = random_bytes(rng, 5000) + std::string(3000, '\xff');
  for (std::size_t n : {0u, 1u, 7u, 8u, 9u, 1023u, 1024u, 1025u, 8000u})
    for (std::size_t off : {0u, 1u, 3u})
      if (off + n <= data.size()) {
        const std::string_view part = std::string_view(data).substr(off, n);
        CHECK(rsp::checksum(part) == reference_checksum(part));
      }
}

TEST_CASE("expand_rle handles runs at both ends and refuses a leading or dangling '*'") {
  std::string out;
  CHECK(rsp::expand_rle("a* b", out));
  CHECK(out == "aaaab");
  CHECK(rsp::expand_rle("xa* ", out));
  CHECK(out == "xaaaa");
  CHECK_FALSE(rsp::expand_rle("* ", out));
  CHECK_FALSE(rsp::expand_rle("ab*", out));
  CHECK_FALSE(rsp::expand_rle("a*\x7f", out));
}

TEST_CASE("a decoder given back a big buffer keeps no stale bytes, even mid-frame") {
  rsp::FrameDecoder decoder(1 << 20);
  std::mt19937 rng(3);
  const std::string big(100000, 'q');
  std::string first = decode_one(decoder, rsp::make_frame(big));
  CHECK(first == big);
  decoder.recycle(std::move(first));
  CHECK(decode_one(decoder, rsp::make_frame("m0,4")) == "m0,4");
  // Handed back while a frame is half read: the half already kept survives.
  std::vector<rsp::FrameEvent> events;
  const std::string wire = rsp::make_frame("Xabcdef");
  decoder.feed(std::string_view(wire).substr(0, 4), events);
  decoder.recycle(std::string(200000, 'z'));
  decoder.feed(std::string_view(wire).substr(4), events);
  REQUIRE(events.size() == 1);
  CHECK(events[0].payload == "Xabcdef");
  // A '$' inside a long payload still restarts the frame (two memchr searches, not one).
  events.clear();
  decoder.feed("$" + std::string(5000, 'a') + rsp::make_frame("ok"), events);
  REQUIRE(events.size() == 2);
  CHECK(events[0].kind == rsp::FrameEventKind::garbage);
  CHECK(events[1].payload == "ok");
}

TEST_CASE("word-at-a-time unescaping equals escaping's inverse; sizes and errors are exact") {
  std::mt19937 rng(5);
  for (int round = 0; round < 500; ++round) {
    std::string raw = random_bytes(rng, rng() % 600);
    if (round % 4 == 0) raw.append(rng() % 40, '}');  // escapes back to back
    std::string escaped;
    rsp::append_escaped(escaped, std::as_bytes(std::span(raw)));
    REQUIRE(rsp::unescaped_size(escaped).value() == raw.size());
    CHECK(text_of(rsp::unescape_binary(escaped).value()) == raw);
    auto encoded = rsp::EncodedBytes::binary(escaped);
    REQUIRE(encoded);
    CHECK(text_of(encoded->decode()) == raw);
  }
  // "}}" (an escaped ']') and an escaped '}' followed by data, across a word boundary.
  CHECK(text_of(rsp::unescape_binary("0123456}}789").value()) == "0123456]789");
  CHECK(text_of(rsp::unescape_binary("0123456}]}]9abcdefgh").value()) == "0123456}}9abcdefgh");
  CHECK_FALSE(rsp::unescaped_size("01234567}").has_value());
  CHECK_FALSE(rsp::EncodedBytes::binary("0123456789abcdef}").has_value());
  CHECK(rsp::EncodedBytes::binary("0123456789abcdef}}").value().size() == 17);
}

TEST_CASE("EncodedBytes: hex is checked up front; decode_into never writes past its buffer") {
  CHECK(rsp::EncodedBytes::hex("0aFf10").value() == std::vector<std::byte>{std::byte{0x0a}, std::byte{0xff}, std::byte{0x10}});
  CHECK(rsp::EncodedBytes::hex("0ag0").error() == rsp::DecodeError::bad_hex);
  CHECK(rsp::EncodedBytes::hex("0a0").error() == rsp::DecodeError::odd_hex_length);
  std::vector<std::byte> small(2, std::byte{0x55});
  rsp::EncodedBytes::hex("0a0b0c").value().decode_into(small);
  CHECK(small == std::vector<std::byte>(2, std::byte{0x55}));
}

TEST_CASE("block unescaping equals a sequential reference on any text, '}' runs across blocks") {
  // Any client text, not only what append_escaped makes: dense '}' (so "}}" pairs and runs cross
  // the 16-byte blocks), lengths around the block size, and a guard after the exact output size.
  auto reference = [](std::string_view t) -> std::optional<std::string> {
    std::string out;
    for (std::size_t i = 0; i < t.size(); ++i) {
      if (t[i] != '}') {
        out.push_back(t[i]);
      } else if (i + 1 == t.size()) {
        return std::nullopt;
      } else {
        out.push_back(static_cast<char>(t[++i] ^ 0x20));
      }
    }
    return out;
  };
  std::mt19937 rng(11);
  constexpr char kAlphabet[] = "}}}a]\x03";
  for (int round = 0; round < 4000; ++round) {
    std::string text(rng() % 70, 'x');
    for (char& c : text) c = kAlphabet[rng() % 6];
    const auto want = reference(text);
    const auto size = rsp::unescaped_size(text);
    REQUIRE(size.has_value() == want.has_value());
    if (!want) continue;
    REQUIRE(*size == want->size());
    std::vector<std::byte> buffer(*size + 16, std::byte{0x5a});
    CHECK(rsp::unescape_binary_into(text, buffer.data()) == *size);
    CHECK(text_of(std::vector<std::byte>(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(*size))) == *want);
    CHECK(std::all_of(buffer.begin() + static_cast<std::ptrdiff_t>(*size), buffer.end(),
                      [](std::byte b) { return b == std::byte{0x5a}; }));
  }
}
