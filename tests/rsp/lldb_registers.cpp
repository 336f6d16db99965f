// QSaveRegisterState / QRestoreRegisterState as lldb sends them around an expression.
#include <doctest/doctest.h>

#include <string>

#include "tests/support/transcript.hpp"

using namespace remora;
using test::frame;
using test::le_hex64;
using test::payload_of;
using test::Transcript;

namespace {

std::string ask(Transcript& t, std::string_view packet) { return payload_of(t.feed(frame(packet))); }

}  // namespace

TEST_CASE("a saved register state comes back whole, once") {
  Transcript t;
  REQUIRE(t.ok());
  ask(t, "QThreadSuffixSupported");
  CHECK(ask(t, "P0=3412000000000000;thread:1;") == "OK");
  const std::string before = ask(t, "g;thread:1;");
  CHECK(ask(t, "QSaveRegisterState;thread:1;") == "1");
  // The expression changes registers: rax, rip, an xmm register, eflags.
  CHECK(ask(t, "P0=efbeadde00000000;thread:1;") == "OK");
  CHECK(ask(t, "P10=0000001000000000;thread:1;") == "OK");
  CHECK(ask(t, "P28=0102030405060708090a0b0c0d0e0f10;thread:1;") == "OK");
  CHECK(ask(t, "P11=46020000;thread:1;") == "OK");
  CHECK(ask(t, "g;thread:1;") != before);
  CHECK(ask(t, "QRestoreRegisterState:1;thread:1;") == "OK");
  CHECK(ask(t, "g;thread:1;") == before);
  CHECK(ask(t, "p0;thread:1;") == le_hex64(0x1234));
  // An id is consumed by its restore.
  CHECK(ask(t, "QRestoreRegisterState:1;thread:1;") == "E16");
}

TEST_CASE("save ids are decimal, distinct, and nest; bad requests are errors") {
  Transcript t;
  REQUIRE(t.ok());
  CHECK(ask(t, "QSaveRegisterState") == "1");
  CHECK(ask(t, "P0=0100000000000000") == "OK");
  CHECK(ask(t, "QSaveRegisterState") == "2");
  CHECK(ask(t, "P0=0200000000000000") == "OK");
  for (int i = 3; i <= 10; ++i) CHECK(ask(t, "QSaveRegisterState;thread:1;") == std::to_string(i));
  CHECK(ask(t, "QRestoreRegisterState:2") == "OK");
  CHECK(ask(t, "p0") == le_hex64(1));
  CHECK(ask(t, "QRestoreRegisterState:10") == "OK");  // decimal 10, not 0x10
  CHECK(ask(t, "p0") == le_hex64(2));
  CHECK(ask(t, "QRestoreRegisterState:1") == "OK");
  CHECK(ask(t, "p0") == le_hex64(0));
  CHECK(ask(t, "QSaveRegisterState;thread:2;") == "E03");  // no such thread
  CHECK(ask(t, "QSaveRegisterState:1") == "E16");
  CHECK(ask(t, "QRestoreRegisterState") == "E16");
  CHECK(ask(t, "QRestoreRegisterState:") == "E16");
  CHECK(ask(t, "QRestoreRegisterState:a") == "E16");
  CHECK(ask(t, "QRestoreRegisterState:4;thread:2;") == "E03");  // kept: may be retried
  CHECK(ask(t, "QRestoreRegisterState:4;thread:1;") == "OK");
}

TEST_CASE("saved states are bounded: a client that never restores cannot grow them without end") {
  Transcript t;
  REQUIRE(t.ok());
  for (int i = 1; i <= 64; ++i) REQUIRE(ask(t, "QSaveRegisterState") == std::to_string(i));
  CHECK(ask(t, "QSaveRegisterState") == "E1b");
  CHECK(ask(t, "QRestoreRegisterState:64") == "OK");
  CHECK(ask(t, "QSaveRegisterState") == "65");
}
