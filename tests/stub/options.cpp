// The command line: every option, every COMM form, and the errors a person gets.
#include "stub/options.hpp"

#include <doctest/doctest.h>

#include <initializer_list>

using namespace remora;
using namespace remora::stub;

namespace {

std::expected<Options, UsageError> parse(std::initializer_list<const char*> words) {
  std::vector<std::string> args(words.begin(), words.end());
  return parse_options(args);
}

const TcpComm& tcp_of(const Options& o) { return std::get<TcpComm>(o.comm); }

std::string error_of(std::initializer_list<const char*> words) {
  auto r = parse(words);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.find('\n') == std::string::npos);  // one line
  return r.error().message;
}

}  // namespace

TEST_CASE("COMM: TCP forms") {
  auto c = parse_comm(":1234");
  REQUIRE(c);
  auto tcp = std::get<TcpComm>(*c);
  CHECK(tcp.host == "127.0.0.1");
  CHECK(tcp.port == 1234);
  CHECK(tcp.defaulted_to_loopback);

  tcp = std::get<TcpComm>(*parse_comm("localhost:99"));
  CHECK(tcp.host == "127.0.0.1");
  CHECK_FALSE(tcp.defaulted_to_loopback);

  CHECK(std::get<TcpComm>(*parse_comm("0.0.0.0:1")).host == "0.0.0.0");
  CHECK(std::get<TcpComm>(*parse_comm("192.168.1.2:0x10")).port == 16);
  CHECK(std::get<TcpComm>(*parse_comm("[::]:5")).host == "::");
  tcp = std::get<TcpComm>(*parse_comm("[::1]:65535"));
  CHECK(tcp.host == "::1");
  CHECK(tcp.port == 65535);
  CHECK(std::get<TcpComm>(*parse_comm(":0")).port == 0);
}

TEST_CASE("COMM: unix sockets and stdio") {
  CHECK(std::get<UnixComm>(*parse_comm("unix:sock")).path == "sock");
  CHECK(std::get<UnixComm>(*parse_comm("unix:/tmp/a:b")).path == "/tmp/a:b");
  CHECK(std::get<UnixComm>(*parse_comm("./remora.sock")).path == "./remora.sock");
  CHECK(std::get<UnixComm>(*parse_comm("/run/x")).path == "/run/x");
  CHECK(std::holds_alternative<StdioComm>(*parse_comm("-")));
}

TEST_CASE("COMM: malformed") {
  for (const char* bad : {"1234", "", ":", ":65536", ":abc", ":-1", "[::1]5", "[::1", "unix:", "ghost:12",
                          "::1:5", "1.2.3:4"}) {
    CAPTURE(bad);
    auto c = parse_comm(bad);
    REQUIRE_FALSE(c);
    CHECK_FALSE(c.error().empty());
  }
}

TEST_CASE("defaults") {
  auto o = parse({":1234"});
  REQUIRE(o);
  CHECK_FALSE(o->once);
  CHECK_FALSE(o->multi);
  CHECK_FALSE(o->attach);
  CHECK_FALSE(o->memory_map);
  CHECK(o->target == TargetKind::emulated);
  CHECK_FALSE(o->emulated.image);
  CHECK(o->emulated.regions.empty());
  CHECK_FALSE(o->trace);
  CHECK_FALSE(o->idle_timeout);
  CHECK(o->packet_size == 0);
  CHECK(advertised_packet_size(*o) == 0x20000);  // gdb's restore is fastest there
  CHECK(advertised_packet_size(*parse({"--target", "qemu-user", ":1", "prog"})) == 0x40000);
  CHECK(advertised_packet_size(*parse({"--packet-size=4096", ":1"})) == 4096);
  CHECK(o->on_disconnect == rsp::DisconnectAction::keep);
  CHECK(o->program.empty());
  CHECK_FALSE(o->print_and_exit);
  CHECK_FALSE(check_supported(*o));
}

TEST_CASE("flags") {
  auto o = parse({"--once", "--multi", "--memory-map", "-", });
  REQUIRE(o);
  CHECK(o->once);
  CHECK(o->multi);
  CHECK(o->memory_map);
  CHECK(std::holds_alternative<StdioComm>(o->comm));
  CHECK(error_of({"--once=3", ":1"}).find("once") != std::string::npos);
}

TEST_CASE("--target") {
  auto o = parse({"--target", "emulated", ":1"});
  REQUIRE(o);
  CHECK_FALSE(o->emulated.image);
  o = parse({"--target=emulated:/tmp/image.elf", ":1"});
  REQUIRE(o);
  CHECK(o->emulated.image == "/tmp/image.elf");
  CHECK(error_of({"--target", "qemu", ":1"}).find("qemu") != std::string::npos);
  CHECK(error_of({"--target", "emulated:", ":1"}).find("--target") != std::string::npos);
}

TEST_CASE("--qemu-memory") {
  auto o = parse({"--target", "qemu-user", ":1", "prog"});
  REQUIRE(o);
  CHECK(o->qemu.host_memory);  // the default: through /proc/QEMUPID/mem where QEMU allows
  o = parse({"--target", "qemu-user", "--qemu-memory", "gdbstub", ":1", "prog"});
  REQUIRE(o);
  CHECK_FALSE(o->qemu.host_memory);
  o = parse({"--target", "qemu-user", "--qemu-memory=host", ":1", "prog"});
  REQUIRE(o);
  CHECK(o->qemu.host_memory);
  CHECK(error_of({"--target", "qemu-user", "--qemu-memory", "proc", ":1", "prog"}).find("host or gdbstub") !=
        std::string::npos);
  o = parse({"--target", "qemu:unix:/tmp/q.sock", "--qemu-memory", "gdbstub", ":1"});
  REQUIRE(o);
  CHECK_FALSE(o->qemu.host_memory);
  CHECK(error_of({"--qemu-memory", "host", ":1"}).find("qemu-user") != std::string::npos);
}

TEST_CASE("--region and --fault repeat") {
  auto o = parse({"--region", "0x1000,0x100,rw-,data", "--region=0x2000,16,r-x", "--fault", "write:0x1080",
                  "--fault", "read:0x2000,4", ":1"});
  REQUIRE(o);
  REQUIRE(o->emulated.regions.size() == 2);
  CHECK(o->emulated.regions[0].start == 0x1000);
  CHECK(o->emulated.regions[0].name == "data");
  CHECK(o->emulated.regions[1].executable);
  REQUIRE(o->emulated.faults.size() == 2);
  CHECK(o->emulated.faults[0].kind == targets::emulated::FaultKind::write);
  CHECK(o->emulated.faults[1].length == 4);
  CHECK(error_of({"--region", "0x1000", ":1"}).find("--region") != std::string::npos);
  CHECK(error_of({"--fault", "exec:0x10", ":1"}).find("--fault") != std::string::npos);
}

TEST_CASE("--trace takes an optional =FILE and never swallows COMM") {
  auto o = parse({"--trace", ":1"});
  REQUIRE(o);
  CHECK(o->trace == "");
  CHECK(tcp_of(*o).port == 1);
  o = parse({"--trace=/tmp/remora.log", ":1"});
  REQUIRE(o);
  CHECK(o->trace == "/tmp/remora.log");
}

TEST_CASE("--idle-timeout") {
  auto o = parse({"--idle-timeout", "30", ":1"});
  REQUIRE(o);
  CHECK(o->idle_timeout == std::chrono::seconds(30));
  o = parse({"--idle-timeout=0", ":1"});
  REQUIRE(o);
  CHECK_FALSE(o->idle_timeout);
  CHECK(error_of({"--idle-timeout", "soon", ":1"}).find("--idle-timeout") != std::string::npos);
  CHECK(error_of({"--idle-timeout", "-5", ":1"}).find("--idle-timeout") != std::string::npos);
}

TEST_CASE("--packet-size") {
  auto o = parse({"--packet-size", "0x1000", ":1"});
  REQUIRE(o);
  CHECK(o->packet_size == 0x1000);
  CHECK(parse({"--packet-size=4096", ":1"})->packet_size == 4096);
  for (const char* bad : {"12", "0", "huge", "0x10000000", "4096k"}) {
    CAPTURE(bad);
    CHECK(error_of({"--packet-size", bad, ":1"}).find("--packet-size") != std::string::npos);
  }
}

TEST_CASE("--on-disconnect") {
  CHECK(parse({"--on-disconnect", "detach", ":1"})->on_disconnect == rsp::DisconnectAction::detach);
  CHECK(parse({"--on-disconnect", "kill", ":1"})->on_disconnect == rsp::DisconnectAction::kill);
  CHECK(parse({"--on-disconnect=keep", ":1"})->on_disconnect == rsp::DisconnectAction::keep);
  CHECK(error_of({"--on-disconnect", "explode", ":1"}).find("explode") != std::string::npos);
}

TEST_CASE("--help and --version print and exit, even without COMM") {
  auto o = parse({"--help"});
  REQUIRE(o);
  REQUIRE(o->print_and_exit);
  for (const char* word : {"COMM", "--once", "--multi", "--attach", "--target", "--region", "--fault",
                           "--memory-map", "--trace", "--idle-timeout", "--packet-size", "--on-disconnect",
                           "--version"}) {
    CAPTURE(word);
    CHECK(o->print_and_exit->find(word) != std::string::npos);
  }
  o = parse({"--version", ":1"});
  REQUIRE(o);
  CHECK(o->print_and_exit->starts_with("remora "));
}

TEST_CASE("PROG and its arguments follow COMM, even ones that look like options") {
  auto o = parse({"--once", ":1", "./prog", "--once", "-x", "arg"});
  REQUIRE(o);
  CHECK(o->once);
  CHECK(o->program == std::vector<std::string>{"./prog", "--once", "-x", "arg"});
  CHECK(o->target == TargetKind::ptrace);  // a program means the ptrace backend
  CHECK_FALSE(check_supported(*o));
  // ... unless the emulated target was asked for.
  o = parse({"--target", "emulated", ":1", "./prog"});
  REQUIRE(o);
  auto unsupported = check_supported(*o);
  REQUIRE(unsupported);
  CHECK(unsupported->message.find("emulated") != std::string::npos);
}

TEST_CASE("--attach takes the PID after COMM") {
  auto o = parse({"--attach", ":1", "1234"});
  REQUIRE(o);
  CHECK(o->attach);
  CHECK(o->attach_pid == 1234);
  CHECK(o->program.empty());
  CHECK(o->target == TargetKind::ptrace);
  CHECK_FALSE(check_supported(*o));
  CHECK(error_of({"--attach", ":1"}).find("PID") != std::string::npos);
  CHECK(error_of({"--attach", ":1", "12x"}).find("12x") != std::string::npos);
  CHECK(error_of({"--attach", ":1", "0"}).find("PID") != std::string::npos);
  CHECK(error_of({"--attach", ":1", "5", "6"}).find("PID") != std::string::npos);
  CHECK(error_of({"--attach", "--multi", ":1", "5"}).find("--multi") != std::string::npos);
  o = parse({"--attach", "--target", "emulated", ":1", "7"});
  REQUIRE(o);
  REQUIRE(check_supported(*o));
}

TEST_CASE("--multi without PROG is a ptrace server; a bare COMM stays emulated") {
  auto o = parse({"--multi", ":1"});
  REQUIRE(o);
  CHECK(o->target == TargetKind::ptrace);
  CHECK(o->program.empty());
  o = parse({":1"});
  REQUIRE(o);
  CHECK(o->target == TargetKind::emulated);
  o = parse({"--target", "ptrace", ":1"});
  REQUIRE(o);
  CHECK(o->target == TargetKind::ptrace);
  CHECK(error_of({"--target", "qemu", ":1"}).find("qemu") != std::string::npos);
}

TEST_CASE("gdbserver's launch options") {
  auto o = parse({"--wrapper", "env", "-i", "A=1", "--", "--no-startup-with-shell", "--no-disable-randomization",
                  ":1", "prog", "--wrapper"});
  REQUIRE(o);
  CHECK(o->launch.wrapper == std::vector<std::string>{"env", "-i", "A=1"});
  CHECK(o->launch.startup_with_shell == std::optional<bool>(false));
  CHECK(o->launch.disable_randomization == std::optional<bool>(false));
  CHECK(o->program == std::vector<std::string>{"prog", "--wrapper"});
  o = parse({"--startup-with-shell", "--disable-randomization", ":1", "prog"});
  REQUIRE(o);
  CHECK(o->launch.startup_with_shell == std::optional<bool>(true));
  CHECK(o->launch.disable_randomization == std::optional<bool>(true));
  o = parse({":1", "prog"});
  REQUIRE(o);
  CHECK_FALSE(o->launch.startup_with_shell);  // the backend's default (a shell, ASLR off)
  CHECK_FALSE(o->launch.disable_randomization);
  CHECK(o->launch.wrapper.empty());
  CHECK(error_of({"--wrapper", "env", ":1", "prog"}).find("--") != std::string::npos);
  CHECK(error_of({"--wrapper", "--", ":1", "prog"}).find("wrapper") != std::string::npos);
  CHECK(error_of({"--startup-with-shell", "--no-startup-with-shell", ":1", "p"}).find("contradict") !=
        std::string::npos);
  CHECK(error_of({"--no-startup-with-shell", ":1"}).find("PROG") != std::string::npos);
}

TEST_CASE("--debug and --remote-debug trace to stderr; stdio spelled gdbserver's way") {
  for (const char* flag : {"--debug", "--remote-debug"}) {
    CAPTURE(flag);
    auto o = parse({flag, ":1"});
    REQUIRE(o);
    CHECK(o->trace == std::optional<std::string>(""));
  }
  auto o = parse({"--debug", "--trace=/tmp/x.log", ":1"});
  REQUIRE(o);
  CHECK(o->trace == std::optional<std::string>("/tmp/x.log"));
  o = parse({"stdio", "prog"});
  REQUIRE(o);
  CHECK(std::holds_alternative<StdioComm>(o->comm));
}

TEST_CASE("--version names remora and its gdbserver compatibility") {
  auto o = parse({"--version"});
  REQUIRE(o);
  REQUIRE(o->print_and_exit);
  CHECK(o->print_and_exit->starts_with("remora 0."));
  CHECK(o->print_and_exit->find("configured as \"x86_64-linux-gnu\"") != std::string::npos);
}

TEST_CASE("usage errors") {
  CHECK(error_of({}).find("COMM") != std::string::npos);
  CHECK(error_of({"--bogus", ":1"}).find("--bogus") != std::string::npos);
  CHECK(error_of({"--packet-size"}).find("packet-size") != std::string::npos);
  CHECK(error_of({"nonsense"}).find("nonsense") != std::string::npos);
  CHECK(error_of({"--once", "host:1"}).find("host") != std::string::npos);
}

TEST_CASE("argc/argv overload skips argv[0]") {
  const char* argv[] = {"remora", "--multi", "[::1]:7"};
  auto o = parse_options(3, argv);
  REQUIRE(o);
  CHECK(o->multi);
  CHECK(tcp_of(*o).host == "::1");
}
