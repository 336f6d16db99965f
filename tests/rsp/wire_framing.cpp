// Framing: the streaming decoder over every split of a nasty stream, checksums, overflow at the
// exact limit, and RLE round trips over many random payloads.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "rsp/codec.hpp"
#include "rsp/framing.hpp"

using namespace remora::rsp;

namespace {

const char* kind_name(FrameEventKind k) {
  switch (k) {
    case FrameEventKind::packet: return "packet";
    case FrameEventKind::notification: return "notif";
    case FrameEventKind::bad_checksum: return "badsum";
    case FrameEventKind::overflow: return "overflow";
    case FrameEventKind::ack: return "ack";
    case FrameEventKind::nack: return "nack";
    case FrameEventKind::interrupt: return "intr";
    case FrameEventKind::garbage: return "garbage";
  }
  return "?";
}

// One printable line per event, so a failing CHECK shows what differed.
std::string show(const std::vector<FrameEvent>& evs) {
  std::string s;
  for (const auto& e : evs) {
    s += kind_name(e.kind);
    s += e.lead;
    s += '(';
    for (char c : e.payload) {
      const auto u = static_cast<unsigned char>(c);
      if (u >= 0x20 && u < 0x7f) {
        s += c;
      } else {
        s += "\\x";
        append_hex_byte(s, u);
      }
    }
    s += ") ";
  }
  return s;
}

std::string decode(std::string_view stream, std::size_t max = 64, bool rle = false) {
  FrameDecoder d(max, rle);
  std::vector<FrameEvent> evs;
  d.feed(stream, evs);
  return show(evs);
}

std::string decode_split(std::string_view stream, const std::vector<std::size_t>& cuts,
                         std::size_t max = 64) {
  FrameDecoder d(max);
  std::vector<FrameEvent> evs;
  std::size_t from = 0;
  for (std::size_t cut : cuts) {
    d.feed(stream.substr(from, cut - from), evs);
    from = cut;
  }
  d.feed(stream.substr(from), evs);
  return show(evs);
}

// Everything the decoder must cope with, in one stream.
std::string nasty_stream() {
  std::string s;
  s += "+";
  s += make_frame("qSupported:multiprocess+;swbreak+");
  s += "-\x03";
  s += "\r\nhello";                       // garbage run
  s += make_frame("Stop:T05thread:1;", false, '%');
  s += "$m1000,4#00";                     // bad checksum
  s += "$X10,4:}\x03\x03%*#zz";           // bad hex in checksum; 0x03 and % are payload data
  s += "$abandoned$" + make_frame("g").substr(1);  // '$' inside a payload restarts
  s += "$abc#$" + make_frame("c").substr(1);       // '$' inside the checksum restarts
  s += make_frame(std::string(100, 'x'));          // oversized
  s += "junk+";
  s += make_frame("vCont;c");
  s += make_frame("OK", false, '%');
  s += "$Mz#C7";                          // uppercase checksum digits are accepted
  s += "$unfinished";
  return s;
}

}  // namespace

TEST_CASE("checksum and make_frame") {
  CHECK(checksum("") == 0);
  CHECK(checksum("OK") == 0x9a);
  CHECK(checksum(std::string(256, '\x01')) == 0);
  CHECK(checksum(std::string(1 << 20, '\xff')) == static_cast<std::uint8_t>((1 << 20) * 255));
  CHECK(make_frame("OK") == "$OK#9a");
  CHECK(make_frame("") == "$#00");
  CHECK(make_frame("", false, '%') == "%#00");
  CHECK(make_frame("g") == "$g#67");
  std::string out = "+";
  append_frame(out, "OK");
  CHECK(out == "+$OK#9a");
}

TEST_CASE("decoder: single events") {
  CHECK(decode("$OK#9a") == "packet$(OK) ");
  CHECK(decode("%Stop:T05#" + make_frame("Stop:T05").substr(10)) == "notif%(Stop:T05) ");
  CHECK(decode("+-\x03") == "ack$() nack$() intr$() ");
  CHECK(decode("$OK#9A") == "packet$(OK) ");
  CHECK(decode("$OK#9b") == "badsum$(OK) ");
  CHECK(decode("$OK#zz") == "badsum$(OK) ");
  CHECK(decode("$OK#9z") == "badsum$(OK) ");
  CHECK(decode("$OK#z9") == "badsum$(OK) ");
  CHECK(decode("%OK#00") == "badsum%(OK) ");
  CHECK(decode("$#00") == "packet$() ");
}

TEST_CASE("decoder: garbage is one event per run") {
  CHECK(decode("abc") == "garbage$(a) ");
  CHECK(decode("ab+cd") == "garbage$(a) ack$() garbage$(c) ");
  CHECK(decode("\n$OK#9a\n") == "garbage$(\\x0a) packet$(OK) garbage$(\\x0a) ");
  CHECK(decode("#9a") == "garbage$(#) ");
}

TEST_CASE("decoder: '$' inside a frame restarts it") {
  CHECK(decode("$abc$OK#9a") == "garbage$($abc) packet$(OK) ");
  CHECK(decode("%abc$OK#9a") == "garbage$(%abc) packet$(OK) ");
  CHECK(decode("$abc#$OK#9a") == "garbage$($abc) packet$(OK) ");
  CHECK(decode("$abc#1$OK#9a") == "garbage$($abc) packet$(OK) ");
  CHECK(decode("$$OK#9a") == "garbage$($) packet$(OK) ");
  // '%', 0x03, '+' and '-' inside a payload are data.
  const std::string data("a%\x03+-b", 6);
  CHECK(decode(make_frame(data)) == "packet$(a%\\x03+-b) ");
}

TEST_CASE("decoder: in_frame and reset") {
  FrameDecoder d(16);
  std::vector<FrameEvent> evs;
  CHECK_FALSE(d.in_frame());
  d.feed("$O", evs);
  CHECK(d.in_frame());
  d.feed("K#9", evs);
  CHECK(d.in_frame());
  d.reset();
  CHECK_FALSE(d.in_frame());
  d.feed("a$OK#9a", evs);  // the cut-off frame is forgotten
  CHECK(show(evs) == "garbage$(a) packet$(OK) ");
}

TEST_CASE("decoder: overflow at exactly max_payload and max_payload + 1") {
  constexpr std::size_t kMax = 16;
  const std::string at = std::string(kMax, 'a');
  const std::string over = std::string(kMax + 1, 'a');
  CHECK(decode(make_frame(at), kMax) == "packet$(" + at + ") ");
  CHECK(decode(make_frame(over), kMax) == "overflow$() ");
  CHECK(decode(make_frame(over, false, '%'), kMax) == "overflow%() ");
  // Overflow wins over a wrong checksum; the decoder recovers for the next frame.
  CHECK(decode("$" + over + "#00$OK#9a", kMax) == "overflow$() packet$(OK) ");
  // An abandoned oversized frame reports only what was kept.
  CHECK(decode("$" + over + over + "$OK#9a", kMax) == "garbage$($" + at + ") packet$(OK) ");
  CHECK(decode(make_frame(""), 0) == "packet$() ");
  CHECK(decode(make_frame("a"), 0) == "overflow$() ");
}

TEST_CASE("decoder: the same events for every split of the stream") {
  const std::string s = nasty_stream();
  const std::string whole = decode(s);
  CHECK(whole ==
        "ack$() packet$(qSupported:multiprocess+;swbreak+) nack$() intr$() garbage$(\\x0d) "
        "notif%(Stop:T05thread:1;) badsum$(m1000,4) badsum$(X10,4:}\\x03\\x03%*) "
        "garbage$($abandoned) packet$(g) garbage$($abc) packet$(c) overflow$() garbage$(j) "
        "ack$() packet$(vCont;c) notif%(OK) packet$(Mz) ");
  {
    FrameDecoder d(64);
    std::vector<FrameEvent> evs;
    for (char c : s) d.feed(std::string_view(&c, 1), evs);
    CHECK(show(evs) == whole);
    CHECK(d.in_frame());  // "$unfinished"
  }
  for (std::size_t i = 0; i <= s.size(); ++i) {
    CAPTURE(i);
    REQUIRE(decode_split(s, {i}) == whole);
  }
  for (std::size_t i = 0; i <= s.size(); ++i) {
    for (std::size_t j = i; j <= s.size(); ++j) {
      if (decode_split(s, {i, j}) != whole) FAIL("2-way split ", i, ",", j);
    }
  }
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::size_t> pos(0, s.size());
  for (int n = 0; n < 2000; ++n) {
    std::vector<std::size_t> cuts{pos(rng), pos(rng), pos(rng)};
    std::sort(cuts.begin(), cuts.end());
    if (decode_split(s, cuts) != whole) FAIL("3-way split ", cuts[0], ",", cuts[1], ",", cuts[2]);
  }
}

TEST_CASE("decoder: a 1 MiB frame in 4 KiB chunks") {
  std::string payload(1 << 20, '\0');
  std::mt19937 rng(99);
  for (auto& c : payload) c = static_cast<char>('0' + rng() % 10);
  const std::string frame = make_frame(payload);
  FrameDecoder d(1 << 20);
  std::vector<FrameEvent> evs;
  for (std::size_t i = 0; i < frame.size(); i += 4096)
    d.feed(std::string_view(frame).substr(i, 4096), evs);
  REQUIRE(evs.size() == 1);
  CHECK(evs[0].kind == FrameEventKind::packet);
  CHECK(evs[0].payload == payload);
}

TEST_CASE("expand_rle") {
  std::string out = "stale";
  CHECK(expand_rle("", out));
  CHECK(out.empty());
  CHECK(expand_rle("0* ", out));
  CHECK(out == "0000");  // the example of the gdb manual
  CHECK(expand_rle("ab*~c", out));
  CHECK(out == "a" + std::string(98, 'b') + "c");
  CHECK(expand_rle("a*!*!", out));  // repeats the last expanded character, as gdb and lldb do
  CHECK(out == std::string(9, 'a'));
  CHECK(expand_rle("x**", out));  // '*' is a valid count (13)
  CHECK(out == std::string(14, 'x'));
  CHECK_FALSE(expand_rle("*", out));
  CHECK_FALSE(expand_rle("* ", out));
  CHECK_FALSE(expand_rle("a*", out));
  CHECK_FALSE(expand_rle("a*\x1f", out));
  CHECK_FALSE(expand_rle("a*\x7f", out));
  CHECK_FALSE(expand_rle("a*\xff", out));
}

TEST_CASE("RLE encoding: counts, shortening and chars never run-encoded") {
  CHECK(make_frame("000", true) == make_frame("000"));
  CHECK(make_frame("0000", true) == make_frame("0* "));
  CHECK(make_frame("aaaaaa", true) == make_frame("a*\""));               // 5 repeats
  CHECK(make_frame(std::string(7, 'a'), true) == make_frame("a*\"a"));   // not '#'
  CHECK(make_frame(std::string(8, 'a'), true) == make_frame("a*\"aa"));  // not '$'
  CHECK(make_frame(std::string(9, 'a'), true) == make_frame("a*%"));
  CHECK(make_frame(std::string(97, 'a'), true) == make_frame("a*|a"));  // not '}'
  CHECK(make_frame(std::string(98, 'a'), true) == make_frame("a*~"));
  CHECK(make_frame(std::string(99, 'a'), true) == make_frame("a*~a"));
  CHECK(make_frame(std::string(196, 'a'), true) == make_frame("a*~a*~"));
  CHECK(make_frame("****", true) == make_frame("****"));
  CHECK(make_frame("}}}}}", true) == make_frame("}}}}}"));
  // The escaped character after '}' may start a run: expansion is textual, so it comes back.
  CHECK(make_frame("}]]]]]x", true) == make_frame("}]*!x"));
  CHECK(make_frame("ab", true) == make_frame("ab"));
}

namespace {

std::string rle_wire_payload(std::string_view payload) {
  const std::string f = make_frame(payload, true);
  return f.substr(1, f.size() - 4);
}

// What the decoder must reproduce, and what the encoder must keep free of forbidden counts.
void check_rle_round_trip(std::string_view payload) {
  const std::string frame = make_frame(payload, true);
  const std::string_view wire = std::string_view(frame).substr(1, frame.size() - 4);
  REQUIRE(wire.find_first_of("$#") == std::string_view::npos);
  CHECK(wire.size() <= payload.size());
  for (std::size_t k = 0; k < wire.size(); ++k) {
    if (wire[k] != '*') continue;
    REQUIRE(k + 1 < wire.size());
    const char count = wire[k + 1];
    CHECK((count != '#' && count != '$' && count != '}'));
    CHECK(wire[k - 1] != '}');
    ++k;
  }
  FrameDecoder d(payload.size(), /*expand_rle=*/true);
  std::vector<FrameEvent> evs;
  d.feed(frame, evs);
  REQUIRE(evs.size() == 1);
  CHECK(evs[0].kind == FrameEventKind::packet);
  CHECK(evs[0].payload == payload);
}

}  // namespace

TEST_CASE("RLE round trips over 2000 random escaped payloads") {
  std::mt19937 rng(424242);
  std::uniform_int_distribution<int> len(0, 400), runlen(1, 200), byte(0, 255), mode(0, 3);
  static constexpr unsigned char kSpecial[] = {'#', '$', '}', '*'};
  for (int n = 0; n < 2000; ++n) {
    std::vector<std::byte> bytes;
    const int m = mode(rng);
    while (bytes.size() < static_cast<std::size_t>(len(rng))) {
      // Runs of random length, of arbitrary bytes or of the bytes escaping must handle.
      const unsigned char b = m == 0 ? kSpecial[byte(rng) % 4] : static_cast<unsigned char>(byte(rng));
      const int r = m == 3 ? 1 : runlen(rng);
      bytes.insert(bytes.end(), static_cast<std::size_t>(r), static_cast<std::byte>(b));
    }
    std::string payload;
    append_escaped(payload, bytes);
    CAPTURE(n);
    check_rle_round_trip(payload);
    CHECK(unescape_binary(payload).value() == bytes);
  }
}

TEST_CASE("RLE round trips long runs of every byte, escaped and raw") {
  for (int b = 0; b < 256; ++b) {
    for (std::size_t r : {3u, 4u, 7u, 8u, 9u, 97u, 98u, 99u, 200u, 1000u}) {
      const std::vector<std::byte> bytes(r, static_cast<std::byte>(b));
      std::string payload;
      append_escaped(payload, bytes);
      check_rle_round_trip("x" + payload + "y");
      const char c = static_cast<char>(b);
      if (c != '$' && c != '#' && c != '*') check_rle_round_trip(std::string(r, c));
    }
  }
  CHECK(rle_wire_payload(std::string(1000, '0')).size() < 40);
}

TEST_CASE("RLE: checksum is over the wire bytes; bad runs are transmission errors") {
  const std::string frame = make_frame("0000", true);
  CHECK(frame == "$0* #" + [] {
    std::string h;
    append_hex_byte(h, checksum("0* "));
    return h;
  }());
  CHECK(decode(frame, 64, true) == "packet$(0000) ");
  CHECK(decode(frame, 64, false) == "packet$(0* ) ");  // a stub leaves '*' to the packet decoder
  CHECK(decode(make_frame("*a"), 64, true) == "badsum$(*a) ");
  CHECK(decode(make_frame("a*"), 64, true) == "badsum$(a*) ");
  CHECK(decode(make_frame("a*\x01"), 64, true) == "badsum$(a*\\x01) ");
  // max_payload limits the wire bytes, not the expanded reply.
  CHECK(decode(make_frame(std::string(98, 'z'), true), 3, true) ==
        "packet$(" + std::string(98, 'z') + ") ");
  CHECK(decode(make_frame("zzzz", true) + make_frame("abcd", true), 3, true) ==
        "packet$(zzzz) overflow$() ");
}
