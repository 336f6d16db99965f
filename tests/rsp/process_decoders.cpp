// Decoders of rsp/packets/process*.hpp: vRun, R, QEnvironment*, QSetWorkingDir, the 0/1
// switches, signal lists, QCatchSyscalls, qXfer objects, qThreadExtraInfo, qSearch:memory and
// qCRC — valid forms and every error path.
#include <doctest/doctest.h>

#include <string>

#include "rsp/packets/process.hpp"
#include "rsp/packets/process_query.hpp"

using namespace remora::rsp;
using namespace remora::rsp::packets;

namespace {

template <class T>
DecodeError error_of(const std::expected<T, DecodeError>& r) {
  REQUIRE_FALSE(r.has_value());
  return r.error();
}

std::string hex(std::string_view text) { return to_hex(text); }

std::string text_of(const std::vector<std::byte>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace

TEST_CASE("vRun: hex program and arguments") {
  auto run = decode_vrun(";" + hex("/bin/true") + ";" + hex("a b") + ";;" + hex("c"));
  REQUIRE(run);
  CHECK(run->program == "/bin/true");
  CHECK(run->args == std::vector<std::string>{"a b", "", "c"});  // an empty argument stays
  auto bare = decode_vrun(";");  // gdb without `set remote exec-file`, no arguments
  REQUIRE(bare);
  CHECK(bare->program.empty());
  CHECK(bare->args.empty());
  CHECK(decode_vrun(";;" + hex("x")).value().args == std::vector<std::string>{"x"});
  CHECK(error_of(decode_vrun("")) == DecodeError::missing_field);
  CHECK(error_of(decode_vrun(":" + hex("p"))) == DecodeError::missing_field);
  CHECK(error_of(decode_vrun(";zz")) == DecodeError::bad_hex);
  CHECK(error_of(decode_vrun(";616")) == DecodeError::odd_hex_length);
  CHECK(error_of(decode_vrun(";61006263")) == DecodeError::bad_value);  // NUL would cut argv
  std::string many = ";";
  for (int i = 0; i < 4097; ++i) many += ";61";
  CHECK(error_of(decode_vrun(many)) == DecodeError::too_long);
}

TEST_CASE("R: an ignored hex argument") {
  CHECK(decode_restart(""));
  CHECK(decode_restart("0"));
  CHECK(decode_restart("00"));
  CHECK(error_of(decode_restart("x")) == DecodeError::bad_hex);
  CHECK(error_of(decode_restart("11112222333344445")) == DecodeError::overflow);
}

TEST_CASE("QEnvironmentHexEncoded, QEnvironmentUnset, QSetWorkingDir") {
  auto set = decode_set_environment(":" + hex("PATH=/bin:/usr/bin=x"));
  REQUIRE(set);
  CHECK(set->name == "PATH");
  CHECK(set->value == "/bin:/usr/bin=x");  // only the first '=' separates
  CHECK(decode_set_environment(":" + hex("EMPTY=")).value().value.empty());
  CHECK(error_of(decode_set_environment(":" + hex("NOEQUALS"))) == DecodeError::bad_value);
  CHECK(error_of(decode_set_environment(":" + hex("=value"))) == DecodeError::bad_value);
  CHECK(error_of(decode_set_environment(hex("A=1"))) == DecodeError::missing_field);
  CHECK(error_of(decode_set_environment(":4g")) == DecodeError::bad_hex);
  CHECK(error_of(decode_set_environment(":413")) == DecodeError::odd_hex_length);

  CHECK(decode_unset_environment(":" + hex("HOME")).value().text == "HOME");
  CHECK(error_of(decode_unset_environment(":")) == DecodeError::empty_field);
  CHECK(error_of(decode_unset_environment("")) == DecodeError::missing_field);
  CHECK(error_of(decode_unset_environment(":00")) == DecodeError::bad_value);

  CHECK(decode_working_dir(":" + hex("/tmp")).value().text == "/tmp");
  CHECK(decode_working_dir(":").value().text.empty());  // empty: remora's own directory
  CHECK(error_of(decode_working_dir(";2f")) == DecodeError::missing_field);
  CHECK(error_of(decode_working_dir(":2f00")) == DecodeError::bad_value);
}

TEST_CASE("0/1 switches") {
  CHECK(decode_switch(":1").value().on);
  CHECK_FALSE(decode_switch(":0").value().on);
  CHECK(error_of(decode_switch("")) == DecodeError::missing_field);
  CHECK(error_of(decode_switch("1")) == DecodeError::missing_field);
  CHECK(error_of(decode_switch(":")) == DecodeError::empty_field);
  CHECK(error_of(decode_switch(":2")) == DecodeError::bad_value);
  CHECK(error_of(decode_switch(":01")) == DecodeError::bad_value);
}

TEST_CASE("QPassSignals / QProgramSignals lists") {
  // gdb writes a ';' after every signal, the last one included (remote.c).
  CHECK(decode_signal_list(":e;14;").value().signals == std::vector<int>{0x0e, 0x14});
  CHECK(decode_signal_list(":e;14").value().signals == std::vector<int>{0x0e, 0x14});
  CHECK(decode_signal_list(":").value().signals.empty());  // pass nothing
  CHECK(error_of(decode_signal_list("")) == DecodeError::missing_field);
  CHECK(error_of(decode_signal_list(":;")) == DecodeError::empty_field);
  CHECK(error_of(decode_signal_list(":e;;14")) == DecodeError::empty_field);
  CHECK(error_of(decode_signal_list(":100")) == DecodeError::bad_value);
  CHECK(error_of(decode_signal_list(":xy")) == DecodeError::bad_hex);
  std::string many = ":";
  for (int i = 0; i < 4097; ++i) many += "1;";
  CHECK(error_of(decode_signal_list(many)) == DecodeError::too_long);
}

TEST_CASE("QCatchSyscalls") {
  CHECK_FALSE(decode_catch_syscalls(":0").value().syscalls.has_value());
  auto all = decode_catch_syscalls(":1");
  REQUIRE(all);
  REQUIRE(all->syscalls.has_value());
  CHECK(all->syscalls->empty());
  CHECK(decode_catch_syscalls(":1;1;3c").value().syscalls == std::vector<int>{1, 0x3c});
  CHECK(error_of(decode_catch_syscalls("")) == DecodeError::missing_field);
  CHECK(error_of(decode_catch_syscalls(":")) == DecodeError::empty_field);
  CHECK(error_of(decode_catch_syscalls(":2")) == DecodeError::bad_value);
  CHECK(error_of(decode_catch_syscalls(":0;1")) == DecodeError::trailing_garbage);
  CHECK(error_of(decode_catch_syscalls(":1;")) == DecodeError::empty_field);
  CHECK(error_of(decode_catch_syscalls(":1;1;;2")) == DecodeError::empty_field);
  CHECK(error_of(decode_catch_syscalls(":1;80000000")) == DecodeError::bad_value);
  CHECK(error_of(decode_catch_syscalls(":1;zz")) == DecodeError::bad_hex);
}

TEST_CASE("qXfer objects: read and write") {
  auto read = decode_xfer_object(":read::10,20");
  REQUIRE(read);
  CHECK_FALSE(read->write);
  CHECK(read->annex.empty());
  CHECK(read->offset == 0x10);
  CHECK(read->length == 0x20);
  CHECK(decode_xfer_object(":read:a:b:0,1").value().annex == "a:b");
  auto write = decode_xfer_object(":write::8:a:}]b");  // binary data may hold ':' and escapes
  REQUIRE(write);
  CHECK(write->write);
  CHECK(write->offset == 8);
  CHECK(text_of(write->data) == "a:}b");
  CHECK(decode_xfer_object(":write::0:").value().data.empty());
  CHECK(error_of(decode_xfer_object("")) == DecodeError::missing_field);
  CHECK(error_of(decode_xfer_object(":read")) == DecodeError::missing_field);
  CHECK(error_of(decode_xfer_object(":erase::0,1")) == DecodeError::unknown_action);
  CHECK(error_of(decode_xfer_object(":read:0,1")) == DecodeError::missing_field);
  CHECK(error_of(decode_xfer_object(":read::01")) == DecodeError::missing_field);
  CHECK(error_of(decode_xfer_object(":read::zz,1")) == DecodeError::bad_hex);
  CHECK(error_of(decode_xfer_object(":read::0,")) == DecodeError::empty_field);
  CHECK(error_of(decode_xfer_object(":write::0")) == DecodeError::missing_field);
  CHECK(error_of(decode_xfer_object(":write:0")) == DecodeError::missing_field);
  CHECK(error_of(decode_xfer_object(":write::q:a")) == DecodeError::bad_hex);
  CHECK(error_of(decode_xfer_object(":write::0:a}")) == DecodeError::bad_escape);
}

TEST_CASE("qThreadExtraInfo") {
  CHECK(decode_thread_extra_info(",p1.2").value().thread == remora::targets::ThreadId{1, 2});
  CHECK(decode_thread_extra_info(",2").value().thread.tid == 2);
  CHECK(error_of(decode_thread_extra_info("")) == DecodeError::missing_field);
  CHECK(error_of(decode_thread_extra_info(":1")) == DecodeError::missing_field);
  CHECK(error_of(decode_thread_extra_info(",")) == DecodeError::bad_thread_id);
  CHECK(error_of(decode_thread_extra_info(",zz")) == DecodeError::bad_hex);
}

TEST_CASE("qSearch:memory: address, length, binary pattern") {
  auto q = decode_search_memory(":600000;100;a;b}]");  // the pattern may hold ';' and escapes
  REQUIRE(q);
  CHECK(q->addr == 0x600000);
  CHECK(q->length == 0x100);
  CHECK(text_of(q->pattern) == "a;b}");
  CHECK(decode_search_memory(":ffffffffffffffff;1;x"));  // the last byte of the address space
  CHECK(error_of(decode_search_memory("")) == DecodeError::missing_field);
  CHECK(error_of(decode_search_memory(":600000")) == DecodeError::missing_field);
  CHECK(error_of(decode_search_memory(":600000;10")) == DecodeError::missing_field);
  CHECK(error_of(decode_search_memory(":600000;10;")) == DecodeError::empty_field);
  CHECK(error_of(decode_search_memory(":;10;a")) == DecodeError::empty_field);
  CHECK(error_of(decode_search_memory(":60000g;10;a")) == DecodeError::bad_hex);
  CHECK(error_of(decode_search_memory(":600000;zz;a")) == DecodeError::bad_hex);
  CHECK(error_of(decode_search_memory(":ffffffffffffffff;2;a")) == DecodeError::address_wrap);
  CHECK(error_of(decode_search_memory(":0;1;a}")) == DecodeError::bad_escape);
}

TEST_CASE("qCRC: address and length") {
  auto c = decode_crc(":400000,10");
  REQUIRE(c);
  CHECK(c->addr == 0x400000);
  CHECK(c->length == 0x10);
  CHECK(decode_crc(":0,0"));
  CHECK(error_of(decode_crc("")) == DecodeError::missing_field);
  CHECK(error_of(decode_crc(":400000")) == DecodeError::missing_field);
  CHECK(error_of(decode_crc(":400000,")) == DecodeError::empty_field);
  CHECK(error_of(decode_crc(":x,1")) == DecodeError::bad_hex);
  CHECK(error_of(decode_crc(":1,11112222333344445")) == DecodeError::overflow);
  CHECK(error_of(decode_crc(":ffffffffffffffff,2")) == DecodeError::address_wrap);
}
