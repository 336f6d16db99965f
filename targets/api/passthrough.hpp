// Packets a backend forwards verbatim to the stub it fronts (the QEMU proxy: QEMU's own
// `qqemu.*`/`Qqemu.*` family), and reverse execution (`bs`/`bc`) where that stub offers it.
#pragma once
#include <expected>
#include <string>
#include <string_view>
#include <system_error>

namespace remora::targets {

class PacketPassthrough {
 public:
  virtual ~PacketPassthrough() = default;
  // Sends `packet` (the whole payload, e.g. "qqemu.sstep") and returns the reply unchanged; the
  // error is for a link that failed. The backend keeps its own state in step (PhyMemMode).
  virtual std::expected<std::string, std::error_code> forward(std::string_view packet) = 0;
  // Reverse step / continue: offered (ReverseStep+/ReverseContinue+) only when this is true.
  virtual bool can_reverse() const { return false; }
  // Starts a reverse step or continue; the stop (or the stub's refusal, as a stop) arrives
  // through the StopListener like any resume's.
  virtual std::error_code reverse(bool step) {
    (void)step;
    return std::make_error_code(std::errc::operation_not_supported);
  }
};

}  // namespace remora::targets
