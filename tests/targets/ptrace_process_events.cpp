// Events the client opts into (set_reported_events) and the signal/syscall policies: fork and
// vfork with the child kept (detach either process), exec, thread create/exit, syscall
// catching, QProgramSignals, and a leader that left with pthread_exit. Bounded; no process left.
#include <doctest/doctest.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "tests/targets/ptrace_test_support.hpp"

using namespace remora::targets;
using namespace remora::targets::test;

namespace {

// gdb passes SIGCHLD silently (QPassSignals); the fork tests do the same.
constexpr int kGdbSigchld = 20;

Addr announce(Debuggee& d) {
  d.target->signal_control()->set_pass_signals({kGdbSigchld});
  auto stop = d.cont();
  REQUIRE(stop);
  REQUIRE(stop->kind == StopKind::stopped);
  REQUIRE(stop->reason == StopReason::signal);
  return d.reg(kRbx);  // remora_break_here
}

// Runs to the announcement and plants an int3 on the function it names.
Addr break_at_announced(Debuggee& d) {
  const Addr func = announce(d);
  REQUIRE_FALSE(d.target->breakpoints()->insert(BreakpointKind::software, func, 1));
  return func;
}

ReportedEvents all_events() { return {true, true, true, true}; }

// A process the target let go but that is the test's child: reaped here.
int reap(pid_t pid) {
  int status = 0;
  for (int i = 0; i < 500; ++i) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    ::usleep(10 * 1000);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return -2;
}

// The stops most tests here walk through, each checked the same way every time.
StopEvent cont_to_breakpoint(Debuggee& d) {
  auto hit = d.cont();
  REQUIRE(hit);
  CHECK(hit->reason == StopReason::breakpoint);
  return *hit;
}

StopEvent cont_to_exit(Debuggee& d, int exit_code) {
  auto exited = d.cont();
  REQUIRE(exited);
  CHECK(exited->kind == StopKind::exited);
  CHECK(exited->exit_code == exit_code);
  return *exited;
}

// Continues to the reported fork; returns the kept child's pid.
pid_t cont_to_fork(Debuggee& d) {
  auto fork = d.cont();
  REQUIRE(fork);
  REQUIRE(fork->reason == StopReason::fork);
  return static_cast<pid_t>(fork->child.pid);
}
}  // namespace

TEST_CASE("ptrace events: without fork events the child runs free, without our int3s") {
  Debuggee d(Debuggee::launching("fork"));
  const Addr func = break_at_announced(d);
  // The child calls it first but was let go: the parent's call is the hit.
  CHECK(cont_to_breakpoint(d).thread.pid == d.pid);
  REQUIRE_FALSE(d.target->breakpoints()->remove(BreakpointKind::software, func, 1));
  cont_to_exit(d, 15);
}

TEST_CASE("ptrace events: a reported fork keeps the child; memory and breakpoints per process") {
  Debuggee d(Debuggee::launching("fork"));
  d.target->set_reported_events(all_events());
  const Addr func = break_at_announced(d);
  const pid_t child = cont_to_fork(d);
  const StopEvent fork = d.log.stops.back();  // what cont_to_fork saw
  CHECK(fork.child == ThreadId{child, child});
  CHECK(fork.thread.pid == d.pid);
  auto threads = d.target->threads();
  CHECK(std::find(threads.begin(), threads.end(), ThreadId{child, child}) != threads.end());
  CHECK(task_state(child, child) == 't');
  CHECK(proc_read(child, func, 1)[0] == std::byte{0xcc});  // its copy of the parent's int3
  // What gdb does for detach-on-fork: remove the breakpoints from the child, then detach it.
  auto* pc = d.target->process_control();
  REQUIRE_FALSE(pc->select_process(child));
  REQUIRE_FALSE(d.target->breakpoints()->remove(BreakpointKind::software, func, 1));
  CHECK(proc_read(child, func, 1)[0] != std::byte{0xcc});
  CHECK(proc_read(d.pid, func, 1)[0] == std::byte{0xcc});  // the parent keeps its own
  REQUIRE_FALSE(pc->select_process(d.pid));
  REQUIRE_FALSE(pc->detach_process(child));
  CHECK(d.target->threads().size() == 1);
  // The parent, after its child exited untroubled.
  CHECK(cont_to_breakpoint(d).thread.pid == d.pid);
  REQUIRE_FALSE(d.target->breakpoints()->remove(BreakpointKind::software, func, 1));
  cont_to_exit(d, 15);
}

TEST_CASE("ptrace events: follow the fork child (detach the parent)") {
  Debuggee d(Debuggee::launching("fork"));
  d.target->set_reported_events(all_events());
  const Addr func = break_at_announced(d);
  const pid_t child = cont_to_fork(d);
  REQUIRE_FALSE(d.target->process_control()->detach_process(d.pid));
  CHECK(proc_read(d.pid, func, 1)[0] != std::byte{0xcc});  // the parent left clean
  CHECK(d.target->pid() == child);
  CHECK(d.target->threads() == std::vector<ThreadId>{{child, child}});
  // The child calls it with the int3 it inherited.
  CHECK(cont_to_breakpoint(d).thread == ThreadId{child, child});
  REQUIRE_FALSE(d.target->breakpoints()->remove(BreakpointKind::software, func, 1));
  cont_to_exit(d, 5);
  CHECK(reap(d.pid) == 15);
}

TEST_CASE("ptrace events: both processes kept run together; the child's exit is its own") {
  Debuggee d(Debuggee::launching("fork"));
  d.target->set_reported_events(all_events());
  announce(d);
  const pid_t child = cont_to_fork(d);
  // Both run: the child exits, the parent is stopped for it.
  CHECK(cont_to_exit(d, 5).thread.pid == child);
  CHECK(d.target->threads().size() == 1);
  CHECK(cont_to_exit(d, 15).thread.pid == d.pid);
}

TEST_CASE("ptrace events: vKill of the kept child leaves the parent debugged") {
  Debuggee d(Debuggee::launching("fork"));
  d.target->set_reported_events(all_events());
  announce(d);
  const pid_t child = cont_to_fork(d);
  REQUIRE_FALSE(d.target->process_control()->kill_process(child));
  CHECK(d.target->threads() == std::vector<ThreadId>{{d.pid, d.pid}});
  CHECK((!process_exists(child) || task_state(child, child) == 'Z'));  // its parent reaps it
  cont_to_exit(d, 1);  // the parent's waitpid sees a child killed by SIGKILL: not "exited"
}

TEST_CASE("ptrace events: vfork and vfork-done") {
  Debuggee d(Debuggee::launching("vfork"));
  d.target->set_reported_events(all_events());
  announce(d);
  auto vfork = d.cont();
  REQUIRE(vfork);
  REQUIRE(vfork->reason == StopReason::vfork);
  REQUIRE_FALSE(d.target->process_control()->detach_process(vfork->child.pid));
  auto done = d.cont();
  REQUIRE(done);
  CHECK(done->reason == StopReason::vfork_done);
  CHECK(done->thread.pid == d.pid);
  cont_to_exit(d, 16);
}

TEST_CASE("ptrace events: exec is an exec stop when asked for, a SIGTRAP otherwise") {
  for (bool report : {true, false}) {
    CAPTURE(report);
    Debuggee d(Debuggee::launching("exec"));
    d.target->set_reported_events({false, false, report, false});
    announce(d);
    auto exec = d.cont();
    REQUIRE(exec);
    CHECK(exec->signal == gdb_signal::trap);
    if (report) {
      CHECK(exec->reason == StopReason::exec);
      CHECK(exec->exec_path.ends_with("/ptrace_inferior"));
    } else {
      CHECK(exec->reason == StopReason::signal);
    }
    announce(d);  // the new image runs "basic"
    auto exited = d.cont();
    REQUIRE(exited);
    CHECK(exited->exit_code == 42);
  }
}

TEST_CASE("ptrace events: thread creation and exit are reported with QThreadEvents") {
  Debuggee d(Debuggee::launching("threads"));
  d.target->set_reported_events({false, false, false, true});
  announce(d);
  int created = 0, exited_threads = 0;
  std::optional<StopEvent> stop;
  for (int i = 0; i < 20; ++i) {
    stop = d.cont();
    REQUIRE(stop);
    if (stop->kind != StopKind::stopped) break;
    if (stop->reason == StopReason::thread_created) {
      ++created;
      CHECK(stop->thread.tid != d.pid);
    } else if (stop->reason == StopReason::thread_exited) {
      ++exited_threads;
    }
  }
  CHECK(created == 4);
  CHECK(exited_threads == 4);
  REQUIRE(stop);
  CHECK(stop->kind == StopKind::exited);
}

TEST_CASE("ptrace events: catch syscalls, all of them or a list") {
  Debuggee d(Debuggee::launching("syscall"));
  announce(d);
  auto* sc = d.target->signal_control();
  REQUIRE_FALSE(sc->set_catch_syscalls(std::vector<int>{SYS_getpid}));
  auto entry = d.cont();
  REQUIRE(entry);
  CHECK(entry->reason == StopReason::syscall_entry);
  CHECK(entry->syscall == SYS_getpid);
  CHECK(entry->signal == gdb_signal::trap);
  auto ret = d.cont();
  REQUIRE(ret);
  CHECK(ret->reason == StopReason::syscall_return);
  CHECK(ret->syscall == SYS_getpid);
  CHECK(d.reg(0) == static_cast<std::uint64_t>(d.pid));  // rax: getpid's result
  REQUIRE_FALSE(sc->set_catch_syscalls(std::vector<int>{}));  // every syscall: exit_group next
  auto any = d.cont();
  REQUIRE(any);
  CHECK(any->reason == StopReason::syscall_entry);
  CHECK(any->syscall == SYS_exit_group);
  REQUIRE_FALSE(sc->set_catch_syscalls(std::nullopt));
  auto exited = d.cont();
  REQUIRE(exited);
  CHECK(exited->exit_code == 4);
}

TEST_CASE("ptrace events: QProgramSignals withholds signals not listed") {
  for (bool allowed : {true, false}) {
    CAPTURE(allowed);
    Debuggee d(Debuggee::launching("signal"));
    announce(d);
    auto stop = d.cont();
    REQUIRE(stop);
    REQUIRE(stop->signal == 30);
    d.target->signal_control()->set_program_signals(allowed ? std::vector<int>{30} : std::vector<int>{2});
    auto exited = d.cont(30);
    REQUIRE(exited);
    CHECK(exited->exit_code == (allowed ? 7 : 1));
  }
}

TEST_CASE("ptrace events: a leader gone with pthread_exit does not block stopping the others") {
  Debuggee d(Debuggee::launching("leader_exit"));
  const Addr func = break_at_announced(d);
  CHECK(cont_to_breakpoint(d).thread.tid != d.pid);
  CHECK(task_state(d.pid, d.pid) == 'Z');
  cont_to_breakpoint(d);
  REQUIRE_FALSE(d.target->breakpoints()->remove(BreakpointKind::software, func, 1));
  cont_to_exit(d, 9);
}
