// lldb's _M/_m on ptrace (targets/ptrace/inferior_mmap.cpp): mmap/munmap injected into a stopped
// debuggee. The memory must appear and vanish in /proc/PID/maps, and the debuggee must not
// notice: every register, the code bytes (our int3 included) and an interrupted blocking
// syscall are as before. Bounded waits; no process left behind.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <csignal>

#include "tests/targets/ptrace_test_support.hpp"

using namespace remora::targets;
using namespace remora::targets::test;

namespace {

constexpr unsigned kRip = 16, kEflags = 17;

// rax..r15, rip (8 bytes each) and eflags (4 bytes), as the description sizes them.
std::array<std::uint64_t, 18> general_registers(Debuggee& d) {
  std::array<std::uint64_t, 18> out{};
  for (unsigned i = 0; i < out.size(); ++i) {
    std::byte buf[8]{};
    const auto* r = d.target->registers().description().find(i);
    REQUIRE(r != nullptr);
    auto ec = d.target->registers().read_register(ThreadId::any(), i, std::span(buf, r->bytes()));
    REQUIRE_MESSAGE(!ec, ec.message());
    std::memcpy(&out[i], buf, 8);
  }
  return out;
}

std::optional<MemoryRegion> region_at(Debuggee& d, Addr addr) {
  for (const auto& r : d.target->memory_regions()->regions())
    if (addr >= r.start && addr - r.start < r.size) return r;
  return std::nullopt;
}

}  // namespace

TEST_CASE("ptrace: _M maps memory in the stopped debuggee, _m unmaps it, the debuggee never notices") {
  Debuggee d(Debuggee::launching("basic"));
  REQUIRE(d.cont());  // the announcing int3
  const Addr func = d.reg(kRbx);
  auto* bp = d.target->breakpoints();
  REQUIRE(bp->insert(BreakpointKind::software, func, 1) == std::error_code{});
  auto hit = d.cont();
  REQUIRE(hit);
  REQUIRE(hit->reason == StopReason::breakpoint);
  REQUIRE(d.pc() == func);  // the syscall goes where our int3 is: it must come back

  auto* allocator = d.target->memory_allocator();
  REQUIRE(allocator != nullptr);
  const auto before = general_registers(d);
  auto rw = allocator->allocate(0x1800, {true, true, false});
  REQUIRE_MESSAGE(rw.has_value(), (rw ? "" : rw.error().message()));
  CHECK(*rw % 4096 == 0);
  CHECK(general_registers(d) == before);
  CHECK(proc_read(d.pid, func, 1)[0] == std::byte{0xcc});
  auto region = region_at(d, *rw);
  REQUIRE(region);
  CHECK((region->readable && region->writable && !region->executable));
  CHECK(region->start + region->size >= *rw + 0x2000);  // page-rounded (may merge with a neighbour)

  const std::array<std::byte, 4> data{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}};
  CHECK(d.target->memory().write_virtual(*rw + 0x1ffc, data).bytes == 4);
  CHECK(proc_read(d.pid, *rw + 0x1ffc, 4) == std::vector<std::byte>(data.begin(), data.end()));

  auto rx = allocator->allocate(1, {true, false, true});
  REQUIRE(rx.has_value());
  auto code = region_at(d, *rx);
  REQUIRE(code);
  CHECK((code->readable && !code->writable && code->executable));

  CHECK(allocator->deallocate(*rw) == std::error_code{});
  CHECK_FALSE(region_at(d, *rw));
  CHECK(allocator->deallocate(*rw) == errc::invalid_argument);       // gone already
  CHECK(allocator->deallocate(func) == errc::invalid_argument);      // the program's own memory
  CHECK(allocator->deallocate(*rx) == std::error_code{});
  CHECK(allocator->allocate(0, {true, true, false}).error() == errc::invalid_argument);
  CHECK(general_registers(d) == before);

  // The program goes on exactly as it would have: the breakpoint still hits, the exit code stands.
  auto again = d.cont();
  REQUIRE(again);
  CHECK(again->reason == StopReason::breakpoint);
  REQUIRE(bp->remove(BreakpointKind::software, func, 1) == std::error_code{});
  auto exited = d.cont();
  REQUIRE(exited);
  CHECK(exited->kind == StopKind::exited);
  CHECK(exited->exit_code == 42);
  CHECK(allocator->allocate(16, {true, true, false}).error() == errc::no_process);
}

TEST_CASE("ptrace: _M while running is refused") {
  Debuggee d(Debuggee::launching("spin"));
  REQUIRE(d.cont());
  ResumeAction c;
  REQUIRE_FALSE(d.target->resume(std::span(&c, 1)));
  auto refused = d.target->memory_allocator()->allocate(16, {true, true, false});
  REQUIRE_FALSE(refused);
  CHECK(refused.error() == errc::target_running);
  REQUIRE_FALSE(d.target->interrupt());
  REQUIRE(d.wait());
  REQUIRE_FALSE(d.target->kill());
}

TEST_CASE("ptrace: _M in a thread stopped inside a blocking read: the read resumes and completes") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(fds[1]);
    char c = 0;
    const ssize_t n = ::read(fds[0], &c, 1);  // interrupted by the attach: restarted by the kernel
    ::_exit(n == 1 && c == 'x' ? 0 : 1);
  }
  REQUIRE(child > 0);
  ::close(fds[0]);
  // Wait (bounded) until the child sleeps in read().
  for (int i = 0; i < 200 && task_state(child, child) != 'S'; ++i) ::usleep(5000);
  REQUIRE(task_state(child, child) == 'S');
  ptrace::PtraceOptions o;
  o.attach_pid = child;
  {
    Debuggee d(o);
    const auto before = general_registers(d);
    auto addr = d.target->memory_allocator()->allocate(4096, {true, true, false});
    REQUIRE(addr.has_value());
    CHECK(general_registers(d) == before);
    CHECK(general_registers(d)[kRip] == before[kRip]);
    CHECK(general_registers(d)[kEflags] == before[kEflags]);
    ResumeAction c;
    REQUIRE_FALSE(d.target->resume(std::span(&c, 1)));
    CHECK_FALSE(d.wait(50ms));  // still blocked in its read
    REQUIRE(::write(fds[1], "x", 1) == 1);
    auto exited = d.wait();
    REQUIRE(exited);
    CHECK(exited->kind == StopKind::exited);
    CHECK(exited->exit_code == 0);
  }
  ::close(fds[1]);
  if (process_exists(child)) {
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
  }
}
