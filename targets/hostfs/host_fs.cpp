#include "targets/hostfs/host_fs.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <memory>

namespace remora::targets::hostfs {
namespace {

std::optional<std::string> real_path(const std::string& path) {
  std::unique_ptr<char, decltype(&std::free)> resolved(::realpath(path.c_str(), nullptr), &std::free);
  if (!resolved) return std::nullopt;
  return std::string(resolved.get());
}

FileStat from_stat(const struct stat& st) {
  FileStat f;
  f.dev = st.st_dev;
  f.ino = st.st_ino;
  f.mode = st.st_mode;
  f.nlink = static_cast<std::uint32_t>(st.st_nlink);
  f.uid = st.st_uid;
  f.gid = st.st_gid;
  f.rdev = st.st_rdev;
  f.size = static_cast<std::uint64_t>(st.st_size);
  f.blksize = static_cast<std::uint64_t>(st.st_blksize);
  f.blocks = static_cast<std::uint64_t>(st.st_blocks);
  f.atime = st.st_atime;
  f.mtime = st.st_mtime;
  f.ctime = st.st_ctime;
  return f;
}

int host_flags(OpenFlags flags) {
  int f = O_CLOEXEC;
  switch (flags.access) {
    case OpenFlags::Access::read: f |= O_RDONLY; break;
    case OpenFlags::Access::write: f |= O_WRONLY; break;
    case OpenFlags::Access::read_write: f |= O_RDWR; break;
  }
  if (flags.append) f |= O_APPEND;
  if (flags.create) f |= O_CREAT;
  if (flags.truncate) f |= O_TRUNC;
  if (flags.exclusive) f |= O_EXCL;
  return f;
}

// The file names /proc/PID/maps lists (the pathname column, when it is an absolute path).
bool maps_names(std::int64_t pid, const std::string& real) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  std::string line;
  while (std::getline(maps, line)) {
    auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    std::string name = line.substr(slash);
    if (name.ends_with(" (deleted)")) continue;
    if (name == real || real_path(name) == real) return true;
  }
  return false;
}

}  // namespace

bool same_mount_namespace(std::int64_t pid) {
  char mine[PATH_MAX], theirs[PATH_MAX];
  auto a = ::readlink("/proc/self/ns/mnt", mine, sizeof mine);
  auto b = ::readlink(("/proc/" + std::to_string(pid) + "/ns/mnt").c_str(), theirs, sizeof theirs);
  return a > 0 && a == b && std::string_view(mine, a) == std::string_view(theirs, b);
}

HostFs::HostFs(Policy policy, std::function<std::int64_t()> debugged_pid)
    : policy_(policy), debugged_pid_(std::move(debugged_pid)) {
  fds_.fill(-1);
}

HostFs::~HostFs() { close_all(); }

bool HostFs::confined_allows(const std::string& real) const {
  const std::int64_t pid = debugged_pid_ ? debugged_pid_() : 0;
  if (pid <= 0) return false;
  const std::string proc = "/proc/" + std::to_string(pid);
  // /proc/PID/... after realpath is the process's own proc file (exe, cwd, root and fd/N have
  // already been resolved to where they lead and are judged below by that).
  if (real.starts_with(proc + "/")) return true;
  if (real_path(proc + "/exe") == real) return true;
  return maps_names(pid, real);
}

std::expected<std::string, HostIO::Errno> HostFs::admit(std::string_view path, bool write) const {
  std::string p(path);
  if (p.empty()) return std::unexpected(ENOENT);
  if (p.find('\0') != std::string::npos) return std::unexpected(EINVAL);
  if (policy_ == Policy::open) return p;
  auto real = real_path(p);
  // A file that does not exist is outside the confinement by definition: say EACCES, not
  // ENOENT, so probing does not reveal which paths exist.
  if (!real || !confined_allows(*real)) return std::unexpected(EACCES);
  if (write) return std::unexpected(EROFS);
  return *real;  // opened by its resolved name, so a symlink swapped in later is not followed
}

std::expected<int, HostIO::Errno> HostFs::host_fd(int fd) const {
  if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size() || fds_[fd] < 0) return std::unexpected(EBADF);
  return fds_[fd];
}

std::expected<int, HostIO::Errno> HostFs::open(std::string_view path, OpenFlags flags, std::uint32_t mode) {
  auto host = admit(path, flags.writes());
  if (!host) return std::unexpected(host.error());
  std::size_t slot = 0;
  while (slot < fds_.size() && fds_[slot] >= 0) ++slot;
  if (slot == fds_.size()) return std::unexpected(EMFILE);
  int fd = ::open(host->c_str(), host_flags(flags), static_cast<mode_t>(mode & 0777));
  if (fd < 0) return std::unexpected(errno);
  fds_[slot] = fd;
  return static_cast<int>(slot);
}

std::expected<void, HostIO::Errno> HostFs::close(int fd) {
  auto host = host_fd(fd);
  if (!host) return std::unexpected(host.error());
  fds_[fd] = -1;
  if (::close(*host) != 0 && errno != EINTR) return std::unexpected(errno);
  return {};
}

std::expected<std::size_t, HostIO::Errno> HostFs::pread(int fd, std::span<std::byte> out, std::uint64_t offset) {
  auto host = host_fd(fd);
  if (!host) return std::unexpected(host.error());
  if (offset > static_cast<std::uint64_t>(INT64_MAX)) return std::unexpected(EINVAL);
  auto n = ::pread(*host, out.data(), out.size(), static_cast<off_t>(offset));
  if (n < 0) return std::unexpected(errno);
  return static_cast<std::size_t>(n);
}

std::expected<std::size_t, HostIO::Errno> HostFs::pwrite(int fd, std::span<const std::byte> data,
                                                         std::uint64_t offset) {
  auto host = host_fd(fd);
  if (!host) return std::unexpected(host.error());
  if (offset > static_cast<std::uint64_t>(INT64_MAX)) return std::unexpected(EINVAL);
  // Confined mode opens nothing for writing, so a write here fails with the host's EBADF.
  auto n = ::pwrite(*host, data.data(), data.size(), static_cast<off_t>(offset));
  if (n < 0) return std::unexpected(errno);
  return static_cast<std::size_t>(n);
}

std::expected<FileStat, HostIO::Errno> HostFs::fstat(int fd) {
  auto host = host_fd(fd);
  if (!host) return std::unexpected(host.error());
  struct stat st {};
  if (::fstat(*host, &st) != 0) return std::unexpected(errno);
  return from_stat(st);
}

std::expected<FileStat, HostIO::Errno> HostFs::stat(std::string_view path) {
  auto host = admit(path, false);
  if (!host) return std::unexpected(host.error());
  struct stat st {};
  if (::stat(host->c_str(), &st) != 0) return std::unexpected(errno);
  return from_stat(st);
}

std::expected<FileStat, HostIO::Errno> HostFs::lstat(std::string_view path) {
  // Confined: the link itself must lead somewhere allowed; its own lstat is then harmless.
  auto host = admit(path, false);
  if (!host) return std::unexpected(host.error());
  struct stat st {};
  if (::lstat(std::string(path).c_str(), &st) != 0) return std::unexpected(errno);
  return from_stat(st);
}

std::expected<std::string, HostIO::Errno> HostFs::readlink(std::string_view path) {
  auto host = admit(path, false);
  if (!host) return std::unexpected(host.error());
  char buf[PATH_MAX];
  auto n = ::readlink(std::string(path).c_str(), buf, sizeof buf);
  if (n < 0) return std::unexpected(errno);
  return std::string(buf, static_cast<std::size_t>(n));
}

std::expected<void, HostIO::Errno> HostFs::unlink(std::string_view path) {
  auto host = admit(path, true);
  if (!host) return std::unexpected(host.error());
  if (::unlink(host->c_str()) != 0) return std::unexpected(errno);
  return {};
}

std::expected<void, HostIO::Errno> HostFs::setfs(std::int64_t pid) {
  // remora does not enter other mount namespaces: a pid whose view is remora's own is
  // accepted (nothing changes), anything else is refused so gdb keeps using remora's view.
  if (pid == 0) return {};
  if (pid < 0 || ::access(("/proc/" + std::to_string(pid)).c_str(), F_OK) != 0) return std::unexpected(ENOENT);
  if (!same_mount_namespace(pid)) return std::unexpected(ENOSYS);
  return {};
}

void HostFs::close_all() {
  for (auto& fd : fds_) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
}

std::size_t HostFs::open_count() const {
  std::size_t n = 0;
  for (int fd : fds_) n += fd >= 0;
  return n;
}

}  // namespace remora::targets::hostfs
