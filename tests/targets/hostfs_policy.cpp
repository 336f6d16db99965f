// HostFs over the real filesystem: the confined policy (the debugged process's own files,
// read-only; judged after realpath) against --vfile=open, and the bounded handle table.
// The "debugged process" here is this test itself: its exe and /proc/self/maps are real.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include "targets/hostfs/host_fs.hpp"

using namespace remora::targets;
using hostfs::HostFs;
using hostfs::Policy;

namespace {

std::int64_t self() { return ::getpid(); }

std::string own_exe() {
  char buf[4096];
  auto n = ::readlink("/proc/self/exe", buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

// A file outside everything this process maps, removed at scope exit.
struct TempFile {
  std::string path;
  TempFile() {
    char name[] = "/tmp/remora_hostfs_XXXXXX";
    int fd = ::mkstemp(name);
    if (fd >= 0) {
      (void)!::write(fd, "secret", 6);
      ::close(fd);
      path = name;
    }
  }
  ~TempFile() {
    if (!path.empty()) ::unlink(path.c_str());
  }
};

OpenFlags read_only() { return {}; }
OpenFlags write_create() {
  OpenFlags f;
  f.access = OpenFlags::Access::write;
  f.create = true;
  return f;
}

}  // namespace

TEST_CASE("confined: the program itself opens and reads; /etc/shadow and other files get EACCES") {
  HostFs fs(Policy::confined, self);
  auto exe = own_exe();
  REQUIRE(!exe.empty());
  auto fd = fs.open(exe, read_only(), 0);
  REQUIRE(fd.has_value());
  std::vector<std::byte> head(4);
  auto n = fs.pread(*fd, head, 0);
  REQUIRE(n.has_value());
  CHECK(*n == 4);
  CHECK(head[1] == std::byte{'E'});  // \x7fELF
  auto st = fs.fstat(*fd);
  REQUIRE(st.has_value());
  CHECK(S_ISREG(st->mode));
  CHECK(st->size > 4);
  CHECK(fs.close(*fd).has_value());
  CHECK(fs.close(*fd).error() == EBADF);

  CHECK(fs.open("/etc/shadow", read_only(), 0).error() == EACCES);
  CHECK(fs.open("/etc/passwd", read_only(), 0).error() == EACCES);
  CHECK(fs.open("/no/such/file", read_only(), 0).error() == EACCES);  // existence not revealed
  TempFile outside;
  REQUIRE(!outside.path.empty());
  CHECK(fs.open(outside.path, read_only(), 0).error() == EACCES);
  CHECK(fs.stat(outside.path).error() == EACCES);
  CHECK(fs.readlink(outside.path).error() == EACCES);
  CHECK(fs.unlink(outside.path).error() == EACCES);
  CHECK(::access(outside.path.c_str(), F_OK) == 0);
}

TEST_CASE("confined: /proc/PID paths are judged by where they lead, and writes are refused") {
  HostFs fs(Policy::confined, self);
  const std::string proc = "/proc/" + std::to_string(self());
  auto maps = fs.open(proc + "/maps", read_only(), 0);
  REQUIRE(maps.has_value());
  CHECK(fs.close(*maps).has_value());
  // The exe link leads to the program: allowed; the root link leads to /etc/shadow: refused.
  CHECK(fs.open(proc + "/exe", read_only(), 0).has_value());
  CHECK(fs.open(proc + "/root/etc/shadow", read_only(), 0).error() == EACCES);
  CHECK(fs.readlink(proc + "/exe") == own_exe());
  // libc is mapped into this process, so it is one of "the program's files".
  bool libc = false;
  for (const char* path : {"/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6"})
    libc = libc || fs.stat(path).has_value();
  CHECK(libc);
  CHECK(fs.open(own_exe(), write_create(), 0644).error() == EROFS);
  CHECK(fs.unlink(own_exe()).error() == EROFS);
  fs.close_all();
}

TEST_CASE("confined with no process yet allows nothing") {
  HostFs fs(Policy::confined, [] { return std::int64_t{0}; });
  CHECK(fs.open(own_exe(), read_only(), 0).error() == EACCES);
}

TEST_CASE("open policy: any path, writes and unlink allowed") {
  HostFs fs(Policy::open, self);
  TempFile outside;
  REQUIRE(!outside.path.empty());
  auto fd = fs.open(outside.path, read_only(), 0);
  REQUIRE(fd.has_value());
  std::vector<std::byte> buf(16);
  CHECK(fs.pread(*fd, buf, 0) == std::size_t{6});
  CHECK(fs.pwrite(*fd, std::span<const std::byte>(buf.data(), 1), 0).error() == EBADF);  // opened read-only
  CHECK(fs.close(*fd).has_value());
  const std::string created = outside.path + ".new";
  auto w = fs.open(created, write_create(), 0600);
  REQUIRE(w.has_value());
  const std::byte data[3] = {std::byte{'a'}, std::byte{'b'}, std::byte{'c'}};
  CHECK(fs.pwrite(*w, data, 0) == std::size_t{3});
  CHECK(fs.fstat(*w)->size == 3);
  CHECK(fs.close(*w).has_value());
  CHECK(fs.unlink(created).has_value());
  CHECK(::access(created.c_str(), F_OK) != 0);
  // /etc/shadow: the host's own permissions now decide (root may read it; others get EACCES).
  auto shadow = fs.open("/etc/shadow", read_only(), 0);
  CHECK((shadow.has_value() || shadow.error() == EACCES));
}

TEST_CASE("the handle table is bounded and close_all empties it") {
  HostFs fs(Policy::confined, self);
  auto exe = own_exe();
  for (std::size_t i = 0; i < HostFs::kMaxOpenFiles; ++i) REQUIRE(fs.open(exe, read_only(), 0).has_value());
  CHECK(fs.open(exe, read_only(), 0).error() == EMFILE);
  CHECK(fs.open_count() == HostFs::kMaxOpenFiles);
  fs.close_all();
  CHECK(fs.open_count() == 0);
  CHECK(fs.fstat(0).error() == EBADF);
  CHECK(fs.fstat(-1).error() == EBADF);
  CHECK(fs.fstat(1000).error() == EBADF);
}

TEST_CASE("setfs: remora's own view and same-namespace pids are accepted, gone pids are not") {
  HostFs fs(Policy::confined, self);
  CHECK(fs.setfs(0).has_value());
  CHECK(fs.setfs(self()).has_value());
  CHECK(fs.setfs(0x7ffffff0).error() == ENOENT);
}
