// The --region and --fault option syntax (see targets/README.md).
#include <limits>
#include <string>

#include "targets/emulated/emulated_target.hpp"
#include "targets/emulated/numbers.hpp"

namespace remora::targets::emulated {
namespace {

// Built with append only: GCC 12 at -O3 reports a false -Wrestrict for `"literal" + std::string`.
std::string quoted(std::string_view text) {
  std::string out = "'";
  out.append(text).append("'");
  return out;
}

// Splits off the text before the next comma; `rest` keeps what follows it.
std::string_view next_field(std::string_view& rest, bool& had_comma) {
  auto comma = rest.find(',');
  had_comma = comma != std::string_view::npos;
  auto field = rest.substr(0, comma);
  rest = had_comma ? rest.substr(comma + 1) : std::string_view{};
  return field;
}

// r, w, x each at most once, '-' as a placeholder anywhere: "rw-", "r-x", "rx", "---".
std::expected<void, std::string> parse_perms(std::string_view text, RegionSpec& spec) {
  if (text.empty()) return std::unexpected("missing permissions (use r, w, x and -)");
  spec.readable = spec.writable = spec.executable = false;
  for (char c : text) {
    bool* flag = c == 'r' ? &spec.readable : c == 'w' ? &spec.writable : c == 'x' ? &spec.executable : nullptr;
    if (c == '-') continue;
    if (flag == nullptr || *flag)
      return std::unexpected("bad permissions " + quoted(text) + " (use r, w, x and - , each once)");
    *flag = true;
  }
  return {};
}

bool wraps(Addr start, Addr size) {
  // Regions end at or below 2^64-1 so that `start + size` is always representable.
  return size > std::numeric_limits<Addr>::max() - start;
}

}  // namespace

std::expected<RegionSpec, std::string> parse_region_spec(std::string_view text) {
  if (text.empty()) return std::unexpected("empty region spec (expected START,SIZE,PERMS[,NAME])");
  RegionSpec spec;
  bool comma = false;
  std::string_view rest = text;
  auto start_text = next_field(rest, comma);
  if (!comma) return std::unexpected("bad region spec " + quoted(text) + " (expected START,SIZE,PERMS[,NAME])");
  auto size_text = next_field(rest, comma);
  if (!comma) return std::unexpected("bad region spec " + quoted(text) + " (expected START,SIZE,PERMS[,NAME])");
  auto perms_text = next_field(rest, comma);
  auto start = parse_c_number(start_text);
  if (!start) return std::unexpected("bad region start " + quoted(start_text));
  auto size = parse_c_number(size_text);
  if (!size) return std::unexpected("bad region size " + quoted(size_text));
  if (*size == 0) return std::unexpected("region size must not be zero");
  if (wraps(*start, *size)) return std::unexpected("region " + quoted(text) + " runs past the end of the address space");
  if (auto ok = parse_perms(perms_text, spec); !ok) return std::unexpected(ok.error());
  if (comma && rest.empty()) return std::unexpected("empty region name in " + quoted(text));
  spec.start = *start;
  spec.size = *size;
  spec.name = std::string(rest);  // the name is everything after the third comma
  return spec;
}

std::expected<FaultSpec, std::string> parse_fault_spec(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos)
    return std::unexpected("bad fault spec " + quoted(text) + " (expected read:ADDR[,LEN] or write:ADDR[,LEN])");
  FaultSpec spec;
  auto kind = text.substr(0, colon);
  if (kind == "read") spec.kind = FaultKind::read;
  else if (kind == "write") spec.kind = FaultKind::write;
  else return std::unexpected("unknown fault kind " + quoted(kind) + " (use read or write)");
  std::string_view rest = text.substr(colon + 1);
  bool comma = false;
  auto addr_text = next_field(rest, comma);
  auto addr = parse_c_number(addr_text);
  if (!addr) return std::unexpected("bad fault address " + quoted(addr_text));
  spec.address = *addr;
  if (!comma) return spec;
  auto len = parse_c_number(rest);
  if (!len) return std::unexpected("bad fault length " + quoted(rest));
  // LEN omitted means "to the end of the region"; an explicit 0 is almost certainly a mistake.
  if (*len == 0) return std::unexpected("fault length must not be zero (omit it to fault to the region end)");
  if (wraps(*addr, *len)) return std::unexpected("fault " + quoted(text) + " runs past the end of the address space");
  spec.length = *len;
  return spec;
}

}  // namespace remora::targets::emulated
