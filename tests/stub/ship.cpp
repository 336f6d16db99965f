// Errors a person can act on: lldb-server's command line given to remora, who holds a busy
// port, why PROG cannot run; and --trace-format.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>

#include "stub/diagnose.hpp"
#include "stub/options.hpp"

using namespace remora::stub;

namespace {

std::string usage_error(std::initializer_list<const char*> words) {
  std::vector<std::string> args(words.begin(), words.end());
  auto r = parse_options(args);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.find('\n') == std::string::npos);
  return r.error().message;
}

}  // namespace

TEST_CASE("lldb-server's gdbserver form: the same command in remora's form") {
  CHECK(usage_error({"gdbserver", ":1234", "./prog", "-v"}) ==
        "'gdbserver' is lldb-server's syntax; remora takes gdbserver's (options, then COMM, then PROG): "
        "try 'remora :1234 ./prog -v'");
  CHECK(usage_error({"g", "localhost:1234", "--", "./prog"}).ends_with("try 'remora localhost:1234 ./prog'"));
  CHECK(usage_error({"g", ":1234", "--attach", "42"}).ends_with("try 'remora --attach :1234 42'"));
  CHECK(usage_error({"gdbserver"}).ends_with("try 'remora :PORT PROG [ARGS...]'"));
}

TEST_CASE("lldb-server's platform mode: remora's nearest thing") {
  auto message = usage_error({"platform", "--server", "--listen", "*:1234"});
  CHECK(message.starts_with("'platform' is lldb-server's platform mode"));
  CHECK(message.find("remora --multi :PORT") != std::string::npos);
  CHECK(usage_error({"p", "--listen", ":1"}).starts_with("'p' is lldb-server's platform mode"));
}

TEST_CASE("a program named like an lldb-server mode after COMM is still a program") {
  std::vector<std::string> args{":1234", "gdbserver"};
  auto r = parse_options(args);
  REQUIRE(r.has_value());
  CHECK(r->program == std::vector<std::string>{"gdbserver"});
}

TEST_CASE("--trace-format") {
  std::vector<std::string> raw{"--trace", "--trace-format=raw", ":1"};
  auto r = parse_options(raw);
  REQUIRE(r.has_value());
  CHECK(r->trace_raw);
  std::vector<std::string> readable{"--trace-format", "readable", ":1"};
  r = parse_options(readable);
  REQUIRE(r.has_value());
  CHECK_FALSE(r->trace_raw);
  CHECK(usage_error({"--trace-format=pretty", ":1"}) == "bad --trace-format 'pretty': expected readable or raw");
}

TEST_CASE("port_holder names this process for a port it listens on") {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 1) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  const auto port = ntohs(addr.sin_port);
  auto holder = port_holder(port);
  ::close(fd);
  REQUIRE(holder.has_value());
  CHECK(holder->starts_with("process " + std::to_string(::getpid()) + " ("));
  CHECK_FALSE(port_holder(port).has_value());  // closed: nobody holds it
}

TEST_CASE("port_holder reads a /proc-shaped tree: a socket whose owner is hidden") {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("remora-diag-" + std::to_string(::getpid()));
  fs::create_directories(root / "net");
  std::ofstream(root / "net/tcp") << "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
                                     "timeout inode\n"
                                     "   0: 0100007F:04D2 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000 "
                                     "       0 777 1 0000000000000000 100 0 0 10 0\n";
  std::ofstream(root / "net/tcp6") << "header\n";
  auto holder = port_holder(1234, root.string());
  fs::remove_all(root);
  REQUIRE(holder.has_value());
  CHECK(holder->find("ss -ltnp") != std::string::npos);
}

TEST_CASE("launch hints: not found, a directory, no execute bit") {
  namespace fs = std::filesystem;
  CHECK(launch_hint("remora-surely-not-a-command").find("neither on PATH nor in the current directory") !=
        std::string::npos);
  CHECK(launch_hint("/tmp").find("is a directory") != std::string::npos);
  const fs::path file = fs::temp_directory_path() / ("remora-noexec-" + std::to_string(::getpid()));
  std::ofstream(file) << "#!/bin/sh\n";
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
  auto hint = launch_hint(file.string());
  fs::remove(file);
  CHECK(hint.find("chmod +x") != std::string::npos);
  CHECK(launch_hint("/bin/sh").empty());
}
