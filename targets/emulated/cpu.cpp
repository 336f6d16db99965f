#include "targets/emulated/cpu.hpp"

#include <algorithm>
#include <cstring>

namespace remora::targets::emulated {
namespace {

constexpr unsigned char kInt3 = 0xCC;
constexpr unsigned char kJmpShort = 0xEB;
constexpr unsigned char kMinusTwo = 0xFE;

bool executable(const Region* r) { return r != nullptr && r->spec().executable; }

unsigned char byte_at(const Region& r, Addr a) {
  return r.data() == nullptr ? 0 : std::to_integer<unsigned char>(r.data()[a - r.start()]);
}

// `jmp .` is EB FE; its second byte may sit in the next (adjacent, executable) region.
bool is_spin(const AddressSpace& space, const Region& r, Addr a) {
  if (byte_at(r, a) != kJmpShort) return false;
  const Region* next = r.contains(a + 1) ? &r : space.find(a + 1);
  return executable(next) && byte_at(*next, a + 1) == kMinusTwo;
}

// The first `value` byte in [from, limit) of r, or limit.
Addr find_byte(const Region& r, Addr from, Addr limit, unsigned char value) {
  if (r.data() == nullptr || from >= limit) return limit;
  const std::byte* base = r.data() + (from - r.start());
  const void* hit = std::memchr(base, value, limit - from);
  return hit == nullptr ? limit : from + static_cast<Addr>(static_cast<const std::byte*>(hit) - base);
}

Addr find_spin(const AddressSpace& space, const Region& r, Addr from, Addr limit) {
  for (Addr a = find_byte(r, from, limit, kJmpShort); a < limit; a = find_byte(r, a + 1, limit, kJmpShort))
    if (is_spin(space, r, a)) return a;
  return limit;
}

// The first stop in [p, limit) of the executable region r, or nullopt when the span runs clean.
std::optional<CpuResult> scan_span(const AddressSpace& space, const BreakpointTable& bps, const Region& r,
                                   Addr p, Addr limit) {
  // Ties go to the breakpoint: the CPU checks it before fetching the instruction.
  std::optional<CpuResult> best;
  Addr bound = limit;
  if (auto hit = bps.first_in(p, limit)) {
    bound = hit->address;
    best = CpuResult{hit->kind == BreakpointKind::software ? Outcome::breakpoint : Outcome::hw_breakpoint,
                     hit->address};
  }
  if (Addr a = find_byte(r, p, bound, kInt3); a < bound) {
    bound = a;
    best = CpuResult{Outcome::int3, a + 1};
  }
  if (Addr a = find_spin(space, r, p, bound); a < bound) best = CpuResult{Outcome::spin, a};
  return best;
}

}  // namespace

CpuResult execute_one(const AddressSpace& space, Addr rip) {
  const Region* r = space.find(rip);
  if (!executable(r)) return {Outcome::segv, rip};
  if (byte_at(*r, rip) == kInt3) return {Outcome::int3, rip + 1};
  if (is_spin(space, *r, rip)) return {Outcome::executed, rip};
  return {Outcome::executed, rip + 1};  // rip + 1 <= region end < 2^64
}

CpuResult run(const AddressSpace& space, const BreakpointTable& bps, Addr rip, RunLimits limits) {
  CpuResult first = execute_one(space, rip);
  if (first.outcome != Outcome::executed) return first;
  Addr p = first.rip;
  while (true) {
    if (limits.ranged && (p < limits.start || p >= limits.end)) return {Outcome::left_range, p};
    const Region* r = space.find(p);
    if (!executable(r)) return {Outcome::segv, p};
    Addr limit = limits.ranged ? std::min(r->end(), limits.end) : r->end();
    if (auto stop = scan_span(space, bps, *r, p, limit)) return *stop;
    p = limit;  // on into the next region, or out of the range
  }
}

}  // namespace remora::targets::emulated
