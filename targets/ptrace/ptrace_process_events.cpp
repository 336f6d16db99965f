// Events about processes rather than threads: exits, fork/vfork (reported and kept, or let
// go), exec, and syscall stops while syscalls are caught.
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstddef>

#include "targets/ptrace/proc_files.hpp"
#include "targets/ptrace/ptrace_ops.hpp"
#include "targets/ptrace/ptrace_target.hpp"
#include "targets/ptrace/signals.hpp"

namespace remora::targets::ptrace {
namespace {
using Kind = Classified::Kind;
}  // namespace

Classified PtraceTarget::classify_exit(Thread& t, int status) {
  if (t.tid != t.pid) {
    Classified c{Kind::thread_exit};  // reported as `w` only with QThreadEvents
    c.event.stop = stop_event(t, gdb_signal::none, StopReason::thread_exited);
    c.event.stop.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
    return c;
  }
  Classified c{Kind::process_exit};
  c.event.stop.thread = {t.pid, t.tid};
  if (WIFEXITED(status)) {
    c.event.stop.kind = StopKind::exited;
    c.event.stop.exit_code = WEXITSTATUS(status);
  } else {
    c.event.stop.kind = StopKind::terminated;
    c.event.stop.signal = gdb_signal_from_linux(WTERMSIG(status));
  }
  return c;
}

// One of several processes ended (a kept fork child, or the main one while a child is kept:
// then the child becomes the main process).
void PtraceTarget::child_process_exit(pid_t pid) {
  for (pid_t tid : threads_.tids())
    if (Thread* t = threads_.find(tid); t != nullptr && t->pid == pid) {
      if (t->tid != pid) (void)wait_nohang(tid);
      threads_.remove(tid);
    }
  if (selected_ == pid) selected_ = 0;
  if (pid == pid_) {
    if (!children_.empty()) promote_child();
    return;
  }
  children_.erase(pid);
}

// Fork and vfork are reported (and the child kept, stopped) only when the client asked for
// them; otherwise the child is let go without the parent's int3s. A vfork child shares the
// parent's memory, so the int3s come out until vfork-done either way.
Classified PtraceTarget::classify_fork(Thread& t, int event) {
  if (event == PTRACE_EVENT_VFORK_DONE) {
    software_of(t.pid).replant_all();
    if (!reported_.vfork) return {Kind::resume};
    return {Kind::report, {stop_event(t, gdb_signal::trap, StopReason::vfork_done)}};
  }
  const bool vfork = event == PTRACE_EVENT_VFORK;
  const auto child = static_cast<pid_t>(event_message(t.tid).value_or(0));
  if (!(vfork ? reported_.vfork : reported_.fork)) {
    release_fork_child(child, vfork);
    return {Kind::resume};
  }
  if (child <= 0) return {Kind::resume};
  auto status = wait_blocking(child);  // its first stop, before or after the parent's event
  if (!status || !WIFSTOPPED(*status)) return {Kind::resume};
  auto kept = std::make_unique<ForkChild>(child);
  (void)kept->memory.open(child);
  if (vfork)
    software_of(t.pid).lift_all();
  else  // its memory is a copy, int3s included: the client removes them from the child itself
    kept->software.copy_table_from(software_of(t.pid));
  children_.emplace(child, std::move(kept));
  threads_.add(child, child);
  ThreadEvent e{stop_event(t, gdb_signal::trap, vfork ? StopReason::vfork : StopReason::fork)};
  e.stop.child = {child, child};
  return {Kind::report, std::move(e)};
}

void PtraceTarget::release_fork_child(pid_t child, bool vfork) {
  if (child <= 0) return;
  auto status = wait_blocking(child);  // its first stop, before or after the parent's event
  if (!status || !WIFSTOPPED(*status)) return;
  if (vfork) {
    software_.lift_all();
  } else {
    ProcMemory child_memory;
    if (!child_memory.open(child)) software_.restore_in(child_memory);
  }
  ::ptrace(PTRACE_DETACH, child, nullptr, nullptr);
}

// After exec only the execing thread is left, under the leader's tid, in a new address space:
// the old int3s and debug registers are gone with the old image. Without exec events the
// client sees what an untraced-for-exec process gets: a SIGTRAP.
Classified PtraceTarget::classify_exec(Thread& t) {
  for (pid_t tid : threads_.tids()) {
    Thread* other = threads_.find(tid);
    if (tid == t.tid || other->pid != t.pid) continue;
    (void)wait_nohang(tid);  // the kernel reports the others as exited
    threads_.remove(tid);
  }
  (void)memory_of(t.pid).open(t.pid);
  software_of(t.pid).forget_all();
  allocator_.forget();  // the new image owns the addresses: no _m may unmap them
  if (t.pid == pid_) hardware_ = DebugRegisters{};
  t.regs.invalidate();
  t.in_syscall = false;
  if (!reported_.exec) {
    t.stop_signal = SIGTRAP;
    return {Kind::report, {stop_event(t, gdb_signal::trap, StopReason::signal)}};
  }
  ThreadEvent e{stop_event(t, gdb_signal::trap, StopReason::exec)};
  e.stop.exec_path = exe_path(t.pid);
  return {Kind::report, std::move(e)};
}

// PTRACE_GET_SYSCALL_INFO tells entry from exit exactly (a toggle would be wrong when catching
// starts inside a blocking syscall); the number is remembered from the entry.
Classified PtraceTarget::classify_syscall(Thread& t) {
  if (!catch_syscalls_) return {Kind::resume};
  __ptrace_syscall_info info{};
  const long got = ::ptrace(PTRACE_GET_SYSCALL_INFO, t.tid, sizeof info, &info);
  bool entry = !t.in_syscall;
  if (got > 0) entry = info.op == PTRACE_SYSCALL_INFO_ENTRY;
  if (entry) t.syscall_nr = got > 0 ? static_cast<int>(info.entry.nr) : -1;
  t.in_syscall = entry;
  int nr = t.syscall_nr;
  if (nr < 0) {  // caught from inside the syscall: orig_rax still holds its number
    errno = 0;
    const long v = ::ptrace(PTRACE_PEEKUSER, t.tid, offsetof(user_regs_struct, orig_rax), nullptr);
    nr = errno == 0 ? static_cast<int>(v) : -1;
  }
  if (!entry) t.syscall_nr = -1;
  if (!catch_syscalls_->empty() && !catch_syscalls_->contains(nr)) return {Kind::resume};
  ThreadEvent e{stop_event(t, gdb_signal::trap, entry ? StopReason::syscall_entry : StopReason::syscall_return)};
  e.stop.syscall = nr;
  return {Kind::report, std::move(e)};
}

}  // namespace remora::targets::ptrace
