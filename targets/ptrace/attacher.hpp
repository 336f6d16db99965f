// Attaches to a running process and every one of its threads, leaving all of them stopped.
#pragma once
#include <sys/types.h>

#include <expected>
#include <string>
#include <vector>

namespace remora::targets::ptrace {

struct AttachedThread {
  pid_t tid = 0;
  int deferred_signal = 0;  // a signal that stopped it instead of our interrupt: deliver on resume
};

// Threads in the order they were found, the leader first. The error is a message for a person.
std::expected<std::vector<AttachedThread>, std::string> attach_process(pid_t pid);

}  // namespace remora::targets::ptrace
