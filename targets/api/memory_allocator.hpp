// Memory allocation in the debuggee (lldb's _M / _m). With it, lldb gets memory for expressions
// and JIT code without calling mmap in the inferior itself.
#pragma once
#include <cstdint>
#include <expected>
#include <system_error>

#include "targets/api/types.hpp"

namespace remora::targets {

struct AllocationPermissions {
  bool readable = false;
  bool writable = false;
  bool executable = false;
};

class MemoryAllocator {
 public:
  virtual ~MemoryAllocator() = default;
  // Maps at least `size` bytes (a backend may round up to its page size) with `permissions`
  // and returns the start. The new memory reads as zeros and appears in memory_regions().
  virtual std::expected<Addr, std::error_code> allocate(std::uint64_t size, AllocationPermissions permissions) = 0;
  // Unmaps an allocation; `addr` must be a start that allocate() returned
  // (errc::invalid_argument otherwise: memory the debuggee owns is never unmapped this way).
  virtual std::error_code deallocate(Addr addr) = 0;
};

}  // namespace remora::targets
