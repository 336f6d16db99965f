#include "stub/diagnose.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

namespace remora::stub {
namespace {

// The socket inodes bound to `port` in one /proc/net/tcp-style table (listening ones first).
std::vector<std::string> socket_inodes(const std::string& table, std::uint16_t port) {
  std::ifstream in(table);
  std::string line;
  std::getline(in, line);  // header
  std::vector<std::string> listening, other;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
    if (!(fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode))
      continue;
    auto colon = local.rfind(':');
    unsigned value = 0;
    if (colon == std::string::npos ||
        std::from_chars(local.data() + colon + 1, local.data() + local.size(), value, 16).ec != std::errc{} ||
        value != port || inode == "0")
      continue;
    (state == "0A" ? listening : other).push_back(inode);  // 0A: TCP_LISTEN
  }
  listening.insert(listening.end(), other.begin(), other.end());
  return listening;
}

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// The first process with a descriptor on socket `inode`: "process PID (comm)".
std::optional<std::string> socket_owner(const std::string& proc_root, const std::string& inode) {
  const std::string wanted = "socket:[" + inode + "]";
  DIR* procs = ::opendir(proc_root.c_str());
  if (procs == nullptr) return std::nullopt;
  std::optional<std::string> found;
  while (!found) {
    dirent* entry = ::readdir(procs);
    if (entry == nullptr) break;
    std::string_view pid = entry->d_name;
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string_view::npos) continue;
    const std::string fd_dir = proc_root + "/" + std::string(pid) + "/fd";
    DIR* fds = ::opendir(fd_dir.c_str());
    if (fds == nullptr) continue;  // another user's process: not ours to look into
    while (dirent* fd = ::readdir(fds)) {
      char target[64];
      const std::string link = fd_dir + "/" + fd->d_name;
      auto n = ::readlink(link.c_str(), target, sizeof target - 1);
      if (n <= 0 || std::string_view(target, static_cast<std::size_t>(n)) != wanted) continue;
      found = "process " + std::string(pid) + " (" + read_first_line(proc_root + "/" + std::string(pid) + "/comm") + ")";
      break;
    }
    ::closedir(fds);
  }
  ::closedir(procs);
  return found;
}

}  // namespace

std::optional<std::string> port_holder(std::uint16_t port, const std::string& proc_root) {
  if (port == 0) return std::nullopt;
  auto inodes = socket_inodes(proc_root + "/net/tcp", port);
  auto inodes6 = socket_inodes(proc_root + "/net/tcp6", port);
  inodes.insert(inodes.end(), inodes6.begin(), inodes6.end());
  if (inodes.empty()) return std::nullopt;
  for (const auto& inode : inodes)
    if (auto owner = socket_owner(proc_root, inode)) return owner;
  return "a process remora may not inspect (another user's; 'ss -ltnp sport = :" + std::to_string(port) +
         "' as root names it)";
}

std::string launch_hint(const std::string& program) {
  struct stat st{};
  if (::stat(program.c_str(), &st) != 0) {
    if (program.find('/') != std::string::npos) return {};
    return "remora: '" + program + "' is neither on PATH nor in the current directory; give its path";
  }
  if (S_ISDIR(st.st_mode)) return "remora: " + program + " is a directory; PROG must be a program file";
  if ((st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) == 0)
    return "remora: " + program + " has no execute permission; 'chmod +x " + program + "' makes it runnable";
  return {};
}

}  // namespace remora::stub
