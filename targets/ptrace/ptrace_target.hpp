// The Linux ptrace backend: a targets::Target for x86-64 processes. Everything runs on one
// io_context thread (ptrace requests must come from the tracer thread); stops arrive through
// SIGCHLD and a waitpid(tid, WNOHANG|__WALL) for each known thread, never waitpid(-1).
#pragma once
#include <sys/types.h>

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "targets/api/process_control.hpp"
#include "targets/api/signal_control.hpp"
#include "targets/api/target.hpp"
#include "targets/ptrace/debug_registers.hpp"
#include "targets/ptrace/inferior_mmap.hpp"
#include "targets/ptrace/launcher.hpp"
#include "targets/ptrace/proc_memory.hpp"
#include "targets/ptrace/sw_breakpoints.hpp"
#include "targets/ptrace/thread_list.hpp"

namespace remora::targets::ptrace {

// Launch PROG, attach to a pid, or neither (extended mode: a process comes later through
// ProcessControl).
struct PtraceOptions {
  std::optional<LaunchSpec> launch;
  std::optional<pid_t> attach_pid;
};

// What a wait status means for the thread that reported it (ptrace_events.cpp).
struct Classified {
  enum class Kind { report, quiet, resume, pass_signal, range_continue, clone, thread_exit, process_exit };
  Kind kind = Kind::resume;
  ThreadEvent event{};
  int linux_signal = 0;
  pid_t new_tid = 0;
};

class PtraceTarget final : public Target,
                           public ProcessControl,
                           public SignalControl,
                           private NonStopControl,
                           private MemoryAccess,
                           private RegisterAccess,
                           private BreakpointControl,
                           private MemoryRegions,
                           private XferObjects {
 public:
  explicit PtraceTarget(asio::io_context& io);
  ~PtraceTarget() override;  // kills a launched process, detaches from an attached one
  PtraceTarget(const PtraceTarget&) = delete;
  PtraceTarget& operator=(const PtraceTarget&) = delete;

  // The process being debugged (0: none), for "Process PROG created; pid = N".
  pid_t pid() const { return pid_; }
  // The process died while stopped (killed from outside); the client learns it at its next resume.
  bool exit_unreported() const { return exit_unreported_; }
  // A message for a person about the last failed launch/attach through ProcessControl.
  const std::string& last_error() const { return last_error_; }
  std::expected<StopEvent, std::string> start_launch(const LaunchSpec& spec);
  std::expected<StopEvent, std::string> start_attach(pid_t pid);

  ProcessControl* process_control() override { return this; }
  SignalControl* signal_control() override { return this; }
  XferObjects* xfer_objects() override { return this; }
  // vFile: the stub supplies the HostIO (targets/hostfs, with its --vfile policy); nullptr: none.
  void set_host_io(HostIO* files) { host_io_ = files; }
  HostIO* host_io() override { return host_io_; }
  ReportedEvents reportable_events() const override { return {true, true, true, true}; }
  void set_reported_events(const ReportedEvents& events) override { reported_ = events; }

  // Target
  MemoryAccess& memory() override { return *this; }
  RegisterAccess& registers() override { return *this; }
  std::vector<ThreadId> threads() override;
  std::string thread_name(ThreadId thread) override;
  std::optional<StopEvent> current_stop() override { return current_stop_; }
  std::error_code resume(std::span<const ResumeAction> actions) override;
  std::error_code interrupt() override;
  std::error_code detach() override;
  std::error_code kill() override;
  void set_stop_listener(StopListener* listener) override { listener_ = listener; }
  bool attached() const override { return pid_ != 0 && !launched_; }
  bool can_range_step() const override { return true; }
  BreakpointControl* breakpoints() override { return this; }
  MemoryRegions* memory_regions() override { return this; }
  MemoryAllocator* memory_allocator() override { return &allocator_; }  // lldb's _M/_m (inferior_mmap.cpp)
  NonStopControl* non_stop() override { return this; }

  // ProcessControl
  std::expected<StopEvent, std::error_code> launch(const LaunchRequest& request) override;
  std::expected<StopEvent, std::error_code> attach(std::int64_t pid) override;
  std::error_code kill_process(std::int64_t pid) override;
  std::optional<LaunchRequest> initial_launch() const override { return initial_; }
  std::error_code detach_process(std::int64_t pid) override;
  std::error_code select_process(std::int64_t pid) override;

  // SignalControl
  void set_pass_signals(std::vector<int> gdb_signals) override;
  void set_program_signals(std::vector<int> gdb_signals) override;
  std::error_code set_catch_syscalls(std::optional<std::vector<int>> syscalls) override;

 private:
  enum class RunState { no_process, stopped, running };

  // MemoryAccess
  Transfer read_virtual(Addr addr, std::span<std::byte> out) override;
  Transfer write_virtual(Addr addr, std::span<const std::byte> data) override;
  // RegisterAccess
  const TargetDescription& description() const override;
  std::error_code read_register(ThreadId thread, unsigned regnum, std::span<std::byte> out) override;
  std::error_code write_register(ThreadId thread, unsigned regnum, std::span<const std::byte> value) override;
  // BreakpointControl
  bool supports(BreakpointKind kind) const override;
  std::error_code insert(BreakpointKind kind, Addr addr, std::size_t length) override;
  std::error_code remove(BreakpointKind kind, Addr addr, std::size_t length) override;
  std::error_code apply_debug_registers();
  // MemoryRegions
  std::vector<MemoryRegion> regions() override;
  // NonStopControl, and non-stop mode's own paths through the event loop (ptrace_non_stop.cpp)
  bool enabled() const override { return non_stop_; }
  std::error_code set_non_stop(bool on) override;
  void stop_all_and_leave() override;
  std::vector<StopEvent> stopped_threads() override;
  bool handle_event_non_stop(Thread& t, int status);
  std::error_code resume_non_stop(std::span<const ResumeAction> actions);
  void resume_thread_non_stop(Thread& t, const ResumeAction& action);
  std::error_code interrupt_non_stop();
  void request_stop(Thread& t, int gdb_signal);
  void report_thread(Thread& t, ThreadEvent event);
  void post_thread_report(Thread& t, ThreadEvent event);
  void deliver_thread_report(pid_t tid);
  std::vector<pid_t> pause_running();
  void unpause(const std::vector<pid_t>& paused);
  void update_run_state();
  bool undo_removed_breakpoint_trap(Thread& t, const ThreadEvent& event);
  // MemoryAllocator: a stopped thread to run mmap/munmap in (inferior_mmap.cpp)
  std::expected<SyscallSite, std::error_code> syscall_site();
  // XferObjects (ptrace_xfer.cpp)
  std::vector<Object> objects() const override;
  std::expected<std::string, std::error_code> read(std::string_view name, std::string_view annex) override;
  std::expected<std::size_t, std::error_code> write(std::string_view name, std::string_view annex,
                                                    std::uint64_t offset, std::span<const std::byte> data) override;
  Thread* siginfo_thread();

  // A fork child kept traced (fork events reported): a process of its own, with its own memory
  // and its copy of the parent's int3s. Its threads are in threads_ with their pid.
  struct ForkChild {
    explicit ForkChild(pid_t p) : pid(p) {}
    pid_t pid;
    ProcMemory memory;
    SoftwareBreakpoints software{memory};
  };
  SoftwareBreakpoints& software_of(pid_t pid);
  SoftwareBreakpoints& selected_software() { return software_of(selected_); }
  ProcMemory& memory_of(pid_t pid);
  void promote_child();
  void detach_threads_of(pid_t pid, bool clear_debug_registers);

  // Process lifetime (ptrace_target.cpp)
  std::error_code adopt(pid_t pid, const std::vector<pid_t>& tids, bool launched);
  void mark_process_gone(std::optional<StopEvent> final_state);
  Thread* thread_for(ThreadId thread);
  void reap_all_after_kill();

  // The event loop (ptrace_events.cpp)
  void arm_sigchld();
  void on_sigchld();
  bool died_while_stopped();  // true when the process is gone, its exit not yet told (waits <= 100 ms)
  bool handle_event(Thread& t, int status);
  Classified classify(Thread& t, int status);
  Classified classify_trap(Thread& t);
  Classified classify_queued_trap(Thread& t);
  void note_queued_trap(Thread& t);
  Classified classify_exec(Thread& t);
  void release_fork_child(pid_t child, bool vfork);
  Classified classify_fork(Thread& t, int event);
  Classified classify_syscall(Thread& t);
  Classified classify_exit(Thread& t, int status);
  void child_process_exit(pid_t pid);
  bool wait_leader(Thread& leader);
  void adopt_clone(pid_t new_tid, pid_t pid);
  void absorb(Thread& t, int status);
  void stop_all(pid_t except);
  bool report_now(pid_t tid, ThreadEvent event);
  void resume_same(Thread& t, int linux_signal = 0);
  void resume_ptrace(Thread& t, int linux_signal);
  int deliverable(int linux_signal) const;
  StopEvent stop_event(const Thread& t, int gdb_signal, StopReason reason) const;

  // Running (ptrace_resume.cpp)
  struct Planned {
    Thread* thread;
    ResumeAction action;
  };
  std::expected<std::vector<Planned>, std::error_code> plan(std::span<const ResumeAction> actions);
  void step_over(Thread& t, const ResumeAction& action);
  void start(Thread& t, const ResumeAction& action);
  void post_report(pid_t tid, ThreadEvent event);
  void post_quick_wait(pid_t tid);
  void quick_wait(std::uint64_t generation, pid_t tid);
  bool step_is_quick(Thread& t);
  void deliver_posted(std::uint64_t generation, pid_t tid, const ThreadEvent& event);

  asio::io_context& io_;
  asio::signal_set sigchld_;
  StopListener* listener_ = nullptr;
  HostIO* host_io_ = nullptr;

  RunState state_ = RunState::no_process;  // in non-stop mode: running while any thread runs
  bool non_stop_ = false;
  bool no_resumed_told_ = false;  // non-stop: `N` sent, nothing resumed since
  // Non-stop: int3s removed while threads ran. A thread may have executed one just before; its
  // SIGTRAP then belongs to no breakpoint and must be undone, not reported (emptied whenever
  // no thread runs).
  std::set<Addr> removed_while_running_;
  pid_t pid_ = 0;
  bool launched_ = false;
  bool exit_unreported_ = false;   // the process died while stopped: told at the next resume
  bool interrupt_requested_ = false;
  ThreadList threads_;
  ProcMemory memory_;
  SoftwareBreakpoints software_{memory_};
  DebugRegisters hardware_;
  InferiorMmap allocator_{[this] { return syscall_site(); }};
  std::optional<StopEvent> current_stop_;
  std::optional<LaunchRequest> initial_;
  std::set<int> pass_signals_;  // Linux numbers
  std::optional<std::set<int>> program_signals_;  // Linux numbers; nullopt: every signal
  std::optional<std::set<int>> catch_syscalls_;   // nullopt: none; empty: every syscall
  ReportedEvents reported_;
  std::map<pid_t, std::unique_ptr<ForkChild>> children_;
  // Exits found while stopping everything (a thread's `w`, a kept child's exit): no thread is
  // left to hold them, so they wait here and are reported one per resume, before anything runs.
  std::vector<StopEvent> orphan_events_;
  pid_t selected_ = 0;  // the process memory and breakpoints apply to (0 or pid_: the main one)
  std::string last_error_;
  // Bumped by every resume, kill and detach, so a posted stop from an earlier run is dropped.
  std::uint64_t generation_ = 0;
  // Lets posted callbacks notice that the target is gone (they may outlive it on the loop).
  std::shared_ptr<PtraceTarget*> self_ = std::make_shared<PtraceTarget*>(this);
};

std::expected<std::unique_ptr<PtraceTarget>, std::string> make_ptrace_target(asio::io_context& io,
                                                                            PtraceOptions options);

}  // namespace remora::targets::ptrace
