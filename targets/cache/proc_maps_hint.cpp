#include "targets/cache/proc_maps_hint.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

namespace remora::targets::cache {
namespace {

bool take_hex(std::string_view& s, Addr& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 16);
  if (ec != std::errc{} || end == s.data()) return false;
  s.remove_prefix(static_cast<std::size_t>(end - s.data()));
  return true;
}

std::string_view next_field(std::string_view& s) {
  const auto start = s.find_first_not_of(' ');
  if (start == std::string_view::npos) return s = {}, std::string_view{};
  s.remove_prefix(start);
  const auto end = std::min(s.find(' '), s.size());
  auto field = s.substr(0, end);
  s.remove_prefix(end);
  return field;
}

// "START-END PERMS OFFSET DEV INODE [PATH]"
bool parse_line(std::string_view line, MapEntry& e) {
  if (!take_hex(line, e.start) || line.empty() || line.front() != '-') return false;
  line.remove_prefix(1);
  if (!take_hex(line, e.end) || e.end <= e.start) return false;
  auto perms = next_field(line);
  if (perms.size() != 4) return false;
  e.readable = perms[0] == 'r';
  e.writable = perms[1] == 'w';
  e.shared = perms[3] == 's';
  auto offset = next_field(line);
  if (offset.empty() || std::from_chars(offset.data(), offset.data() + offset.size(), e.offset, 16).ec != std::errc{})
    return false;
  next_field(line);  // device
  auto inode = next_field(line);
  if (inode.empty() || std::from_chars(inode.data(), inode.data() + inode.size(), e.inode).ec != std::errc{})
    return false;
  const auto path = line.find_first_not_of(' ');
  e.path = path == std::string_view::npos ? std::string() : std::string(line.substr(path));
  return true;
}

}  // namespace

std::string read_proc_file(const std::string& path) {
  std::string out;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  ::close(fd);
  return out;
}

std::vector<MapEntry> parse_proc_maps(std::string_view text) {
  std::vector<MapEntry> out;
  while (!text.empty()) {
    const auto nl = std::min(text.find('\n'), text.size());
    MapEntry e;
    if (parse_line(text.substr(0, nl), e)) out.push_back(std::move(e));
    text.remove_prefix(std::min(nl + 1, text.size()));
  }
  return out;
}

WriteBackPolicy write_back_policy(const MapEntry& e) {
  if (e.shared) return WriteBackPolicy::never;
  if (e.path.starts_with("/dev/") && !e.path.starts_with("/dev/zero")) return WriteBackPolicy::never;
  // [vvar], [vvar_vclock], [vsyscall], [vdso] are the kernel's; never hold writes for them.
  if (e.path.starts_with("[v")) return WriteBackPolicy::never;
  const bool anonymous = e.inode == 0;
  if (anonymous && e.writable) return WriteBackPolicy::allowed;
  return WriteBackPolicy::after_proof;
}

void ProcMapsHint::load() {
  maps_.clear();
  loaded_ = true;
  const int pid = pid_ ? pid_() : 0;
  if (pid <= 0) return;
  maps_ = parse_proc_maps(read_proc_file("/proc/" + std::to_string(pid) + "/maps"));
}

WritableHint ProcMapsHint::hint(Addr addr, std::size_t length) {
  if (!loaded_) load();
  auto it = std::upper_bound(maps_.begin(), maps_.end(), addr, [](Addr a, const MapEntry& e) { return a < e.start; });
  if (it == maps_.begin() || std::prev(it)->end <= addr) {
    // Unmapped: never held back, up to the next mapping.
    const Addr next = it == maps_.end() ? addr + length : it->start;
    return {WriteBackPolicy::never, static_cast<std::size_t>(std::min<Addr>(next - addr, length))};
  }
  const auto& e = *std::prev(it);
  return {write_back_policy(e), static_cast<std::size_t>(std::min<Addr>(e.end - addr, length))};
}

}  // namespace remora::targets::cache
