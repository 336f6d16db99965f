#include "targets/ptrace/attacher.hpp"

#include <sys/ptrace.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>

#include "targets/ptrace/proc_files.hpp"
#include "targets/ptrace/ptrace_ops.hpp"

namespace remora::targets::ptrace {
namespace {

std::string process_name(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(in, name);
  return name.empty() ? std::string("?") : name;
}

// Why a permitted-looking attach failed. Yama is named only where this kernel has it.
std::string permission_hint() {
  std::ifstream yama("/proc/sys/kernel/yama/ptrace_scope");
  int scope = -1;
  if (yama >> scope) {
    if (scope == 1)
      return " (Yama's /proc/sys/kernel/yama/ptrace_scope is 1: only a parent may trace its child; run remora "
             "as root, or let remora start the program: remora :PORT PROG)";
    if (scope >= 2)
      return " (Yama's /proc/sys/kernel/yama/ptrace_scope is " + std::to_string(scope) +
             (scope == 2 ? ": only root may attach)" : ": attaching is disabled until reboot)");
  }
  return " (the process belongs to another user or is not dumpable; run remora as that user or as root)";
}

std::string attach_error(pid_t pid, int err) {
  const std::string who = "Cannot attach to process " + std::to_string(pid) + ": ";
  if (err == ESRCH) return who + "no such process";
  if (err == EPERM) {
    if (auto tracer = tracer_of(pid); tracer && *tracer != 0)
      return who + "it is already traced by process " + std::to_string(*tracer) + " (" + process_name(*tracer) +
             "); detach that debugger first";
    return who + "Operation not permitted" + permission_hint();
  }
  return who + std::strerror(err);
}

// PTRACE_SEIZE + PTRACE_INTERRUPT: unlike PTRACE_ATTACH no SIGSTOP is queued, so nothing stale
// reaches the program later.
struct Attacher {
  std::vector<AttachedThread> threads;
  std::vector<pid_t> seen;  // tids handled already (attached, or vanished while we tried)

  bool known(pid_t tid) const { return std::find(seen.begin(), seen.end(), tid) != seen.end(); }

  // Returns the errno of a failed seize (0 when attached or when the thread vanished).
  int seize(pid_t tid) {
    seen.push_back(tid);
    if (::ptrace(PTRACE_SEIZE, tid, nullptr, tracing_options(false)) != 0) return errno;
    if (interrupt_thread(tid)) return 0;  // it exited between the two calls
    collect(tid);
    return 0;
  }

  // Waits for the stop of a seized thread.
  void collect(pid_t tid) {
    auto status = wait_blocking(tid);
    if (!status || !WIFSTOPPED(*status)) return;  // it exited
    AttachedThread t{tid, 0};
    const int event = ptrace_event_of(*status);
    if (event == 0 && WSTOPSIG(*status) != SIGTRAP) t.deferred_signal = WSTOPSIG(*status);
    threads.push_back(t);
    // It cloned before our interrupt landed: the child is traced already and stops by itself.
    if (event == PTRACE_EVENT_CLONE) {
      if (auto child = event_message(tid)) {
        seen.push_back(static_cast<pid_t>(*child));
        collect(static_cast<pid_t>(*child));
      }
    }
  }
};

}  // namespace

std::expected<std::vector<AttachedThread>, std::string> attach_process(pid_t pid) {
  if (pid <= 0) return std::unexpected("Cannot attach to process " + std::to_string(pid) + ": invalid pid");
  Attacher a;
  if (int err = a.seize(pid)) return std::unexpected(attach_error(pid, err));
  if (a.threads.empty()) return std::unexpected(attach_error(pid, ESRCH));
  // Threads not yet attached keep running and may create more: repeat until a scan finds none.
  for (bool added = true; added;) {
    added = false;
    for (pid_t tid : list_tasks(pid)) {
      if (a.known(tid)) continue;
      (void)a.seize(tid);
      added = true;
    }
  }
  return std::move(a.threads);
}

}  // namespace remora::targets::ptrace
