// Builds the QEMU proxy target: connect to a running QEMU's gdbstub, or start qemu-user.
#include <expected>
#include <memory>
#include <string>

#include "stub/targets.hpp"
#include "targets/qemu/qemu_target.hpp"

namespace remora::stub {
namespace {

// QEMU dying under the proxy (killed, crashed): one console line naming it as soon as a request
// finds the link dead, and once the client has been told (the X stop reply of its resume) remora's
// work is done: nothing is left to debug, and QEMU serves one debugger link for its life. A kill
// the client asked for (k) is not a death: the stub goes on as before.
class QemuWatch final : public ProcessObserver {
 public:
  QemuWatch(targets::qemu::QemuTarget& target, Console console) : target_(target), console_(std::move(console)) {}

  void after_session_call() override {
    if (lost_ || target_.link_alive()) return;
    auto stop = target_.current_stop();
    if (stop && stop->kind != targets::StopKind::stopped && !stop->description.starts_with("lost QEMU")) return;
    report(target_.link_death().empty() ? std::string("link closed") : target_.link_death());
  }
  void on_stop(const targets::StopEvent& event) override {
    if (!event.description.starts_with("lost QEMU: ")) return;
    if (!lost_) report(event.description.substr(11));
    told_ = true;
  }
  bool work_done() const override { return told_; }
  void at_exit() override {}

 private:
  void report(const std::string& why) {
    lost_ = true;
    const pid_t pid = target_.qemu_pid();
    console_("remora: lost QEMU" + (pid ? " (pid " + std::to_string(pid) + ")" : std::string()) + ": " + why +
             "; nothing left to debug, exiting");
  }

  targets::qemu::QemuTarget& target_;
  Console console_;
  bool lost_ = false;  // the console line was printed
  bool told_ = false;  // the client got the stop reply that ends the guest
};

}  // namespace

std::expected<BuiltTarget, std::string> build_qemu(asio::io_context& io, const Options& options,
                                                   const Console& console) {
  namespace q = targets::qemu;
  q::QemuOptions qemu;
  qemu.timeout = options.qemu.timeout;
  qemu.monitor_passthrough = options.qemu.monitor;
  qemu.host_memory = options.qemu.host_memory;
  if (options.target == TargetKind::qemu_user) {
    q::UserLaunch launch;
    launch.qemu = options.qemu.binary;
    launch.program = options.program.front();
    launch.args.assign(options.program.begin() + 1, options.program.end());
    qemu.launch = std::move(launch);
  } else {
    qemu.endpoint.host = options.qemu.host;
    qemu.endpoint.port = options.qemu.port;
    qemu.endpoint.unix_path = options.qemu.unix_path;
  }
  auto target = std::make_unique<q::QemuTarget>(io, std::move(qemu));
  if (auto started = target->start(); !started) return std::unexpected("remora: " + started.error() + "\nExiting");
  const auto& f = target->features();
  if (target->qemu_pid() != 0)
    console("remora: started " + options.qemu.binary + " (pid " + std::to_string(target->qemu_pid()) + ") for " +
            options.program.front());
  console("remora: QEMU gdbstub: PacketSize " + std::to_string(f.packet_size) + ", vCont" +
          (f.vcont ? f.vcont_actions : std::string(" no")) + ", watchpoints " + (f.watchpoints ? "yes" : "no"));
  BuiltTarget built;
  built.watch = std::make_unique<QemuWatch>(*target, console);
  built.target = std::move(target);
  return built;
}

}  // namespace remora::stub
