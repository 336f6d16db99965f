// Extended-mode process control (vRun, vAttach, vKill, R, lldb's A) and the launch settings
// clients send before a run (QEnvironment*, QSetWorkingDir, QDisableRandomization, ...).
#pragma once
#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "targets/api/types.hpp"

namespace remora::targets {

struct LaunchSettings {
  std::map<std::string, std::string> environment_set;  // QEnvironmentHexEncoded
  std::vector<std::string> environment_unset;          // QEnvironmentUnset
  bool environment_reset = false;                      // QEnvironmentReset: start from remora's startup env
  std::string working_dir;                             // QSetWorkingDir (empty: remora's own)
  std::optional<bool> disable_randomization;           // QDisableRandomization / QSetDisableASLR
  std::optional<bool> startup_with_shell;              // QStartupWithShell
  std::string stdin_path, stdout_path, stderr_path;    // lldb's QSetSTDIN/OUT/ERR
};

struct LaunchRequest {
  std::string program;              // empty: the program remora was started with
  std::vector<std::string> args;    // argv[1..]
  LaunchSettings settings;
};

class ProcessControl {
 public:
  virtual ~ProcessControl() = default;
  // Starts a process stopped at its first instruction; returns that stop.
  virtual std::expected<StopEvent, std::error_code> launch(const LaunchRequest& request) = 0;
  virtual std::expected<StopEvent, std::error_code> attach(std::int64_t pid) = 0;
  virtual std::error_code kill_process(std::int64_t pid) = 0;
  // The program and arguments remora was started with (for `R` / restart and qXfer:exec-file).
  virtual std::optional<LaunchRequest> initial_launch() const { return std::nullopt; }
  // Several processes (a fork child kept traced when fork events are reported, gdb's
  // `detach-on-fork off`): detach one of them (`D;pid`) and leave the others debugged.
  virtual std::error_code detach_process(std::int64_t /*pid*/) {
    return std::make_error_code(std::errc::function_not_supported);
  }
  // Which process memory and breakpoint requests apply to from now on (the pid of `Hg`);
  // the process of the last stop until told otherwise.
  virtual std::error_code select_process(std::int64_t /*pid*/) {
    return std::make_error_code(std::errc::function_not_supported);
  }
};

}  // namespace remora::targets
