// Execution of the emulated target: registers, every stop kind, interrupt, kill/detach, and the
// rule that stops are posted, never delivered from inside resume().
#include <doctest/doctest.h>

#include "targets/emulated/emulated_target.hpp"
#include "tests/targets/emulated_test_support.hpp"

using namespace remora::targets;
using namespace remora::targets::test;
namespace amd64 = remora::targets::amd64;

namespace {

constexpr Addr kSpin = 0x40fff0;

// rwx code 0x1000-0x1100, then rw- 0x1100-0x1200, gap, rwx 0x3000-0x3100.
emulated::EmulatedOptions code_layout() {
  emulated::EmulatedOptions o;
  o.regions = {*emulated::parse_region_spec("0x1000,0x100,rwx,code"),
               *emulated::parse_region_spec("0x1100,0x100,rw-,data"),
               *emulated::parse_region_spec("0x3000,0x100,rwx,code2")};
  return o;
}

struct Rig {
  PostQueue loop;
  StopRecorder rec;
  std::unique_ptr<Target> t;
  explicit Rig(const emulated::EmulatedOptions& o = {}) : t(make_target(loop, o)) {
    REQUIRE(t);
    t->set_stop_listener(&rec);
  }
  // Resumes, checks nothing arrives synchronously, then runs the loop.
  std::error_code go(ResumeAction a) {
    auto before = rec.stops.size();
    auto ec = t->resume(std::span(&a, 1));
    CHECK(rec.stops.size() == before);
    loop.drain();
    return ec;
  }
  const StopEvent& last() {
    REQUIRE_FALSE(rec.stops.empty());
    return rec.stops.back();
  }
  Addr rip() { return read_reg(*t, amd64::rip); }
};

}  // namespace

TEST_CASE("initial state: one thread stopped with SIGTRAP at the entry") {
  Rig r;
  auto stop = r.t->current_stop();
  REQUIRE(stop);
  CHECK(stop->kind == StopKind::stopped);
  CHECK(stop->signal == gdb_signal::trap);
  CHECK(stop->reason == StopReason::signal);
  CHECK(stop->thread == ThreadId{1, 1});
  CHECK(r.t->threads() == std::vector<ThreadId>{{1, 1}});
  CHECK(r.rip() == 0x400000);
  CHECK(read_reg(*r.t, amd64::rsp) == 0x7ffffffff000 - 8);
  CHECK(read_reg(*r.t, amd64::eflags) == 0x202);
  CHECK(read_reg(*r.t, amd64::cs) == 0x33);
  CHECK(read_reg(*r.t, amd64::ss) == 0x2b);
  CHECK(read_reg(*r.t, amd64::fctrl) == 0x37f);
  CHECK(read_reg(*r.t, amd64::mxcsr) == 0x1f80);
  CHECK(r.t->registers().description().registers.size() == 60);
}

TEST_CASE("registers: every register reads and writes at its size") {
  Rig r;
  auto& regs = r.t->registers();
  for (const auto& info : regs.description().registers) {
    CAPTURE(info.name);
    auto value = pattern(info.bytes(), info.regnum);
    CHECK_FALSE(regs.write_register({1, 1}, info.regnum, value));
    std::vector<std::byte> back(info.bytes());
    CHECK_FALSE(regs.read_register({1, 1}, info.regnum, back));
    CHECK(back == value);
  }
  std::vector<std::byte> st(10), xmm(16), wrong(8);
  CHECK_FALSE(regs.read_register({1, 1}, amd64::st0, st));
  CHECK_FALSE(regs.read_register({1, 1}, amd64::xmm0, xmm));
  CHECK(regs.read_register({1, 1}, amd64::st0, wrong) == errc::invalid_argument);
  CHECK(regs.read_register({1, 1}, 60, wrong) == errc::no_such_register);
  CHECK(regs.read_register({1, 2}, amd64::rax, wrong) == errc::no_such_thread);
  CHECK(regs.read_register({2, 1}, amd64::rax, wrong) == errc::no_such_thread);
  CHECK_FALSE(regs.read_register(ThreadId::any(), amd64::rax, wrong));
  CHECK(r.t->thread_name({1, 1}) == "emulated");
}

TEST_CASE("step executes one instruction and is posted") {
  Rig r;
  CHECK_FALSE(r.go(action(ResumeKind::step)));
  REQUIRE(r.rec.stops.size() == 1);
  CHECK(r.last().reason == StopReason::step);
  CHECK(r.last().signal == gdb_signal::trap);
  CHECK(r.last().thread == ThreadId{1, 1});
  CHECK(r.rip() == 0x400001);
  CHECK(r.t->current_stop()->reason == StopReason::step);
}

TEST_CASE("continue runs into the spin loop; interrupt stops it with SIGINT") {
  Rig r;
  CHECK_FALSE(r.go(action(ResumeKind::cont)));
  CHECK(r.rec.stops.empty());
  auto a = action(ResumeKind::step);
  CHECK(r.t->resume(std::span(&a, 1)) == errc::target_running);
  std::vector<std::byte> buf(8);
  CHECK(r.t->registers().read_register({1, 1}, amd64::rip, buf) == errc::target_running);
  CHECK_FALSE(r.t->interrupt());
  CHECK(r.rec.stops.empty());  // posted, not delivered from inside interrupt()
  CHECK_FALSE(r.t->interrupt());  // a second ^C changes nothing
  r.loop.drain();
  REQUIRE(r.rec.stops.size() == 1);
  CHECK(r.last().reason == StopReason::interrupt);
  CHECK(r.last().signal == gdb_signal::int_);
  CHECK(r.rip() == kSpin);
  CHECK_FALSE(r.t->interrupt());  // stopped: nothing to interrupt
  CHECK(r.loop.drain() == 0);
  // Continuing from the loop spins again.
  CHECK_FALSE(r.go(action(ResumeKind::cont)));
  CHECK(r.rec.stops.size() == 1);
  r.t->interrupt();
  r.loop.drain();
  CHECK(r.rec.stops.size() == 2);
}

TEST_CASE("software breakpoints: reported at the address, refcounted, stepped over") {
  Rig r;
  auto* bp = r.t->breakpoints();
  REQUIRE(bp);
  CHECK(bp->supports(BreakpointKind::software));
  CHECK(bp->supports(BreakpointKind::hardware));
  CHECK_FALSE(bp->supports(BreakpointKind::watch_write));
  CHECK(bp->insert(BreakpointKind::watch_write, 0x600000, 4) == errc::not_supported);
  CHECK_FALSE(bp->insert(BreakpointKind::software, 0x400100, 1));
  CHECK_FALSE(bp->insert(BreakpointKind::software, 0x400100, 1));
  // Insertion leaves memory alone.
  std::vector<std::byte> b(1);
  r.t->memory().read_virtual(0x400100, b);
  CHECK(b[0] == std::byte{0x90});

  r.go(action(ResumeKind::cont));
  CHECK(r.last().reason == StopReason::breakpoint);
  CHECK(r.last().signal == gdb_signal::trap);
  CHECK(r.rip() == 0x400100);

  // Not reported again from the starting rip: the CPU steps off it first.
  CHECK_FALSE(bp->remove(BreakpointKind::software, 0x400100, 1));  // one reference left
  r.go(action(ResumeKind::cont));
  CHECK(r.rec.stops.size() == 1);  // spinning at the loop now
  r.t->interrupt();
  r.loop.drain();
  CHECK(r.rip() == kSpin);

  write_reg(*r.t, amd64::rip, 0x400000);
  r.go(action(ResumeKind::cont));
  CHECK(r.last().reason == StopReason::breakpoint);  // the second reference still holds it
  CHECK_FALSE(bp->remove(BreakpointKind::software, 0x400100, 1));
  CHECK(bp->remove(BreakpointKind::software, 0x400100, 1) == errc::invalid_argument);
}

TEST_CASE("hardware breakpoint") {
  Rig r;
  CHECK_FALSE(r.t->breakpoints()->insert(BreakpointKind::hardware, 0x400010, 1));
  r.go(action(ResumeKind::cont));
  CHECK(r.last().reason == StopReason::hw_breakpoint);
  CHECK(r.rip() == 0x400010);
  CHECK_FALSE(r.t->breakpoints()->remove(BreakpointKind::hardware, 0x400010, 1));
}

TEST_CASE("a breakpoint on a spin loop is hit again, as on real hardware") {
  Rig r;
  r.t->breakpoints()->insert(BreakpointKind::software, kSpin, 1);
  write_reg(*r.t, amd64::rip, kSpin);
  r.go(action(ResumeKind::cont));
  CHECK(r.last().reason == StopReason::breakpoint);
  CHECK(r.rip() == kSpin);
}

TEST_CASE("int3 stops with SIGTRAP after it") {
  Rig r(code_layout());
  REQUIRE(r.t->memory().write_virtual(0x1010, bytes({0xCC})).bytes == 1);
  CHECK(r.rip() == 0x1000);  // the first executable region
  r.go(action(ResumeKind::cont));
  CHECK(r.last().reason == StopReason::signal);
  CHECK(r.last().signal == gdb_signal::trap);
  CHECK(r.rip() == 0x1011);
  // Stepping onto... and executing an int3 traps the same way.
  write_reg(*r.t, amd64::rip, 0x1010);
  r.go(action(ResumeKind::step));
  CHECK(r.last().reason == StopReason::signal);
  CHECK(r.rip() == 0x1011);
}

TEST_CASE("leaving executable memory stops with SIGSEGV at the first non-executable byte") {
  Rig r(code_layout());
  r.go(action(ResumeKind::cont));
  CHECK(r.last().signal == gdb_signal::segv);
  CHECK(r.last().reason == StopReason::signal);
  CHECK(r.rip() == 0x1100);  // the rw- data region is not executable
  // Stepping at a non-executable rip faults without moving.
  r.go(action(ResumeKind::step));
  CHECK(r.last().signal == gdb_signal::segv);
  CHECK(r.rip() == 0x1100);
  // Into a gap.
  write_reg(*r.t, amd64::rip, 0x30f0);
  r.go(action(ResumeKind::cont));
  CHECK(r.last().signal == gdb_signal::segv);
  CHECK(r.rip() == 0x3100);
  write_reg(*r.t, amd64::rip, 0x2000);
  r.go(action(ResumeKind::cont));
  CHECK(r.last().signal == gdb_signal::segv);
  CHECK(r.rip() == 0x2000);
}

TEST_CASE("stepping a jmp . completes with rip unchanged") {
  Rig r;
  write_reg(*r.t, amd64::rip, kSpin);
  r.go(action(ResumeKind::step));
  CHECK(r.last().reason == StopReason::step);
  CHECK(r.rip() == kSpin);
}

TEST_CASE("a jmp . split across two adjacent executable regions still spins") {
  emulated::EmulatedOptions o;
  o.regions = {*emulated::parse_region_spec("0x1000,0x10,rwx"), *emulated::parse_region_spec("0x1010,0x10,rwx")};
  Rig r(o);
  r.t->memory().write_virtual(0x100f, bytes({0xEB, 0xFE}));
  r.go(action(ResumeKind::cont));
  CHECK(r.rec.stops.empty());
  r.t->interrupt();
  r.loop.drain();
  CHECK(r.rip() == 0x100f);
}

TEST_CASE("range step stops when rip leaves the range, or earlier for a breakpoint") {
  Rig r;
  r.go(action(ResumeKind::range_step, 0x400000, 0x400008));
  CHECK(r.last().reason == StopReason::step);
  CHECK(r.rip() == 0x400008);
  r.t->breakpoints()->insert(BreakpointKind::software, 0x400010, 1);
  r.go(action(ResumeKind::range_step, 0x400008, 0x400020));
  CHECK(r.last().reason == StopReason::breakpoint);
  CHECK(r.rip() == 0x400010);
  // Starting outside the range: one instruction, then out.
  r.go(action(ResumeKind::range_step, 0x500000, 0x500010));
  CHECK(r.last().reason == StopReason::step);
  CHECK(r.rip() == 0x400011);
  // An empty range is a single step.
  r.go(action(ResumeKind::range_step, 0x400011, 0x400011));
  CHECK(r.rip() == 0x400012);
  // A spin loop inside the range runs until interrupted.
  write_reg(*r.t, amd64::rip, kSpin - 4);
  auto before = r.rec.stops.size();
  r.go(action(ResumeKind::range_step, kSpin - 4, kSpin + 2));
  CHECK(r.rec.stops.size() == before);
  r.t->interrupt();
  r.loop.drain();
  CHECK(r.last().reason == StopReason::interrupt);
  CHECK(r.rip() == kSpin);
}

TEST_CASE("stop actions run nothing and report signal 0") {
  Rig r;
  r.go(action(ResumeKind::stop));
  CHECK(r.last().signal == gdb_signal::none);
  CHECK(r.rip() == 0x400000);
  // An action for a wildcard that does not select our thread leaves it stopped too.
  ResumeAction other = action(ResumeKind::cont);
  other.thread = {2, -1};
  r.go(other);
  CHECK(r.rec.stops.size() == 2);
  CHECK(r.rip() == 0x400000);
}

TEST_CASE("resume argument errors") {
  Rig r;
  CHECK(r.t->resume({}) == errc::invalid_argument);
  ResumeAction a = action(ResumeKind::cont);
  a.thread = {1, 7};
  CHECK(r.t->resume(std::span(&a, 1)) == errc::no_such_thread);
  // Actions match left to right: the first one selecting our thread wins.
  ResumeAction pair[2] = {action(ResumeKind::step), action(ResumeKind::cont)};
  pair[0].thread = {1, 1};
  pair[0].signal = gdb_signal::segv;  // recorded and ignored
  r.go(pair[0]);
  CHECK_FALSE(r.t->resume(pair));
  r.loop.drain();
  CHECK(r.last().reason == StopReason::step);
  CHECK(r.rip() == 0x400002);
}

TEST_CASE("kill: nothing more is reported; the process is terminated by SIGKILL") {
  Rig r;
  auto a = action(ResumeKind::step);
  REQUIRE_FALSE(r.t->resume(std::span(&a, 1)));
  CHECK_FALSE(r.t->kill());
  r.loop.drain();
  CHECK(r.rec.stops.empty());
  auto stop = r.t->current_stop();
  REQUIRE(stop);
  CHECK(stop->kind == StopKind::terminated);
  CHECK(stop->signal == gdb_signal::kill);
  CHECK(r.t->threads().empty());
  CHECK(r.t->resume(std::span(&a, 1)) == errc::no_process);
  CHECK(r.t->interrupt() == errc::no_process);
  CHECK(r.t->kill() == errc::no_process);
  std::vector<std::byte> buf(8);
  CHECK(r.t->registers().read_register({1, 1}, amd64::rip, buf) == errc::no_process);
}

TEST_CASE("kill of a spinning target, detach") {
  Rig r;
  r.go(action(ResumeKind::cont));
  CHECK_FALSE(r.t->kill());
  CHECK(r.t->interrupt() == errc::no_process);
  CHECK(r.loop.drain() == 0);

  // Detach keeps the machine for the next client, without the old client's breakpoints.
  Rig d;
  CHECK_FALSE(d.t->breakpoints()->insert(BreakpointKind::software, 0x400004, 1));
  CHECK_FALSE(d.t->detach());
  CHECK(d.t->current_stop().has_value());
  CHECK(d.t->threads().size() == 1);
  CHECK(d.t->attached());
  auto stops = d.rec.stops.size();
  d.go(action(ResumeKind::cont));
  CHECK(d.rec.stops.size() == stops);  // spins: the breakpoint at 0x400004 is gone
  CHECK_FALSE(d.t->interrupt());
  d.loop.drain();
  REQUIRE(d.rec.stops.size() == stops + 1);
  CHECK(d.last().reason == StopReason::interrupt);
}

namespace {
// Resumes from inside on_stop, as a client that single-steps in a loop would.
struct Restepper : StopListener {
  Target* target = nullptr;
  int depth = 0;
  int max_depth = 0;
  int remaining = 5;
  int seen = 0;
  void on_stop(const StopEvent&) override {
    ++depth;
    max_depth = std::max(max_depth, depth);
    ++seen;
    if (remaining-- > 0) {
      auto a = action(ResumeKind::step);
      CHECK_FALSE(target->resume(std::span(&a, 1)));
    }
    --depth;
  }
};
}  // namespace

TEST_CASE("a posted stop never re-enters the listener") {
  PostQueue loop;
  auto t = make_target(loop);
  Restepper l;
  l.target = t.get();
  t->set_stop_listener(&l);
  auto a = action(ResumeKind::step);
  REQUIRE_FALSE(t->resume(std::span(&a, 1)));
  CHECK(l.seen == 0);
  loop.drain();
  CHECK(l.seen == 6);
  CHECK(l.max_depth == 1);
  CHECK(read_reg(*t, amd64::rip) == 0x400006);
}

TEST_CASE("a stop posted for a destroyed target is dropped safely") {
  PostQueue loop;
  StopRecorder rec;
  {
    auto t = make_target(loop);
    t->set_stop_listener(&rec);
    auto a = action(ResumeKind::step);
    REQUIRE_FALSE(t->resume(std::span(&a, 1)));
  }
  CHECK(loop.drain() == 1);
  CHECK(rec.stops.empty());
}
