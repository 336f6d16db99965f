// The ptrace backend against real processes (tests/targets/programs/ptrace_inferior.c): launch,
// memory with partial writes, breakpoints, stepping, signals, threads, interrupt, kill, detach,
// attach. Every wait is bounded; no process is left behind.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include "tests/targets/ptrace_test_support.hpp"

using namespace remora::targets;
using namespace remora::targets::test;

namespace {
}  // namespace

TEST_CASE("ptrace: launch stops at the first instruction and reads its memory") {
  Debuggee d(Debuggee::launching("basic", /*shell=*/true));
  REQUIRE(d.pid > 0);
  auto stop = d.target->current_stop();
  REQUIRE(stop);
  CHECK(stop->thread == ThreadId{d.pid, d.pid});
  CHECK(stop->signal == gdb_signal::trap);
  CHECK(d.target->threads().size() == 1);
  CHECK_FALSE(d.target->attached());
  std::byte code[16];
  auto t = d.target->memory().read_virtual(d.pc(), code);
  CHECK(t.bytes == sizeof code);
  CHECK(d.target->thread_name({d.pid, d.pid}) == "ptrace_inferior");
  bool exe_mapped = false;
  for (const auto& r : d.target->memory_regions()->regions())
    if (r.executable && r.name.ends_with("ptrace_inferior")) exe_mapped = true;
  CHECK(exe_mapped);
}

TEST_CASE("ptrace: a launch that cannot execute is a clear error") {
  asio::io_context io;
  ptrace::PtraceOptions o;
  o.launch = inferior("basic");
  o.launch->program = "/nonexistent/remora-no-such-program";
  auto t = ptrace::make_ptrace_target(io, o);
  REQUIRE_FALSE(t);
  CHECK(t.error().find("No such file") != std::string::npos);
}

TEST_CASE("ptrace: a write that crosses into an unmapped page leaves its prefix") {
  Debuggee d(Debuggee::launching("basic"));
  run_to_announce(d);
  const Addr boundary = d.reg(kRax);
  std::vector<std::byte> data(16, std::byte{0xa5});
  auto w = d.target->memory().write_virtual(boundary - 8, data);
  CHECK(w.bytes == 8);
  CHECK(w.error);
  CHECK(proc_read(d.pid, boundary - 8, 8) == std::vector<std::byte>(8, std::byte{0xa5}));
  std::byte back[16];
  auto r = d.target->memory().read_virtual(boundary - 8, back);
  CHECK(r.bytes == 8);
  CHECK(r.error);
  CHECK(back[0] == std::byte{0xa5});
  auto nothing = d.target->memory().read_virtual(boundary, back);
  CHECK(nothing.bytes == 0);
}

TEST_CASE("ptrace: software breakpoint, step over it, continue to the exit code") {
  Debuggee d(Debuggee::launching("basic"));
  run_to_announce(d);
  const Addr func = d.reg(kRbx);
  auto original = proc_read(d.pid, func, 1);
  REQUIRE(d.target->breakpoints()->insert(BreakpointKind::software, func, 1) == std::error_code{});
  CHECK(proc_read(d.pid, func, 1)[0] == std::byte{0xcc});
  std::byte shown{};
  d.target->memory().read_virtual(func, std::span(&shown, 1));
  CHECK(shown == original[0]);  // reads never show our int3

  auto hit = d.cont();
  REQUIRE(hit);
  CHECK(hit->reason == StopReason::breakpoint);
  CHECK(hit->signal == gdb_signal::trap);
  CHECK(d.pc() == func);

  // A client write over the breakpoint lands in the shadow; the int3 stays planted.
  CHECK(d.target->memory().write_virtual(func, std::span(&shown, 1)).bytes == 1);
  CHECK(proc_read(d.pid, func, 1)[0] == std::byte{0xcc});

  auto stepped = d.step();  // steps over the inserted breakpoint
  REQUIRE(stepped);
  CHECK(stepped->reason == StopReason::step);
  CHECK(d.pc() != func);

  auto again = d.cont();  // the second call hits it again
  REQUIRE(again);
  CHECK(again->reason == StopReason::breakpoint);
  CHECK(d.pc() == func);

  auto hit3 = d.cont();  // continuing from a breakpoint steps over it by itself
  REQUIRE(hit3);
  CHECK(hit3->reason == StopReason::breakpoint);

  REQUIRE(d.target->breakpoints()->remove(BreakpointKind::software, func, 1) == std::error_code{});
  CHECK(proc_read(d.pid, func, 1) == original);
  auto exited = d.cont();
  REQUIRE(exited);
  CHECK(exited->kind == StopKind::exited);
  CHECK(exited->exit_code == 42);
  CHECK(d.target->threads().empty());
  CHECK(d.target->current_stop()->kind == StopKind::exited);
  CHECK_FALSE(process_exists(d.pid));
}

TEST_CASE("ptrace: range stepping stays inside the range and reports a step") {
  Debuggee d(Debuggee::launching("basic"));
  run_to_announce(d);
  const Addr func = d.reg(kRbx);
  REQUIRE(d.target->breakpoints()->insert(BreakpointKind::software, func, 1) == std::error_code{});
  REQUIRE(d.cont());
  REQUIRE(d.target->breakpoints()->remove(BreakpointKind::software, func, 1) == std::error_code{});
  ResumeAction r;
  r.kind = ResumeKind::range_step;
  r.range_start = func;
  r.range_end = func + 4;
  auto stop = d.run({r});
  REQUIRE(stop);
  CHECK(stop->reason == StopReason::step);
  const Addr pc = d.pc();
  CHECK((pc < func || pc >= func + 4));
}

TEST_CASE("ptrace: a breakpoint hit in one of four threads stops every thread") {
  Debuggee d(Debuggee::launching("threads"));
  run_to_announce(d);
  const Addr func = d.reg(kRbx);
  REQUIRE(d.target->breakpoints()->insert(BreakpointKind::software, func, 1) == std::error_code{});
  auto hit = d.cont();
  REQUIRE(hit);
  CHECK(hit->reason == StopReason::breakpoint);
  CHECK(hit->thread.tid != d.pid);
  CHECK(d.pc(hit->thread) == func);
  auto threads = d.target->threads();
  CHECK(threads.size() == 5);
  for (const auto& t : threads) CHECK(task_state(d.pid, static_cast<pid_t>(t.tid)) == 't');
  // Every thread reaches the breakpoint; held-back hits are reported one per resume.
  int hits = 1;
  for (int i = 0; i < 40 && hits < 12; ++i) {
    auto next = d.cont();
    REQUIRE(next);
    REQUIRE(next->kind == StopKind::stopped);
    CHECK(next->reason == StopReason::breakpoint);
    CHECK(d.pc(next->thread) == func);
    ++hits;
  }
  CHECK(hits == 12);
  REQUIRE(d.target->breakpoints()->remove(BreakpointKind::software, func, 1) == std::error_code{});
  auto exited = d.cont();
  REQUIRE(exited);
  INFO("reason ", static_cast<int>(exited->reason), " signal ", exited->signal, " tid ", exited->thread.tid);
  CHECK(exited->kind == StopKind::exited);
  CHECK(exited->exit_code == 0);
}

TEST_CASE("ptrace: a signal is reported and delivered when resumed with it") {
  Debuggee d(Debuggee::launching("signal"));
  run_to_announce(d);
  auto stop = d.cont();
  REQUIRE(stop);
  CHECK(stop->reason == StopReason::signal);
  CHECK(stop->signal == 30);  // gdb's SIGUSR1 (Linux 10)
  auto exited = d.cont(30);
  REQUIRE(exited);
  CHECK(exited->kind == StopKind::exited);
  CHECK(exited->exit_code == 7);
}

TEST_CASE("ptrace: pass signals are delivered without a stop") {
  Debuggee d(Debuggee::launching("signal"));
  d.target->signal_control()->set_pass_signals({30});
  run_to_announce(d);
  auto exited = d.cont();
  REQUIRE(exited);
  CHECK(exited->kind == StopKind::exited);
  CHECK(exited->exit_code == 7);
}

TEST_CASE("ptrace: interrupt stops a spinning program; kill ends it") {
  Debuggee d(Debuggee::launching("spin"));
  run_to_announce(d);
  ResumeAction c;
  REQUIRE_FALSE(d.target->resume(std::span(&c, 1)));
  CHECK_FALSE(d.wait(50ms));  // it runs
  REQUIRE_FALSE(d.target->interrupt());
  auto stop = d.wait();
  REQUIRE(stop);
  CHECK(stop->reason == StopReason::interrupt);
  CHECK(stop->signal == gdb_signal::int_);
  REQUIRE_FALSE(d.target->kill());
  CHECK(d.target->threads().empty());
  CHECK(d.target->current_stop()->kind == StopKind::terminated);
  CHECK_FALSE(process_exists(d.pid));
}

TEST_CASE("ptrace: detach leaves the program running") {
  Debuggee d(Debuggee::launching("spin"));
  run_to_announce(d);
  REQUIRE_FALSE(d.target->detach());
  CHECK(d.target->threads().empty());
  CHECK(process_exists(d.pid));
  CHECK(task_state(d.pid, d.pid) == 'R');
  ::kill(d.pid, SIGKILL);  // ours to reap: the test process is its parent
  int status = 0;
  CHECK(::waitpid(d.pid, &status, 0) == d.pid);
  CHECK(WIFSIGNALED(status));
}

TEST_CASE("ptrace: attach to a running child, stop it, detach") {
  const pid_t child = ::fork();
  if (child == 0) {
    ::execl(REMORA_PTRACE_INFERIOR, REMORA_PTRACE_INFERIOR, "idle", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  REQUIRE(child > 0);
  ptrace::PtraceOptions o;
  o.attach_pid = child;
  {
    Debuggee d(o);
    CHECK(d.target->attached());
    CHECK(d.target->threads().size() == 1);
    std::byte code[4];
    CHECK(d.target->memory().read_virtual(d.pc(), code).bytes == 4);
    REQUIRE_FALSE(d.target->detach());
  }
  ::kill(child, SIGKILL);
  int status = 0;
  CHECK(::waitpid(child, &status, 0) == child);
}

TEST_CASE("ptrace: attach to a pid that does not exist is a clear error") {
  asio::io_context io;
  ptrace::PtraceOptions o;
  o.attach_pid = 999999;
  auto t = ptrace::make_ptrace_target(io, o);
  REQUIRE_FALSE(t);
  CHECK(t.error().find("no such process") != std::string::npos);
}

TEST_CASE("ptrace: a write watchpoint reports the watched address") {
  Debuggee d(Debuggee::launching("basic"));
  run_to_announce(d);
  const Addr counter = d.reg(2);  // rcx: &remora_counter
  auto* bp = d.target->breakpoints();
  if (!bp->supports(BreakpointKind::watch_write)) {  // some hypervisors accept DR7 but never raise #DB
    MESSAGE("this host raises no #DB for debug registers: hardware kinds are refused");
    CHECK_FALSE(bp->supports(BreakpointKind::hardware));
    CHECK(bp->insert(BreakpointKind::watch_write, counter, 8) == errc::not_supported);
    CHECK(bp->insert(BreakpointKind::hardware, d.reg(kRbx), 1) == errc::not_supported);
    return;
  }
  REQUIRE(bp->insert(BreakpointKind::watch_write, counter, 8) == std::error_code{});
  auto stop = d.cont();
  REQUIRE(stop);
  CHECK(stop->reason == StopReason::watch_write);
  CHECK(stop->watch_address == counter);
  REQUIRE(d.target->breakpoints()->remove(BreakpointKind::watch_write, counter, 8) == std::error_code{});
  auto exited = d.cont();
  REQUIRE(exited);
  CHECK(exited->kind == StopKind::exited);
}
