// The emulated Target: wires the address space, register file, CPU, breakpoints and monitor to
// the seam, and owns the run state (stopped / running / no process).
#include "targets/emulated/emulated_target.hpp"

#include "targets/arch/amd64.hpp"
#include "targets/emulated/allocator.hpp"
#include "targets/emulated/breakpoint_table.hpp"
#include "targets/emulated/cpu.hpp"
#include "targets/emulated/layout.hpp"
#include "targets/emulated/monitor.hpp"
#include "targets/emulated/register_file.hpp"

namespace remora::targets::emulated {
namespace {

constexpr ThreadId kThread{1, 1};

StopEvent stop_at_thread(int signal, StopReason reason) {
  StopEvent e;
  e.kind = StopKind::stopped;
  e.thread = kThread;
  e.signal = signal;
  e.reason = reason;
  return e;
}

StopEvent stop_for(Outcome outcome) {
  switch (outcome) {
    case Outcome::executed:
    case Outcome::left_range: return stop_at_thread(gdb_signal::trap, StopReason::step);
    case Outcome::int3: return stop_at_thread(gdb_signal::trap, StopReason::signal);
    case Outcome::segv: return stop_at_thread(gdb_signal::segv, StopReason::signal);
    case Outcome::breakpoint: return stop_at_thread(gdb_signal::trap, StopReason::breakpoint);
    case Outcome::hw_breakpoint: return stop_at_thread(gdb_signal::trap, StopReason::hw_breakpoint);
    case Outcome::spin: break;  // never a stop: the CPU keeps running
  }
  return stop_at_thread(gdb_signal::int_, StopReason::interrupt);
}

// Every emulated target describes the same machine. Building the description (the register table
// and all its XML) was two thirds of making a target, which the session fuzzer does per input.
const TargetDescription& shared_description() {
  static const TargetDescription description = amd64_description({.linux_regs = true, .segments_base = true});
  return description;
}

class EmulatedTarget final : public Target, private MemoryAccess, private RegisterAccess, private MemoryRegions {
 public:
  EmulatedTarget(Layout layout, Post post)
      : space_(std::move(layout.space)),
        desc_(shared_description()),
        regs_(desc_),
        monitor_(space_),
        post_(std::move(post)) {
    reset_amd64(regs_, desc_, layout.entry, layout.rsp);
    stop_ = stop_at_thread(gdb_signal::trap, StopReason::signal);
  }

  MemoryAccess& memory() override { return *this; }
  RegisterAccess& registers() override { return *this; }
  BreakpointControl* breakpoints() override { return &breakpoints_; }
  MemoryRegions* memory_regions() override { return this; }
  MonitorCommands* monitor() override { return &monitor_; }
  MemoryAllocator* memory_allocator() override { return &allocator_; }

  std::vector<ThreadId> threads() override {
    if (state_ == State::no_process) return {};
    return {kThread};
  }
  std::string thread_name(ThreadId t) override { return t == kThread ? "emulated" : ""; }
  std::optional<StopEvent> current_stop() override { return stop_; }
  void set_stop_listener(StopListener* listener) override { listener_ = listener; }

  std::error_code resume(std::span<const ResumeAction> actions) override;
  std::error_code interrupt() override;
  // The emulated machine outlives its debugger, like a QEMU guest: detaching removes the
  // client's breakpoints and leaves the machine stopped where it is for the next client.
  std::error_code detach() override {
    if (state_ == State::no_process) return errc::no_process;
    breakpoints_.clear();
    if (state_ == State::running) {
      ++generation_;
      spinning_ = false;
      state_ = State::stopped;
    }
    return {};
  }
  bool attached() const override { return true; }
  std::error_code kill() override {
    StopEvent killed;
    killed.kind = StopKind::terminated;
    killed.thread = kThread;
    killed.signal = gdb_signal::kill;
    return end_process(killed);
  }

 private:
  enum class State { stopped, running, no_process };

  // MemoryAccess. Memory stays readable while running: the CPU never writes memory, and a
  // non-stop client may read it then.
  Transfer read_virtual(Addr addr, std::span<std::byte> out) override {
    if (state_ == State::no_process) return {0, errc::no_process};
    return space_.read(addr, out);
  }
  Transfer write_virtual(Addr addr, std::span<const std::byte> data) override {
    if (state_ == State::no_process) return {0, errc::no_process};
    return space_.write(addr, data);
  }

  // RegisterAccess
  const TargetDescription& description() const override { return desc_; }
  std::error_code read_register(ThreadId thread, unsigned regnum, std::span<std::byte> out) override {
    if (auto ec = check_thread(thread)) return ec;
    return regs_.read(regnum, out);
  }
  std::error_code write_register(ThreadId thread, unsigned regnum, std::span<const std::byte> value) override {
    if (auto ec = check_thread(thread)) return ec;
    return regs_.write(regnum, value);
  }

  // MemoryRegions
  std::vector<MemoryRegion> regions() override {
    std::vector<MemoryRegion> out;
    for (const auto& r : space_.regions()) {
      const auto& s = r.spec();
      out.push_back({s.start, s.size, s.readable, s.writable, s.executable, s.name});
    }
    return out;
  }

  std::error_code check_thread(ThreadId thread) const {
    if (state_ == State::no_process) return errc::no_process;
    if (!thread.selects(kThread)) return errc::no_such_thread;
    if (state_ == State::running) return errc::target_running;
    return {};
  }

  std::expected<const ResumeAction*, std::error_code> pick_action(std::span<const ResumeAction> actions) const;
  void start(const ResumeAction& action);
  void post_stop(StopEvent event);
  void deliver(std::uint64_t generation, const StopEvent& event);
  std::error_code end_process(std::optional<StopEvent> final_state);

  AddressSpace space_;
  RegionAllocator allocator_{space_};  // lldb's _M / _m: new regions in the gaps
  const TargetDescription& desc_;  // never changes: shared by every emulated target
  RegisterFile regs_;
  BreakpointTable breakpoints_;
  Monitor monitor_;
  Post post_;
  StopListener* listener_ = nullptr;

  State state_ = State::stopped;
  std::optional<StopEvent> stop_;
  bool spinning_ = false;
  int last_resume_signal_ = 0;  // recorded and ignored: the emulated CPU has no signal handlers
  // Bumped by every resume, kill and detach, so a posted stop from an earlier run is dropped.
  std::uint64_t generation_ = 0;
  // Lets posted callbacks notice that the target is gone (they may outlive it on the loop).
  std::shared_ptr<EmulatedTarget*> self_ = std::make_shared<EmulatedTarget*>(this);
};

// vCont actions match left to right; the first one that selects our thread applies.
std::expected<const ResumeAction*, std::error_code> EmulatedTarget::pick_action(
    std::span<const ResumeAction> actions) const {
  if (actions.empty()) return std::unexpected(make_error_code(errc::invalid_argument));
  const ResumeAction* chosen = nullptr;
  for (const auto& a : actions) {
    const bool wildcard = a.thread.is_all() || a.thread.is_any() || a.thread.pid == -1;
    if (!wildcard && !a.thread.selects(kThread)) return std::unexpected(make_error_code(errc::no_such_thread));
    if (chosen == nullptr && a.thread.selects(kThread)) chosen = &a;
  }
  return chosen;
}

std::error_code EmulatedTarget::resume(std::span<const ResumeAction> actions) {
  if (state_ == State::no_process) return errc::no_process;
  if (state_ == State::running) return errc::target_running;
  auto action = pick_action(actions);
  if (!action) return action.error();
  state_ = State::running;
  ++generation_;
  if (*action == nullptr) {
    // No action for our thread: it stays stopped. Report that at once (as gdbserver reports a
    // vCont;t with signal 0) so an all-stop client is not left waiting.
    post_stop(stop_at_thread(gdb_signal::none, StopReason::signal));
    return {};
  }
  last_resume_signal_ = (*action)->signal;
  start(**action);
  return {};
}

void EmulatedTarget::start(const ResumeAction& action) {
  const Addr rip = regs_.get(amd64::rip);
  CpuResult result{Outcome::executed, rip};
  switch (action.kind) {
    case ResumeKind::stop:
      post_stop(stop_at_thread(gdb_signal::none, StopReason::signal));
      return;
    case ResumeKind::step: result = execute_one(space_, rip); break;
    case ResumeKind::cont: result = run(space_, breakpoints_, rip, {}); break;
    case ResumeKind::range_step:
      // An empty or inverted range is a plain single step.
      result = action.range_start < action.range_end
                   ? run(space_, breakpoints_, rip, {true, action.range_start, action.range_end})
                   : execute_one(space_, rip);
      break;
  }
  regs_.set(amd64::rip, result.rip);
  if (result.outcome == Outcome::spin) {
    spinning_ = true;  // stays running until interrupt()
    return;
  }
  post_stop(stop_for(result.outcome));
}

std::error_code EmulatedTarget::interrupt() {
  if (state_ == State::no_process) return errc::no_process;
  // Stopped, or a stop already on its way: that stop answers the interrupt.
  if (state_ != State::running || !spinning_) return {};
  spinning_ = false;
  post_stop(stop_at_thread(gdb_signal::int_, StopReason::interrupt));
  return {};
}

// Stops are always delivered from the loop, never from inside the call that found them.
void EmulatedTarget::post_stop(StopEvent event) {
  std::weak_ptr<EmulatedTarget*> weak = self_;
  const std::uint64_t generation = generation_;
  post_([weak, generation, event = std::move(event)] {
    if (auto self = weak.lock()) (*self)->deliver(generation, event);
  });
}

void EmulatedTarget::deliver(std::uint64_t generation, const StopEvent& event) {
  if (generation != generation_ || state_ != State::running) return;
  state_ = State::stopped;
  stop_ = event;
  if (listener_ != nullptr) listener_->on_stop(event);
}

std::error_code EmulatedTarget::end_process(std::optional<StopEvent> final_state) {
  if (state_ == State::no_process) return errc::no_process;
  ++generation_;  // drops any stop still on its way: the target reports nothing more
  state_ = State::no_process;
  spinning_ = false;
  stop_ = std::move(final_state);
  return {};
}

}  // namespace

std::expected<std::unique_ptr<Target>, std::string> make_emulated_target(const EmulatedOptions& options,
                                                                         Post post) {
  if (!post) return std::unexpected("the emulated target needs a post function");
  auto layout = build_layout(options);
  if (!layout) return std::unexpected(layout.error());
  return std::make_unique<EmulatedTarget>(std::move(*layout), std::move(post));
}

}  // namespace remora::targets::emulated
