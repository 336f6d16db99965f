#include "targets/ptrace/sw_breakpoints.hpp"

#include <vector>

#include "targets/api/errors.hpp"

namespace remora::targets::ptrace {
namespace {
constexpr std::byte kInt3{0xcc};

std::error_code write_byte(const ProcMemory& memory, Addr addr, std::byte value) {
  auto t = memory.write(addr, std::span(&value, 1));
  if (t.bytes == 1) return {};
  return t.error ? t.error : make_error_code(errc::unmapped);
}
}  // namespace

std::error_code SoftwareBreakpoints::insert(Addr addr) {
  if (table_.contains(addr)) return {};  // gdb may insert the same address twice
  std::byte original{};
  auto t = memory_.read(addr, std::span(&original, 1));
  if (t.bytes != 1) return t.error ? t.error : make_error_code(errc::unmapped);
  if (auto ec = write_byte(memory_, addr, kInt3)) return ec;
  table_.emplace(addr, original);
  return {};
}

std::error_code SoftwareBreakpoints::remove(Addr addr) {
  auto it = table_.find(addr);
  if (it == table_.end()) return {};  // gdb removes what it never inserted after a failed insert
  auto ec = write_byte(memory_, addr, it->second);
  table_.erase(it);
  return ec;
}

std::error_code SoftwareBreakpoints::lift(Addr addr) {
  auto it = table_.find(addr);
  if (it == table_.end()) return {};
  return write_byte(memory_, addr, it->second);
}

std::error_code SoftwareBreakpoints::replant(Addr addr) {
  if (!table_.contains(addr)) return {};
  return write_byte(memory_, addr, kInt3);
}

void SoftwareBreakpoints::lift_all() {
  for (const auto& [addr, original] : table_) (void)write_byte(memory_, addr, original);
}

void SoftwareBreakpoints::replant_all() {
  for (const auto& entry : table_) (void)write_byte(memory_, entry.first, kInt3);
}

void SoftwareBreakpoints::remove_all() {
  for (const auto& [addr, original] : table_) (void)write_byte(memory_, addr, original);
  table_.clear();
}

void SoftwareBreakpoints::restore_in(const ProcMemory& other) const {
  for (const auto& [addr, original] : table_) (void)write_byte(other, addr, original);
}

Transfer SoftwareBreakpoints::read(Addr addr, std::span<std::byte> out) const {
  auto t = memory_.read(addr, out);
  if (table_.empty()) return t;
  for (auto it = table_.lower_bound(addr); it != table_.end() && it->first - addr < t.bytes; ++it)
    out[it->first - addr] = it->second;
  return t;
}

// The client's bytes land as written, except that an inserted breakpoint keeps its int3 and
// records the new byte as the one to restore.
Transfer SoftwareBreakpoints::write(Addr addr, std::span<const std::byte> data) {
  auto first = table_.lower_bound(addr);
  if (first == table_.end() || first->first - addr >= data.size()) return memory_.write(addr, data);
  std::vector<std::byte> patched(data.begin(), data.end());
  for (auto it = first; it != table_.end() && it->first - addr < data.size(); ++it) patched[it->first - addr] = kInt3;
  auto t = memory_.write(addr, patched);
  for (auto it = first; it != table_.end() && it->first - addr < t.bytes; ++it) it->second = data[it->first - addr];
  return t;
}

}  // namespace remora::targets::ptrace
