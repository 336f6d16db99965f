#include "targets/emulated/allocator.hpp"

#include "targets/api/errors.hpp"

namespace remora::targets::emulated {

std::optional<Addr> RegionAllocator::find_gap(std::uint64_t size, Addr from) const {
  Addr candidate = from;
  for (const auto& r : space_.regions()) {
    if (r.end() <= candidate) continue;
    if (r.start() >= candidate && r.start() - candidate >= size) return candidate;
    // Skip past this region, to the next page boundary.
    if (r.end() > ~Addr{0} - (kPage - 1)) return std::nullopt;
    candidate = (r.end() + kPage - 1) & ~(kPage - 1);
  }
  if (~Addr{0} - candidate < size) return std::nullopt;
  return candidate;
}

std::expected<Addr, std::error_code> RegionAllocator::allocate(std::uint64_t size, AllocationPermissions p) {
  if (size == 0) return std::unexpected(make_error_code(errc::invalid_argument));
  if (size > kMaxSize) return std::unexpected(make_error_code(errc::resource_exhausted));
  const std::uint64_t rounded = (size + kPage - 1) & ~(kPage - 1);
  auto at = find_gap(rounded, kBase);
  if (!at) at = find_gap(rounded, kPage);  // never page 0: a null pointer must stay invalid
  if (!at) return std::unexpected(make_error_code(errc::resource_exhausted));
  RegionSpec spec{*at, rounded, p.readable, p.writable, p.executable, "allocated"};
  if (!space_.add(spec)) return std::unexpected(make_error_code(errc::resource_exhausted));
  allocations_.insert(*at);
  return *at;
}

std::error_code RegionAllocator::deallocate(Addr addr) {
  if (!allocations_.contains(addr)) return errc::invalid_argument;
  allocations_.erase(addr);
  space_.remove(addr);
  return {};
}

}  // namespace remora::targets::emulated
