// Non-stop mode (gdb's `set non-stop on`, issue #10): each thread stops and runs on its own.
// While it is on, Target::resume() acts only on the threads its actions select (the others keep
// running or stay stopped), a `stop` action stops a running thread (reported with signal 0),
// interrupt() stops one running thread (vCtrlC, reported as SIGINT), every stop reaches the
// StopListener by itself, and memory and breakpoints can be changed while threads run.
#pragma once
#include <system_error>
#include <vector>

#include "targets/api/types.hpp"

namespace remora::targets {

class NonStopControl {
 public:
  virtual ~NonStopControl() = default;
  virtual bool enabled() const = 0;  // non-stop mode is on
  // Refused with errc::target_running while any thread runs (gdb switches only when connecting).
  virtual std::error_code set_non_stop(bool on) = 0;
  // The client left: stop every running thread without reporting it (what a thread ran into is
  // kept and reported after its next resume, as in all-stop) and return to all-stop mode.
  virtual void stop_all_and_leave() = 0;
  // Each stopped thread's stop (its last reported one; signal 0 for a thread never reported):
  // what `?` lists in non-stop mode.
  virtual std::vector<StopEvent> stopped_threads() = 0;
};

}  // namespace remora::targets
