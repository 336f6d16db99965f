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
#include "targets/qemu/qemu_user.hpp"

namespace remora::targets::qemu {

struct QemuOptions {
  Endpoint endpoint;                  // connect mode: a QEMU started with -gdb / -g
  std::optional<UserLaunch> launch;   // qemu-user mode: remora starts QEMU itself
  std::chrono::milliseconds timeout{5000};  // for every request to QEMU (and for connecting)
  std::size_t page_size = 0x1000;
  bool monitor_passthrough = false;   // --qemu-monitor: qRcmd reaches QEMU's monitor
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
};

class QemuTarget final : public Target, private RegisterAccess, private BreakpointControl, private MonitorCommands {
 public:
  QemuTarget(asio::io_context& io, QemuOptions options);
  ~QemuTarget() override;  // kills a QEMU remora started (and reaps only that child)
  QemuTarget(const QemuTarget&) = delete;
  QemuTarget& operator=(const QemuTarget&) = delete;

  // Connects (or launches and connects) and probes. The error is for a person.
  std::expected<void, std::string> start();

  MemoryAccess& memory() override { return memory_; }
  RegisterAccess& registers() override { return *this; }
  std::vector<ThreadId> threads() override { return threads_; }
  std::optional<StopEvent> current_stop() override { return current_stop_; }
  std::error_code resume(std::span<const ResumeAction> actions) override;
  std::error_code interrupt() override;
  std::error_code detach() override;
  std::error_code kill() override;
  void set_stop_listener(StopListener* listener) override { listener_ = listener; }
  bool attached() const override { return !launched_.has_value(); }
  BreakpointControl* breakpoints() override { return this; }
  MonitorCommands* monitor() override { return this; }

  const QemuFeatures& features() const { return features_; }
  const LinkStats& link_stats() const { return link_.stats(); }
  pid_t qemu_pid() const { return launched_ ? launched_->pid : 0; }

 private:
  // RegisterAccess
  const TargetDescription& description() const override { return desc_; }
  std::error_code read_register(ThreadId thread, unsigned regnum, std::span<std::byte> out) override;
  std::error_code write_register(ThreadId thread, unsigned regnum, std::span<const std::byte> value) override;
  // BreakpointControl
  bool supports(BreakpointKind kind) const override;
  std::error_code insert(BreakpointKind kind, Addr addr, std::size_t length) override;
  std::error_code remove(BreakpointKind kind, Addr addr, std::size_t length) override;
  // MonitorCommands
  std::vector<Command> commands() const override;
  std::optional<std::string> run(std::string_view command_line, std::error_code& error) override;

  // Probing (qemu_probe.cpp)
  std::expected<void, std::string> probe();
  std::expected<std::string, std::string> read_annex(std::string_view annex);
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
  std::error_code stop_in_place(ThreadId thread);
  void reap(bool force);

  QemuLink::Reply request(std::string_view payload) { return link_.request(payload); }

  asio::io_context& io_;
  QemuOptions options_;
  QemuLink link_;
  QemuMemory memory_;
  QemuFeatures features_;
  TargetDescription desc_;
  std::size_t g_bytes_ = 0;  // size of QEMU's `g` block
  std::optional<LaunchedQemu> launched_;

  std::vector<ThreadId> threads_;
  std::optional<StopEvent> current_stop_;
  std::optional<ThreadId> selected_;  // what QEMU's Hg points at
  struct Block {
    std::vector<std::byte> bytes;
    std::vector<bool> available;  // per byte: QEMU sent "xx" where false
  };
  std::map<std::int64_t, Block> blocks_;  // per tid, this stop's `g`
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
