// Software and hardware breakpoints of the emulated CPU. Nothing is written to memory: the CPU
// checks the table before each instruction, so memory reads never show a breakpoint byte.
#pragma once
#include <map>
#include <optional>
#include <system_error>

#include "targets/api/target.hpp"

namespace remora::targets::emulated {

class BreakpointTable final : public BreakpointControl {
 public:
  bool supports(BreakpointKind kind) const override;
  // Inserting the same address twice needs two removals (gdb may insert a location twice when
  // two breakpoints share it and it does not merge them).
  std::error_code insert(BreakpointKind kind, Addr addr, std::size_t length) override;
  std::error_code remove(BreakpointKind kind, Addr addr, std::size_t length) override;

  struct Hit {
    Addr address;
    BreakpointKind kind;  // software wins when both kinds sit at one address
  };
  // The lowest breakpoint address in [from, limit), if any.
  std::optional<Hit> first_in(Addr from, Addr limit) const;
  void clear() {
    software_.clear();
    hardware_.clear();
  }

 private:
  std::map<Addr, unsigned>* table(BreakpointKind kind);

  std::map<Addr, unsigned> software_;
  std::map<Addr, unsigned> hardware_;
};

}  // namespace remora::targets::emulated
