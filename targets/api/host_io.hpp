// Host file access for the client (gdb's and lldb's vFile packets): open/pread/pwrite/close and
// friends on the machine remora runs on. Errors are Linux errno values; the protocol core maps
// them to gdb's File-I/O numbers. What a client may touch is the implementation's policy
// (targets/hostfs: confined to the debugged program's files by default).
#pragma once
#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>

namespace remora::targets {

// How to open (gdb's File-I/O open flags, decoded by the protocol core).
struct OpenFlags {
  enum class Access : std::uint8_t { read, write, read_write };
  Access access = Access::read;
  bool append = false;
  bool create = false;
  bool truncate = false;
  bool exclusive = false;
  bool writes() const { return access != Access::read || append || create || truncate; }
};

// gdb's File-I/O `struct stat` fields (the wire format narrows some to 32 bits).
struct FileStat {
  std::uint64_t dev = 0, ino = 0;
  std::uint32_t mode = 0, nlink = 0, uid = 0, gid = 0;
  std::uint64_t rdev = 0, size = 0, blksize = 0, blocks = 0;
  std::int64_t atime = 0, mtime = 0, ctime = 0;
};

class HostIO {
 public:
  virtual ~HostIO() = default;
  using Errno = int;  // a Linux errno value

  // Returns a small handle (not a host descriptor) valid until close() or close_all().
  virtual std::expected<int, Errno> open(std::string_view path, OpenFlags flags, std::uint32_t mode) = 0;
  virtual std::expected<void, Errno> close(int fd) = 0;
  virtual std::expected<std::size_t, Errno> pread(int fd, std::span<std::byte> out, std::uint64_t offset) = 0;
  virtual std::expected<std::size_t, Errno> pwrite(int fd, std::span<const std::byte> data, std::uint64_t offset) = 0;
  virtual std::expected<FileStat, Errno> fstat(int fd) = 0;
  virtual std::expected<FileStat, Errno> stat(std::string_view path) = 0;
  virtual std::expected<FileStat, Errno> lstat(std::string_view path) = 0;
  virtual std::expected<std::string, Errno> readlink(std::string_view path) = 0;
  virtual std::expected<void, Errno> unlink(std::string_view path) = 0;
  // Whose filesystem view later paths name: 0 is remora's own, otherwise a process id.
  virtual std::expected<void, Errno> setfs(std::int64_t pid) = 0;
  // The client went away: every handle it opened is closed.
  virtual void close_all() = 0;
};

}  // namespace remora::targets
