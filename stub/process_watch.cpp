#include "stub/process_watch.hpp"

#include <cstdio>
#include <cstring>

#include "targets/ptrace/signals.hpp"

namespace remora::stub {

std::string gdb_signal_name(int gdb_signal) {
  const int linux_signal = targets::ptrace::linux_signal_from_gdb(gdb_signal);
  const char* abbrev = linux_signal != 0 ? ::sigabbrev_np(linux_signal) : nullptr;
  return abbrev != nullptr ? std::string("SIG") + abbrev : std::string("?");
}

ProcessWatch::ProcessWatch(targets::ptrace::PtraceTarget& target, Console console, bool multi)
    : target_(target), console_(std::move(console)), multi_(multi) {}

void ProcessWatch::after_session_call() {
  const pid_t now = target_.pid();
  if (now == pid_) return;
  if (pid_ != 0 && !exit_reported_ && !target_.current_stop()) {
    // Gone with no exit and no final state: a detach (a kill leaves the SIGKILL as the state,
    // and gdbserver prints nothing for gdb's `kill`).
    console_("Detaching from process " + std::to_string(pid_));
  }
  pid_ = now;
  exit_reported_ = false;
  if (now == 0) return;
  had_process_ = true;
  attached_ = target_.attached();
  if (attached_) {
    console_("Attached; pid = " + std::to_string(now));
  } else {
    auto launched = target_.initial_launch();
    console_("Process " + (launched ? launched->program : std::string("?")) + " created; pid = " +
             std::to_string(now));
  }
}

void ProcessWatch::on_stop(const targets::StopEvent& event) {
  // gdbserver starts these with a newline: the inferior's output may not have ended with one.
  if (event.kind == targets::StopKind::exited) {
    console_("\nChild exited with status " + std::to_string(event.exit_code));
  } else if (event.kind == targets::StopKind::terminated) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%x", static_cast<unsigned>(event.signal));
    console_("\nChild terminated with signal = " + std::string(hex) + " (" + gdb_signal_name(event.signal) + ")");
  } else {
    return;
  }
  exit_reported_ = true;
}

// A process killed while stopped is gone, but gdb has not been told yet (it is, at its next
// resume, as gdbserver does): serve until then.
bool ProcessWatch::work_done() const {
  return !multi_ && had_process_ && target_.pid() == 0 && !target_.exit_unreported();
}

void ProcessWatch::at_exit() {
  const pid_t pid = target_.pid();
  if (pid == 0) return;
  if (target_.attached()) {
    console_("Detaching from process " + std::to_string(pid));
  } else {
    console_("Killing process(es): " + std::to_string(pid));
  }
}

}  // namespace remora::stub
