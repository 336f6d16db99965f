// Starts a program under ptrace, stopped at its first instruction (after the final exec), the
// way gdbserver does: optionally through `/bin/sh -c exec ...` and a wrapper.
#pragma once
#include <sys/types.h>

#include <expected>
#include <string>
#include <vector>

#include "targets/api/process_control.hpp"

namespace remora::targets::ptrace {

struct LaunchSpec {
  std::string program;
  std::vector<std::string> args;  // argv[1..]
  LaunchSettings settings;        // unset optionals: disable randomization, start with a shell
  std::vector<std::string> wrapper;  // --wrapper: a command that execs the program once
};

// Returns the pid, stopped (seized, tracing options set) at the program's exec. Prints nothing;
// the error is a message for a person ("PROG: No such file or directory").
std::expected<pid_t, std::string> launch_process(const LaunchSpec& spec);

}  // namespace remora::targets::ptrace
