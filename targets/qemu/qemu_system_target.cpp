// The QEMU target's system-mode parts: QEMU's own packets passed through (qqemu.*, Qqemu.*,
// bs/bc), PhyMemMode kept in step, and the read-only monitor queries behind SystemMemory.
#include "rsp/codec.hpp"
#include "targets/api/errors.hpp"
#include "targets/qemu/qemu_target.hpp"

namespace remora::targets::qemu {

std::expected<std::string, std::error_code> QemuTarget::forward(std::string_view packet) {
  if (running_ || stop_posted_) return std::unexpected(make_error_code(errc::target_running));
  auto reply = request(packet);
  if (!reply) return reply;
  // Physical mode changes what every address means: SystemMemory::view() follows physical_, and
  // the cache above drops what it holds when the view changes.
  constexpr std::string_view phy = "Qqemu.PhyMemMode:";
  if (packet.starts_with(phy) && *reply == "OK") physical_ = packet.substr(phy.size()) == "1";
  return reply;
}

// As resume() does, but QEMU runs backwards through its replay log. QEMU answers E14 at once
// when it cannot (no snapshot to go back to, or at the start of the log): that reply arrives as
// the "stop" and is reported as a stop whose description carries it.
std::error_code QemuTarget::reverse(bool step) {
  if (running_ || stop_posted_) return errc::target_running;
  if (!link_.alive()) return errc::no_process;
  if (!features_.reverse) return errc::not_supported;
  if (auto ec = link_.send_only(step ? "bs" : "bc")) return ec;
  stepping_.clear();
  blocks_.clear();
  selected_.reset();
  running_ = true;
  interrupt_requested_ = false;
  link_.wait_async([this](QemuLink::Reply reply) { on_stop_reply(std::move(reply)); });
  return {};
}

std::optional<std::string> QemuTarget::monitor_query(std::string_view command) {
  if (running_ || !link_.alive()) return std::nullopt;
  std::string console;
  auto reply = link_.request("qRcmd," + rsp::to_hex(command), &console);
  if (!reply || *reply != "OK") return std::nullopt;
  return console;
}

// QEMU keeps PhyMemMode across debugger connections (a previous client may have left it on), and
// the RAM map decides where the cache may read more than the client asked.
void QemuTarget::probe_system() {
  if (auto mode = request("qqemu.PhyMemMode"); mode && (*mode == "0" || *mode == "1")) physical_ = *mode == "1";
  if (auto mtree = monitor_query("info mtree -f")) system_memory_.set_ram(parse_mtree_ram(*mtree));
}

}  // namespace remora::targets::qemu
