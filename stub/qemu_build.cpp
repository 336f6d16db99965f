// Builds the QEMU proxy target: connect to a running QEMU's gdbstub, or start qemu-user.
#include <expected>
#include <memory>
#include <string>

#include "stub/targets.hpp"
#include "targets/qemu/qemu_target.hpp"

namespace remora::stub {

std::expected<BuiltTarget, std::string> build_qemu(asio::io_context& io, const Options& options,
                                                   const Console& console) {
  namespace q = targets::qemu;
  q::QemuOptions qemu;
  qemu.timeout = options.qemu.timeout;
  qemu.monitor_passthrough = options.qemu.monitor;
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
  built.target = std::move(target);
  return built;
}

}  // namespace remora::stub
