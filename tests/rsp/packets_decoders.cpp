// Typed packet decoders (rsp/packets/): every valid form and every error path of thread ids,
// memory and register packets. Execution and control packets are in packets_control.cpp.
#include <doctest/doctest.h>

#include <cstddef>
#include <string>
#include <vector>

#include "rsp/packets/memory.hpp"
#include "rsp/packets/registers.hpp"
#include "rsp/packets/thread_id.hpp"

using namespace remora::rsp;
using namespace remora::rsp::packets;
using remora::targets::ThreadId;

namespace {

template <class T>
DecodeError error_of(const std::expected<T, DecodeError>& r) {
  REQUIRE_FALSE(r.has_value());
  return r.error();
}

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
  CHECK(error_of(parse_thread_id("")) == DecodeError::bad_thread_id);
  CHECK(error_of(parse_thread_id("p")) == DecodeError::bad_thread_id);
  CHECK(error_of(parse_thread_id("p1.")) == DecodeError::bad_thread_id);
  CHECK(error_of(parse_thread_id("p.1")) == DecodeError::bad_thread_id);
  CHECK(error_of(parse_thread_id("xyz")) == DecodeError::bad_hex);
  CHECK(error_of(parse_thread_id("-2")) == DecodeError::bad_hex);
  CHECK(error_of(parse_thread_id("-")) == DecodeError::bad_hex);
  CHECK(error_of(parse_thread_id("1.2")) == DecodeError::bad_hex);
  CHECK(error_of(parse_thread_id("p1.2.3")) == DecodeError::bad_hex);
  CHECK(error_of(parse_thread_id("pp1")) == DecodeError::bad_hex);
  CHECK(error_of(parse_thread_id("8000000000000000")) == DecodeError::overflow);
  CHECK(error_of(parse_thread_id("p8000000000000000.1")) == DecodeError::overflow);
  CHECK(error_of(parse_thread_id("10000000000000000")) == DecodeError::overflow);
  CHECK(error_of(parse_thread_id("1 ")) == DecodeError::bad_hex);
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
  CHECK(error_of(decode_read_memory("")) == DecodeError::missing_field);
  CHECK(error_of(decode_read_memory("600000")) == DecodeError::missing_field);
  CHECK(error_of(decode_read_memory(",10")) == DecodeError::empty_field);
  CHECK(error_of(decode_read_memory("600000,")) == DecodeError::empty_field);
  CHECK(error_of(decode_read_memory("60g000,10")) == DecodeError::bad_hex);
  CHECK(error_of(decode_read_memory("600000,1z")) == DecodeError::bad_hex);
  CHECK(error_of(decode_read_memory("600000,10,4")) == DecodeError::bad_hex);  // trailing field
  CHECK(error_of(decode_read_memory("600000,10 ")) == DecodeError::bad_hex);
  CHECK(error_of(decode_read_memory("-1,10")) == DecodeError::bad_hex);
  CHECK(error_of(decode_read_memory("10000000000000000,1")) == DecodeError::overflow);
  CHECK(error_of(decode_read_memory("0,10000000000000000")) == DecodeError::overflow);
  CHECK(error_of(decode_read_memory("ffffffffffffffff,2")) == DecodeError::address_wrap);
  CHECK(error_of(decode_read_memory("fffffffffffffff0,11")) == DecodeError::address_wrap);
  CHECK(error_of(decode_read_memory("2,ffffffffffffffff")) == DecodeError::address_wrap);
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
  CHECK(error_of(decode_write_memory_hex("")) == DecodeError::missing_field);
  CHECK(error_of(decode_write_memory_hex("600000,2")) == DecodeError::missing_field);  // no ':'
  CHECK(error_of(decode_write_memory_hex("600000:aabb")) == DecodeError::missing_field);  // no ','
  CHECK(error_of(decode_write_memory_hex(",2:aabb")) == DecodeError::empty_field);
  CHECK(error_of(decode_write_memory_hex("600000,:aabb")) == DecodeError::empty_field);
  CHECK(error_of(decode_write_memory_hex("60x000,2:aabb")) == DecodeError::bad_hex);
  CHECK(error_of(decode_write_memory_hex("600000,2:aabg")) == DecodeError::bad_hex);
  CHECK(error_of(decode_write_memory_hex("600000,2:aab")) == DecodeError::length_mismatch);  // odd
  CHECK(error_of(decode_write_memory_hex("600000,2:aa")) == DecodeError::length_mismatch);
  CHECK(error_of(decode_write_memory_hex("600000,2:aabbcc")) == DecodeError::length_mismatch);
  CHECK(error_of(decode_write_memory_hex("600000,1:aa:")) == DecodeError::length_mismatch);
  CHECK(error_of(decode_write_memory_hex("ffffffffffffffff,2:aabb")) == DecodeError::address_wrap);
  CHECK(error_of(decode_write_memory_hex("0,8000000000000000:")) == DecodeError::too_long);
  CHECK(error_of(decode_write_memory_hex("0,10000000000000000:")) == DecodeError::overflow);
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
  CHECK(error_of(decode_write_memory_binary("600000,1")) == DecodeError::missing_field);
  CHECK(error_of(decode_write_memory_binary("600000:a")) == DecodeError::missing_field);
  CHECK(error_of(decode_write_memory_binary("60q000,1:a")) == DecodeError::bad_hex);
  CHECK(error_of(decode_write_memory_binary("600000,1:}")) == DecodeError::bad_escape);
  CHECK(error_of(decode_write_memory_binary("600000,2:a}")) == DecodeError::bad_escape);
  CHECK(error_of(decode_write_memory_binary("600000,2:a")) == DecodeError::length_mismatch);
  CHECK(error_of(decode_write_memory_binary("600000,1:ab")) == DecodeError::length_mismatch);
  // The escape pair counts as one byte: two escaped bytes are 2, not 4.
  CHECK(error_of(decode_write_memory_binary("600000,4:}]}]")) == DecodeError::length_mismatch);
  CHECK(decode_write_memory_binary("600000,2:}]}]").value().data == bytes({'}', '}'}));
  CHECK(error_of(decode_write_memory_binary("ffffffffffffffff,2:ab")) == DecodeError::address_wrap);
  CHECK(error_of(decode_write_memory_binary("0,ffffffffffffffff:")) == DecodeError::too_long);
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
  CHECK(error_of(split_thread_suffix("10;thread:;")) == DecodeError::bad_thread_id);
  CHECK(error_of(split_thread_suffix("10;thread:zz;")) == DecodeError::bad_hex);
  CHECK(error_of(split_thread_suffix("10;thrd:1;")) == DecodeError::trailing_garbage);
  CHECK(error_of(split_thread_suffix("10;")) == DecodeError::trailing_garbage);
  CHECK(error_of(split_thread_suffix("10;thread:1;junk")) == DecodeError::bad_hex);
}

TEST_CASE("g: no arguments but an optional thread suffix") {
  auto g = decode_read_registers("");
  REQUIRE(g);
  CHECK_FALSE(g->thread.has_value());
  CHECK(decode_read_registers(";thread:1;").value().thread == ThreadId{0, 1});
  CHECK(error_of(decode_read_registers("1")) == DecodeError::trailing_garbage);
  CHECK(error_of(decode_read_registers("x;thread:1;")) == DecodeError::trailing_garbage);
  CHECK(error_of(decode_read_registers(";thread:-;")) == DecodeError::bad_hex);
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
  CHECK(error_of(decode_write_registers("001")) == DecodeError::odd_hex_length);
  CHECK(error_of(decode_write_registers("00xx")) == DecodeError::bad_hex);
  CHECK(error_of(decode_write_registers("00;thread:;")) == DecodeError::bad_thread_id);
  CHECK(error_of(decode_write_registers("00;tid:1;")) == DecodeError::trailing_garbage);
}

TEST_CASE("p: register number") {
  CHECK(decode_read_register("10").value().regnum == 0x10);
  CHECK(decode_read_register("0").value().regnum == 0);
  CHECK(decode_read_register("ffff").value().regnum == 0xffff);
  auto t = decode_read_register("7;thread:p1.1;");
  REQUIRE(t);
  CHECK(t->regnum == 7);
  CHECK(t->thread == ThreadId{1, 1});
  CHECK(error_of(decode_read_register("")) == DecodeError::empty_field);
  CHECK(error_of(decode_read_register(";thread:1;")) == DecodeError::empty_field);
  CHECK(error_of(decode_read_register("1g")) == DecodeError::bad_hex);
  CHECK(error_of(decode_read_register("10000")) == DecodeError::overflow);
  CHECK(error_of(decode_read_register("10000000000000000")) == DecodeError::overflow);
  CHECK(error_of(decode_read_register("10=00")) == DecodeError::bad_hex);
  CHECK(error_of(decode_read_register("10;thread:x;")) == DecodeError::bad_hex);
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
  CHECK(error_of(decode_write_register("10")) == DecodeError::missing_field);
  CHECK(error_of(decode_write_register("")) == DecodeError::missing_field);
  CHECK(error_of(decode_write_register("=00")) == DecodeError::empty_field);
  CHECK(error_of(decode_write_register("10=")) == DecodeError::empty_field);
  CHECK(error_of(decode_write_register("10=0")) == DecodeError::odd_hex_length);
  CHECK(error_of(decode_write_register("10=0g")) == DecodeError::bad_hex);
  CHECK(error_of(decode_write_register("1x=00")) == DecodeError::bad_hex);
  CHECK(error_of(decode_write_register("10000=00")) == DecodeError::overflow);
  CHECK(error_of(decode_write_register("10=00;x")) == DecodeError::trailing_garbage);
}
