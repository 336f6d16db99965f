#include "targets/ptrace/ptrace_ops.hpp"

#include <sys/ptrace.h>
#include <sys/wait.h>

#include <cerrno>
#include <csignal>

namespace remora::targets::ptrace {

std::error_code last_errno() { return {errno, std::system_category()}; }

long tracing_options(bool kill_on_exit) {
  long options = PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACEVFORKDONE |
                 PTRACE_O_TRACEEXEC | PTRACE_O_TRACESYSGOOD;
  if (kill_on_exit) options |= PTRACE_O_EXITKILL;
  return options;
}

namespace {
std::optional<int> wait_with(pid_t tid, int flags) {
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(tid, &status, flags | __WALL);
    if (r == tid) return status;
    if (r == 0) return std::nullopt;
    if (errno != EINTR) return std::nullopt;
  }
}
}  // namespace

std::optional<int> wait_blocking(pid_t tid) { return wait_with(tid, 0); }
std::optional<int> wait_nohang(pid_t tid) { return wait_with(tid, WNOHANG); }

std::error_code resume_thread(pid_t tid, bool step, int linux_signal) {
  const auto request = step ? PTRACE_SINGLESTEP : PTRACE_CONT;
  if (::ptrace(request, tid, nullptr, reinterpret_cast<void*>(static_cast<long>(linux_signal))) != 0)
    return last_errno();
  return {};
}

std::error_code resume_thread_syscall(pid_t tid, int linux_signal) {
  if (::ptrace(PTRACE_SYSCALL, tid, nullptr, reinterpret_cast<void*>(static_cast<long>(linux_signal))) != 0)
    return last_errno();
  return {};
}

std::error_code interrupt_thread(pid_t tid) {
  if (::ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) != 0) return last_errno();
  return {};
}

std::optional<unsigned long> event_message(pid_t tid) {
  unsigned long message = 0;
  if (::ptrace(PTRACE_GETEVENTMSG, tid, nullptr, &message) != 0) return std::nullopt;
  return message;
}

bool is_group_stop_signal(int linux_signal) {
  return linux_signal == SIGSTOP || linux_signal == SIGTSTP || linux_signal == SIGTTIN || linux_signal == SIGTTOU;
}

}  // namespace remora::targets::ptrace
