// A Target that counts and times every call the Session makes through it (monitor stats).
// It forwards every Target member: a capability added to targets::Target must be forwarded here
// too, or sessions would not see it (tests/rsp/target_meter.cpp checks each accessor).
#pragma once
#include <chrono>

#include "rsp/session.hpp"
#include "targets/api/target.hpp"

namespace remora::rsp {

class MeteredTarget final : public targets::Target {
 public:
  // Counts into `stats` (see attach()).
  MeteredTarget(targets::Target& inner, TargetCallStats& stats);
  // Counts into `stats` from now on (the Session's stats are made after its meter).
  void attach(TargetCallStats& stats) { stats_ = &stats; }

  targets::MemoryAccess& memory() override { return memory_; }
  targets::RegisterAccess& registers() override { return registers_; }
  std::vector<targets::ThreadId> threads() override;
  std::string thread_name(targets::ThreadId thread) override { return inner_.thread_name(thread); }
  std::optional<targets::StopEvent> current_stop() override;
  std::error_code resume(std::span<const targets::ResumeAction> actions) override;
  std::error_code interrupt() override;
  std::error_code detach() override;
  std::error_code kill() override;
  void set_stop_listener(targets::StopListener* listener) override { inner_.set_stop_listener(listener); }
  bool attached() const override { return inner_.attached(); }
  bool can_range_step() const override { return inner_.can_range_step(); }
  targets::BreakpointControl* breakpoints() override { return inner_.breakpoints(); }
  targets::MemoryRegions* memory_regions() override { return inner_.memory_regions(); }
  targets::MonitorCommands* monitor() override { return inner_.monitor(); }
  targets::ProcessControl* process_control() override { return inner_.process_control(); }
  targets::SignalControl* signal_control() override { return inner_.signal_control(); }
  targets::XferObjects* xfer_objects() override { return inner_.xfer_objects(); }
  targets::HostIO* host_io() override { return inner_.host_io(); }
  targets::MemoryAllocator* memory_allocator() override { return inner_.memory_allocator(); }
  std::optional<std::string> working_directory() override { return inner_.working_directory(); }
  targets::ReportedEvents reportable_events() const override { return inner_.reportable_events(); }
  void set_reported_events(const targets::ReportedEvents& events) override { inner_.set_reported_events(events); }
  void set_memory_thread(targets::ThreadId thread) override { inner_.set_memory_thread(thread); }
  targets::PacketPassthrough* passthrough() override { return inner_.passthrough(); }
  targets::NonStopControl* non_stop() override { return inner_.non_stop(); }

  targets::Target& inner() { return inner_; }

 private:
  class Memory final : public targets::MemoryAccess {
   public:
    Memory(targets::Target& inner, TargetCallStats*& stats) : inner_(inner), stats_(stats) {}
    targets::Transfer read_virtual(targets::Addr addr, std::span<std::byte> out) override;
    targets::Transfer write_virtual(targets::Addr addr, std::span<const std::byte> data) override;
    targets::Transfer write_virtual_uncached(targets::Addr addr, std::span<const std::byte> data) override;
    targets::WritableHint writable_hint(targets::Addr addr, std::size_t length) override {
      return inner_.memory().writable_hint(addr, length);
    }
    std::uint64_t view() const override { return inner_.memory().view(); }
    bool may_read_ahead(targets::Addr addr, std::size_t length) override {
      return inner_.memory().may_read_ahead(addr, length);
    }

   private:
    targets::Target& inner_;
    TargetCallStats*& stats_;  // the owner's pointer: follows attach()
  };
  class Registers final : public targets::RegisterAccess {
   public:
    Registers(targets::Target& inner, TargetCallStats*& stats) : inner_(inner), stats_(stats) {}
    const targets::TargetDescription& description() const override { return inner_.registers().description(); }
    std::error_code read_register(targets::ThreadId thread, unsigned regnum, std::span<std::byte> out) override;
    std::error_code write_register(targets::ThreadId thread, unsigned regnum,
                                   std::span<const std::byte> value) override;

   private:
    targets::Target& inner_;
    TargetCallStats*& stats_;  // the owner's pointer: follows attach()
  };

  targets::Target& inner_;
  TargetCallStats* stats_;
  Memory memory_;
  Registers registers_;
};

}  // namespace remora::rsp
