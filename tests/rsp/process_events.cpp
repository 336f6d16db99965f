// Signal policies, syscall catching, the optional events (fork/vfork/exec in qSupported,
// QThreadEvents) and their stop replies, and the Z3 rule, over a fake backend.
#include <doctest/doctest.h>

#include <string>

#include "rsp/codec.hpp"
#include "tests/support/fake_process_target.hpp"

using namespace remora;
using targets::BreakpointKind;
using targets::StopReason;
using test::ProcessTranscript;

namespace {

rsp::SessionOptions extended() {
  rsp::SessionOptions o;
  o.extended_mode = true;
  return o;
}

// A stop of the fake's process 0x10 (no registers: the emulated ones answer for thread 1 only).
targets::StopEvent event(StopReason reason) {
  targets::StopEvent e;
  e.thread = {0x10, 0x11};
  e.reason = reason;
  return e;
}

// The payload of the one frame in `wire`.
std::string payload(const std::string& wire) {
  auto hash = wire.rfind('#');
  if (wire.empty() || wire.front() != '$' || hash == std::string::npos) return "<bad frame>";
  return wire.substr(1, hash - 1);
}

}  // namespace

TEST_CASE("QPassSignals / QProgramSignals reach SignalControl") {
  ProcessTranscript t;
  CHECK(t.ask("qSupported").find(";QPassSignals+;QProgramSignals+;QCatchSyscalls+") != std::string::npos);
  CHECK(t.ask("QPassSignals:e;14;") == "OK");
  CHECK(t.ask("QPassSignals:") == "OK");
  CHECK(t.ask("QProgramSignals:2;9;f;") == "OK");
  CHECK(t.target().pass_calls == std::vector<std::vector<int>>{{0x0e, 0x14}, {}});
  CHECK(t.target().program_calls == std::vector<std::vector<int>>{{2, 9, 0xf}});
  CHECK(t.ask("QPassSignals:100") == "E16");
  CHECK(t.target().pass_calls.size() == 2);  // a malformed list changes nothing

  ProcessTranscript none;
  none.target().with_signal_control = false;
  CHECK(none.ask("qSupported").find("QPassSignals") == std::string::npos);
  CHECK(none.ask("QPassSignals:e") == "");
  CHECK(none.ask("QProgramSignals:e") == "");
  CHECK(none.ask("QCatchSyscalls:1") == "");
}

TEST_CASE("QCatchSyscalls: none, all, a list; a backend error is an error") {
  ProcessTranscript t;
  CHECK(t.ask("QCatchSyscalls:1") == "OK");
  CHECK(t.ask("QCatchSyscalls:1;1;e7") == "OK");
  CHECK(t.ask("QCatchSyscalls:0") == "OK");
  REQUIRE(t.target().catch_calls.size() == 3);
  CHECK(t.target().catch_calls[0] == std::optional<std::vector<int>>{std::vector<int>{}});
  CHECK(t.target().catch_calls[1] == std::optional<std::vector<int>>{std::vector<int>{1, 0xe7}});
  CHECK_FALSE(t.target().catch_calls[2].has_value());
  t.target().catch_error = std::make_error_code(std::errc::operation_not_supported);
  CHECK(t.ask("QCatchSyscalls:1") == "E05");
}

TEST_CASE("fork/vfork/exec events: offered back only when asked for and reportable") {
  ProcessTranscript t(extended());
  std::string reply = t.ask("qSupported:multiprocess+;fork-events+;exec-events+");
  CHECK(reply.find(";fork-events+") != std::string::npos);
  CHECK(reply.find(";exec-events+") != std::string::npos);
  CHECK(reply.find("vfork-events") == std::string::npos);  // not asked for
  CHECK(reply.find(";QThreadEvents+") != std::string::npos);
  REQUIRE(!t.target().reported_calls.empty());
  auto told = t.target().reported_calls.back();
  CHECK(told.fork);
  CHECK_FALSE(told.vfork);
  CHECK(told.exec);
  CHECK_FALSE(told.threads);

  t.target().can_report = {false, true, false, false};
  reply = t.ask("qSupported:fork-events+;vfork-events+;exec-events+");
  CHECK(reply.find("fork-events+") == reply.find("vfork-events+") + 1);  // only vfork-events+
  CHECK(reply.find("exec-events") == std::string::npos);
  CHECK(reply.find("QThreadEvents") == std::string::npos);
  told = t.target().reported_calls.back();
  CHECK((!told.fork && told.vfork && !told.exec && !told.threads));
  CHECK(t.ask("QThreadEvents:1") == "");  // not reportable: unknown
}

TEST_CASE("QThreadEvents switches thread events on and off, keeping the others") {
  ProcessTranscript t;
  t.ask("qSupported:fork-events+");
  CHECK(t.ask("QThreadEvents:1") == "OK");
  auto told = t.target().reported_calls.back();
  CHECK((told.fork && told.threads));
  CHECK(t.ask("QThreadEvents:0") == "OK");
  CHECK_FALSE(t.target().reported_calls.back().threads);
  CHECK(t.ask("QThreadEvents:2") == "E16");
}

TEST_CASE("event stop replies, gdb dialect") {
  ProcessTranscript t(extended());
  t.ask("qSupported:multiprocess+;fork-events+;vfork-events+;exec-events+");
  t.ask("vAttach;10");
  auto run_then = [&](targets::StopEvent e) {
    t.ask("c");
    return payload(t.stop(e));
  };
  auto fork = event(StopReason::fork);
  fork.child = {0x20, 0x20};
  CHECK(run_then(fork) == "T05thread:p10.11;fork:p20.20;");
  auto vfork = event(StopReason::vfork);
  vfork.child = {0x21, 0x22};
  CHECK(run_then(vfork) == "T05thread:p10.11;vfork:p21.22;");
  CHECK(run_then(event(StopReason::vfork_done)) == "T05thread:p10.11;vforkdone:;");
  auto exec = event(StopReason::exec);
  exec.exec_path = "/bin/ls";
  CHECK(run_then(exec) == "T05thread:p10.11;exec:2f62696e2f6c73;");
  auto entry = event(StopReason::syscall_entry);
  entry.syscall = 0x3c;
  CHECK(run_then(entry) == "T05thread:p10.11;syscall_entry:3c;");
  auto ret = event(StopReason::syscall_return);
  ret.syscall = 1;
  CHECK(run_then(ret) == "T05thread:p10.11;syscall_return:1;");
  CHECK(run_then(event(StopReason::thread_created)) == "T05thread:p10.11;create:;");
  auto exited = event(StopReason::thread_exited);
  exited.exit_code = 3;
  CHECK(run_then(exited) == "w03;p10.11");
}

TEST_CASE("event stop replies without multiprocess, and for lldb") {
  ProcessTranscript t;
  t.ask("qSupported:fork-events+");
  auto fork = event(StopReason::fork);
  fork.child = {0x20, 0x21};
  CHECK(t.stop(fork).empty());  // nothing owed: the target was not running
  t.target().thread_list = {{0x10, 0x11}};
  t.ask("c");
  CHECK(payload(t.stop(fork)) == "T05thread:11;fork:21;");
  auto gone = event(StopReason::thread_exited);
  t.ask("c");
  CHECK(payload(t.stop(gone)) == "w00;11");

  ProcessTranscript lldb;
  lldb.ask("QThreadSuffixSupported");
  lldb.ask("qSupported:multiprocess+;fork-events+");
  lldb.target().thread_list = {{0x10, 0x11}};
  lldb.ask("c");
  CHECK(payload(lldb.stop(fork)) == "T05thread:p10.11;reason:fork;fork:p20.21;");
}

TEST_CASE("Z3: gdb gets the empty reply (it emulates rwatch with Z4); lldb an access watch") {
  ProcessTranscript gdb;
  CHECK(gdb.ask("Z3,600000,4") == "");
  CHECK(gdb.ask("z3,600000,4") == "");
  CHECK(gdb.target().breakpoint_calls.empty());
  CHECK(gdb.ask("Z4,600000,4") == "OK");
  CHECK(gdb.ask("Z2,600000,4") == "OK");
  using Call = std::pair<BreakpointKind, bool>;
  CHECK(gdb.target().breakpoint_calls ==
        std::vector<Call>{{BreakpointKind::watch_access, true}, {BreakpointKind::watch_write, true}});

  ProcessTranscript lldb;
  lldb.ask("QThreadSuffixSupported");
  CHECK(lldb.ask("Z3,600000,4") == "OK");
  CHECK(lldb.ask("z3,600000,4") == "OK");
  CHECK(lldb.target().breakpoint_calls ==
        std::vector<Call>{{BreakpointKind::watch_access, true}, {BreakpointKind::watch_access, false}});
}
