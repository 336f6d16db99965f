// Memory on the WriteVirtual contract over QEMU's `m`/`M`, which (in 7.2) are all-or-nothing
// per request, take at most PacketSize/2 bytes (`m` over 2 KiB answers E22), and — for `M`
// across pages — write the earlier pages and then answer E14, leaving the client unable to tell
// how much landed. remora never exceeds QEMU's limits; reads never cross a guest page; a write
// request that crosses one and is refused is redone within pages, and a failing chunk there is
// narrowed by halving, so the prefix that landed is known to the byte. Free of I/O: requests go through a callback (the link, or a fake in tests).
#pragma once
#include <cstddef>
#include <expected>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "targets/api/memory_access.hpp"

namespace remora::targets::qemu {

struct MemoryLimits {
  std::size_t packet_size = 0x1000;  // QEMU's PacketSize (qSupported)
  std::size_t page_size = 0x1000;    // guest page: no request crosses one
  std::size_t max_read() const;      // bytes per `m`
  std::size_t max_write() const;     // bytes per `M`
};

class QemuMemory final : public MemoryAccess {
 public:
  using Request = std::function<std::expected<std::string, std::error_code>(std::string_view)>;
  QemuMemory(Request request, MemoryLimits limits) : request_(std::move(request)), limits_(limits) {}

  Transfer read_virtual(Addr addr, std::span<std::byte> out) override;
  Transfer write_virtual(Addr addr, std::span<const std::byte> data) override;
  void set_limits(MemoryLimits limits) { limits_ = limits; }
  const MemoryLimits& limits() const { return limits_; }

 private:
  // One request: the whole chunk or nothing.
  std::error_code read_chunk(Addr addr, std::span<std::byte> out);
  std::error_code write_chunk(Addr addr, std::span<const std::byte> data);
  // A refused write redone in requests that never cross a page.
  Transfer write_within_pages(Addr addr, std::span<const std::byte> data);
  // `data` did not go in whole: how long a prefix of it can be written (and was)?
  Transfer narrow(Addr addr, std::span<const std::byte> data, std::error_code first_error);
  std::size_t chunk_at(Addr addr, std::size_t left, std::size_t max) const;

  Request request_;
  MemoryLimits limits_;
};

// QEMU's `Enn` (errno values) as remora's errors; a dead link stays backend_io/timeout.
std::error_code memory_error_from_reply(std::string_view reply);

}  // namespace remora::targets::qemu
