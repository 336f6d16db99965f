// The Target seam: what the protocol core asks of a backend (emulated, ptrace, QEMU proxy).
// Mandatory parts are pure virtual; optional capabilities are accessors that return nullptr by
// default, and the protocol core gates parsing, dispatch and qSupported on the same accessor.
#pragma once
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "targets/api/errors.hpp"
#include "targets/api/host_io.hpp"
#include "targets/api/memory_access.hpp"
#include "targets/api/memory_allocator.hpp"
#include "targets/api/non_stop.hpp"
#include "targets/api/passthrough.hpp"
#include "targets/api/process_control.hpp"
#include "targets/api/registers.hpp"
#include "targets/api/signal_control.hpp"
#include "targets/api/xfer_objects.hpp"
#include "targets/api/types.hpp"

namespace remora::targets {

// Receives asynchronous events from a backend. Backends call it from the event loop, never
// from inside a call the protocol core made (a stop found during resume() is posted).
class StopListener {
 public:
  virtual ~StopListener() = default;
  virtual void on_stop(const StopEvent& event) = 0;
};

// Breakpoints and watchpoints (Z/z packets).
class BreakpointControl {
 public:
  virtual ~BreakpointControl() = default;
  virtual bool supports(BreakpointKind kind) const = 0;
  virtual std::error_code insert(BreakpointKind kind, Addr addr, std::size_t length) = 0;
  virtual std::error_code remove(BreakpointKind kind, Addr addr, std::size_t length) = 0;
  // Hardware watchpoint slots (lldb's qWatchpointSupportInfo); nullopt when the backend does
  // not know. A backend that supports no watchpoint kind has none, whatever this says.
  virtual std::optional<unsigned> watchpoint_slots() const { return std::nullopt; }
};

// The memory map (qXfer:memory-map:read, lldb's qMemoryRegionInfo).
class MemoryRegions {
 public:
  virtual ~MemoryRegions() = default;
  virtual std::vector<MemoryRegion> regions() = 0;
  // The region holding `addr` (or the unmapped gap around it: no permissions), for a backend
  // that finds regions by probing around an address rather than holding a table (the QEMU
  // proxy); nullopt means "look in regions()".
  virtual std::optional<MemoryRegion> region_at(Addr) { return std::nullopt; }
  // False where regions() is not the whole map: no qXfer:memory-map is offered then.
  virtual bool whole_map() const { return true; }
};

// Backend-specific `monitor` commands. Returns nullopt for a command it does not know.
class MonitorCommands {
 public:
  virtual ~MonitorCommands() = default;
  struct Command {
    std::string name;
    std::string help;
  };
  virtual std::vector<Command> commands() const = 0;
  virtual std::optional<std::string> run(std::string_view command_line, std::error_code& error) = 0;
};

// Which optional events the client asked to be told about (fork-events+, vfork-events+,
// exec-events+, QThreadEvents). A backend reports only these as stops of their own.
struct ReportedEvents {
  bool fork = false;
  bool vfork = false;
  bool exec = false;
  bool threads = false;
};

// Every member is forwarded by rsp::MeteredTarget (rsp/target_meter.hpp), which the Session
// reaches the target through: a member added here must be forwarded there too.
class Target {
 public:
  virtual ~Target() = default;

  virtual MemoryAccess& memory() = 0;
  virtual RegisterAccess& registers() = 0;

  virtual std::vector<ThreadId> threads() = 0;
  virtual std::string thread_name(ThreadId) { return {}; }

  // The state a newly connected client is told about (`?`); nullopt when there is no process.
  virtual std::optional<StopEvent> current_stop() = 0;

  // Starts the target running. Returns at once; the stop arrives later through the listener.
  virtual std::error_code resume(std::span<const ResumeAction> actions) = 0;
  // Asks a running target to stop; it reports a stop with StopReason::interrupt.
  virtual std::error_code interrupt() = 0;
  virtual std::error_code detach() = 0;
  virtual std::error_code kill() = 0;

  virtual void set_stop_listener(StopListener* listener) = 0;

  // qAttached: true when remora attached to something that existed before it (detach on quit).
  virtual bool attached() const { return false; }
  // vCont's `r` action (range stepping) is offered only where the backend implements it.
  virtual bool can_range_step() const { return false; }

  // Optional capabilities.
  virtual BreakpointControl* breakpoints() { return nullptr; }
  virtual MemoryRegions* memory_regions() { return nullptr; }
  virtual MonitorCommands* monitor() { return nullptr; }
  virtual ProcessControl* process_control() { return nullptr; }
  virtual SignalControl* signal_control() { return nullptr; }
  virtual XferObjects* xfer_objects() { return nullptr; }
  // vFile: files on the machine remora runs on, under the implementation's policy.
  virtual HostIO* host_io() { return nullptr; }
  // lldb's _M / _m. The ptrace backend needs an mmap call in the inferior for it (not yet).
  virtual MemoryAllocator* memory_allocator() { return nullptr; }
  // The debuggee's working directory (lldb's qGetWorkingDir); nullopt when it has none.
  virtual std::optional<std::string> working_directory() { return std::nullopt; }
  // Which events the backend can report (the protocol offers only these) and which to report.
  virtual ReportedEvents reportable_events() const { return {}; }
  virtual void set_reported_events(const ReportedEvents&) {}
  // The client's Hg thread, which memory packets act through where memory differs per thread
  // (QEMU system mode: each vCPU has its own page tables). Wildcards mean the stopped thread.
  virtual void set_memory_thread(ThreadId) {}
  // Packets forwarded verbatim to the stub this backend fronts (QEMU's qqemu.*, bs/bc).
  virtual PacketPassthrough* passthrough() { return nullptr; }
  // Non-stop mode (QNonStop); nullptr: all-stop only, QNonStop:1 is refused.
  virtual NonStopControl* non_stop() { return nullptr; }
};

// Schedules work on the event loop that owns the target (asio::post in the stub, a queue in
// tests). Backends use it to deliver stops they discover synchronously.
using Post = std::function<void(std::function<void()>)>;

}  // namespace remora::targets
