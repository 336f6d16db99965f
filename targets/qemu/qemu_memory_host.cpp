// QemuMemory through the host view (HostView, qemu_memory.hpp): QEMU proves pages readable, the
// bytes move through the host; writes go around QEMU only where its host mapping is writable.
#include <algorithm>

#include "targets/qemu/qemu_memory.hpp"
#include "targets/qemu/qemu_memory_packets.hpp"

namespace remora::targets::qemu {

using namespace detail;

bool QemuMemory::host_view_active() {
  if (host_ == nullptr || host_stats_.disabled) return false;
  if (!host_allowed_) return true;
  if (!host_allowed_now_) {
    host_allowed_now_ = host_allowed_();
    if (!*host_allowed_now_) host_stats_.stops_not_allowed++;
  }
  return *host_allowed_now_;
}

// QEMU 7.2's `m` is all-or-nothing across pages, so one 2-byte `m` over a page boundary proves
// two pages readable; a refused pair is asked again for its first page alone.
std::error_code QemuMemory::probe_pages(Addr addr, std::size_t size) {
  if (size == 0) return {};
  const Addr ps = limits_.page_size;
  const Addr last = (addr + (size - 1) < addr ? ~Addr{0} : addr + (size - 1)) / ps;
  const std::size_t window = batch_ ? std::max<std::size_t>(pipeline_.read_window, 1) : 1;
  if (probed_.size() > max_proven_pages) probed_.clear();
  struct Probe {
    Addr page;
    std::size_t pages;  // 1 or 2
  };
  // Asks QEMU; false when the probing is over (a page is unreadable, or the host view is wrong).
  auto take = [&](const Probe& p, const Reply& reply, std::error_code& link) {
    const Addr at = p.pages == 2 ? p.page * ps + ps - 1 : p.page * ps;
    std::byte bytes[2];
    auto ec = take_read(reply, std::span(bytes, p.pages));
    if (is_link_error(ec)) {
      link = ec;
      return false;
    }
    if (ec) {
      if (p.pages == 1) probed_[p.page] = ec;
      return false;
    }
    for (std::size_t k = 0; k < p.pages; ++k) probed_[p.page + k] = {};
    // The same bytes from the host: if they differ, the host view is not this guest's memory.
    std::byte host[2];
    if (host_->read(at, std::span(host, p.pages)) != p.pages || !std::equal(host, host + p.pages, bytes)) {
      host_stats_.disabled = true;
      return false;
    }
    return true;
  };
  Addr next = addr / ps;  // the first page not yet looked at
  for (;;) {
    std::vector<Probe> probes;
    std::vector<std::string> packets;
    bool reached_last = false;
    while (!reached_last && probes.size() < window) {
      if (auto known = probed_.find(next); known != probed_.end()) {
        if (known->second) return {};  // unreadable: nothing after it matters
      } else if (next < last && !probed_.contains(next + 1)) {
        probes.push_back({next, 2});
        packets.push_back(read_packet(next * ps + ps - 1, 2));
        ++next;
      } else {
        probes.push_back({next, 1});
        packets.push_back(read_packet(next * ps, 1));
      }
      reached_last = next == last;
      if (!reached_last) ++next;
    }
    if (!probes.empty()) {
      auto replies = send(packets);
      host_stats_.probes += probes.size();
      for (std::size_t i = 0; i < probes.size(); ++i) {
        std::error_code link;
        if (take(probes[i], replies[i], link)) continue;
        if (link || host_stats_.disabled || probes[i].pages == 1) return link;
        // A refused pair: its first page alone says which page ends the readable run.
        host_stats_.probes++;
        const Probe single{probes[i].page, 1};
        if (!take(single, request_(read_packet(single.page * ps, 1)), link)) return link;
        next = single.page + 1;  // the pair's second page, unreadable: the next round says so
        reached_last = false;
        break;
      }
    }
    if (reached_last) return {};
  }
}

Transfer QemuMemory::read_through_host(Addr addr, std::span<std::byte> out) {
  const Addr ps = limits_.page_size;
  Transfer t;
  if (auto ec = probe_pages(addr, out.size())) {
    t.error = ec;
    return t;
  }
  if (host_stats_.disabled) return read_through_qemu(addr, out);
  // The readable run from addr: pages QEMU read in this stop.
  std::size_t run = 0;
  std::error_code stop;
  while (run < out.size()) {
    const Addr at = addr + run;
    auto known = probed_.find(at / ps);
    if (known == probed_.end()) break;  // the probe table overflowed: QEMU takes the rest
    if (known->second) {
      stop = known->second;
      break;
    }
    run += chunk_at(at, out.size() - run, ~std::size_t{0});
  }
  t.bytes = host_->read(addr, out.first(run));
  host_stats_.bytes_read += t.bytes;
  if (t.bytes < run || (run < out.size() && !stop)) {
    // The host refused what QEMU allows (or nothing is known past here): QEMU takes the rest.
    Transfer rest = read_through_qemu(addr + t.bytes, out.subspan(t.bytes));
    t.bytes += rest.bytes;
    t.error = rest.error;
    return t;
  }
  t.error = stop;
  return t;
}

Transfer QemuMemory::write_through_host(Addr addr, std::span<const std::byte> data) {
  const Addr ps = limits_.page_size;
  Transfer t;
  if (auto ec = probe_pages(addr, data.size())) {
    t.error = ec;
    return t;
  }
  if (host_stats_.disabled) return write_through_qemu(addr, data);
  while (t.bytes < data.size()) {
    // A run of pages QEMU read and the host can write: straight in.
    std::size_t run = 0;
    while (t.bytes + run < data.size()) {
      const Addr at = addr + t.bytes + run;
      const std::size_t n = chunk_at(at, data.size() - t.bytes - run, ~std::size_t{0});
      auto known = probed_.find(at / ps);
      if (known == probed_.end() || known->second || !host_->host_writable(at, n)) break;
      run += n;
    }
    if (run > 0) {
      const std::size_t n = host_->write(addr + t.bytes, data.subspan(t.bytes, run));
      host_stats_.bytes_written += n;
      if (n > 0) prove(addr + t.bytes, n);
      t.bytes += n;
      if (n == run) continue;
    }
    // Then one page through QEMU: read-only, translated code, or unknown — QEMU decides (and
    // drops its translations of the page); a refusal ends the write at QEMU's exact boundary.
    const Addr at = addr + t.bytes;
    const std::size_t n = chunk_at(at, data.size() - t.bytes, ~std::size_t{0});
    host_stats_.pages_through_qemu++;
    Transfer part = write_through_qemu(at, data.subspan(t.bytes, n));
    t.bytes += part.bytes;
    if (part.bytes < n) {
      t.error = part.error;
      return t;
    }
  }
  return t;
}

}  // namespace remora::targets::qemu
