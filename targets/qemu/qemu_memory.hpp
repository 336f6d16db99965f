// Memory on the WriteVirtual contract over QEMU's `m`/`M`, which (in 7.2) are all-or-nothing
// per request, take at most PacketSize/2 bytes (`m` over 2 KiB answers E22), and — for `M`
// across pages — write the earlier pages and then answer E14, leaving the client unable to tell
// how much landed. remora never exceeds QEMU's limits; reads never cross a guest page; a write
// request that crosses one and is refused is redone within pages, and a failing chunk there is
// narrowed by halving, so the prefix that landed is known to the byte. Free of I/O: requests go through a callback (the link, or a fake in tests).
#pragma once
#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "targets/api/memory_access.hpp"

namespace remora::targets::qemu {

struct MemoryLimits {
  std::size_t packet_size = 0x1000;  // QEMU's PacketSize (qSupported)
  std::size_t page_size = 0x1000;    // guest page: no request crosses one
  std::size_t max_read() const;      // bytes per `m`
  std::size_t max_write() const;     // bytes per `M`
};

// Pipelining (targets/qemu/README.md): requests sent before the earlier ones are answered.
//  - reads: up to `read_window` `m` at a time, only where `may_read_ahead` says reading more than
//    asked is harmless (system mode: RAM/ROM); the answer is still the prefix up to the first
//    failing request.
//  - writes: up to `write_window` `M` at a time, and a request joins the window only if it touches
//    every page an earlier request of the window touches that is not proven writable in this
//    stop: if any earlier one fails, this one fails at that same page, so nothing after a fault
//    is written. A page is proven when an `M` covering it succeeded (until forget_proofs()).
struct Pipeline {
  std::size_t read_window = 1;   // 1: one request at a time
  std::size_t write_window = 1;
  std::function<bool(Addr, std::size_t)> may_read_ahead;  // empty: everywhere
};

// The guest's memory seen from outside QEMU (qemu-user: /proc/QEMUPID/mem at guest address +
// guest_base; qemu_host_memory.hpp). QEMU stays the judge of what the guest may access: remora
// moves bytes this way only in pages QEMU has just shown readable (a 1-byte `m`), and writes this
// way only where QEMU's own host mapping is writable as well (QEMU write-protects a page when it
// translates code from it, so a writable host page holds no translated code that a write would
// leave stale); everything else goes through `M`, which invalidates what QEMU translated.
class HostView {
 public:
  virtual ~HostView() = default;
  // How many bytes moved from the start (fewer: the host refused the rest).
  virtual std::size_t read(Addr guest, std::span<std::byte> out) = 0;
  virtual std::size_t write(Addr guest, std::span<const std::byte> data) = 0;
  // QEMU's host mapping of [guest, guest+length) is writable as of this stop.
  virtual bool host_writable(Addr guest, std::size_t length) = 0;
  virtual void ran() = 0;  // the guest ran: QEMU's mappings may have changed
};

struct HostViewStats {
  std::uint64_t bytes_read = 0;     // moved through the host view
  std::uint64_t bytes_written = 0;
  std::uint64_t probes = 0;         // 1-byte `m` that proved a page readable (or not)
  std::uint64_t pages_through_qemu = 0;  // written with `M` (not writable on the host side)
  bool disabled = false;            // a probe's byte differed from the host's: never used again
  std::uint64_t stops_not_allowed = 0;  // stops where the view was not to be used (threads)
};

class QemuMemory final : public MemoryAccess {
 public:
  using Reply = std::expected<std::string, std::error_code>;
  using Request = std::function<Reply(std::string_view)>;
  using Batch = std::function<std::vector<Reply>(std::span<const std::string>)>;
  QemuMemory(Request request, MemoryLimits limits, Batch batch = {})
      : request_(std::move(request)), batch_(std::move(batch)), limits_(limits) {}

  Transfer read_virtual(Addr addr, std::span<std::byte> out) override;
  Transfer write_virtual(Addr addr, std::span<const std::byte> data) override;
  void set_limits(MemoryLimits limits) { limits_ = limits; }
  const MemoryLimits& limits() const { return limits_; }
  void set_pipeline(Pipeline p) { pipeline_ = std::move(p); }
  // nullptr: everything through QEMU. The view must outlive this object or be reset first.
  // `allowed` is asked once per stop, before the view is first used in it (QemuTarget: only
  // while the guest has a single thread — QEMU 7.2 user mode leaves a guest's other threads
  // running while one is stopped, and they may map, unmap or have code translated at any time).
  void set_host_view(HostView* view, std::function<bool()> allowed = {}) {
    host_ = view;
    host_allowed_ = std::move(allowed);
  }
  bool host_view_active();
  const HostViewStats& host_stats() const { return host_stats_; }
  // The guest ran: no page is known writable any more.
  void forget_proofs() { proven_.clear(); }
  // A guess for the next stop: the first read of this stop (gdb looks at the same stack bytes
  // after every step). QemuTarget sends it in one window with the stop's `g`, and the bytes are
  // served until a write or the next run. Called when the guest runs.
  void ran();
  std::optional<std::string> guess_packet() const;  // the `m` to send with the stop's `g`
  void take_guess(const Reply& reply);

 private:
  struct Piece {
    Addr addr;
    std::size_t offset;  // into the caller's span
    std::size_t length;
  };
  // Sends `packets` (one request, or a pipelined window) and returns their replies in order.
  std::vector<Reply> send(const std::vector<std::string>& packets);
  std::error_code take_read(const Reply& reply, std::span<std::byte> out);
  std::error_code take_write(const Reply& reply);
  // The next window of writes from `offset` on, under the rule above.
  std::vector<Piece> plan_writes(Addr addr, std::size_t offset, std::size_t size) const;
  void prove(Addr addr, std::size_t length);
  // One request: the whole chunk or nothing.
  std::error_code read_chunk(Addr addr, std::span<std::byte> out);
  std::error_code write_chunk(Addr addr, std::span<const std::byte> data);
  // A refused write redone in requests that never cross a page.
  Transfer write_within_pages(Addr addr, std::span<const std::byte> data);
  // `data` did not go in whole: how long a prefix of it can be written (and was)?
  Transfer narrow(Addr addr, std::span<const std::byte> data, std::error_code first_error);
  std::size_t chunk_at(Addr addr, std::size_t left, std::size_t max) const;
  // Through QEMU's `m`/`M` only.
  Transfer read_through_qemu(Addr addr, std::span<std::byte> out);
  Transfer write_through_qemu(Addr addr, std::span<const std::byte> data);
  // Through the host view where QEMU allows it (see HostView).
  Transfer read_through_host(Addr addr, std::span<std::byte> out);
  Transfer write_through_host(Addr addr, std::span<const std::byte> data);
  // Probes (pipelined) every page of [addr, addr+size) not yet known this stop; a link error
  // comes back as the error. Afterwards probed_ knows each page up to the first unreadable one.
  std::error_code probe_pages(Addr addr, std::size_t size);

  Request request_;
  Batch batch_;
  MemoryLimits limits_;
  Pipeline pipeline_;
  std::set<Addr> proven_;  // page numbers an `M` succeeded in during this stop
  HostView* host_ = nullptr;
  std::function<bool()> host_allowed_;
  std::optional<bool> host_allowed_now_;  // asked in this stop
  HostViewStats host_stats_;
  // Page numbers QEMU was asked to read during this stop: no error = readable.
  std::map<Addr, std::error_code> probed_;
  struct Range {
    Addr addr = 0;
    std::size_t length = 0;
  };
  std::optional<Range> first_read_;  // this stop's
  std::optional<Range> guess_;       // the previous stop's first read
  std::optional<Range> prefetched_;  // guess_, read at this stop, in prefetch_
  std::vector<std::byte> prefetch_;
};

// QEMU's `Enn` (errno values) as remora's errors; a dead link stays backend_io/timeout.
std::error_code memory_error_from_reply(std::string_view reply);

}  // namespace remora::targets::qemu
