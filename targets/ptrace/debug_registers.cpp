// x86 debug registers through ptrace's view of `struct user` (u_debugreg[0..7]). Linux turns
// these pokes into perf hw_breakpoint events (arch/x86/kernel/ptrace.c), and validates them:
// an execution breakpoint must have LEN=00, a watch address must be aligned to its length.
#include "targets/ptrace/debug_registers.hpp"

#include <sys/ptrace.h>
#include <sys/user.h>

#include <cerrno>
#include <cstddef>

#include "targets/api/errors.hpp"

namespace remora::targets::ptrace {
namespace {

std::error_code last_error() {
  int e = errno;
  if (e == ESRCH) return errc::no_such_thread;
  return {e, std::system_category()};
}

void* debugreg_offset(unsigned i) {
  return reinterpret_cast<void*>(offsetof(struct user, u_debugreg) + i * sizeof(unsigned long));
}

std::error_code poke_debugreg(pid_t tid, unsigned i, std::uint64_t value) {
  if (::ptrace(PTRACE_POKEUSER, tid, debugreg_offset(i), reinterpret_cast<void*>(value)) == -1)
    return last_error();
  return {};
}

// DR7 R/W field (Intel SDM vol. 3, table 18-2 / 17.2.4): 00 execute, 01 write, 11 read or write.
// There is no read-only watch on x86: watch_read is programmed as read/write and the caller
// decides whether a hit was a read (gdb does the same, comparing old and new values).
unsigned rw_bits(BreakpointKind kind) {
  switch (kind) {
    case BreakpointKind::watch_write: return 0b01;
    case BreakpointKind::watch_read:
    case BreakpointKind::watch_access: return 0b11;
    default: return 0b00;
  }
}

// DR7 LEN field: 00 = 1 byte, 01 = 2, 11 = 4, 10 = 8 (8 bytes only in 64-bit mode).
unsigned len_bits(std::size_t length) {
  switch (length) {
    case 2: return 0b01;
    case 4: return 0b11;
    case 8: return 0b10;
    default: return 0b00;
  }
}

constexpr unsigned kDr6 = 6;
constexpr unsigned kDr7 = 7;

}  // namespace

std::error_code DebugRegisters::split(BreakpointKind kind, Addr addr, std::size_t length,
                                      Pieces& out) {
  out.count = 0;
  if (kind == BreakpointKind::software) return errc::not_supported;
  if (kind == BreakpointKind::hardware) {
    // An execution breakpoint covers one instruction start, whatever Z1's kind says.
    out.piece[out.count++] = {addr, 1};
    return {};
  }
  if (length == 0 || addr + length < addr) return errc::invalid_argument;
  // Greedy split into naturally aligned 8/4/2/1-byte pieces, as gdb's
  // x86_handle_nonaligned_watchpoint does: largest size that is aligned and fits.
  while (length > 0) {
    std::size_t size = 8;
    while (size > 1 && (addr % size != 0 || size > length)) size /= 2;
    if (out.count == out.piece.size()) return errc::resource_exhausted;
    out.piece[out.count++] = {addr, size};
    addr += size;
    length -= size;
  }
  return {};
}

DebugRegisters::Slot* DebugRegisters::find(BreakpointKind kind, const Piece& piece) {
  for (auto& s : slots_)
    if (s.used && s.kind == kind && s.addr == piece.addr && s.length == piece.length) return &s;
  return nullptr;
}

std::error_code DebugRegisters::insert(BreakpointKind kind, Addr addr, std::size_t length) {
  Pieces pieces;
  if (auto ec = split(kind, addr, length, pieces)) return ec;
  // All or nothing: count the new slots needed before claiming any.
  std::size_t needed = 0, free = 0;
  for (std::size_t i = 0; i < pieces.count; ++i)
    if (!find(kind, pieces.piece[i])) ++needed;
  for (const auto& s : slots_)
    if (!s.used) ++free;
  if (needed > free) return errc::resource_exhausted;
  for (std::size_t i = 0; i < pieces.count; ++i) {
    const Piece& p = pieces.piece[i];
    if (Slot* s = find(kind, p)) {
      ++s->refs;  // the same insertion again (gdb re-inserts; several watches may share a piece)
      continue;
    }
    for (auto& s : slots_) {
      if (s.used) continue;
      s = Slot{true, kind, p.addr, p.length, 1};
      break;
    }
  }
  return {};
}

std::error_code DebugRegisters::remove(BreakpointKind kind, Addr addr, std::size_t length) {
  Pieces pieces;
  if (auto ec = split(kind, addr, length, pieces)) return ec;
  for (std::size_t i = 0; i < pieces.count; ++i)
    if (!find(kind, pieces.piece[i])) return errc::invalid_argument;  // never inserted
  for (std::size_t i = 0; i < pieces.count; ++i) {
    Slot* s = find(kind, pieces.piece[i]);
    if (--s->refs == 0) *s = Slot{};
  }
  return {};
}

bool DebugRegisters::empty() const {
  for (const auto& s : slots_)
    if (s.used) return false;
  return true;
}

std::uint64_t DebugRegisters::dr7() const {
  std::uint64_t value = 0;
  for (unsigned i = 0; i < slots_.size(); ++i) {
    const Slot& s = slots_[i];
    if (!s.used) continue;
    value |= std::uint64_t{1} << (2 * i);  // Li: local enable (gdb uses the L bits too)
    value |= std::uint64_t{rw_bits(s.kind)} << (16 + 4 * i);
    unsigned len = s.kind == BreakpointKind::hardware ? 0 : len_bits(s.length);
    value |= std::uint64_t{len} << (18 + 4 * i);
  }
  return value;
}

std::error_code DebugRegisters::apply(pid_t tid) const {
  // DR7 = 0 first: Linux validates each address poke against the slot's current LEN/type, so a
  // new address may be refused while the old control bits still apply.
  if (auto ec = poke_debugreg(tid, kDr7, 0)) return ec;
  for (unsigned i = 0; i < slots_.size(); ++i)
    if (slots_[i].used)
      if (auto ec = poke_debugreg(tid, i, slots_[i].addr)) return ec;
  std::uint64_t control = dr7();
  if (control == 0) return {};
  return poke_debugreg(tid, kDr7, control);
}

std::optional<DebugRegisters::Hit> DebugRegisters::take_hit(pid_t tid) const {
  errno = 0;
  long dr6 = ::ptrace(PTRACE_PEEKUSER, tid, debugreg_offset(kDr6), nullptr);
  if (errno != 0) return std::nullopt;
  // B0-B3 (bits 0-3) name the slot whose condition was met. Linux keeps a virtual DR6 per
  // thread and sets only the bits of its own triggered breakpoints.
  std::optional<Hit> hit;
  for (unsigned i = 0; i < slots_.size() && !hit; ++i)
    if (slots_[i].used && (static_cast<unsigned long>(dr6) & (1ul << i)) != 0)
      hit = Hit{slots_[i].kind, slots_[i].addr};
  if ((dr6 & 0xf) != 0) (void)poke_debugreg(tid, kDr6, 0);
  return hit;
}

}  // namespace remora::targets::ptrace
