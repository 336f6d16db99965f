// Typed packet decoders (rsp/packets/): every valid form and every error path of thread ids,
// memory and register packets. Execution and control packets are in packets_control.cpp.
#include <doctest/doctest.h>

#include <cstddef>
#include <string>
#include <vector>

#include "rsp/packets/memory.hpp"
#include "rsp/packets/registers.hpp"
#include "rsp/packets/thread_id.hpp"
#include "tests/support/decode_checks.hpp"

using namespace remora::rsp;
using namespace remora::rsp::packets;
using remora::targets::ThreadId;
using remora::test::expect_errors;

namespace {

std::vector<std::byte> bytes(std::initializer_list<unsigned> values) {
  std::vector<std::byte> out;
  for (unsigned v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

std::string thread_text(ThreadId id, bool multiprocess) {
  std::string out;
  append_thread_id(out, id, multiprocess);
  return out;
}

}  // namespace

TEST_CASE("thread ids: plain, wildcard and multiprocess forms") {
  CHECK(parse_thread_id("1").value() == ThreadId{0, 1});
  CHECK(parse_thread_id("1f").value() == ThreadId{0, 0x1f});
  CHECK(parse_thread_id("0").value() == ThreadId::any());
  CHECK(parse_thread_id("-1").value() == ThreadId::all());
  CHECK(parse_thread_id("p1.2").value() == ThreadId{1, 2});
  CHECK(parse_thread_id("p1").value() == ThreadId{1, -1});  // every thread of process 1
  CHECK(parse_thread_id("p-1.-1").value() == ThreadId::all());
  CHECK(parse_thread_id("p-1").value() == ThreadId{-1, -1});
  CHECK(parse_thread_id("p1.-1").value() == ThreadId{1, -1});
  CHECK(parse_thread_id("p0.0").value() == ThreadId::any());
  CHECK(parse_thread_id("7fffffffffffffff").value() == ThreadId{0, 0x7fffffffffffffff});
  CHECK(parse_thread_id("00000000000000000001").value() == ThreadId{0, 1});  // leading zeros
}

TEST_CASE("thread ids: every error path") {
  expect_errors(parse_thread_id, DecodeError::bad_thread_id, {"", "p", "p1.", "p.1"});
  expect_errors(parse_thread_id, DecodeError::bad_hex, {"xyz", "-2", "-", "1.2", "p1.2.3", "pp1", "1 "});
  expect_errors(parse_thread_id, DecodeError::overflow, {"8000000000000000", "p8000000000000000.1",
      "10000000000000000"});
}

TEST_CASE("thread ids: append_thread_id writes what parse_thread_id reads") {
  CHECK(thread_text({1, 2}, false) == "2");
  CHECK(thread_text({1, 0x2a}, true) == "p1.2a");
  CHECK(thread_text(ThreadId::all(), true) == "p-1.-1");
  CHECK(thread_text(ThreadId::all(), false) == "-1");
  CHECK(thread_text(ThreadId::any(), false) == "0");
  for (ThreadId id : {ThreadId{3, 4}, ThreadId{0x7fffffffffffffff, 1}, ThreadId::all(), ThreadId{5, -1}})
    CHECK(parse_thread_id(thread_text(id, true)).value() == id);
}

TEST_CASE("m/x: addr,length") {
  auto r = decode_read_memory("600000,40");
  REQUIRE(r);
  CHECK(r->addr == 0x600000);
  CHECK(r->length == 0x40);
  CHECK(decode_read_memory("0,0").value().length == 0);
  CHECK(decode_read_memory("ABCDEF,10").value().addr == 0xabcdef);  // upper case hex
  // A range that ends exactly at 2^64 is fine; one byte further wraps.
  CHECK(decode_read_memory("ffffffffffffffff,1").value().addr == 0xffffffffffffffff);
  CHECK(decode_read_memory("fffffffffffffff0,10").value().length == 0x10);
  CHECK(decode_read_memory("ffffffffffffffff,0").value().length == 0);
  CHECK(decode_read_memory("1,ffffffffffffffff").value().addr == 1);  // ends at 2^64
}

TEST_CASE("m/x: every error path") {
  expect_errors(decode_read_memory, DecodeError::missing_field, {"", "600000"});
  expect_errors(decode_read_memory, DecodeError::empty_field, {",10", "600000,"});
  expect_errors(decode_read_memory, DecodeError::bad_hex, {"60g000,10", "600000,1z", "600000,10 ", "-1,10"});
  expect_errors(decode_read_memory, DecodeError::bad_hex, {"600000,10,4"});  // trailing field
  expect_errors(decode_read_memory, DecodeError::overflow, {"10000000000000000,1", "0,10000000000000000"});
  expect_errors(decode_read_memory, DecodeError::address_wrap, {"ffffffffffffffff,2", "fffffffffffffff0,11",
      "2,ffffffffffffffff"});
}

TEST_CASE("M: addr,length:hex") {
  auto w = decode_write_memory_hex("600000,3:0aFf10");
  REQUIRE(w);
  CHECK(w->addr == 0x600000);
  CHECK(w->data == bytes({0x0a, 0xff, 0x10}));
  auto empty = decode_write_memory_hex("600000,0:");
  REQUIRE(empty);
  CHECK(empty->data.empty());
  CHECK(decode_write_memory_hex("ffffffffffffffff,1:aa").value().data == bytes({0xaa}));
}

TEST_CASE("M: every error path") {
  expect_errors(decode_write_memory_hex, DecodeError::missing_field, {""});
  expect_errors(decode_write_memory_hex, DecodeError::missing_field, {"600000,2"});  // no ':'
  expect_errors(decode_write_memory_hex, DecodeError::missing_field, {"600000:aabb"});  // no ','
  expect_errors(decode_write_memory_hex, DecodeError::empty_field, {",2:aabb", "600000,:aabb"});
  expect_errors(decode_write_memory_hex, DecodeError::bad_hex, {"60x000,2:aabb", "600000,2:aabg"});
  expect_errors(decode_write_memory_hex, DecodeError::length_mismatch, {"600000,2:aa", "600000,2:aabbcc",
      "600000,1:aa:"});
  expect_errors(decode_write_memory_hex, DecodeError::length_mismatch, {"600000,2:aab"});  // odd
  expect_errors(decode_write_memory_hex, DecodeError::address_wrap, {"ffffffffffffffff,2:aabb"});
  expect_errors(decode_write_memory_hex, DecodeError::too_long, {"0,8000000000000000:"});
  expect_errors(decode_write_memory_hex, DecodeError::overflow, {"0,10000000000000000:"});
}

TEST_CASE("X: binary data with escapes") {
  // '}' escapes the next byte XOR 0x20: }] is '}', }\x03 is '#', }\x04 is '$', }\x0a is '*'.
  auto w = decode_write_memory_binary("600000,5:a}]}\x03}\x04}\x0a");
  REQUIRE(w);
  CHECK(w->addr == 0x600000);
  CHECK(w->data == bytes({'a', '}', '#', '$', '*'}));
  // Raw bytes other than the escaped four go through as they are, ':' and NUL included.
  const std::string raw_packet("10,4:\x00:\xff,", 9);  // the decoded data is a view into it
  auto raw = decode_write_memory_binary(raw_packet);
  REQUIRE(raw);
  CHECK(raw->data == bytes({0x00, ':', 0xff, ','}));
  auto probe = decode_write_memory_binary("600000,0:");  // gdb's probe for X support
  REQUIRE(probe);
  CHECK(probe->data.empty());
}

TEST_CASE("X: every error path") {
  expect_errors(decode_write_memory_binary, DecodeError::missing_field, {"600000,1", "600000:a"});
  expect_errors(decode_write_memory_binary, DecodeError::bad_hex, {"60q000,1:a"});
  expect_errors(decode_write_memory_binary, DecodeError::bad_escape, {"600000,1:}", "600000,2:a}"});
  expect_errors(decode_write_memory_binary, DecodeError::length_mismatch, {"600000,2:a", "600000,1:ab"});
  // The escape pair counts as one byte: two escaped bytes are 2, not 4.
  expect_errors(decode_write_memory_binary, DecodeError::length_mismatch, {"600000,4:}]}]"});
  CHECK(decode_write_memory_binary("600000,2:}]}]").value().data == bytes({'}', '}'}));
  expect_errors(decode_write_memory_binary, DecodeError::address_wrap, {"ffffffffffffffff,2:ab"});
  expect_errors(decode_write_memory_binary, DecodeError::too_long, {"0,ffffffffffffffff:"});
}

TEST_CASE("lldb ;thread: suffix") {
  auto plain = split_thread_suffix("10");
  REQUIRE(plain);
  CHECK(plain->body == "10");
  CHECK_FALSE(plain->thread.has_value());
  auto with = split_thread_suffix("10;thread:2a;");
  REQUIRE(with);
  CHECK(with->body == "10");
  CHECK(with->thread == ThreadId{0, 0x2a});
  auto no_final = split_thread_suffix("10;thread:p1.2");  // the final ';' is optional
  REQUIRE(no_final);
  CHECK(no_final->thread == ThreadId{1, 2});
  expect_errors(split_thread_suffix, DecodeError::bad_thread_id, {"10;thread:;"});
  expect_errors(split_thread_suffix, DecodeError::bad_hex, {"10;thread:zz;", "10;thread:1;junk"});
  expect_errors(split_thread_suffix, DecodeError::trailing_garbage, {"10;thrd:1;", "10;"});
}

TEST_CASE("g: no arguments but an optional thread suffix") {
  auto g = decode_read_registers("");
  REQUIRE(g);
  CHECK_FALSE(g->thread.has_value());
  CHECK(decode_read_registers(";thread:1;").value().thread == ThreadId{0, 1});
  expect_errors(decode_read_registers, DecodeError::trailing_garbage, {"1", "x;thread:1;"});
  expect_errors(decode_read_registers, DecodeError::bad_hex, {";thread:-;"});
}

TEST_CASE("G: the whole register block in hex") {
  auto w = decode_write_registers("0011aabb");
  REQUIRE(w);
  CHECK(w->data == bytes({0x00, 0x11, 0xaa, 0xbb}));
  CHECK_FALSE(w->thread.has_value());
  auto t = decode_write_registers("ff;thread:3;");
  REQUIRE(t);
  CHECK(t->data == bytes({0xff}));
  CHECK(t->thread == ThreadId{0, 3});
  CHECK(decode_write_registers("").value().data.empty());  // the handler checks the size
  expect_errors(decode_write_registers, DecodeError::odd_hex_length, {"001"});
  expect_errors(decode_write_registers, DecodeError::bad_hex, {"00xx"});
  expect_errors(decode_write_registers, DecodeError::bad_thread_id, {"00;thread:;"});
  expect_errors(decode_write_registers, DecodeError::trailing_garbage, {"00;tid:1;"});
}

TEST_CASE("p: register number") {
  CHECK(decode_read_register("10").value().regnum == 0x10);
  CHECK(decode_read_register("0").value().regnum == 0);
  CHECK(decode_read_register("ffff").value().regnum == 0xffff);
  auto t = decode_read_register("7;thread:p1.1;");
  REQUIRE(t);
  CHECK(t->regnum == 7);
  CHECK(t->thread == ThreadId{1, 1});
  expect_errors(decode_read_register, DecodeError::empty_field, {"", ";thread:1;"});
  expect_errors(decode_read_register, DecodeError::bad_hex, {"1g", "10=00", "10;thread:x;"});
  expect_errors(decode_read_register, DecodeError::overflow, {"10000", "10000000000000000"});
}

TEST_CASE("P: regnum=value") {
  auto w = decode_write_register("10=0000400000000000");
  REQUIRE(w);
  CHECK(w->regnum == 0x10);
  CHECK(w->value == bytes({0, 0, 0x40, 0, 0, 0, 0, 0}));
  auto t = decode_write_register("6=ff;thread:1;");
  REQUIRE(t);
  CHECK(t->value == bytes({0xff}));
  CHECK(t->thread == ThreadId{0, 1});
  expect_errors(decode_write_register, DecodeError::missing_field, {"10", ""});
  expect_errors(decode_write_register, DecodeError::empty_field, {"=00", "10="});
  expect_errors(decode_write_register, DecodeError::odd_hex_length, {"10=0"});
  expect_errors(decode_write_register, DecodeError::bad_hex, {"10=0g", "1x=00"});
  expect_errors(decode_write_register, DecodeError::overflow, {"10000=00"});
  expect_errors(decode_write_register, DecodeError::trailing_garbage, {"10=00;x"});
}
