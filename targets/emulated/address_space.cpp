#include "targets/emulated/address_space.hpp"

#include <algorithm>
#include <cstring>
#include <new>
#include <utility>

#include "targets/emulated/numbers.hpp"

namespace remora::targets::emulated {
namespace {

// Built with append only: GCC 12 at -O3 reports a false -Wrestrict for `"literal" + std::string`.
std::string describe(const RegionSpec& r) {
  std::string out = "[";
  out.append(hex(r.start)).append(", ").append(hex(r.start + r.size)).append(")");
  if (!r.name.empty()) out.append(" '").append(r.name).append("'");
  return out;
}

}  // namespace

bool Region::materialize() {
  if (bytes_) return true;
  // nothrow: a failed allocation becomes errc::resource_exhausted, not an exception.
  bytes_.reset(new (std::nothrow) std::byte[spec_.size]());
  return bytes_ != nullptr;
}

std::expected<void, std::string> AddressSpace::add(RegionSpec spec, std::span<const std::byte> contents) {
  if (spec.size == 0) return std::unexpected("region " + describe(spec) + " is empty");
  if (spec.size > ~Addr{0} - spec.start)
    return std::unexpected("region " + describe(spec) + " runs past the end of the address space");
  if (contents.size() > spec.size) return std::unexpected("contents larger than region " + describe(spec));
  auto pos = std::lower_bound(regions_.begin(), regions_.end(), spec.start,
                              [](const Region& r, Addr a) { return r.start() < a; });
  const Addr end = spec.start + spec.size;
  if (pos != regions_.end() && pos->start() < end)
    return std::unexpected("region " + describe(spec) + " overlaps " + describe(pos->spec()));
  if (pos != regions_.begin() && std::prev(pos)->end() > spec.start)
    return std::unexpected("region " + describe(spec) + " overlaps " + describe(std::prev(pos)->spec()));
  Region region(std::move(spec));
  if (!contents.empty()) {
    if (!region.materialize()) return std::unexpected("out of memory for region " + describe(region.spec()));
    std::memcpy(region.mutable_data(), contents.data(), contents.size());
  }
  regions_.insert(pos, std::move(region));
  return {};
}

bool AddressSpace::remove(Addr start) {
  auto pos = std::lower_bound(regions_.begin(), regions_.end(), start,
                              [](const Region& r, Addr a) { return r.start() < a; });
  if (pos == regions_.end() || pos->start() != start) return false;
  regions_.erase(pos);
  return true;
}

std::expected<void, std::string> AddressSpace::add_fault(const FaultSpec& fault) {
  const Region* region = find(fault.address);
  if (region == nullptr) return std::unexpected("no region holds fault address " + hex(fault.address));
  Addr end = region->end();
  if (fault.length != 0) {
    if (fault.length > ~Addr{0} - fault.address)
      return std::unexpected("fault at " + hex(fault.address) + " runs past the end of the address space");
    end = fault.address + fault.length;  // may reach into later regions, as asked
  }
  faults_.push_back({fault.kind, fault.address, end});
  return {};
}

const Region* AddressSpace::find(Addr addr) const {
  auto pos = std::upper_bound(regions_.begin(), regions_.end(), addr,
                              [](Addr a, const Region& r) { return a < r.start(); });
  if (pos == regions_.begin()) return nullptr;
  --pos;
  return pos->contains(addr) ? &*pos : nullptr;
}

Region* AddressSpace::find_mutable(Addr addr) { return const_cast<Region*>(std::as_const(*this).find(addr)); }

std::size_t AddressSpace::clear_prefix(FaultKind kind, Addr addr, std::size_t length) const {
  std::size_t clear = length;
  for (const auto& f : faults_) {
    if (f.kind != kind || f.end <= addr) continue;
    if (f.start <= addr) return 0;
    clear = std::min<std::size_t>(clear, f.start - addr);
  }
  return clear;
}

Transfer AddressSpace::read(Addr addr, std::span<std::byte> out) const {
  Transfer t;
  while (t.bytes < out.size()) {
    // `at` never wraps: each step ends at a region end, and regions end below 2^64.
    const Addr at = addr + t.bytes;
    const Region* r = find(at);
    if (r == nullptr) return {t.bytes, errc::unmapped};
    if (!r->spec().readable) return {t.bytes, errc::read_protected};
    const std::size_t want = std::min<Addr>(out.size() - t.bytes, r->end() - at);
    const std::size_t n = clear_prefix(FaultKind::read, at, want);
    std::byte* dst = out.data() + t.bytes;
    if (r->data() != nullptr) std::memcpy(dst, r->data() + (at - r->start()), n);
    else std::memset(dst, 0, n);
    t.bytes += n;
    if (n < want) return {t.bytes, errc::injected_fault};
  }
  return t;
}

Transfer AddressSpace::write(Addr addr, std::span<const std::byte> data) {
  Transfer t;
  while (t.bytes < data.size()) {
    const Addr at = addr + t.bytes;
    Region* r = find_mutable(at);
    if (r == nullptr) return {t.bytes, errc::unmapped};
    // The debugger obeys the emulated permissions: they are the knob tests turn.
    if (!r->spec().writable) return {t.bytes, errc::write_protected};
    const std::size_t want = std::min<Addr>(data.size() - t.bytes, r->end() - at);
    const std::size_t n = clear_prefix(FaultKind::write, at, want);
    if (n > 0) {
      if (!r->materialize()) return {t.bytes, errc::resource_exhausted};
      std::memcpy(r->mutable_data() + (at - r->start()), data.data() + t.bytes, n);
    }
    t.bytes += n;
    if (n < want) return {t.bytes, errc::injected_fault};
  }
  return t;
}

}  // namespace remora::targets::emulated
