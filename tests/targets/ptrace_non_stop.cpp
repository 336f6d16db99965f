// The ptrace backend in non-stop mode: threads stop and run on their own, every breakpoint hit
// is reported, stepping a thread over its int3 while the others run loses none, `t` and vCtrlC
// stop one thread, and leaving non-stop stops everything.
#include <doctest/doctest.h>

#include <algorithm>

#include "tests/targets/ptrace_test_support.hpp"

using namespace remora::targets;
using namespace remora::targets::test;

namespace {

ResumeAction action(ResumeKind kind, ThreadId thread = ThreadId::all()) {
  ResumeAction a;
  a.kind = kind;
  a.thread = thread;
  return a;
}

// Lets the loop run for a while with nothing expected (threads keep running).
void idle(Debuggee& d, std::chrono::milliseconds span) {
  const auto until = std::chrono::steady_clock::now() + span;
  while (std::chrono::steady_clock::now() < until) d.io.run_one_for(until - std::chrono::steady_clock::now());
}

std::uint64_t counter(Debuggee& d, Addr at) {
  std::byte buf[8]{};
  REQUIRE(d.target->memory().read_virtual(at, buf).bytes == 8);
  std::uint64_t v = 0;
  std::memcpy(&v, buf, 8);
  return v;
}

}  // namespace

TEST_CASE("ptrace non-stop: twelve hits in four threads, each thread resumed alone over its int3") {
  Debuggee d(Debuggee::launching("threads"));
  run_to_announce(d);
  const Addr func = d.reg(kRbx);
  REQUIRE(d.target->breakpoints()->insert(BreakpointKind::software, func, 1) == std::error_code{});
  REQUIRE(d.target->non_stop()->set_non_stop(true) == std::error_code{});
  REQUIRE(d.target->resume(std::vector{action(ResumeKind::cont)}) == std::error_code{});
  int hits = 0;
  std::optional<StopEvent> end;
  // Several stops may arrive in one turn of the loop: each one in the log is taken in order.
  std::size_t seen = d.log.stops.size();
  for (int i = 0; i < 60 && !end; ++i) {
    if (seen == d.log.stops.size()) REQUIRE_MESSAGE(d.wait(), "hits so far: " << hits);
    const StopEvent stop = d.log.stops[seen++];
    if (stop.kind != StopKind::stopped) {
      end = stop;
      break;
    }
    REQUIRE(stop.reason == StopReason::breakpoint);
    CHECK(d.pc(stop.thread) == func);
    ++hits;
    // Only this thread goes on; it sits on the inserted int3, so remora steps it over while the
    // other threads run (pausing them for that one step).
    REQUIRE(d.target->resume(std::vector{action(ResumeKind::cont, stop.thread)}) == std::error_code{});
  }
  CHECK(hits == 12);
  REQUIRE(end);
  CHECK(end->kind == StopKind::exited);
  CHECK(end->exit_code == 0);
}

TEST_CASE("ptrace non-stop: `t` stops one thread while the others run; vCtrlC reports SIGINT") {
  Debuggee d(Debuggee::launching("spin_threads"));
  run_to_announce(d);
  const Addr count_at = d.reg(kRcx);
  auto* control = d.target->non_stop();
  REQUIRE(control->set_non_stop(true) == std::error_code{});
  REQUIRE(d.target->resume(std::vector{action(ResumeKind::cont)}) == std::error_code{});
  idle(d, std::chrono::milliseconds(100));
  auto threads = d.target->threads();
  REQUIRE(threads.size() == 3);
  const ThreadId worker = threads[1];
  CHECK(control->set_non_stop(false) == make_error_code(errc::target_running));
  REQUIRE(d.target->resume(std::vector{action(ResumeKind::stop, worker)}) == std::error_code{});
  auto stopped = d.wait();
  REQUIRE(stopped);
  CHECK(stopped->thread == worker);
  CHECK(stopped->signal == gdb_signal::none);
  CHECK(task_state(d.pid, static_cast<pid_t>(worker.tid)) == 't');
  CHECK(task_state(d.pid, static_cast<pid_t>(threads[2].tid)) != 't');
  // Memory reads work while the other worker runs, and see it counting.
  const auto before = counter(d, count_at);
  idle(d, std::chrono::milliseconds(50));
  CHECK(counter(d, count_at) > before);
  // The stopped thread's registers are there; the running one's are refused.
  CHECK(d.pc(worker) != 0);
  std::byte buf[8];
  CHECK(d.target->registers().read_register(threads[2], 16, buf) == make_error_code(errc::target_running));
  auto listed = control->stopped_threads();
  CHECK(std::any_of(listed.begin(), listed.end(), [&](const StopEvent& e) { return e.thread == worker; }));

  REQUIRE(d.target->interrupt() == std::error_code{});
  auto interrupted = d.wait();
  REQUIRE(interrupted);
  CHECK(interrupted->signal == gdb_signal::int_);
  CHECK(interrupted->reason == StopReason::interrupt);
  CHECK(interrupted->thread != worker);

  // The stopped worker runs again alone; leaving non-stop stops every thread, unreported.
  REQUIRE(d.target->resume(std::vector{action(ResumeKind::cont, worker)}) == std::error_code{});
  idle(d, std::chrono::milliseconds(20));
  const auto reports = d.log.stops.size();
  control->stop_all_and_leave();
  CHECK(!control->enabled());
  CHECK(d.log.stops.size() == reports);
  for (const auto& t : d.target->threads()) CHECK(task_state(d.pid, static_cast<pid_t>(t.tid)) == 't');
}

TEST_CASE("ptrace non-stop: with thread events on, each new thread and each exit is reported alone") {
  Debuggee d(Debuggee::launching("threads"));
  run_to_announce(d);
  d.target->set_reported_events({.fork = false, .vfork = false, .exec = false, .threads = true});
  REQUIRE(d.target->non_stop()->set_non_stop(true) == std::error_code{});
  REQUIRE(d.target->resume(std::vector{action(ResumeKind::cont)}) == std::error_code{});
  int created = 0, exited = 0;
  std::optional<StopEvent> end;
  std::size_t seen = d.log.stops.size();
  for (int i = 0; i < 40 && !end; ++i) {
    if (seen == d.log.stops.size()) REQUIRE_MESSAGE(d.wait(), "created " << created << ", exited " << exited);
    const StopEvent stop = d.log.stops[seen++];
    if (stop.kind != StopKind::stopped) {
      end = stop;
    } else if (stop.reason == StopReason::thread_created) {
      ++created;
      // The new thread waits stopped for the client; the one that made it runs on meanwhile.
      CHECK(task_state(d.pid, static_cast<pid_t>(stop.thread.tid)) == 't');
      REQUIRE(d.target->resume(std::vector{action(ResumeKind::cont, stop.thread)}) == std::error_code{});
    } else if (stop.reason == StopReason::thread_exited) {
      ++exited;
    } else {
      FAIL("unexpected stop, reason " << static_cast<int>(stop.reason));
    }
  }
  CHECK(created == 4);
  CHECK(exited == 4);
  REQUIRE(end);
  CHECK(end->kind == StopKind::exited);
}
