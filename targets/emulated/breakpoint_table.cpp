#include "targets/emulated/breakpoint_table.hpp"

namespace remora::targets::emulated {

bool BreakpointTable::supports(BreakpointKind kind) const {
  // Watchpoints would need the CPU to model data accesses, which it does not.
  return kind == BreakpointKind::software || kind == BreakpointKind::hardware;
}

std::map<Addr, unsigned>* BreakpointTable::table(BreakpointKind kind) {
  if (kind == BreakpointKind::software) return &software_;
  if (kind == BreakpointKind::hardware) return &hardware_;
  return nullptr;
}

std::error_code BreakpointTable::insert(BreakpointKind kind, Addr addr, std::size_t) {
  auto* t = table(kind);
  if (t == nullptr) return errc::not_supported;
  ++(*t)[addr];
  return {};
}

std::error_code BreakpointTable::remove(BreakpointKind kind, Addr addr, std::size_t) {
  auto* t = table(kind);
  if (t == nullptr) return errc::not_supported;
  auto it = t->find(addr);
  if (it == t->end()) return errc::invalid_argument;
  if (--it->second == 0) t->erase(it);
  return {};
}

std::optional<BreakpointTable::Hit> BreakpointTable::first_in(Addr from, Addr limit) const {
  std::optional<Hit> best;
  auto consider = [&](const std::map<Addr, unsigned>& t, BreakpointKind kind) {
    auto it = t.lower_bound(from);
    if (it == t.end() || it->first >= limit) return;
    if (!best || it->first < best->address) best = Hit{it->first, kind};
  };
  consider(software_, BreakpointKind::software);  // first, so it wins a tie
  consider(hardware_, BreakpointKind::hardware);
  return best;
}

}  // namespace remora::targets::emulated
