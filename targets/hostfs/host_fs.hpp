// HostIO over the real filesystem, with remora's vFile policy:
//  - confined (default): read-only, and only the debugged process's own files — its executable
//    (/proc/PID/exe), everything /proc/PID/maps names (interpreter, libraries, mapped files) and
//    /proc/PID/... itself. Paths are compared after realpath(), so /proc/PID/root/etc/shadow or a
//    symlink to a secret is judged by where it really leads.
//  - open (--vfile=open): any path the remora user may open, writes and unlink allowed.
//  - off: no HostIO at all (the stub does not create one).
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "targets/api/host_io.hpp"

namespace remora::targets::hostfs {

enum class Policy { confined, open };

class HostFs final : public HostIO {
 public:
  static constexpr std::size_t kMaxOpenFiles = 64;
  // `debugged_pid` names the process whose files confined mode allows (0: none yet).
  HostFs(Policy policy, std::function<std::int64_t()> debugged_pid);
  ~HostFs() override;
  HostFs(const HostFs&) = delete;
  HostFs& operator=(const HostFs&) = delete;

  std::expected<int, Errno> open(std::string_view path, OpenFlags flags, std::uint32_t mode) override;
  std::expected<void, Errno> close(int fd) override;
  std::expected<std::size_t, Errno> pread(int fd, std::span<std::byte> out, std::uint64_t offset) override;
  std::expected<std::size_t, Errno> pwrite(int fd, std::span<const std::byte> data, std::uint64_t offset) override;
  std::expected<FileStat, Errno> fstat(int fd) override;
  std::expected<FileStat, Errno> stat(std::string_view path) override;
  std::expected<FileStat, Errno> lstat(std::string_view path) override;
  std::expected<std::string, Errno> readlink(std::string_view path) override;
  std::expected<void, Errno> unlink(std::string_view path) override;
  std::expected<void, Errno> setfs(std::int64_t pid) override;
  void close_all() override;

  std::size_t open_count() const;

 private:
  // The path to use on the host when the policy allows `path` (for reading, or for writing),
  // else the errno to answer: EACCES outside the confinement, EROFS for a write inside it.
  std::expected<std::string, Errno> admit(std::string_view path, bool write) const;
  bool confined_allows(const std::string& real) const;
  std::expected<int, Errno> host_fd(int fd) const;

  Policy policy_;
  std::function<std::int64_t()> debugged_pid_;
  std::array<int, kMaxOpenFiles> fds_;  // -1: free
};

// Same mount namespace as remora (then setfs:PID changes nothing about what paths name).
bool same_mount_namespace(std::int64_t pid);

}  // namespace remora::targets::hostfs
