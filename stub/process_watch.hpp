// gdbserver's console lines about the debugged process, and when the stub's work is done.
// Lines are printed on transitions the watch sees after each Session call (a process appears
// through vRun/vAttach, goes through D or k), on exits reported to the client, and at shutdown.
#pragma once
#include <sys/types.h>

#include "stub/client.hpp"
#include "stub/connection.hpp"
#include "targets/ptrace/ptrace_target.hpp"

namespace remora::stub {

class ProcessWatch final : public ProcessObserver {
 public:
  // `multi`: extended mode, where a gone process is not the end (the client may run another).
  ProcessWatch(targets::ptrace::PtraceTarget& target, Console console, bool multi);

  // "Process PROG created; pid = N" or "Attached; pid = N" for a process that is new since the
  // last call; "Detaching from process N" for one that went without an exit.
  void after_session_call() override;
  // "\nChild exited with status N" / "\nChild terminated with signal = 0xN (SIGNAME)".
  void on_stop(const targets::StopEvent& event) override;
  bool work_done() const override;

  // Before the target's destructor kills a launched process or detaches from an attached one:
  // "Killing process(es): N" or "Detaching from process N", as gdbserver says at exit.
  void at_exit() override;

 private:
  targets::ptrace::PtraceTarget& target_;
  Console console_;
  bool multi_;
  pid_t pid_ = 0;           // the process last seen
  bool attached_ = false;   // ... and whether it was attached rather than launched
  bool had_process_ = false;
  bool exit_reported_ = false;  // its exit reached the client (no "Detaching" line then)
};

// "SIGSEGV" for gdb's signal number (gdbserver names signals so), "?" when unknown.
std::string gdb_signal_name(int gdb_signal);

}  // namespace remora::stub
