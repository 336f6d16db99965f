// vFile: decoders (gdb's File-I/O flags, hex paths, binary pwrite data), the F replies (hex
// results, gdb's errno numbers, escaped attachments, the 64-byte big-endian struct stat), the
// empty reply without a HostIO, and handles closed on disconnect.
#include <doctest/doctest.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <string>

#include "rsp/codec.hpp"
#include "rsp/handlers/host_io_handlers.hpp"
#include "rsp/packets/host_io.hpp"
#include "rsp/session.hpp"
#include "targets/emulated/emulated_target.hpp"
#include "tests/support/transcript.hpp"

using namespace remora;
namespace p = remora::rsp::packets;

namespace {

// Files in memory; "secret" paths answer EACCES as the confined policy would.
class FakeHostIO final : public targets::HostIO {
 public:
  std::map<std::string, std::string> files;
  std::map<int, std::string> open_files;
  std::int64_t fs_pid = -1;
  targets::OpenFlags last_flags;

  std::expected<int, Errno> open(std::string_view path, targets::OpenFlags flags, std::uint32_t) override {
    last_flags = flags;
    if (path.starts_with("/secret")) return std::unexpected(EACCES);
    if (path.size() > 200) return std::unexpected(ENAMETOOLONG);
    if (!files.contains(std::string(path))) return std::unexpected(ENOENT);
    int fd = next_++;
    open_files[fd] = std::string(path);
    return fd;
  }
  std::expected<void, Errno> close(int fd) override {
    if (!open_files.erase(fd)) return std::unexpected(EBADF);
    return {};
  }
  std::expected<std::size_t, Errno> pread(int fd, std::span<std::byte> out, std::uint64_t offset) override {
    if (!open_files.contains(fd)) return std::unexpected(EBADF);
    const auto& text = files[open_files[fd]];
    if (offset >= text.size()) return 0;
    std::size_t n = std::min<std::size_t>(out.size(), text.size() - offset);
    std::memcpy(out.data(), text.data() + offset, n);
    return n;
  }
  std::expected<std::size_t, Errno> pwrite(int fd, std::span<const std::byte> data, std::uint64_t offset) override {
    if (!open_files.contains(fd)) return std::unexpected(EBADF);
    auto& text = files[open_files[fd]];
    if (text.size() < offset + data.size()) text.resize(offset + data.size());
    std::memcpy(text.data() + offset, data.data(), data.size());
    return data.size();
  }
  std::expected<targets::FileStat, Errno> fstat(int fd) override {
    if (!open_files.contains(fd)) return std::unexpected(EBADF);
    return stat(open_files[fd]);
  }
  std::expected<targets::FileStat, Errno> stat(std::string_view path) override {
    if (path.starts_with("/secret")) return std::unexpected(EACCES);
    auto it = files.find(std::string(path));
    if (it == files.end()) return std::unexpected(ENOENT);
    targets::FileStat st;
    st.dev = 0x801;
    st.ino = 0x1234;
    st.mode = 0100755;
    st.nlink = 1;
    st.size = it->second.size();
    st.blksize = 4096;
    st.mtime = 0x5f000000;
    return st;
  }
  std::expected<targets::FileStat, Errno> lstat(std::string_view path) override { return stat(path); }
  std::expected<std::string, Errno> readlink(std::string_view path) override {
    if (path == "/proc/1/exe") return std::string("/bin/prog");
    return std::unexpected(EINVAL);
  }
  std::expected<void, Errno> unlink(std::string_view path) override {
    if (!files.erase(std::string(path))) return std::unexpected(ENOENT);
    return {};
  }
  std::expected<void, Errno> setfs(std::int64_t pid) override {
    fs_pid = pid;
    return {};
  }
  void close_all() override { open_files.clear(); }

 private:
  int next_ = 3;
};

// The emulated target with a HostIO added (the emulated backend has none of its own).
class FilesTarget final : public targets::Target {
 public:
  FilesTarget(std::unique_ptr<targets::Target> inner, targets::HostIO* io) : inner_(std::move(inner)), io_(io) {}
  targets::MemoryAccess& memory() override { return inner_->memory(); }
  targets::RegisterAccess& registers() override { return inner_->registers(); }
  std::vector<targets::ThreadId> threads() override { return inner_->threads(); }
  std::optional<targets::StopEvent> current_stop() override { return inner_->current_stop(); }
  std::error_code resume(std::span<const targets::ResumeAction> a) override { return inner_->resume(a); }
  std::error_code interrupt() override { return inner_->interrupt(); }
  std::error_code detach() override { return inner_->detach(); }
  std::error_code kill() override { return inner_->kill(); }
  void set_stop_listener(targets::StopListener* l) override { inner_->set_stop_listener(l); }
  targets::HostIO* host_io() override { return io_; }

 private:
  std::unique_ptr<targets::Target> inner_;
  targets::HostIO* io_;
};

struct Files {
  FakeHostIO io;
  std::unique_ptr<FilesTarget> target;
  std::unique_ptr<rsp::Session> session;
  explicit Files(bool with_io = true) {
    auto made = targets::emulated::make_emulated_target({}, [](std::function<void()>) {});
    REQUIRE(made.has_value());
    target = std::make_unique<FilesTarget>(std::move(*made), with_io ? &io : nullptr);
    session = std::make_unique<rsp::Session>(*target, rsp::SessionOptions{});
  }
  std::string ask(std::string_view payload) {
    std::string out;
    session->on_client_bytes(test::frame(payload), out);
    return test::payload_of(out);
  }
};

std::string hex(std::string_view text) { return rsp::to_hex(text); }

}  // namespace

TEST_CASE("vFile:open decodes gdb's File-I/O flags and a hex path") {
  auto o = p::decode_host_open(":" + hex("/bin/prog") + ",0,1ed");
  REQUIRE(o.has_value());
  CHECK(o->path == "/bin/prog");
  CHECK(o->flags.access == targets::OpenFlags::Access::read);
  CHECK(!o->flags.writes());
  CHECK(o->mode == 0755);
  o = p::decode_host_open(":" + hex("/x") + ",e01,1a4");  // O_WRONLY|O_CREAT|O_TRUNC|O_EXCL
  REQUIRE(o.has_value());
  CHECK(o->flags.access == targets::OpenFlags::Access::write);
  CHECK((o->flags.create && o->flags.truncate && o->flags.exclusive && !o->flags.append));
  CHECK(p::decode_host_open(":" + hex("/x") + ",a,0")->flags.append);  // O_RDWR|O_APPEND
  CHECK(p::decode_host_open(":" + hex("/x") + ",3,0").error() == rsp::DecodeError::bad_value);
  CHECK(p::decode_host_open(":" + hex("/x") + ",1000,0").error() == rsp::DecodeError::bad_value);
  CHECK(p::decode_host_open(":" + hex("/x") + ",0").error() == rsp::DecodeError::missing_field);
  CHECK(p::decode_host_open(":,0,0").error() == rsp::DecodeError::empty_field);
  CHECK(p::decode_host_open(":2f0,0,0").error() == rsp::DecodeError::odd_hex_length);
  CHECK(p::decode_host_open(":2f00,0,0").error() == rsp::DecodeError::bad_value);  // embedded NUL
  CHECK(p::decode_host_open(hex("/x") + ",0,0").error() == rsp::DecodeError::missing_field);
}

TEST_CASE("vFile pread/pwrite/close/setfs decoders") {
  auto r = p::decode_host_pread(":3,1000,20");
  REQUIRE(r.has_value());
  CHECK((r->fd == 3 && r->count == 0x1000 && r->offset == 0x20));
  CHECK(p::decode_host_pread(":3,10").error() == rsp::DecodeError::missing_field);
  CHECK(p::decode_host_pread(":80000000,1,0").error() == rsp::DecodeError::overflow);
  auto w = p::decode_host_pwrite(":4,8,a,b}]");  // data may hold ',' and escapes
  REQUIRE(w.has_value());
  CHECK((w->fd == 4 && w->offset == 8 && w->data.size() == 4));
  CHECK(w->data[3] == std::byte{'}'});
  CHECK(p::decode_host_pwrite(":4,8,}").error() == rsp::DecodeError::bad_escape);
  CHECK(p::decode_host_fd(":1f")->fd == 0x1f);
  CHECK(p::decode_host_fd(":").error() == rsp::DecodeError::empty_field);
  CHECK(p::decode_host_setfs(":0")->pid == 0);
  CHECK(p::decode_host_setfs(":zz").error() == rsp::DecodeError::bad_hex);
}

TEST_CASE("vFile replies: F results in hex, F-1 with gdb's errno numbers") {
  Files f;
  f.io.files["/bin/prog"] = "\x7f" "ELF$#}*rest";
  CHECK(f.ask("vFile:setfs:0") == "F0");
  CHECK(f.io.fs_pid == 0);
  CHECK(f.ask("vFile:open:" + hex("/secret/shadow") + ",0,0") == "F-1,d");  // EACCES 13
  CHECK(f.ask("vFile:open:" + hex("/missing") + ",0,0") == "F-1,2");
  CHECK(f.ask("vFile:open:" + hex("/" + std::string(250, 'a')) + ",0,0") == "F-1,5b");  // ENAMETOOLONG 91
  CHECK(f.ask("vFile:open:" + hex("/bin/prog") + ",0,0") == "F3");
  CHECK(f.ask("vFile:pread:3,4,0") == "F4;\x7f" "ELF");
  CHECK(f.ask("vFile:pread:3,100,4") == "F8;}\x04}\x03}]}\x0arest");  // $ # } * escaped
  CHECK(f.ask("vFile:pread:3,100,100") == "F0;");
  CHECK(f.ask("vFile:pread:9,1,0") == "F-1,9");  // EBADF
  CHECK(f.ask("vFile:pwrite:3,0,AB") == "F2");
  CHECK(f.io.files["/bin/prog"].starts_with("ABLF"));
  CHECK(f.ask("vFile:close:3") == "F0");
  CHECK(f.ask("vFile:close:3") == "F-1,9");
  CHECK(f.ask("vFile:readlink:" + hex("/proc/1/exe")) == "F9;/bin/prog");
  CHECK(f.ask("vFile:unlink:" + hex("/bin/prog")) == "F0");
  CHECK(f.ask("vFile:unlink:" + hex("/bin/prog")) == "F-1,2");
  CHECK(f.ask("vFile:open:zz,0,0") == "E16");  // malformed: the core's error reply
}

TEST_CASE("vFile:fstat answers gdb's 64-byte big-endian struct stat") {
  Files f;
  f.io.files["/bin/prog"] = std::string(0x1234, 'x');
  REQUIRE(f.ask("vFile:open:" + hex("/bin/prog") + ",0,0") == "F3");
  auto reply = f.ask("vFile:fstat:3");
  REQUIRE(reply.starts_with("F40;"));
  auto raw = rsp::unescape_binary(std::string_view(reply).substr(4));
  REQUIRE(raw.has_value());
  REQUIRE(raw->size() == 64);
  auto be = [&](std::size_t at, int n) {
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = v << 8 | std::to_integer<std::uint64_t>((*raw)[at + i]);
    return v;
  };
  CHECK(be(0, 4) == 0x801);       // st_dev
  CHECK(be(4, 4) == 0x1234);      // st_ino
  CHECK(be(8, 4) == 0100755);     // st_mode
  CHECK(be(12, 4) == 1);          // st_nlink
  CHECK(be(28, 8) == 0x1234);     // st_size
  CHECK(be(36, 8) == 4096);       // st_blksize
  CHECK(be(56, 4) == 0x5f000000); // st_mtime
  CHECK(f.ask("vFile:fstat:9") == "F-1,9");
  CHECK(f.ask("vFile:stat:" + hex("/bin/prog")).starts_with("F40;"));
  CHECK(f.ask("vFile:lstat:" + hex("/secret")) == "F-1,d");
}

TEST_CASE("lldb's vFile:size, mode and exists") {
  Files f;
  f.io.files["/bin/prog"] = std::string(0x20, 'x');
  CHECK(f.ask("vFile:size:" + hex("/bin/prog")) == "F20");
  CHECK(f.ask("vFile:mode:" + hex("/bin/prog")) == "F1ed");
  CHECK(f.ask("vFile:exists:" + hex("/bin/prog")) == "F,1");
  CHECK(f.ask("vFile:exists:" + hex("/secret")) == "F,0");
  CHECK(f.ask("vFile:size:" + hex("/missing")) == "F-1,2");
}

TEST_CASE("without a HostIO every vFile packet gets the empty reply; nothing is advertised") {
  Files f(false);
  CHECK(f.ask("vFile:open:" + hex("/bin/prog") + ",0,0") == "");
  CHECK(f.ask("vFile:pread:3,4,0") == "");
  CHECK(f.ask("vFile:setfs:0") == "");
  CHECK(f.ask("vFile:exists:" + hex("/x")) == "");
  Files g;
  CHECK(g.ask("qSupported:multiprocess+").find("vFile") == std::string::npos);
}

TEST_CASE("a disconnect closes every handle the client opened") {
  Files f;
  f.io.files["/bin/prog"] = "x";
  REQUIRE(f.ask("vFile:open:" + hex("/bin/prog") + ",0,0") == "F3");
  REQUIRE(f.ask("vFile:open:" + hex("/bin/prog") + ",0,0") == "F4");
  f.session->on_disconnect();
  CHECK(f.io.open_files.empty());
}

TEST_CASE("fileio_errno: Linux errno to gdb's File-I/O numbers") {
  CHECK(rsp::handlers::fileio_errno(EACCES) == 13);
  CHECK(rsp::handlers::fileio_errno(EROFS) == 30);
  CHECK(rsp::handlers::fileio_errno(ENAMETOOLONG) == 91);
  CHECK(rsp::handlers::fileio_errno(ENOSYS) == 9999);
}
