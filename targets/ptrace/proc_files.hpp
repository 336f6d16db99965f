// What /proc tells about a process: its threads, their names, its mappings, its tracer.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "targets/api/types.hpp"

namespace remora::targets::ptrace {

std::vector<pid_t> list_tasks(pid_t pid);
std::vector<pid_t> list_processes();  // every pid in /proc, ascending
std::string task_name(pid_t pid, pid_t tid);
std::vector<MemoryRegion> read_maps(pid_t pid);
std::optional<pid_t> tracer_of(pid_t pid);  // TracerPid from /proc/PID/status (0: none)
std::string exe_path(pid_t pid);
// The state letter of /proc/PID/task/TID/stat (R, S, t, Z, ...; '?' when unreadable).
char task_state(pid_t pid, pid_t tid);
// The whole of a small /proc file (auxv, cmdline); nullopt when it cannot be read.
std::optional<std::string> read_proc_file(pid_t pid, const std::string& name);
// SigPnd of a thread: signals queued for that thread alone (bit N-1 for signal N).
std::uint64_t thread_pending_signals(pid_t pid, pid_t tid);

}  // namespace remora::targets::ptrace
