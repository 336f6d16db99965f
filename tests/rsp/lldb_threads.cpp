// lldb's thread and stop packets over the default emulated target (one thread, 1.1, pid 1):
// stop replies with lldb's keys, jThreadsInfo, qThreadStopInfo, and `k` answered with the exit.
#include <doctest/doctest.h>

#include <string>

#include "tests/support/transcript.hpp"

using namespace remora;
using test::frame;
using test::le_hex64;
using test::payload_of;
using test::Transcript;

namespace {

constexpr std::uint64_t kEntry = 0x400000;
constexpr std::uint64_t kInitialRsp = 0x7ffffffff000 - 8;

std::string ask(Transcript& t, std::string_view packet) { return payload_of(t.feed(frame(packet))); }

void lldb_handshake(Transcript& t, bool multiprocess = true) {
  REQUIRE(t.ok());
  ask(t, "QStartNoAckMode");
  ask(t, multiprocess ? "qSupported:xmlRegisters=i386;multiprocess+" : "qSupported:xmlRegisters=i386");
  CHECK(ask(t, "QThreadSuffixSupported") == "OK");
  CHECK(ask(t, "QListThreadsInStopReply") == "OK");
}

// The expedited general-purpose registers lldb gets with a stop at the entry: rax..r15, rip,
// eflags, the six segment registers, orig_rax, fs_base and gs_base, in register order.
std::string expedited_at_entry() {
  std::string out;
  auto reg = [&out](unsigned regnum, std::string value) {
    rsp::append_hex_byte(out, static_cast<std::uint8_t>(regnum));
    out += ':' + value + ';';
  };
  for (unsigned r = 0; r < 16; ++r) reg(r, le_hex64(r == 7 ? kInitialRsp : 0));
  reg(16, le_hex64(kEntry));
  reg(17, "02020000");
  for (auto [r, v] : {std::pair{18u, "33000000"}, {19u, "2b000000"}, {20u, "00000000"}, {21u, "00000000"},
                      {22u, "00000000"}, {23u, "00000000"}})
    reg(r, v);
  reg(57, le_hex64(0));
  reg(58, le_hex64(0));
  reg(59, le_hex64(0));
  return out;
}

// The stack lines at sp that go with an lldb stop (`memory:`): sp's 512-byte line and the next,
// as far as they read. At the entry sp is 0x7fffffffeff8 and the stack region ends at
// 0x7ffffffff000, so only sp's line, 512 zero bytes, is readable.
std::string stack_at_entry() { return "memory:0x7fffffffee00=" + std::string(1024, '0') + ';'; }

}  // namespace

TEST_CASE("lldb's stop reply: every general register, reason, threads and thread-pcs") {
  Transcript t;
  lldb_handshake(t);
  CHECK(ask(t, "?") == "T05thread:p1.1;" + expedited_at_entry() + stack_at_entry() +
                          "reason:signal;threads:1;thread-pcs:400000;");
  // A step: reason trace, the new pc in thread-pcs.
  const auto step = ask(t, "vCont;s:p1.1");
  CHECK(step.starts_with("T05thread:p1.1;"));
  CHECK(step.find(";10:" + le_hex64(kEntry + 1) + ";") != std::string::npos);
  CHECK(step.ends_with("reason:trace;threads:1;thread-pcs:400001;"));
  // A software breakpoint.
  CHECK(ask(t, "Z0,400010,1") == "OK");
  CHECK(ask(t, "vCont;c:p1.1").ends_with("reason:breakpoint;threads:1;thread-pcs:400010;"));
  // Continue into the spin loop; the interrupt byte stops it: SIGINT, reason signal.
  CHECK(t.feed(frame("c")) == "");
  const auto interrupted = payload_of(t.feed("\x03"));
  CHECK(interrupted.starts_with("T02thread:p1.1;"));
  CHECK(interrupted.ends_with("reason:signal;threads:1;thread-pcs:40fff0;"));
}

TEST_CASE("without QListThreadsInStopReply there are no threads: or thread-pcs: keys") {
  Transcript t;
  REQUIRE(t.ok());
  CHECK(ask(t, "QThreadSuffixSupported") == "OK");
  CHECK(ask(t, "?") == "T05thread:1;" + expedited_at_entry() + stack_at_entry() + "reason:signal;");
}

TEST_CASE("gdb's stop reply is unchanged: fp, sp and pc only, no lldb keys") {
  Transcript t;
  REQUIRE(t.ok());
  CHECK(ask(t, "?") == "T05thread:1;06:" + le_hex64(0) + ";07:" + le_hex64(kInitialRsp) + ";10:" + le_hex64(kEntry) + ";");
}

TEST_CASE("jThreadsInfo: JSON with tid, name, reason, signal and the expedited registers") {
  Transcript t;
  lldb_handshake(t);
  // lldb-server's shape; the reply escapes '}' as binary data is escaped.
  const auto wire = ask(t, "jThreadsInfo");
  auto json = rsp::unescape_binary(wire);
  REQUIRE(json);
  const std::string text = test::text_of(*json);
  CHECK(text.starts_with("[{\"tid\":1,\"name\":\"emulated\",\"reason\":\"signal\",\"signal\":5,\"registers\":{\"0\":\"" +
                         le_hex64(0) + "\","));
  CHECK(text.find("\"7\":\"" + le_hex64(kInitialRsp) + "\"") != std::string::npos);
  CHECK(text.find("\"16\":\"" + le_hex64(kEntry) + "\"") != std::string::npos);
  CHECK(text.ends_with("\"59\":\"" + le_hex64(0) + "\"}}]"));
  CHECK(wire.find("}}") == std::string::npos);  // '}' travels escaped, as `}` `]`
  CHECK(wire.ends_with("}]}]]"));
  // After a step the thread's reason is trace.
  ask(t, "vCont;s:p1.1");
  auto after = rsp::unescape_binary(ask(t, "jThreadsInfo"));
  REQUIRE(after);
  CHECK(test::text_of(*after).find("\"reason\":\"trace\",\"signal\":5,") != std::string::npos);
  // With no process: an empty list.
  ask(t, "vKill;1");
  CHECK(ask(t, "jThreadsInfo") == "[]");
}

TEST_CASE("lldb's stop reply carries the stack lines at sp as lldb's expedited memory") {
  Transcript t;
  lldb_handshake(t);
  // What is on the stack goes along: 8 bytes at 0x7fffffffefe0, 0x1e0 into sp's line.
  CHECK(ask(t, "M7fffffffefe0,8:1122334455667788") == "OK");
  const auto reply = ask(t, "?");
  const auto at = reply.find(";memory:0x7fffffffee00=");
  REQUIRE(at != std::string::npos);
  const auto bytes = reply.substr(at + 23, reply.find(';', at + 1) - at - 23);
  CHECK(bytes.size() == 1024);  // 512 bytes: the line above is not mapped
  CHECK(bytes.substr(0x1e0 * 2, 16) == "1122334455667788");
  CHECK(bytes.find_first_not_of('0') == 0x1e0 * 2);
  // With sp in unmapped memory nothing is sent: lldb reads and hears the error itself.
  CHECK(ask(t, "P7=0010000000000000;thread:p1.1;") == "OK");
  CHECK(ask(t, "?").find("memory:") == std::string::npos);
  // A step moves the line with sp: both lines readable now, 1024 bytes.
  CHECK(ask(t, "P7=00ecffffff7f0000;thread:p1.1;") == "OK");
  const auto stepped = ask(t, "vCont;s:p1.1");
  const auto line = stepped.find(";memory:0x7fffffffec00=");
  REQUIRE(line != std::string::npos);
  CHECK(stepped.find(';', line + 1) - line - 23 == 2048);
}

TEST_CASE("jThreadsInfo: once the client reads registers, the stopped thread carries every one") {
  Transcript t;
  lldb_handshake(t);
  CHECK(ask(t, "P28=00112233445566778899aabbccddeeff;thread:p1.1;") == "OK");  // xmm0
  // A client that only steps gets the general registers: no xmm0.
  ask(t, "vCont;s:p1.1");
  auto general = rsp::unescape_binary(ask(t, "jThreadsInfo"));
  REQUIRE(general);
  CHECK(test::text_of(*general).find("\"40\":") == std::string::npos);
  // lldb reads each register it lacks with its own `p` (a register view, `register read --all`):
  // from the next stop on they all come with jThreadsInfo, and such a read needs no `p`.
  for (unsigned r = 17; r < 30; ++r) {
    std::string packet = "p";
    rsp::append_hex_u64(packet, r);
    CHECK(!ask(t, packet + ";thread:p1.1;").empty());
  }
  ask(t, "vCont;s:p1.1");
  auto json = rsp::unescape_binary(ask(t, "jThreadsInfo"));
  REQUIRE(json);
  const std::string text = test::text_of(*json);
  auto info = [&t](unsigned regnum) {
    std::string packet = "qRegisterInfo";
    rsp::append_hex_u64(packet, regnum);
    return ask(t, packet);
  };
  unsigned described = 0;
  while (info(described).starts_with("name:")) ++described;
  CHECK(described == 60);
  for (unsigned r = 0; r < described; ++r) CHECK(text.find('"' + std::to_string(r) + "\":\"") != std::string::npos);
  CHECK(text.find("\"40\":\"00112233445566778899aabbccddeeff\"") != std::string::npos);
  CHECK(text.find("\"24\":\"00000000000000000000\"") != std::string::npos);  // st0: 10 bytes
  CHECK(text.find("memory") == std::string::npos);  // the stack lines travel in the stop reply
  // A client that reads no register for 16 stops (a step loop) is back to the general ones.
  for (int i = 0; i < 16; ++i) ask(t, "vCont;s:p1.1");
  auto later = rsp::unescape_binary(ask(t, "jThreadsInfo"));
  REQUIRE(later);
  CHECK(test::text_of(*later).find("\"40\":") == std::string::npos);
}

TEST_CASE("qThreadStopInfo: the stop reply of that thread; an unknown thread is an error") {
  Transcript t;
  lldb_handshake(t, false);
  CHECK(ask(t, "qThreadStopInfo1") == ask(t, "?"));
  CHECK(ask(t, "qThreadStopInfo1").starts_with("T05thread:1;00:"));
  CHECK(ask(t, "qThreadStopInfo2") == "E03");
  CHECK(ask(t, "qThreadStopInfo-1") == "E03");
  CHECK(ask(t, "qThreadStopInfo") == "E16");
  CHECK(ask(t, "qThreadStopInfoxyz") == "E16");
}

TEST_CASE("k from lldb is answered with the exit (lldb-server's X09); gdb gets no reply") {
  Transcript t;
  lldb_handshake(t);
  CHECK(ask(t, "k") == "X09;process:1");
  CHECK(t.session().wants_close());

  Transcript gdb;
  REQUIRE(gdb.ok());
  CHECK(gdb.feed(frame("k")) == "+");
  CHECK(gdb.session().wants_close());
}

TEST_CASE("D;pid as lldb sends it after multiprocess+") {
  Transcript t;
  lldb_handshake(t);
  CHECK(ask(t, "D;2") == "E03");  // not the process being debugged
  CHECK(ask(t, "D;1") == "OK");
  CHECK(t.session().wants_close());
}
