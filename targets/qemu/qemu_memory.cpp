#include "targets/qemu/qemu_memory.hpp"

#include <algorithm>
#include <cstdlib>

#include "rsp/codec.hpp"
#include "targets/api/errors.hpp"
#include "targets/qemu/qemu_memory_packets.hpp"

namespace remora::targets::qemu {

using namespace detail;

std::size_t MemoryLimits::max_read() const { return std::max<std::size_t>(packet_size / 2, 1); }
std::size_t MemoryLimits::max_write() const {
  std::size_t room = packet_size > write_header_room * 2 ? packet_size - write_header_room : 32;
  return std::max<std::size_t>(room / 2 / 16 * 16, 1);
}

std::error_code memory_error_from_reply(std::string_view reply) {
  if (reply.empty()) return errc::not_supported;
  if (reply.size() >= 3 && reply[0] == 'E') {
    // QEMU answers E14 (EFAULT) for an address it cannot access and E22 (EINVAL) for a request
    // it refuses (too long); both mean "nothing of this request was moved".
    if (reply.substr(1, 2) == "22") return errc::invalid_argument;
    return errc::unmapped;
  }
  return errc::backend_io;
}

std::size_t QemuMemory::chunk_at(Addr addr, std::size_t left, std::size_t max) const {
  const Addr page = limits_.page_size;
  const Addr to_boundary = page - (addr % page);
  return static_cast<std::size_t>(std::min<Addr>({static_cast<Addr>(left), static_cast<Addr>(max), to_boundary}));
}


std::vector<QemuMemory::Reply> QemuMemory::send(const std::vector<std::string>& packets) {
  if (packets.size() > 1 && batch_) return batch_(packets);
  std::vector<Reply> replies;
  for (const auto& p : packets) replies.push_back(request_(p));
  return replies;
}

std::error_code QemuMemory::take_read(const Reply& reply, std::span<std::byte> out) {
  if (!reply) return reply.error();
  if (reply->size() != out.size() * 2) return memory_error_from_reply(*reply);
  if (!rsp::decode_hex_into(*reply, out)) return errc::backend_io;
  return {};
}

std::error_code QemuMemory::take_write(const Reply& reply) {
  if (!reply) return reply.error();
  if (*reply == "OK") return {};
  return memory_error_from_reply(*reply);
}

std::error_code QemuMemory::read_chunk(Addr addr, std::span<std::byte> out) {
  return take_read(request_(read_packet(addr, out.size())), out);
}

std::error_code QemuMemory::write_chunk(Addr addr, std::span<const std::byte> data) {
  auto ec = take_write(request_(write_packet(addr, data)));
  if (!ec) prove(addr, data.size());
  return ec;
}

void QemuMemory::prove(Addr addr, std::size_t length) {
  if (length == 0) return;
  if (proven_.size() > max_proven_pages) proven_.clear();  // only less pipelining, never unsound
  const Addr ps = limits_.page_size;
  const Addr last = addr + (length - 1) < addr ? ~Addr{0} : addr + (length - 1);
  for (Addr pg = addr / ps; pg <= last / ps; ++pg) proven_.insert(pg);
}

void QemuMemory::ran() {
  forget_proofs();
  probed_.clear();
  host_allowed_now_.reset();
  if (host_) host_->ran();
  guess_ = first_read_;
  first_read_.reset();
  prefetched_.reset();
}

std::optional<std::string> QemuMemory::guess_packet() const {
  if (!guess_) return std::nullopt;
  return read_packet(guess_->addr, guess_->length);
}

void QemuMemory::take_guess(const Reply& reply) {
  if (!guess_) return;
  prefetch_.resize(guess_->length);
  if (take_read(reply, prefetch_)) return;
  prefetched_ = guess_;
  // QEMU read it: its pages are readable in this stop (guesses never cross a page).
  probed_[guess_->addr / limits_.page_size] = {};
}

Transfer QemuMemory::read_virtual(Addr addr, std::span<std::byte> out) {
  if (!first_read_ && !out.empty() && out.size() <= chunk_at(addr, out.size(), limits_.max_read()))
    first_read_ = Range{addr, out.size()};
  // Read at this stop, and nothing written since: the same bytes QEMU would send now.
  if (prefetched_ && addr >= prefetched_->addr && out.size() <= prefetched_->length &&
      addr - prefetched_->addr <= prefetched_->length - out.size()) {
    std::copy_n(prefetch_.begin() + static_cast<std::ptrdiff_t>(addr - prefetched_->addr), out.size(), out.begin());
    return {out.size(), {}};
  }
  if (host_view_active()) return read_through_host(addr, out);
  return read_through_qemu(addr, out);
}

Transfer QemuMemory::write_virtual(Addr addr, std::span<const std::byte> data) {
  prefetched_.reset();
  if (host_view_active()) return write_through_host(addr, data);
  return write_through_qemu(addr, data);
}

Transfer QemuMemory::read_through_qemu(Addr addr, std::span<std::byte> out) {
  std::size_t window = batch_ ? std::max<std::size_t>(pipeline_.read_window, 1) : 1;
  // A pipelined request after a failing one has already been sent: only where reading more
  // than asked is harmless (never a device register in system mode).
  if (window > 1 && out.size() > chunk_at(addr, out.size(), limits_.max_read()) && pipeline_.may_read_ahead &&
      !pipeline_.may_read_ahead(addr, out.size()))
    window = 1;
  Transfer t;
  while (t.bytes < out.size()) {
    std::vector<Piece> pieces;
    std::vector<std::string> packets;
    for (std::size_t off = t.bytes; pieces.size() < window && off < out.size();) {
      const Addr at = addr + off;
      const std::size_t n = chunk_at(at, out.size() - off, limits_.max_read());
      pieces.push_back({at, off, n});
      packets.push_back(read_packet(at, n));
      off += n;
    }
    auto replies = send(packets);
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      // Chunks never cross a page, so a failed one means this page is unreadable: the prefix
      // before it is exactly the readable prefix (later replies of the window are dropped).
      if (auto ec = take_read(replies[i], out.subspan(pieces[i].offset, pieces[i].length))) {
        t.error = ec;
        return t;
      }
      t.bytes += pieces[i].length;
    }
  }
  return t;
}

// Full-size requests cross pages (about 2 per 4 KiB page, as gdb sends them, instead of 3 that
// stop at every boundary: restore was 1.5x slower that way). A request joins the window only if
// it covers every unproven page the window's earlier requests touch (see Pipeline).
std::vector<QemuMemory::Piece> QemuMemory::plan_writes(Addr addr, std::size_t offset, std::size_t size) const {
  const std::size_t window = batch_ ? std::max<std::size_t>(pipeline_.write_window, 1) : 1;
  const Addr ps = limits_.page_size;
  std::vector<Piece> pieces;
  bool unproven = false;
  Addr lo = 0;  // earlier requests' unproven pages all lie in [lo, hi]
  Addr hi = 0;
  while (pieces.size() < window && offset < size) {
    const Addr at = addr + offset;
    const std::size_t n = std::min(size - offset, limits_.max_write());
    const Addr first = at / ps;
    const Addr last = (at + (n - 1) < at ? ~Addr{0} : at + (n - 1)) / ps;
    if (!pieces.empty() && unproven && (lo < first || hi > last)) break;
    pieces.push_back({at, offset, n});
    for (Addr pg = first; pg <= last && pg >= first; ++pg) {
      if (proven_.contains(pg)) continue;
      lo = unproven ? std::min(lo, pg) : pg;
      hi = unproven ? std::max(hi, pg) : pg;
      unproven = true;
    }
    offset += n;
  }
  return pieces;
}

Transfer QemuMemory::write_through_qemu(Addr addr, std::span<const std::byte> data) {
  Transfer t;
  while (t.bytes < data.size()) {
    auto pieces = plan_writes(addr, t.bytes, data.size());
    std::vector<std::string> packets;
    for (const auto& p : pieces) packets.push_back(write_packet(p.addr, data.subspan(p.offset, p.length)));
    auto replies = send(packets);
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      const Piece& p = pieces[i];
      auto ec = take_write(replies[i]);
      if (!ec) {
        prove(p.addr, p.length);
        t.bytes += p.length;
        continue;
      }
      if (is_link_error(ec)) {
        t.error = ec;
        return t;
      }
      // QEMU writes page by page and stops at the first page it cannot write, so a refused
      // request is redone within pages; that rewrites any earlier page QEMU did write with the
      // same bytes, and the prefix reported stays exact to the byte. The window's later requests
      // start in the page this one failed at (plan_writes), so QEMU refused them too.
      Transfer part = write_within_pages(p.addr, data.subspan(p.offset, p.length));
      t.bytes += part.bytes;
      if (part.bytes < p.length) {
        t.error = part.error;
        return t;
      }
      break;  // the redo went through after all: plan again from here
    }
  }
  return t;
}

Transfer QemuMemory::write_within_pages(Addr addr, std::span<const std::byte> data) {
  Transfer t;
  while (t.bytes < data.size()) {
    const Addr at = addr + t.bytes;
    std::size_t n = chunk_at(at, data.size() - t.bytes, limits_.max_write());
    auto chunk = data.subspan(t.bytes, n);
    if (auto ec = write_chunk(at, chunk)) {
      if (is_link_error(ec)) {
        t.error = ec;
        return t;
      }
      Transfer part = narrow(at, chunk, ec);
      t.bytes += part.bytes;
      t.error = part.error;
      return t;
    }
    t.bytes += n;
  }
  return t;
}

// The chunk lies in one page and QEMU wrote none of it. Binary search for the longest prefix
// it accepts (each successful probe writes bytes the client asked for, so nothing extra lands);
// `bad_end` is always a length known to fail. In user mode a page is writable or not as a whole,
// so this ends at 0 in log2(chunk) requests; it matters where QEMU's granule is finer (MMIO).
Transfer QemuMemory::narrow(Addr addr, std::span<const std::byte> data, std::error_code first_error) {
  Transfer t;
  t.error = first_error;
  std::size_t bad_end = data.size();
  while (bad_end - t.bytes > 1) {
    std::size_t half = (bad_end - t.bytes) / 2;
    auto ec = write_chunk(addr + t.bytes, data.subspan(t.bytes, half));
    if (!ec) {
      t.bytes += half;
    } else if (is_link_error(ec)) {
      t.error = ec;
      return t;
    } else {
      bad_end = t.bytes + half;
    }
  }
  // Say why the first unwritten byte failed: readable means read-only, not unmapped.
  std::byte probe[1];
  if (!read_chunk(addr + t.bytes, probe)) t.error = errc::write_protected;
  return t;
}

}  // namespace remora::targets::qemu
