// The threads of the traced process, in creation order, with what the event loop needs to know
// about each: running or stopped, how it was resumed, and an event held back for later.
#pragma once
#include <sys/types.h>

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "targets/api/types.hpp"
#include "targets/ptrace/register_set.hpp"

namespace remora::targets::ptrace {

// A stop as the client will be told about it.
struct ThreadEvent {
  StopEvent stop;
  Addr breakpoint_pc = 0;  // a software breakpoint hit here (the pc is already set back to it)
};

struct Thread {
  Thread(pid_t id, pid_t process, const XstateLayout& layout) : tid(id), pid(process), regs(id, layout) {}

  pid_t tid;
  pid_t pid;                    // its process (thread group): the main one or a kept fork child
  RegisterSet regs;
  bool running = false;
  bool stepping = false;        // resumed with PTRACE_SINGLESTEP
  bool interrupt_sent = false;  // a PTRACE_INTERRUPT is outstanding (any stop consumes it)
  Addr step_from = 0;           // pc a step started at, to tell an executed int3 from a step
  std::optional<std::pair<Addr, Addr>> range;  // range step: keep stepping while pc is inside
  Addr reported_bp = 0;         // the client was told this thread hit the breakpoint here
  // A SIGTRAP raised before our PTRACE_INTERRUPT but still queued (the interrupt stop is
  // reported first): it arrives on the next resume and is judged then, against this pc.
  bool trap_queued = false;
  Addr trap_pc = 0;
  int stop_signal = 0;          // Linux signal it stopped with (given back on detach)
  int deferred_signal = 0;      // a pass signal caught while stopping everything: delivered on resume
  std::optional<ThreadEvent> pending;  // found while stopping everything: reported on the next resume
  // The leader called pthread_exit while other threads run: a zombie that reports nothing
  // until the last thread exits, so stopping everything must not wait for it.
  bool zombie = false;
  // Catching syscalls: inside a syscall whose entry was seen (the next syscall stop is its return).
  bool in_syscall = false;
  // Stepping alone over an instruction that cannot wait in the kernel: the loop may wait for
  // the step with a blocking waitpid (ptrace_resume.cpp).
  bool quick_step = false;
  int syscall_nr = -1;
  // Non-stop mode (ptrace_non_stop.cpp): a stop the client asked for, reported with this gdb
  // signal once the thread stops (0 for vCont's `t`, SIGINT for vCtrlC).
  std::optional<int> stop_request;
  // Its `pending` event is on its way to the client (posted): the thread must not run before.
  bool report_posted = false;
  // The last stop reported for it, which `?` lists again in non-stop mode.
  std::optional<StopEvent> last_stop;
};

class ThreadList {
 public:
  Thread& add(pid_t tid, pid_t pid);  // registers laid out as this CPU's XSAVE area (probed once)
  Thread* find(pid_t tid);
  void remove(pid_t tid);
  void clear() { threads_.clear(); }
  bool empty() const { return threads_.empty(); }
  std::vector<pid_t> tids() const;  // a snapshot, safe to iterate while threads come and go
  bool any_running() const;
  bool any_of_process(pid_t pid) const;

  auto begin() { return threads_.begin(); }
  auto end() { return threads_.end(); }

 private:
  std::vector<std::unique_ptr<Thread>> threads_;  // creation order
};

}  // namespace remora::targets::ptrace
