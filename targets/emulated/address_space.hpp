// The emulated target's memory: sorted, non-overlapping regions with permissions, unmapped gaps
// between them, and injected faults. Transfers move whole spans with memcpy.
#pragma once
#include <cstddef>
#include <expected>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "targets/api/memory_access.hpp"
#include "targets/emulated/emulated_target.hpp"

namespace remora::targets::emulated {

class Region {
 public:
  explicit Region(RegionSpec spec) : spec_(std::move(spec)) {}

  const RegionSpec& spec() const { return spec_; }
  Addr start() const { return spec_.start; }
  Addr end() const { return spec_.start + spec_.size; }  // exclusive; never wraps
  bool contains(Addr a) const { return a >= start() && a < end(); }

  // The bytes, or nullptr while the region has never been written: then it reads as zeros.
  // Storage is allocated on the first write so a 32 MiB data region costs nothing until used.
  const std::byte* data() const { return bytes_.get(); }
  // Allocates (zero-filled) if needed; false when memory is exhausted.
  bool materialize();
  std::byte* mutable_data() { return bytes_.get(); }

 private:
  RegionSpec spec_;
  std::unique_ptr<std::byte[]> bytes_;
};

struct ActiveFault {
  FaultKind kind;
  Addr start;
  Addr end;  // exclusive
};

class AddressSpace {
 public:
  // Adds a region filled with `contents` (zeros after it). Errors name the overlap.
  std::expected<void, std::string> add(RegionSpec spec, std::span<const std::byte> contents = {});
  // Removes the region that starts exactly at `start` (lldb's _m); false when there is none.
  bool remove(Addr start);
  // Resolves a fault spec against the regions (it ends at its region's end unless it has a length).
  std::expected<void, std::string> add_fault(const FaultSpec& fault);
  void clear_faults() { faults_.clear(); }

  Transfer read(Addr addr, std::span<std::byte> out) const;
  Transfer write(Addr addr, std::span<const std::byte> data);

  // The region holding `addr`, or nullptr in a gap.
  const Region* find(Addr addr) const;
  const std::vector<Region>& regions() const { return regions_; }
  const std::vector<ActiveFault>& faults() const { return faults_; }

 private:
  Region* find_mutable(Addr addr);
  // How many of the `length` bytes from `addr` come before the first faulting byte of `kind`.
  std::size_t clear_prefix(FaultKind kind, Addr addr, std::size_t length) const;

  std::vector<Region> regions_;  // sorted by start
  std::vector<ActiveFault> faults_;
};

}  // namespace remora::targets::emulated
