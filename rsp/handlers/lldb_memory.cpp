// qMemoryRegionInfo from the target's region table, and _M / _m allocation in the debuggee.
#include <algorithm>

#include "rsp/codec.hpp"
#include "rsp/handlers/lldb_handlers.hpp"

namespace remora::rsp::handlers {
namespace {

ErrorCode allocation_error_code(std::error_code ec) {
  if (ec == targets::errc::invalid_argument) return ErrorCode::malformed;
  if (ec == targets::errc::target_running) return ErrorCode::busy;
  if (ec == targets::errc::no_process) return ErrorCode::no_process;
  return ErrorCode::target_io;
}

}  // namespace

Reply memory_region_info(SessionState& s, const packets::MemoryRegionQuery& q) {
  auto* source = s.target.memory_regions();
  if (!source) return Reply::empty();
  s.features.lldb = true;
  // A probing backend answers for the address itself (its region or the gap around it).
  auto probed = source->region_at(q.addr);
  auto regions = probed ? std::vector<targets::MemoryRegion>{*probed} : source->regions();
  std::sort(regions.begin(), regions.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
  // A gap runs from the end of the region below it to the start of the one above (or the end
  // of the address space); it has no permissions:, which lldb reads as "unmapped".
  targets::Addr start = 0;
  targets::Addr end = ~targets::Addr{0};
  const targets::MemoryRegion* hit = nullptr;
  for (const auto& r : regions) {
    if (r.size == 0) continue;
    if (q.addr >= r.start && q.addr - r.start < r.size) {
      hit = &r;
      break;
    }
    if (r.start > q.addr) {
      end = r.start;
      break;
    }
    start = r.start + r.size;
  }
  std::string out = "start:";
  append_hex_u64(out, hit ? hit->start : start);
  out += ";size:";
  append_hex_u64(out, hit ? hit->size : end - start);
  out += ';';
  if (!hit) return Reply::with(std::move(out));
  if (hit->readable || hit->writable || hit->executable) {
    out += "permissions:";
    if (hit->readable) out += 'r';
    if (hit->writable) out += 'w';
    if (hit->executable) out += 'x';
    out += ';';
  }
  if (!hit->name.empty()) {
    out += "name:";
    append_hex(out, std::string_view(hit->name));
    out += ';';
  }
  return Reply::with(std::move(out));
}

Reply allocate_memory(SessionState& s, const packets::AllocateMemory& a) {
  auto* allocator = s.target.memory_allocator();
  if (!allocator) return Reply::empty();  // lldb then calls mmap in the inferior itself
  s.features.lldb = true;
  auto addr = allocator->allocate(a.size, a.permissions);
  if (!addr) {
    auto ec = addr.error();
    return error_from(allocation_error_code(ec), "cannot allocate " + std::to_string(a.size) + " bytes", ec);
  }
  // The range was unmapped a moment ago: nothing cached about it may be served again.
  if (s.options.memory_cache) s.options.memory_cache->invalidate();
  std::string out;
  append_hex_u64(out, *addr);
  s.note("allocated " + std::to_string(a.size) + " bytes at " + hex_address(*addr));
  return Reply::with(std::move(out));
}

Reply deallocate_memory(SessionState& s, const packets::DeallocateMemory& d) {
  auto* allocator = s.target.memory_allocator();
  if (!allocator) return Reply::empty();
  s.features.lldb = true;
  // Pending cached writes may target the allocation: they must land (or fail) before it goes.
  std::string failure;
  if (!flush_pending_writes(s, &failure)) return Reply::error(ErrorCode::memory_fault, failure);
  if (auto ec = allocator->deallocate(d.addr))
    return error_from(allocation_error_code(ec), "cannot deallocate " + hex_address(d.addr), ec);
  if (s.options.memory_cache) s.options.memory_cache->invalidate();
  return Reply::ok();
}

}  // namespace remora::rsp::handlers
