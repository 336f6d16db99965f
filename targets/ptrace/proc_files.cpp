#include "targets/ptrace/proc_files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace remora::targets::ptrace {
namespace {
std::string proc_path(pid_t pid, const std::string& rest) { return "/proc/" + std::to_string(pid) + "/" + rest; }
}  // namespace

namespace {
std::vector<pid_t> numeric_entries(const std::string& path) {
  std::vector<pid_t> out;
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return out;
  while (const dirent* entry = ::readdir(dir)) {
    pid_t tid = 0;
    const char* name = entry->d_name;
    const char* end = name + std::char_traits<char>::length(name);
    auto [ptr, ec] = std::from_chars(name, end, tid);
    if (ec == std::errc{} && ptr == end && tid > 0) out.push_back(tid);
  }
  ::closedir(dir);
  return out;
}
}  // namespace

std::vector<pid_t> list_tasks(pid_t pid) { return numeric_entries(proc_path(pid, "task")); }

std::vector<pid_t> list_processes() {
  auto out = numeric_entries("/proc");
  std::sort(out.begin(), out.end());
  return out;
}

std::string task_name(pid_t pid, pid_t tid) {
  std::ifstream in(proc_path(pid, "task/" + std::to_string(tid) + "/comm"));
  std::string name;
  std::getline(in, name);
  return name;
}

// Lines look like "7f0000000000-7f0000001000 r-xp 00000000 08:01 1234   /lib/x.so".
std::vector<MemoryRegion> read_maps(pid_t pid) {
  std::vector<MemoryRegion> out;
  std::ifstream in(proc_path(pid, "maps"));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string range, perms, offset, device, inode, name;
    fields >> range >> perms >> offset >> device >> inode;
    std::getline(fields >> std::ws, name);
    const auto dash = range.find('-');
    if (dash == std::string::npos || perms.size() < 3) continue;
    const Addr start = std::strtoull(range.substr(0, dash).c_str(), nullptr, 16);
    const Addr end = std::strtoull(range.substr(dash + 1).c_str(), nullptr, 16);
    if (end <= start) continue;
    out.push_back({start, end - start, perms[0] == 'r', perms[1] == 'w', perms[2] == 'x', name});
  }
  return out;
}

std::optional<pid_t> tracer_of(pid_t pid) {
  std::ifstream in(proc_path(pid, "status"));
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with("TracerPid:")) return static_cast<pid_t>(std::atoi(line.c_str() + 10));
  return std::nullopt;
}

std::uint64_t thread_pending_signals(pid_t pid, pid_t tid) {
  std::ifstream in(proc_path(pid, "task/" + std::to_string(tid) + "/status"));
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with("SigPnd:")) return std::strtoull(line.c_str() + 7, nullptr, 16);
  return 0;
}

char task_state(pid_t pid, pid_t tid) {
  auto stat = read_proc_file(pid, "task/" + std::to_string(tid) + "/stat");
  if (!stat) return '?';
  const auto paren = stat->rfind(')');  // the name in parentheses may hold anything
  return paren != std::string::npos && paren + 2 < stat->size() ? (*stat)[paren + 2] : '?';
}

std::optional<std::string> read_proc_file(pid_t pid, const std::string& name) {
  const int fd = ::open(proc_path(pid, name).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

std::string exe_path(pid_t pid) {
  char buf[4096];
  const ssize_t n = ::readlink(proc_path(pid, "exe").c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string{};
}

}  // namespace remora::targets::ptrace
