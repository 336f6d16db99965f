// x86 debug registers (DR0-DR3, DR6, DR7) for hardware breakpoints and watchpoints. One
// process-wide table, applied to every thread, including threads created later.
#pragma once
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <optional>
#include <system_error>

#include "targets/api/types.hpp"

namespace remora::targets::ptrace {

class DebugRegisters {
 public:
  // Claims a slot; lengths 1, 2, 4, 8 with natural alignment (a longer or unaligned watch is
  // split across slots, or refused with errc::resource_exhausted when none are left).
  std::error_code insert(BreakpointKind kind, Addr addr, std::size_t length);
  std::error_code remove(BreakpointKind kind, Addr addr, std::size_t length);
  bool empty() const;

  // Writes the table to a thread (DR7 last). Called for every thread after a change and for
  // each new thread.
  std::error_code apply(pid_t tid) const;

  // After a SIGTRAP: reads DR6; what triggered (and clears DR6 so the next hit is fresh).
  struct Hit {
    BreakpointKind kind;
    Addr addr;  // the watched address (for watchpoints, the start of the slot's range)
  };
  std::optional<Hit> take_hit(pid_t tid) const;

  // The DR7 value apply() writes: L0-L3, R/W0-3 and LEN0-3 of the used slots (Intel SDM vol. 3,
  // 18.2.4). Exposed for tests and diagnostics.
  std::uint64_t dr7() const;

 private:
  struct Slot {
    bool used = false;
    BreakpointKind kind = BreakpointKind::hardware;
    Addr addr = 0;
    std::size_t length = 1;
    unsigned refs = 0;
  };
  struct Piece {
    Addr addr;
    std::size_t length;
  };
  struct Pieces {
    std::array<Piece, 4> piece{};
    std::size_t count = 0;
  };
  static std::error_code split(BreakpointKind kind, Addr addr, std::size_t length, Pieces& out);
  Slot* find(BreakpointKind kind, const Piece& piece);

  std::array<Slot, 4> slots_{};
};

}  // namespace remora::targets::ptrace
