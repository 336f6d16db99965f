// lldb's qMemoryRegionInfo over QEMU's stub, which has no memory map to give in user mode: no
// monitor, no vFile to read the guest's /proc/self/maps, and QEMU's own /proc/PID/maps shows host
// mappings (the guest's among QEMU's, shifted by guest_base). So remora probes pages:
//  - readable: a 1-byte `m` of the page succeeds (QEMU checks PAGE_VALID|PAGE_READ);
//  - writable: a 1-byte `M` of the byte just read succeeds. The guest is stopped, so rewriting a
//    byte with itself changes nothing; QEMU 7.2 user mode refuses debug writes to pages without
//    PAGE_WRITE (measured: E14 on text and .rodata, OK on .data). A writable page QEMU has
//    write-protected because it translated code from it reads as read-only.
//  - executable cannot be asked: a readable page that is not writable is reported r-x (text;
//    read-only data shows `x` too).
// A region grows while the neighbouring pages probe the same, at most kProbeSpan pages each way,
// so at worst the answer is a sub-range of the real mapping (or of the gap). Probes are kept for
// the stop (cleared on resume). Offered only for a QEMU remora launched itself (user mode): in
// system mode a probing read or write could reach a device.
#include <algorithm>

#include "rsp/codec.hpp"
#include "targets/qemu/qemu_target.hpp"

namespace remora::targets::qemu {
namespace {

constexpr Addr kProbeSpan = 256;  // pages each way (1 MiB at 4 KiB pages)

}  // namespace

QemuTarget::PageState QemuTarget::probe_page(Addr page) {
  if (auto it = page_probes_.find(page); it != page_probes_.end()) return it->second;
  PageState state = PageState::unmapped;
  std::string packet = "m";
  rsp::append_hex_u64(packet, page);
  packet += ",1";
  auto byte = request(packet);
  if (byte && byte->size() == 2 && byte->front() != 'E') {
    state = PageState::read_only;
    std::string write = "M";
    rsp::append_hex_u64(write, page);
    write += ",1:" + *byte;
    if (auto ok = request(write); ok && *ok == "OK") state = PageState::read_write;
  }
  page_probes_[page] = state;
  return state;
}

std::optional<MemoryRegion> QemuTarget::region_at(Addr addr) {
  if (running_ || !link_.alive()) return std::nullopt;
  const Addr size = options_.page_size;
  const Addr page = addr - addr % size;
  const PageState state = probe_page(page);
  Addr low = page;
  for (Addr n = 0; n < kProbeSpan && low >= size && probe_page(low - size) == state; ++n) low -= size;
  Addr high = page + size;  // one past the region; 0 when it reaches the top of the address space
  for (Addr n = 0; n < kProbeSpan && high != 0 && probe_page(high) == state; ++n) high += size;
  MemoryRegion r;
  r.start = low;
  r.size = high - low;
  r.readable = state != PageState::unmapped;
  r.writable = state == PageState::read_write;
  r.executable = state == PageState::read_only;
  return r;
}

}  // namespace remora::targets::qemu
