// Thin wrappers over ptrace(2) and waitpid(2): errors as std::error_code, EINTR retried, and the
// decoding of wait statuses in one place.
#pragma once
#include <sys/types.h>

#include <optional>
#include <system_error>

namespace remora::targets::ptrace {

std::error_code last_errno();

// Options every tracee gets after its first stop. EXITKILL only for processes remora started.
long tracing_options(bool kill_on_exit);

// Blocking wait for one tid (never -1: that would reap children that are not tracees).
// nullopt when the tid is not (or no longer) a waitable child.
std::optional<int> wait_blocking(pid_t tid);
// The same without blocking: nullopt when nothing is reported yet.
std::optional<int> wait_nohang(pid_t tid);

// PTRACE_CONT or PTRACE_SINGLESTEP with a Linux signal number (0: none).
std::error_code resume_thread(pid_t tid, bool step, int linux_signal);
// PTRACE_SYSCALL: runs to the next syscall entry or exit (syscall catching).
std::error_code resume_thread_syscall(pid_t tid, int linux_signal);
std::error_code interrupt_thread(pid_t tid);
std::optional<unsigned long> event_message(pid_t tid);

// Wait-status decoding.
inline int ptrace_event_of(int status) { return (status >> 16) & 0xff; }
bool is_group_stop_signal(int linux_signal);

}  // namespace remora::targets::ptrace
