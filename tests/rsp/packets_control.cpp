// Typed packet decoders (rsp/packets/): c/C/s/S, vCont, H, T, Z/z, D, qRcmd, qXfer, qSupported
// and the packets that take no arguments — valid forms and every error path.
#include <doctest/doctest.h>

#include <string>

#include "rsp/packets/control.hpp"
#include "rsp/packets/execution.hpp"
#include "tests/support/decode_checks.hpp"

using namespace remora::rsp;
using namespace remora::rsp::packets;
using remora::targets::BreakpointKind;
using remora::targets::ResumeKind;
using remora::targets::ThreadId;
using remora::test::expect_errors;

TEST_CASE("c and s: optional resume address") {
  auto c = decode_continue("");
  REQUIRE(c);
  CHECK_FALSE(c->step);
  CHECK(c->signal == 0);
  CHECK_FALSE(c->addr.has_value());
  auto at = decode_continue("400010");
  REQUIRE(at);
  CHECK(at->addr == 0x400010);
  auto s = decode_step("");
  REQUIRE(s);
  CHECK(s->step);
  CHECK(decode_step("ffffffffffffffff").value().addr == 0xffffffffffffffff);
  expect_errors(decode_continue, DecodeError::bad_hex, {"40001g"});
  expect_errors(decode_continue, DecodeError::overflow, {"10000000000000000"});
  expect_errors(decode_step, DecodeError::bad_hex, {";400000", "4 "});
}

TEST_CASE("C and S: signal and optional address") {
  auto c = decode_continue_signal("0b");
  REQUIRE(c);
  CHECK(c->signal == 11);
  CHECK_FALSE(c->step);
  CHECK_FALSE(c->addr.has_value());
  auto s = decode_step_signal("05;400000");
  REQUIRE(s);
  CHECK(s->step);
  CHECK(s->signal == 5);
  CHECK(s->addr == 0x400000);
  CHECK(decode_continue_signal("ff").value().signal == 0xff);
  expect_errors(decode_continue_signal, DecodeError::empty_field, {"", ";400000", "05;"});
  expect_errors(decode_continue_signal, DecodeError::overflow, {"100"});
  expect_errors(decode_continue_signal, DecodeError::bad_hex, {"0x"});
  expect_errors(decode_step_signal, DecodeError::bad_hex, {"05;40000z", "05;1;2"});
}

TEST_CASE("vCont: actions with and without threads") {
  auto v = decode_vcont(";c");
  REQUIRE(v);
  REQUIRE(v->actions.size() == 1);
  CHECK(v->actions[0].kind == ResumeKind::cont);
  CHECK(v->actions[0].thread == ThreadId::all());  // no thread: applies to all

  auto mixed = decode_vcont(";s:p1.1;C0b:2;S05;t:-1;c");
  REQUIRE(mixed);
  REQUIRE(mixed->actions.size() == 5);
  CHECK(mixed->actions[0].kind == ResumeKind::step);
  CHECK(mixed->actions[0].thread == ThreadId{1, 1});
  CHECK(mixed->actions[1].kind == ResumeKind::cont);
  CHECK(mixed->actions[1].signal == 11);
  CHECK(mixed->actions[1].thread == ThreadId{0, 2});
  CHECK(mixed->actions[2].kind == ResumeKind::step);
  CHECK(mixed->actions[2].signal == 5);
  CHECK(mixed->actions[3].kind == ResumeKind::stop);
  CHECK(mixed->actions[3].thread == ThreadId::all());
  CHECK(mixed->actions[4].kind == ResumeKind::cont);

  auto range = decode_vcont(";r400000,400010:1");
  REQUIRE(range);
  CHECK(range->actions[0].kind == ResumeKind::range_step);
  CHECK(range->actions[0].range_start == 0x400000);
  CHECK(range->actions[0].range_end == 0x400010);
  CHECK(range->actions[0].thread == ThreadId{0, 1});
}

TEST_CASE("vCont: every error path") {
  expect_errors(decode_vcont, DecodeError::missing_field, {"", "c", ";r400000"});
  expect_errors(decode_vcont, DecodeError::empty_field, {";", ";c;", ";;c", ";:1", ";C", ";r,1", ";r1,"});
  expect_errors(decode_vcont, DecodeError::unknown_action, {";q", ";c;x:1"});
  expect_errors(decode_vcont, DecodeError::trailing_garbage, {";cc", ";s1", ";t0"});
  expect_errors(decode_vcont, DecodeError::overflow, {";C100"});
  expect_errors(decode_vcont, DecodeError::bad_hex, {";Sxx", ";c:zz", ";r1,2,3"});
  expect_errors(decode_vcont, DecodeError::bad_thread_id, {";c:", ";c:p1."});
  // An endless list is refused rather than grown without bound.
  std::string many;
  for (int i = 0; i < 5000; ++i) many += ";c";
  expect_errors(decode_vcont, DecodeError::too_long, {many});
}

TEST_CASE("H: op and thread") {
  auto g = decode_set_thread("g1");
  REQUIRE(g);
  CHECK(g->op == 'g');
  CHECK(g->thread == ThreadId{0, 1});
  auto c = decode_set_thread("c-1");
  REQUIRE(c);
  CHECK(c->op == 'c');
  CHECK(c->thread == ThreadId::all());
  CHECK(decode_set_thread("g0").value().thread == ThreadId::any());
  CHECK(decode_set_thread("gp1.2").value().thread == ThreadId{1, 2});
  expect_errors(decode_set_thread, DecodeError::missing_field, {""});
  expect_errors(decode_set_thread, DecodeError::bad_thread_id, {"g"});
  expect_errors(decode_set_thread, DecodeError::unknown_action, {"x1", "1"});
  expect_errors(decode_set_thread, DecodeError::bad_hex, {"gzz", "g1;"});
}

TEST_CASE("T: thread") {
  CHECK(decode_thread_alive("1").value().thread == ThreadId{0, 1});
  CHECK(decode_thread_alive("p1.1").value().thread == ThreadId{1, 1});
  expect_errors(decode_thread_alive, DecodeError::bad_thread_id, {""});
  expect_errors(decode_thread_alive, DecodeError::bad_hex, {"q"});
  expect_errors(decode_thread_alive, DecodeError::overflow, {"8000000000000000"});
}

TEST_CASE("Z/z: type,addr,kind") {
  auto sw = decode_breakpoint("0,400010,1");
  REQUIRE(sw);
  CHECK(sw->kind == BreakpointKind::software);
  CHECK(sw->addr == 0x400010);
  CHECK(sw->length == 1);
  CHECK(decode_breakpoint("1,0,1").value().kind == BreakpointKind::hardware);
  CHECK(decode_breakpoint("2,600000,8").value().kind == BreakpointKind::watch_write);
  CHECK(decode_breakpoint("3,600000,4").value().kind == BreakpointKind::watch_read);
  CHECK(decode_breakpoint("4,600000,2").value().kind == BreakpointKind::watch_access);
  CHECK(decode_breakpoint("0,ffffffffffffffff,1").value().addr == 0xffffffffffffffff);
  CHECK(decode_breakpoint("2,0,10000").value().length == 0x10000);
  CHECK(decode_breakpoint("0,400000,0").value().length == 0);
}

TEST_CASE("Z/z: every error path") {
  expect_errors(decode_breakpoint, DecodeError::missing_field, {"", "0", "0,400000"});
  expect_errors(decode_breakpoint, DecodeError::empty_field, {",400000,1", "0,,1", "0,400000,"});
  expect_errors(decode_breakpoint, DecodeError::unknown_action, {"5,400000,1"});
  expect_errors(decode_breakpoint, DecodeError::bad_hex, {"x,400000,1", "0,4g0000,1", "0,400000,1,2"});
  expect_errors(decode_breakpoint, DecodeError::bad_hex, {"0,400000,1;X2,0a"});  // no conditions
  expect_errors(decode_breakpoint, DecodeError::overflow, {"0,10000000000000000,1"});
  expect_errors(decode_breakpoint, DecodeError::bad_value, {"2,0,10001"});
  expect_errors(decode_breakpoint, DecodeError::address_wrap, {"2,ffffffffffffffff,2"});
}

TEST_CASE("D: optional ;pid") {
  CHECK_FALSE(decode_detach("").value().pid.has_value());
  CHECK(decode_detach(";1f").value().pid == 0x1f);
  CHECK(decode_detach(";7fffffffffffffff").value().pid == 0x7fffffffffffffff);
  expect_errors(decode_detach, DecodeError::trailing_garbage, {"1"});
  expect_errors(decode_detach, DecodeError::empty_field, {";"});
  expect_errors(decode_detach, DecodeError::bad_hex, {";1;"});
  expect_errors(decode_detach, DecodeError::overflow, {";8000000000000000", ";10000000000000000"});
}

TEST_CASE("qRcmd: ,hex command") {
  CHECK(decode_monitor(",68656c70").value().command == "help");
  CHECK(decode_monitor(",").value().command.empty());
  CHECK(decode_monitor(",4869").value().command == "Hi");
  expect_errors(decode_monitor, DecodeError::missing_field, {"", "68656c70"});
  expect_errors(decode_monitor, DecodeError::odd_hex_length, {",68656c7"});
  expect_errors(decode_monitor, DecodeError::bad_hex, {",68656x70"});
}

TEST_CASE("qXfer: :object:read:annex:offset,length") {
  auto x = decode_xfer_read(":features:read:target.xml:0,fff");
  REQUIRE(x);
  CHECK(x->object == "features");
  CHECK(x->annex == "target.xml");
  CHECK(x->offset == 0);
  CHECK(x->length == 0xfff);
  auto empty_annex = decode_xfer_read(":memory-map:read::10,20");
  REQUIRE(empty_annex);
  CHECK(empty_annex->object == "memory-map");
  CHECK(empty_annex->annex.empty());
  CHECK(empty_annex->offset == 0x10);
  CHECK(empty_annex->length == 0x20);
  auto colon_annex = decode_xfer_read(":features:read:a:b.xml:1,2");  // ':' inside the annex
  REQUIRE(colon_annex);
  CHECK(colon_annex->annex == "a:b.xml");
}

TEST_CASE("qXfer: every error path") {
  expect_errors(decode_xfer_read, DecodeError::missing_field, {"", "features:read:target.xml:0,1", ":features",
      "::read:target.xml:0,1", ":features:read", ":features:read:0,1", ":features:read:target.xml:0"});
  expect_errors(decode_xfer_read, DecodeError::unknown_action, {":features:write:target.xml:0,1"});
  expect_errors(decode_xfer_read, DecodeError::empty_field, {":features:read:target.xml:,1",
      ":features:read:target.xml:0,"});
  expect_errors(decode_xfer_read, DecodeError::bad_hex, {":features:read:target.xml:0,1x",
      ":features:read:target.xml:g,1"});
  expect_errors(decode_xfer_read, DecodeError::overflow, {":features:read:target.xml:10000000000000000,1"});
}

TEST_CASE("qSupported: feature list") {
  CHECK(decode_supported("").value().features.empty());
  auto f = decode_supported(":multiprocess+;swbreak+;xmlRegisters=i386;;vContSupported+");
  REQUIRE(f);
  REQUIRE(f->features.size() == 4);  // empty entries are skipped
  CHECK(f->features[0] == "multiprocess+");
  CHECK(f->features[2] == "xmlRegisters=i386");
  CHECK(f->features[3] == "vContSupported+");
  CHECK(decode_supported(":").value().features.empty());
  expect_errors(decode_supported, DecodeError::trailing_garbage, {"multiprocess+"});
  std::string many = ":";
  for (int i = 0; i < 300; ++i) many += "f" + std::to_string(i) + "+;";
  expect_errors(decode_supported, DecodeError::too_long, {many});
}

TEST_CASE("packets without arguments") {
  CHECK(decode_no_args("").has_value());
  expect_errors(decode_no_args, DecodeError::trailing_garbage, {"x", ":"});
}
