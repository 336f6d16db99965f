#include "targets/qemu/qemu_memory.hpp"

#include <algorithm>
#include <cstdlib>

#include "rsp/codec.hpp"
#include "targets/api/errors.hpp"

namespace remora::targets::qemu {
namespace {

// "M" + 16 address digits + "," + 16 length digits + ":" leaves this much of QEMU's buffer
// unused; QEMU 7.2 silently drops a packet that fills its 4 KiB line buffer (no reply, no '-').
constexpr std::size_t write_header_room = 48;

bool is_link_error(std::error_code ec) { return ec == errc::backend_io || ec == errc::timeout; }

}  // namespace

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

std::error_code QemuMemory::read_chunk(Addr addr, std::span<std::byte> out) {
  std::string packet = "m";
  rsp::append_hex_u64(packet, addr);
  packet += ',';
  rsp::append_hex_u64(packet, out.size());
  auto reply = request_(packet);
  if (!reply) return reply.error();
  if (reply->size() != out.size() * 2) return memory_error_from_reply(*reply);
  if (!rsp::decode_hex_into(*reply, out)) return errc::backend_io;
  return {};
}

std::error_code QemuMemory::write_chunk(Addr addr, std::span<const std::byte> data) {
  std::string packet = "M";
  rsp::append_hex_u64(packet, addr);
  packet += ',';
  rsp::append_hex_u64(packet, data.size());
  packet += ':';
  rsp::append_hex(packet, data);
  auto reply = request_(packet);
  if (!reply) return reply.error();
  if (*reply == "OK") return {};
  return memory_error_from_reply(*reply);
}

Transfer QemuMemory::read_virtual(Addr addr, std::span<std::byte> out) {
  Transfer t;
  while (t.bytes < out.size()) {
    const Addr at = addr + t.bytes;
    std::size_t n = chunk_at(at, out.size() - t.bytes, limits_.max_read());
    // Chunks never cross a page, so a failed one means this page is unreadable: the prefix
    // before it is exactly the readable prefix.
    if (auto ec = read_chunk(at, out.subspan(t.bytes, n))) {
      t.error = ec;
      return t;
    }
    t.bytes += n;
  }
  return t;
}

Transfer QemuMemory::write_virtual(Addr addr, std::span<const std::byte> data) {
  Transfer t;
  while (t.bytes < data.size()) {
    const Addr at = addr + t.bytes;
    // Full-size requests cross pages (about 2 per 4 KiB page, as gdb sends them, instead of 3
    // that stop at every boundary: restore was 1.5x slower that way). QEMU writes page by page
    // and stops at the first page it cannot write, so only a refused request is redone within
    // pages; that rewrites any earlier page QEMU did write with the same bytes, and the prefix
    // reported stays exact to the byte.
    const std::size_t n = std::min(data.size() - t.bytes, limits_.max_write());
    auto chunk = data.subspan(t.bytes, n);
    auto ec = write_chunk(at, chunk);
    if (!ec) {
      t.bytes += n;
      continue;
    }
    if (is_link_error(ec)) {
      t.error = ec;
      return t;
    }
    Transfer part = write_within_pages(at, chunk);
    t.bytes += part.bytes;
    if (part.bytes < n) {
      t.error = part.error;
      return t;
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
