#include "targets/emulated/monitor.hpp"

#include "targets/emulated/numbers.hpp"

namespace remora::targets::emulated {
namespace {

constexpr std::string_view kFaultUsage = "usage: fault read|write ADDR[,LEN] | fault clear\n";

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

// Splits "word rest" into word and trimmed rest.
std::pair<std::string_view, std::string_view> split_word(std::string_view s) {
  s = trim(s);
  auto space = s.find_first_of(" \t");
  if (space == std::string_view::npos) return {s, {}};
  return {s.substr(0, space), trim(s.substr(space))};
}

std::string perms(const RegionSpec& r) {
  return std::string{r.readable ? 'r' : '-', r.writable ? 'w' : '-', r.executable ? 'x' : '-'};
}

}  // namespace

std::vector<MonitorCommands::Command> Monitor::commands() const {
  return {{"regions", "list the memory regions and injected faults"},
          {"fault", "fault read|write ADDR[,LEN]: make accesses fail from ADDR; fault clear: remove all"}};
}

std::optional<std::string> Monitor::run(std::string_view command_line, std::error_code& error) {
  error.clear();
  auto [word, args] = split_word(command_line);
  if (word == "regions") return regions_text();
  if (word == "fault") return fault(args, error);
  return std::nullopt;
}

std::string Monitor::regions_text() const {
  std::string out;
  for (const auto& r : space_.regions()) {
    out += hex(r.start(), 16) + "-" + hex(r.end(), 16) + " " + perms(r.spec());
    if (!r.spec().name.empty()) out += " " + r.spec().name;
    out += "\n";
  }
  for (const auto& f : space_.faults())
    out += std::string("fault ") + (f.kind == FaultKind::read ? "read  " : "write ") + hex(f.start, 16) + "-" +
           hex(f.end, 16) + "\n";
  return out;
}

std::string Monitor::fault(std::string_view args, std::error_code& error) {
  auto [kind, rest] = split_word(args);
  if (kind == "clear" && rest.empty()) {
    space_.clear_faults();
    return "faults cleared\n";
  }
  if ((kind != "read" && kind != "write") || rest.empty()) {
    error = errc::invalid_argument;
    return std::string(kFaultUsage);
  }
  auto spec = parse_fault_spec(std::string(kind) + ":" + std::string(rest));
  if (!spec) {
    error = errc::invalid_argument;
    return spec.error() + "\n";
  }
  if (auto ok = space_.add_fault(*spec); !ok) {
    error = errc::invalid_argument;
    return ok.error() + "\n";
  }
  const auto& f = space_.faults().back();
  return std::string(kind) + " fault " + hex(f.start) + "-" + hex(f.end) + "\n";
}

}  // namespace remora::targets::emulated
