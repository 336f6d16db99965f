// Not a test: times the ptrace backend's single-step and breakpoint-cycle rates through the
// Target API (the event loop included, no RSP), for comparing changes to the step path.
// Build (Release tree in build/ptfeat):
//   g++ -std=c++23 -O2 -I. -DASIO_STANDALONE tests/targets/programs/ptrace_step_timing.cpp \
//       build/ptfeat/targets/libremora_ptrace.a build/ptfeat/targets/libremora_arch.a \
//       build/ptfeat/targets/libremora_target_api.a -o /tmp/ptrace_step_timing
// Run: /tmp/ptrace_step_timing build/ptfeat/tests/ptrace_inferior
#include <chrono>
#include <cstdio>
#include <cstring>

#include "targets/ptrace/ptrace_target.hpp"

using namespace remora::targets;
using Clock = std::chrono::steady_clock;

namespace {
struct Log : StopListener {
  int stops = 0;
  StopEvent last;
  void on_stop(const StopEvent& e) override {
    ++stops;
    last = e;
  }
};

bool run(asio::io_context& io, Log& log, Target& t, ResumeKind kind) {
  ResumeAction a;
  a.kind = kind;
  const int before = log.stops;
  if (t.resume(std::span(&a, 1))) return false;
  while (log.stops == before) io.run_one();
  return log.last.kind == StopKind::stopped;
}

std::uint64_t rbx(Target& t) {
  std::byte buf[8];
  (void)t.registers().read_register(ThreadId::any(), 1, buf);
  std::uint64_t v;
  std::memcpy(&v, buf, 8);
  return v;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const int n = argc > 2 ? std::atoi(argv[2]) : 20000;
  asio::io_context io;
  ptrace::PtraceOptions o;
  o.launch = ptrace::LaunchSpec{};
  o.launch->program = argv[1];
  o.launch->args = {"calls"};
  o.launch->settings.startup_with_shell = false;
  auto target = ptrace::make_ptrace_target(io, o);
  if (!target) return std::fprintf(stderr, "%s\n", target.error().c_str()), 1;
  Log log;
  (*target)->set_stop_listener(&log);
  Target& t = **target;
  run(io, log, t, ResumeKind::cont);  // the announcing int3
  const Addr func = rbx(t);

  auto start = Clock::now();
  for (int i = 0; i < n; ++i)
    if (!run(io, log, t, ResumeKind::step)) return 1;
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("single steps: %d in %.3f s = %.0f/s\n", n, secs, n / secs);

  auto* bp = t.breakpoints();
  (void)bp->insert(BreakpointKind::software, func, 1);
  run(io, log, t, ResumeKind::cont);
  const int cycles = n / 2;
  start = Clock::now();
  for (int i = 0; i < cycles; ++i) {  // what gdb sends: z0, step, Z0, continue
    (void)bp->remove(BreakpointKind::software, func, 1);
    if (!run(io, log, t, ResumeKind::step)) return 1;
    (void)bp->insert(BreakpointKind::software, func, 1);
    if (!run(io, log, t, ResumeKind::cont) || log.last.reason != StopReason::breakpoint) return 1;
  }
  secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("breakpoint cycles: %d in %.3f s = %.0f/s\n", cycles, secs, cycles / secs);
  (void)t.kill();
  return 0;
}
