// qSearch:memory and qCRC over the emulated target's memory: chunk boundaries, faults, and
// gdb's CRC-32 (libiberty xcrc32).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "rsp/codec.hpp"
#include "rsp/handlers/process_handlers.hpp"
#include "tests/support/transcript.hpp"

using namespace remora;
using test::frame;
using test::payload_of;

namespace {

constexpr std::uint64_t kData = 0x600000;
constexpr std::uint64_t kDataEnd = 0x600000 + 0x2000000;  // unmapped from here on
constexpr std::uint64_t kChunk = 64 * 1024;                 // the handlers' read size

std::string ask(test::Transcript& t, std::string_view payload) { return payload_of(t.feed(frame(payload))); }

std::string hex_u64(std::uint64_t v) {
  std::string out;
  rsp::append_hex_u64(out, v);
  return out;
}

void poke(test::Transcript& t, std::uint64_t addr, std::string_view bytes) {
  REQUIRE(ask(t, "M" + hex_u64(addr) + "," + hex_u64(bytes.size()) + ":" + rsp::to_hex(bytes)) == "OK");
}

// The CRC bit by bit, straight from the definition (an oracle independent of the table).
std::uint32_t crc_bitwise(std::string_view data, std::uint32_t crc) {
  for (unsigned char c : data) {
    crc ^= static_cast<std::uint32_t>(c) << 24;
    for (int i = 0; i < 8; ++i) crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04c11db7u : crc << 1;
  }
  return crc;
}

}  // namespace

TEST_CASE("gdb's CRC-32: CRC-32/MPEG-2 check value and the bitwise definition") {
  std::string_view check = "123456789";
  auto bytes = std::span(reinterpret_cast<const std::byte*>(check.data()), check.size());
  CHECK(rsp::handlers::gdb_crc32(bytes, 0xffffffffu) == 0x0376e6e7u);
  CHECK(crc_bitwise(check, 0xffffffffu) == 0x0376e6e7u);
}

TEST_CASE("qCRC over memory, across chunks; an unreadable byte is an error naming it") {
  test::Transcript t;
  REQUIRE(t.ok());
  poke(t, kData, "123456789");
  CHECK(ask(t, "qCRC:600000,9") == "C376e6e7");
  CHECK(ask(t, "qCRC:600000,0") == "Cffffffff");
  // Three chunks and a bit of varied bytes: compared with the bitwise oracle.
  std::string data;
  for (std::uint64_t i = 0; i < 2 * kChunk + 123; ++i) data += static_cast<char>((i * 7 + i / 251) & 0xff);
  for (std::size_t at = 0; at < data.size(); at += 0x4000)
    poke(t, kData + 0x10000 + at, std::string_view(data).substr(at, 0x4000));
  CHECK(ask(t, "qCRC:" + hex_u64(kData + 0x10000) + "," + hex_u64(data.size())) ==
        "C" + hex_u64(crc_bitwise(data, 0xffffffffu)));
  // The text side (no error-message+): the number only; then with text.
  CHECK(ask(t, "qCRC:" + hex_u64(kDataEnd - 0x10) + ",20") == "E0e");
  ask(t, "qSupported:error-message+");
  CHECK(ask(t, "qCRC:" + hex_u64(kDataEnd - 0x10) + ",20").starts_with("E.qCRC: cannot read memory at 0x2600000"));
  CHECK(ask(t, "qCRC:500000,1").starts_with("E.qCRC: cannot read memory at 0x500000"));
  CHECK(ask(t, "qCRC:600000").starts_with("E.malformed qCRC packet"));
}

TEST_CASE("qSearch:memory finds a match that straddles a chunk boundary") {
  test::Transcript t;
  poke(t, kData + kChunk - 3, "needle");
  CHECK(ask(t, "qSearch:memory:600000;20000;needle") == "1," + hex_u64(kData + kChunk - 3));
  // Across the second boundary, with an earlier near miss.
  poke(t, kData + kChunk - 3, "needlX");
  poke(t, kData + 2 * kChunk - 1, "needle");
  CHECK(ask(t, "qSearch:memory:600000;30000;needle") == "1," + hex_u64(kData + 2 * kChunk - 1));
  // The match must lie wholly inside the range.
  CHECK(ask(t, "qSearch:memory:600000;" + hex_u64(2 * kChunk + 4) + ";needle") == "0");
  CHECK(ask(t, "qSearch:memory:600000;" + hex_u64(2 * kChunk + 5) + ";needle") == "1," + hex_u64(kData + 2 * kChunk - 1));
  // A start inside the match's first bytes does not find it.
  CHECK(ask(t, "qSearch:memory:" + hex_u64(kData + 2 * kChunk) + ";100;needle") == "0");
  // Binary patterns arrive escaped.
  poke(t, kData + 0x50, "\x7d\x23\x24");
  CHECK(ask(t, "qSearch:memory:600000;100;}]}\x03}\x04") == "1,600050");
  // A pattern longer than the range cannot match; the first byte matches at once.
  CHECK(ask(t, "qSearch:memory:600000;3;needle") == "0");
  CHECK(ask(t, "qSearch:memory:400000;1;\x90") == "1,400000");
}

TEST_CASE("qSearch:memory: a fault ends the search unless a match came first") {
  test::Transcript t;
  poke(t, kDataEnd - 4, "end!");
  CHECK(ask(t, "qSearch:memory:" + hex_u64(kDataEnd - 0x30000) + ";40000;end!") == "1," + hex_u64(kDataEnd - 4));
  CHECK(ask(t, "qSearch:memory:" + hex_u64(kDataEnd - 0x30000) + ";40000;absent") == "E0e");
  ask(t, "qSupported:error-message+");
  CHECK(ask(t, "qSearch:memory:" + hex_u64(kDataEnd - 0x30000) + ";40000;absent") ==
        "E.search halted: cannot read memory at 0x2600000: no memory mapped at this address");
  CHECK(ask(t, "qSearch:memory:600000;10;").starts_with("E.malformed qSearch:memory packet"));
}
