// The QEMU gdbstub proxy: a targets::Target that is a client of QEMU's own stub. remora serves
// the full protocol to its clients (no-ack mode, 256 KiB packets, X, p/P, lldb's packets, exact
// partial writes, ^C in user mode) and speaks to QEMU only in what this QEMU understands.
#pragma once
#include <sys/types.h>

#include <asio/io_context.hpp>
#include <chrono>
#include <expected>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "targets/api/target.hpp"
#include "targets/qemu/qemu_link.hpp"
#include "targets/qemu/qemu_memory.hpp"
#include "targets/qemu/qemu_system.hpp"
#include "targets/qemu/qemu_user.hpp"

namespace remora::targets::qemu {

struct QemuOptions {
  Endpoint endpoint;                  // connect mode: a QEMU started with -gdb / -g
  std::optional<UserLaunch> launch;   // qemu-user mode: remora starts QEMU itself
  std::chrono::milliseconds timeout{5000};  // for every request to QEMU (and for connecting)
  std::size_t page_size = 0x1000;
  bool monitor_passthrough = false;   // --qemu-monitor: qRcmd reaches QEMU's monitor
  bool host_memory = true;  // qemu-user: guest memory through /proc/QEMUPID/mem where QEMU allows
};

// What the probe found out about this QEMU (tests and `monitor qemu-stats` show it).
struct QemuFeatures {
  std::size_t packet_size = 0x1000;
  bool multiprocess = false;
  bool vcont = false;
  bool watchpoints = false;  // Z2..Z4 (system mode TCG; not user mode)
  bool p_packet = true;      // P accepted (else G)
  bool attached = true;
  std::string vcont_actions;
  bool system_mode = false;  // no qXfer:auxv (user mode only): qemu-system-*
  bool reverse = false;      // ReverseStep+/ReverseContinue+ (system mode, -icount rr=replay)
};

class QemuTarget final : public Target,
                         private RegisterAccess,
                         private BreakpointControl,
                         private MonitorCommands,
                         private MemoryRegions,
                         private PacketPassthrough {
 public:
  QemuTarget(asio::io_context& io, QemuOptions options);
  ~QemuTarget() override;  // kills a QEMU remora started (and reaps only that child)
  QemuTarget(const QemuTarget&) = delete;
  QemuTarget& operator=(const QemuTarget&) = delete;

  // Connects (or launches and connects) and probes. The error is for a person.
  std::expected<void, std::string> start();

  // System mode: through the client's vCPU, RAM known for the cache (qemu_system.hpp).
  MemoryAccess& memory() override {
    return features_.system_mode ? static_cast<MemoryAccess&>(system_memory_) : memory_;
  }
  RegisterAccess& registers() override { return *this; }
  std::vector<ThreadId> threads() override;  // QEMU's list, asked again once per stop when needed
  std::optional<StopEvent> current_stop() override { return current_stop_; }
  std::error_code resume(std::span<const ResumeAction> actions) override;
  std::error_code interrupt() override;
  std::error_code detach() override;
  std::error_code kill() override;
  void set_stop_listener(StopListener* listener) override { listener_ = listener; }
  bool attached() const override { return !launched_.has_value(); }
  BreakpointControl* breakpoints() override { return this; }
  MonitorCommands* monitor() override { return this; }
  PacketPassthrough* passthrough() override { return this; }
  void set_memory_thread(ThreadId thread) override { memory_thread_ = thread; }
  // Page probing (qemu_regions.cpp), only for a QEMU remora started (user mode).
  MemoryRegions* memory_regions() override { return launched_ ? this : nullptr; }

  const QemuFeatures& features() const { return features_; }
  const LinkStats& link_stats() const { return link_.stats(); }
  const HostViewStats& host_memory_stats() const { return memory_.host_stats(); }
  pid_t qemu_pid() const { return launched_ ? launched_->pid : 0; }
  // Whether QEMU's link still works, and why it died (stub/qemu_build.cpp's console watch).
  bool link_alive() const { return link_.alive(); }
  const std::string& link_death() const { return link_.death(); }

 private:
  // RegisterAccess
  const TargetDescription& description() const override { return desc_; }
  std::error_code read_register(ThreadId thread, unsigned regnum, std::span<std::byte> out) override;
  std::error_code write_register(ThreadId thread, unsigned regnum, std::span<const std::byte> value) override;
  // BreakpointControl
  bool supports(BreakpointKind kind) const override;
  std::error_code insert(BreakpointKind kind, Addr addr, std::size_t length) override;
  std::error_code remove(BreakpointKind kind, Addr addr, std::size_t length) override;
  bool may_defer(BreakpointKind kind) const;
  // MonitorCommands
  std::vector<Command> commands() const override;
  std::optional<std::string> run(std::string_view command_line, std::error_code& error) override;
  // PacketPassthrough (qemu_system_target.cpp)
  std::expected<std::string, std::error_code> forward(std::string_view packet) override;
  bool can_reverse() const override { return features_.reverse; }
  std::error_code reverse(bool step) override;
  // System mode (qemu_system_target.cpp): PhyMemMode, the RAM map; read-only monitor queries.
  void probe_system();
  std::optional<std::string> monitor_query(std::string_view command);
  // MemoryRegions (qemu_regions.cpp): no table, only what probing around an address finds.
  std::vector<MemoryRegion> regions() override { return {}; }
  std::optional<MemoryRegion> region_at(Addr addr) override;
  bool whole_map() const override { return false; }
  enum class PageState { unmapped, read_only, read_write };
  PageState probe_page(Addr page);

  // Probing (qemu_probe.cpp)
  std::expected<void, std::string> probe();
  std::expected<std::string, std::string> read_xfer(std::string_view object, std::string_view annex);
  void setup_host_memory();
  void attach_host_memory(pid_t pid, const std::string& program, std::string_view auxv);
  std::expected<void, std::string> load_description();
  void refresh_threads();

  // Registers (qemu_target.cpp)
  ThreadId concrete(ThreadId thread) const;
  std::error_code select_thread(ThreadId thread);
  std::error_code load_block(ThreadId thread);
  std::optional<std::size_t> offset_of(unsigned regnum) const;

  // Running (qemu_run.cpp)
  void on_stop_reply(QemuLink::Reply reply);
  StopEvent parse_stop(std::string_view reply);
  void classify_trap(StopEvent& event, std::string_view reply);
  StopEvent link_lost();
  // QEMU died while the guest was stopped: the resume that finds out reports the end (gdb:
  // "Program terminated"), as a death while running is reported, instead of a bare error.
  std::error_code post_lost();
  std::error_code post_stop(StopEvent e);
  std::error_code stop_in_place(ThreadId thread);
  void reap(bool force);

  QemuLink::Reply request(std::string_view payload) { return link_.request(payload); }

  asio::io_context& io_;
  QemuOptions options_;
  QemuLink link_;
  QemuMemory memory_;
  SystemMemory system_memory_;
  ThreadId memory_thread_ = ThreadId::any();  // the client's Hg: memory goes through this vCPU
  bool physical_ = false;                     // qqemu.PhyMemMode
  QemuFeatures features_;
  TargetDescription desc_;
  std::size_t g_bytes_ = 0;  // size of QEMU's `g` block
  std::optional<LaunchedQemu> launched_;
  std::unique_ptr<HostView> host_memory_;  // qemu-user: /proc/QEMUPID/mem (qemu_host_memory.hpp)
  std::string host_memory_note_ = "off";

  std::vector<ThreadId> threads_;
  bool threads_stale_ = false;  // stopped since threads_ was read (read on demand: 2 round trips)
  std::optional<StopEvent> current_stop_;
  std::optional<ThreadId> selected_;  // what QEMU's Hg points at
  struct Block {
    std::vector<std::byte> bytes;
    std::vector<bool> available;  // per byte: QEMU sent "xx" where false
  };
  std::map<std::int64_t, Block> blocks_;  // per tid, this stop's `g`
  bool prefetch_armed_ = false;  // the stop's first `g` carries the memory guess (user mode)
  std::map<Addr, PageState> page_probes_;  // this stop's page probes (qMemoryRegionInfo)
  bool running_ = false;
  bool stop_posted_ = false;  // a vCont;t stop on its way through the loop
  bool interrupt_requested_ = false;
  std::set<std::int64_t> stepping_;
  std::map<std::tuple<int, Addr, std::size_t>, int> inserted_;  // refcounts of Z requests
  StopListener* listener_ = nullptr;
  std::shared_ptr<int> token_ = std::make_shared<int>(0);  // posted work checks it
};

// "p1.2" / "2" (QEMU's thread ids) in and out.
std::optional<ThreadId> parse_qemu_thread(std::string_view text);
std::string format_qemu_thread(ThreadId thread, bool multiprocess);

}  // namespace remora::targets::qemu
