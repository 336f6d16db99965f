#include "targets/ptrace/hw_probe.hpp"

#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdio>

namespace remora::targets::ptrace {
namespace {

__attribute__((noinline)) void probe_target() { __asm__ volatile("nop" ::: "memory"); }

bool poke_debugreg(pid_t pid, int index, unsigned long value) {
  const auto offset = offsetof(struct user, u_debugreg) + static_cast<std::size_t>(index) * sizeof(long);
  return ::ptrace(PTRACE_POKEUSER, pid, offset, value) == 0;
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, __WALL) < 0)
    if (errno != EINTR) return -1;
  return status;
}

// The child stops itself, the parent puts an execute breakpoint (DR0, DR7.L0) on probe_target
// and lets it run: a SIGTRAP stop means #DB arrived; an exit means it never will here.
bool probe() {
  const pid_t child = ::fork();
  if (child < 0) return false;
  if (child == 0) {
    ::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
    ::raise(SIGSTOP);
    probe_target();
    ::_exit(0);
  }
  bool fired = false;
  int status = wait_for(child);
  if (status != -1 && WIFSTOPPED(status) &&
      poke_debugreg(child, 0, reinterpret_cast<unsigned long>(&probe_target)) && poke_debugreg(child, 7, 1) &&
      ::ptrace(PTRACE_CONT, child, nullptr, nullptr) == 0) {
    status = wait_for(child);
    fired = status != -1 && WIFSTOPPED(status) && WSTOPSIG(status) == SIGTRAP;
  }
  ::kill(child, SIGKILL);
  while (status != -1 && !WIFEXITED(status) && !WIFSIGNALED(status)) status = wait_for(child);
  return fired;
}

}  // namespace

bool debug_registers_fire() {
  static const bool fires = [] {
    const bool f = probe();
    if (!f)
      std::fprintf(stderr,
                   "remora: this machine raises no debug-register traps; hardware breakpoints and "
                   "watchpoints are off (gdb falls back to software watchpoints)\n");
    return f;
  }();
  return fires;
}

}  // namespace remora::targets::ptrace
