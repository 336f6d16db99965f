// Non-stop mode in the protocol core (rsp/routes_non_stop.cpp, the Session's stop queue):
// QNonStop, %Stop notifications and vStopped, `?` listing stopped threads, vCtrlC, resumes
// answered OK, `N`, and leaving non-stop when the client goes. Over the fake backend.
#include <doctest/doctest.h>

#include <string>

#include "rsp/target_meter.hpp"
#include "tests/support/fake_process_target.hpp"

using namespace remora;
using test::ProcessTranscript;

namespace {

targets::StopEvent stop_of(std::int64_t tid, int signal = targets::gdb_signal::trap) {
  targets::StopEvent e;
  e.thread = {0x10, tid};
  e.signal = signal;
  return e;
}

// A session in non-stop mode over a two-thread process.
void enter_non_stop(ProcessTranscript& t) {
  t.target().with_non_stop = true;
  t.target().thread_list = {{0x10, 0x10}, {0x10, 0x11}};
  REQUIRE(t.ask("qSupported:multiprocess+;no-resumed+").find(";QNonStop+") != std::string::npos);
  REQUIRE(t.ask("QNonStop:1") == "OK");
  REQUIRE(t.target().non_stop_on);
}

// The payload of a `%Stop:...#cs` notification, "<none>" when `wire` holds none.
std::string notification(const std::string& wire) {
  auto start = wire.find("%Stop:");
  if (start == std::string::npos) return "<none>";
  auto hash = wire.find('#', start);
  if (hash == std::string::npos || hash + 3 > wire.size()) return "<bad>";
  const std::string body = wire.substr(start + 1, hash - start - 1);
  if (rsp::make_frame(body, false).substr(1) != wire.substr(start + 1, hash + 3 - start - 1)) return "<bad checksum>";
  return body;
}

}  // namespace

TEST_CASE("non-stop: a target without it is not offered it and refuses QNonStop:1 cleanly") {
  ProcessTranscript t;
  t.target().thread_list = {{0x10, 0x10}};
  CHECK(t.ask("qSupported").find("QNonStop") == std::string::npos);
  CHECK(t.ask("QNonStop:1") == "E26");
  CHECK(t.ask("QNonStop:0") == "E26");
  CHECK(t.ask("vStopped") == "E26");
  CHECK(t.ask("vCtrlC") == "E26");
  CHECK(t.target().interrupts == 0);
  // Still all-stop: a resume owes a stop reply, not OK.
  CHECK(t.feed(rsp::make_frame("vCont;c", false)) == "+");
}

TEST_CASE("non-stop: resumes are answered OK at once and the session keeps serving") {
  ProcessTranscript t;
  enter_non_stop(t);
  CHECK(t.ask("vCont;c:p10.11") == "OK");
  REQUIRE(t.target().resumes.size() == 1);
  CHECK(t.target().resumes[0][0].kind == targets::ResumeKind::cont);
  CHECK(t.target().resumes[0][0].thread == targets::ThreadId{0x10, 0x11});
  CHECK(t.ask("vCont;t:p10.11") == "OK");
  CHECK(t.target().resumes[1][0].kind == targets::ResumeKind::stop);
  CHECK(t.ask("c") == "OK");
  CHECK(!t.session().target_running());
  CHECK(t.ask("qC").starts_with("QC"));  // no "target is running" refusal in non-stop
}

TEST_CASE("non-stop: the first stop is a notification, the rest wait for vStopped, in order") {
  ProcessTranscript t;
  enter_non_stop(t);
  std::string wire = t.stop(stop_of(0x11));
  CHECK(notification(wire).starts_with("Stop:T05thread:p10.11;"));
  CHECK(wire.front() == '%');  // a notification only: nothing is acknowledged or owed
  CHECK(t.stop(stop_of(0x10, targets::gdb_signal::int_)) == "");  // queued behind the first
  targets::StopEvent exited;
  exited.kind = targets::StopKind::exited;
  exited.thread = {0x10, 0x10};
  CHECK(t.stop(exited) == "");
  CHECK(t.ask("vStopped").starts_with("T02thread:p10.10;"));
  CHECK(t.ask("vStopped") == "W00;process:10");
  CHECK(t.ask("vStopped") == "OK");
  CHECK(t.ask("vStopped") == "OK");  // an extra one is harmless
  // The queue is empty again: the next stop is announced anew.
  CHECK(notification(t.stop(stop_of(0x10))).starts_with("Stop:T05thread:p10.10;"));
}

TEST_CASE("non-stop: `?` lists every stopped thread, one per vStopped, then OK") {
  ProcessTranscript t;
  enter_non_stop(t);
  t.target().stopped = {stop_of(0x10), stop_of(0x11, targets::gdb_signal::none)};
  CHECK(t.ask("?").starts_with("T05thread:p10.10;"));
  CHECK(t.ask("vStopped").starts_with("T00thread:p10.11;"));
  CHECK(t.ask("vStopped") == "OK");
  t.target().stopped.clear();  // every thread runs
  CHECK(t.ask("?") == "OK");
}

TEST_CASE("non-stop: vCtrlC interrupts; N only for a client that offered no-resumed+") {
  ProcessTranscript t;
  enter_non_stop(t);
  CHECK(t.ask("vCtrlC") == "OK");
  CHECK(t.target().interrupts == 1);
  targets::StopEvent none;
  none.kind = targets::StopKind::no_resumed;
  CHECK(notification(t.stop(none)) == "Stop:N");
  CHECK(t.ask("vStopped") == "OK");

  ProcessTranscript quiet;
  quiet.target().with_non_stop = true;
  quiet.target().thread_list = {{0x10, 0x10}};
  REQUIRE(quiet.ask("qSupported:multiprocess+") != "");
  REQUIRE(quiet.ask("QNonStop:1") == "OK");
  CHECK(quiet.stop(none) == "");
  CHECK(quiet.ask("vStopped") == "OK");
}

TEST_CASE("non-stop: QNonStop:0 stops every thread first (the GDB manual; gdb sends it on each all-stop connect)") {
  ProcessTranscript t;
  enter_non_stop(t);
  t.target().running = true;
  CHECK(t.ask("QNonStop:2") == "E16");
  CHECK(t.ask("QNonStop") == "E16");
  CHECK(t.ask("QNonStop:0") == "OK");
  CHECK(t.target().leaves == 1);
  CHECK(!t.target().non_stop_on);
  CHECK(t.ask("vStopped") == "E26");  // all-stop again
}

TEST_CASE("non-stop: a client that leaves leaves the threads as they are; the next one picks the mode") {
  ProcessTranscript t;
  enter_non_stop(t);
  t.target().running = true;
  (void)t.stop(stop_of(0x11));
  t.session().on_disconnect();
  CHECK(t.target().leaves == 0);
  CHECK(t.target().non_stop_on);

  // Another non-stop client adopts the running target; `?` lists what is stopped.
  ProcessTranscript::reconnect(t);
  REQUIRE(t.ask("qSupported:multiprocess+") != "");
  CHECK(t.ask("QNonStop:1") == "OK");
  t.target().stopped = {stop_of(0x11)};
  CHECK(t.ask("?").starts_with("T05thread:p10.11;"));
  t.session().on_disconnect();

  // An all-stop client: its `?` stops every thread first.
  ProcessTranscript::reconnect(t);
  CHECK(t.target().non_stop_on);
  (void)t.ask("?");  // the fake has no process of its own to report
  CHECK(t.target().leaves == 1);
  CHECK(!t.target().non_stop_on);
}

TEST_CASE("non-stop: a wildcard resume leaves alone a thread whose stop is still queued") {
  ProcessTranscript t;
  enter_non_stop(t);
  (void)t.stop(stop_of(0x11));  // notified, not yet acknowledged
  CHECK(t.ask("vCont;c") == "OK");
  REQUIRE(t.target().resumes.size() == 1);
  const auto& first = t.target().resumes[0];
  REQUIRE(first.size() == 2);
  CHECK(first[0].kind == targets::ResumeKind::stop);
  CHECK(first[0].thread == targets::ThreadId{0x10, 0x11});
  CHECK(first[1].kind == targets::ResumeKind::cont);
  // Named explicitly, it is resumed; once acknowledged, a wildcard takes it too.
  CHECK(t.ask("vCont;s:p10.11;c") == "OK");
  CHECK(t.target().resumes[1].size() == 2);
  CHECK(t.ask("vStopped") == "OK");
  CHECK(t.ask("vCont;c") == "OK");
  CHECK(t.target().resumes[2].size() == 1);
}

TEST_CASE("non-stop: the meter forwards the capability") {
  ProcessTranscript t;
  t.target().with_non_stop = true;
  rsp::TargetCallStats stats;
  rsp::MeteredTarget meter(t.target(), stats);
  CHECK(meter.non_stop() == t.target().non_stop());
  t.target().with_non_stop = false;
  CHECK(meter.non_stop() == nullptr);
}

TEST_CASE("non-stop: vAttach answers OK and every attached thread's stop follows as notifications") {
  rsp::SessionOptions options;
  options.extended_mode = true;
  ProcessTranscript t(options);
  t.target().with_non_stop = true;
  REQUIRE(t.ask("qSupported:multiprocess+").find(";QNonStop+") != std::string::npos);
  REQUIRE(t.ask("!") == "OK");
  REQUIRE(t.ask("QNonStop:1") == "OK");
  t.target().stopped = {stop_of(0x10, targets::gdb_signal::stop), stop_of(0x11, targets::gdb_signal::none)};
  std::string wire = t.feed(rsp::make_frame("vAttach;10", false));
  CHECK(wire.starts_with("+$OK#"));
  CHECK(notification(wire).starts_with("Stop:T11thread:p10.10;"));
  CHECK(t.ask("vStopped").starts_with("T00thread:p10.11;"));
  CHECK(t.ask("vStopped") == "OK");
}
