// Basic value types shared by every backend and by the protocol core.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace remora::targets {

using Addr = std::uint64_t;

// A thread of a process. pid/tid follow the RSP conventions: -1 means "all", 0 means "any".
struct ThreadId {
  std::int64_t pid = 0;
  std::int64_t tid = 0;

  static constexpr ThreadId all() { return {-1, -1}; }
  static constexpr ThreadId any() { return {0, 0}; }
  bool is_all() const { return tid == -1; }
  bool is_any() const { return tid == 0; }
  friend bool operator==(const ThreadId&, const ThreadId&) = default;

  // True when `this` (possibly a wildcard) selects the concrete thread `t`.
  bool selects(const ThreadId& t) const {
    bool pid_ok = pid == -1 || pid == 0 || pid == t.pid;
    bool tid_ok = tid == -1 || tid == 0 || tid == t.tid;
    return pid_ok && tid_ok;
  }
};

// GDB signal numbers (gdb/signals.def), which the protocol uses on the wire.
namespace gdb_signal {
inline constexpr int none = 0;
inline constexpr int hup = 1;
inline constexpr int int_ = 2;
inline constexpr int quit = 3;
inline constexpr int ill = 4;
inline constexpr int trap = 5;
inline constexpr int abrt = 6;
inline constexpr int kill = 9;
inline constexpr int bus = 10;
inline constexpr int segv = 11;
inline constexpr int term = 15;
inline constexpr int stop = 17;
}  // namespace gdb_signal

enum class ResumeKind { cont, step, stop, range_step };

// One vCont action. `thread` may be a wildcard; actions are matched left to right.
struct ResumeAction {
  ResumeKind kind = ResumeKind::cont;
  int signal = 0;  // gdb signal number delivered on resume, 0 for none
  ThreadId thread = ThreadId::all();
  Addr range_start = 0;  // range_step only: step while start <= pc < end
  Addr range_end = 0;
};

enum class StopReason {
  signal,       // stopped by a signal that is not one of the reasons below
  breakpoint,   // a software breakpoint inserted through Z0
  hw_breakpoint,
  watch_write,
  watch_read,
  watch_access,
  step,         // single step or range step completed
  interrupt,    // the client asked (0x03 / vCtrlC)
  exception,    // the stub refused or failed something; `description` says what
  fork,         // `child` is the new process's thread
  vfork,
  vfork_done,
  exec,         // `exec_path` is the new program
  syscall_entry,  // `syscall` is the number
  syscall_return,
  thread_created,
  thread_exited,
};

// no_resumed: non-stop mode, the last running thread is gone and none is left running (`N`).
enum class StopKind { stopped, exited, terminated, no_resumed };

struct StopEvent {
  StopKind kind = StopKind::stopped;
  ThreadId thread{};
  int signal = gdb_signal::trap;  // gdb signal number (stopped / terminated)
  int exit_code = 0;              // exited
  StopReason reason = StopReason::signal;
  Addr watch_address = 0;         // watch_* reasons
  std::string description;        // exception reason, for lldb
  ThreadId child{};               // fork / vfork
  std::string exec_path;          // exec
  int syscall = -1;               // syscall_entry / syscall_return
};

enum class BreakpointKind { software = 0, hardware = 1, watch_write = 2, watch_read = 3, watch_access = 4 };

struct MemoryRegion {
  Addr start = 0;
  Addr size = 0;
  bool readable = false;
  bool writable = false;
  bool executable = false;
  std::string name;
};

}  // namespace remora::targets
