#include "targets/qemu/qemu_system.hpp"

#include <algorithm>

#include "rsp/codec.hpp"

namespace remora::targets::qemu {
namespace {

constexpr Addr page_size = 0x1000;  // x86's translation granule (gva2gpa works per page)
constexpr std::size_t max_translations = 4096;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

// "0000000000100000-0000000007ffffff (prio 0, ram): pc.ram @..." -> the range, if ram or rom.
std::optional<PhysicalRange> parse_region_line(std::string_view line) {
  auto dash = line.find('-');
  auto open = line.find(" (");
  auto close = line.find("):");
  if (dash == std::string_view::npos || open == std::string_view::npos || close == std::string_view::npos ||
      !(dash < open && open < close))
    return std::nullopt;
  auto first = rsp::parse_hex_u64(line.substr(0, dash));
  auto last = rsp::parse_hex_u64(line.substr(dash + 1, open - dash - 1));
  std::string_view attrs = line.substr(open + 2, close - open - 2);  // "prio 0, ram"
  auto comma = attrs.rfind(", ");
  if (!first || !last || *last < *first || comma == std::string_view::npos) return std::nullopt;
  std::string_view type = attrs.substr(comma + 2);
  if (type != "ram" && type != "rom") return std::nullopt;
  return PhysicalRange{*first, *last};
}

}  // namespace

std::vector<PhysicalRange> parse_mtree_ram(std::string_view mtree) {
  std::vector<PhysicalRange> out;
  bool in_memory_view = false;
  while (!mtree.empty()) {
    auto nl = mtree.find('\n');
    std::string_view line = trim(mtree.substr(0, nl));
    mtree.remove_prefix(nl == std::string_view::npos ? mtree.size() : nl + 1);
    if (line.starts_with("FlatView")) {
      in_memory_view = false;
    } else if (line == "AS \"memory\", root: system") {
      in_memory_view = true;
    } else if (in_memory_view) {
      if (auto r = parse_region_line(line)) out.push_back(*r);
    }
  }
  std::sort(out.begin(), out.end(), [](const PhysicalRange& a, const PhysicalRange& b) { return a.first < b.first; });
  return out;
}

std::optional<Addr> parse_gva2gpa(std::string_view output) {
  output = trim(output);
  if (!output.starts_with("gpa: 0x")) return std::nullopt;
  auto v = rsp::parse_hex_u64(trim(output.substr(7)));
  return v ? std::optional<Addr>(*v) : std::nullopt;
}

Transfer SystemMemory::read_virtual(Addr addr, std::span<std::byte> out) {
  if (auto ec = hooks_.select_cpu()) return {0, ec};
  return lower_.read_virtual(addr, out);
}

Transfer SystemMemory::write_virtual(Addr addr, std::span<const std::byte> data) {
  if (auto ec = hooks_.select_cpu()) return {0, ec};
  return lower_.write_virtual(addr, data);
}

// Addresses mean something else through another vCPU (its own page tables) or in physical mode.
std::uint64_t SystemMemory::view() const {
  return (static_cast<std::uint64_t>(hooks_.cpu()) << 1) | (hooks_.physical() ? 1 : 0);
}

bool SystemMemory::in_ram(Addr first, Addr last) const {
  // Adjacent regions (pc.ram then pc.rom ...) together may cover the range.
  Addr at = first;
  for (const auto& r : ram_) {
    if (r.last < at) continue;
    if (r.first > at) return false;
    if (r.last >= last) return true;
    at = r.last + 1;
  }
  return false;
}

std::optional<Addr> SystemMemory::translate(Addr page) {
  const auto key = std::make_pair(hooks_.cpu(), page);
  if (auto it = translations_.find(key); it != translations_.end()) return it->second;
  if (translations_.size() >= max_translations) translations_.clear();
  std::optional<Addr> physical;
  std::string command = "gva2gpa 0x";
  rsp::append_hex_u64(command, page);
  if (auto output = hooks_.monitor(command)) physical = parse_gva2gpa(*output);
  translations_[key] = physical;
  return physical;
}

bool SystemMemory::may_read_ahead(Addr addr, std::size_t length) {
  if (length == 0) return true;
  if (ram_.empty()) return false;
  const Addr last = addr + (length - 1);
  if (last < addr) return false;
  if (hooks_.physical()) return in_ram(addr, last);
  // gva2gpa translates through the monitor's CPU, the first vCPU only.
  if (hooks_.cpu() != 1) return false;
  for (Addr page = addr & ~(page_size - 1);; page += page_size) {
    auto physical = translate(page);
    if (!physical) return false;
    const Addr from = std::max(addr, page) - page + *physical;
    const Addr to = std::min(last, page + (page_size - 1)) - page + *physical;
    if (!in_ram(from, to)) return false;
    if (page + (page_size - 1) >= last) return true;
  }
}

}  // namespace remora::targets::qemu
