// lldb's _M / _m on the emulated machine: an allocation is a new region carved from a gap.
#pragma once
#include <set>

#include "targets/api/memory_allocator.hpp"
#include "targets/emulated/address_space.hpp"

namespace remora::targets::emulated {

class RegionAllocator final : public MemoryAllocator {
 public:
  static constexpr Addr kPage = 0x1000;
  // Allocations go at the lowest free pages from here up (below it only when nothing above
  // fits), away from the default text and data, as mmap places them away from the program.
  static constexpr Addr kBase = 0x10000000;
  static constexpr std::uint64_t kMaxSize = 1ULL << 32;

  explicit RegionAllocator(AddressSpace& space) : space_(space) {}

  std::expected<Addr, std::error_code> allocate(std::uint64_t size, AllocationPermissions permissions) override;
  std::error_code deallocate(Addr addr) override;

 private:
  std::optional<Addr> find_gap(std::uint64_t size, Addr from) const;

  AddressSpace& space_;
  std::set<Addr> allocations_;  // starts of the regions allocate() made; only these may go
};

}  // namespace remora::targets::emulated
