// Value codecs: every error path, and escaping round trips over many random payloads.
#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "rsp/codec.hpp"

using namespace remora::rsp;

namespace {

std::vector<std::byte> bytes_of(std::string_view s) {
  std::vector<std::byte> v;
  for (char c : s) v.push_back(static_cast<std::byte>(c));
  return v;
}

template <class T>
DecodeError error_of(const std::expected<T, DecodeError>& r) {
  REQUIRE_FALSE(r.has_value());
  return r.error();
}

// Random payloads biased towards the bytes escaping must handle.
std::vector<std::byte> random_payload(std::mt19937& rng, std::size_t i) {
  static constexpr unsigned char kSpecial[] = {'$', '#', '}', '*', 0x03, '%', 0x00, 0xff};
  std::uniform_int_distribution<int> len(0, 300), byte(0, 255), pick(0, 7);
  std::vector<std::byte> v(static_cast<std::size_t>(len(rng)));
  for (auto& b : v) {
    const bool special = i % 3 == 0 || pick(rng) == 0;  // a third are made only of specials
    b = static_cast<std::byte>(special ? kSpecial[pick(rng)] : byte(rng));
  }
  return v;
}

}  // namespace

TEST_CASE("parse_hex_u64 takes a whole field of up to 64 bits") {
  CHECK(parse_hex_u64("0").value() == 0);
  CHECK(parse_hex_u64("DEADbeef").value() == 0xdeadbeef);
  CHECK(parse_hex_u64("ffffffffffffffff").value() == UINT64_MAX);
  CHECK(parse_hex_u64("00000000000000000000001").value() == 1);  // leading zeros are fine
  CHECK(error_of(parse_hex_u64("")) == DecodeError::empty_field);
  CHECK(error_of(parse_hex_u64("12g")) == DecodeError::bad_hex);
  CHECK(error_of(parse_hex_u64(" 1")) == DecodeError::bad_hex);
  CHECK(error_of(parse_hex_u64("-1")) == DecodeError::bad_hex);
  CHECK(error_of(parse_hex_u64("0x10")) == DecodeError::bad_hex);
  CHECK(error_of(parse_hex_u64("10000000000000000")) == DecodeError::overflow);
  CHECK(error_of(parse_hex_u64("1ffffffffffffffff")) == DecodeError::overflow);
}

TEST_CASE("parse_dec_u64") {
  CHECK(parse_dec_u64("0").value() == 0);
  CHECK(parse_dec_u64("0042").value() == 42);
  CHECK(parse_dec_u64("18446744073709551615").value() == UINT64_MAX);
  CHECK(error_of(parse_dec_u64("18446744073709551616")) == DecodeError::overflow);
  CHECK(error_of(parse_dec_u64("99999999999999999999")) == DecodeError::overflow);
  CHECK(error_of(parse_dec_u64("")) == DecodeError::empty_field);
  CHECK(error_of(parse_dec_u64("12a")) == DecodeError::bad_value);
  CHECK(error_of(parse_dec_u64("+1")) == DecodeError::bad_value);
}

TEST_CASE("hex byte strings") {
  CHECK(decode_hex_bytes("").value().empty());
  CHECK(decode_hex_bytes("0aFF").value() == bytes_of("\x0a\xff"));
  CHECK(error_of(decode_hex_bytes("abc")) == DecodeError::odd_hex_length);
  CHECK(error_of(decode_hex_bytes("zz")) == DecodeError::bad_hex);
  CHECK(error_of(decode_hex_bytes("0g")) == DecodeError::bad_hex);

  std::vector<std::byte> buf(2);
  CHECK(decode_hex_into("1234", buf).has_value());
  CHECK(buf == bytes_of("\x12\x34"));
  CHECK(decode_hex_into("12", buf).error() == DecodeError::length_mismatch);
  CHECK(decode_hex_into("123456", buf).error() == DecodeError::length_mismatch);
  CHECK(decode_hex_into("123", buf).error() == DecodeError::odd_hex_length);
  CHECK(decode_hex_into("12x4", buf).error() == DecodeError::bad_hex);

  CHECK(hex_to_text("48656c6c6f").value() == "Hello");
  CHECK(hex_to_text("").value().empty());
  CHECK(error_of(hex_to_text("486")) == DecodeError::odd_hex_length);
  CHECK(error_of(hex_to_text("4Z")) == DecodeError::bad_hex);
}

TEST_CASE("hex encoders") {
  CHECK(to_hex(bytes_of(std::string_view("\x00\x7f\xff\x10", 4))) == "007fff10");
  CHECK(to_hex(std::string_view("Hi\n")) == "48690a");
  std::string out = "x";
  append_hex(out, bytes_of("\xab"));
  append_hex(out, std::string_view("A"));
  CHECK(out == "xab41");
  out.clear();
  append_hex_u64(out, 0);
  out += ',';
  append_hex_u64(out, 0x1234);
  out += ',';
  append_hex_u64(out, UINT64_MAX);
  CHECK(out == "0,1234,ffffffffffffffff");
  out.clear();
  append_hex_byte(out, 5);
  append_hex_byte(out, 0xfe);
  CHECK(out == "05fe");
}

TEST_CASE("hex round trip over every byte and random data") {
  std::vector<std::byte> all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<std::byte>(i));
  CHECK(decode_hex_bytes(to_hex(all)).value() == all);
  CHECK(hex_to_text(to_hex(std::string_view("a\0b", 3))).value() == std::string("a\0b", 3));
  std::mt19937 rng(1234);
  for (std::size_t i = 0; i < 500; ++i) {
    const auto p = random_payload(rng, i);
    CHECK(decode_hex_bytes(to_hex(p)).value() == p);
  }
}

TEST_CASE("unescape_binary") {
  CHECK(unescape_binary("").value().empty());
  CHECK(unescape_binary("abc").value() == bytes_of("abc"));
  CHECK(unescape_binary("}]").value() == bytes_of("}"));
  CHECK(unescape_binary("}\x03}\x04}\x0a").value() == bytes_of("#$*"));
  CHECK(unescape_binary("}}").value() == bytes_of("]"));  // legal, though no encoder makes it
  CHECK(error_of(unescape_binary("}")) == DecodeError::bad_escape);
  CHECK(error_of(unescape_binary("ab}")) == DecodeError::bad_escape);
  CHECK(error_of(unescape_binary("}]}")) == DecodeError::bad_escape);
}

TEST_CASE("append_escaped escapes exactly $ # } *") {
  std::string out;
  append_escaped(out, bytes_of("a$b#c}d*e%\x03"));
  CHECK(out == "a}\x04" "b}\x03" "c}]d}\x0a" "e%\x03");
  for (int i = 0; i < 256; ++i) {
    const auto c = static_cast<char>(i);
    std::string one;
    append_escaped(one, bytes_of(std::string_view(&c, 1)));
    const bool special = c == '$' || c == '#' || c == '}' || c == '*';
    CHECK(one.size() == (special ? 2u : 1u));
  }
}

TEST_CASE("escaping round trips over 2000 random payloads") {
  std::mt19937 rng(20240611);
  for (std::size_t i = 0; i < 2000; ++i) {
    const auto p = random_payload(rng, i);
    std::string esc = "prefix:";  // appending must keep what is there
    append_escaped(esc, p);
    REQUIRE(esc.starts_with("prefix:"));
    const std::string_view body = std::string_view(esc).substr(7);
    CHECK(body.find_first_of("$#*") == std::string_view::npos);
    CHECK(unescape_binary(body).value() == p);
  }
}

TEST_CASE("escaping round trips long runs of every byte") {
  for (int b = 0; b < 256; ++b) {
    for (std::size_t n : {1u, 2u, 3u, 4u, 97u, 98u, 300u}) {
      const std::vector<std::byte> p(n, static_cast<std::byte>(b));
      std::string esc;
      append_escaped(esc, p);
      CHECK(unescape_binary(esc).value() == p);
    }
  }
}

TEST_CASE("split_once") {
  auto s = split_once("Z0,1000,4", ',');
  CHECK(s.found);
  CHECK(s.head == "Z0");
  CHECK(s.tail == "1000,4");
  s = split_once("abc", ',');
  CHECK_FALSE(s.found);
  CHECK(s.head == "abc");
  CHECK(s.tail.empty());
  s = split_once(",", ',');
  CHECK(s.found);
  CHECK(s.head.empty());
  CHECK(s.tail.empty());
  s = split_once("", ':');
  CHECK_FALSE(s.found);
}

TEST_CASE("describe names every DecodeError distinctly") {
  CHECK(describe(DecodeError::bad_hex) == "bad hex digit");
  std::set<std::string_view> seen;
  for (int e = 0; e <= static_cast<int>(DecodeError::bad_value); ++e) {
    const auto text = describe(static_cast<DecodeError>(e));
    CHECK_FALSE(text.empty());
    CHECK(text.size() < 40);
    seen.insert(text);
  }
  CHECK(seen.size() == static_cast<std::size_t>(DecodeError::bad_value) + 1);
}
