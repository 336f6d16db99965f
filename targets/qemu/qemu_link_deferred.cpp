// Requests that ride with the next one to QEMU (QemuLink::defer): breakpoints QEMU cannot refuse.
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>

#include "targets/api/errors.hpp"
#include "targets/qemu/qemu_link.hpp"

namespace remora::targets::qemu {

bool QemuLink::take_deferred_replies() {
  while (deferred_in_flight_ > 0 && !pending_.empty()) {
    auto taken = std::move(pending_.front().payload);
    pending_.erase(pending_.begin());
    --deferred_in_flight_;
    if (taken != "OK") {
      fail("QEMU refused a breakpoint request remora had already confirmed ('" + taken.substr(0, 20) + "')");
      return false;
    }
  }
  return true;
}

bool QemuLink::send_with_deferred(std::span<const std::string> payloads) {
  if (deferred_.empty()) return send_units(payloads);
  std::vector<std::string> all = std::move(deferred_);
  deferred_.clear();
  deferred_in_flight_ += all.size();
  all.insert(all.end(), payloads.begin(), payloads.end());
  return send_units(all);
}

std::error_code QemuLink::flush_deferred() {
  if (deferred_.empty()) return {};
  if (!alive_ || !send_with_deferred({})) return errc::backend_io;
  stats_.round_trips++;
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  for (;;) {
    std::optional<Reply> unexpected_reply;  // none can come: only the deferred ones are in flight
    if (!pump(unexpected_reply, true)) return errc::backend_io;
    if (deferred_in_flight_ == 0) return {};
    pollfd p{socket_.native_handle(), POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count())));
    if (ready == 0) {
      fail("QEMU did not answer a breakpoint request within " + std::to_string(timeout_.count()) + " ms");
      return errc::timeout;
    }
    if (ready < 0 && errno != EINTR) {
      fail(std::string("poll failed: ") + std::strerror(errno));
      return errc::backend_io;
    }
  }
}

}  // namespace remora::targets::qemu
