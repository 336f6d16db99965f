// The ptrace backend's qXfer objects against a real process: auxv, exec-file, libraries-svr4
// (empty before the dynamic linker ran, then libc), siginfo read/write, osdata.
#include <doctest/doctest.h>
#include <elf.h>

#include <cstring>

#include "targets/ptrace/svr4_libraries.hpp"
#include "tests/targets/ptrace_test_support.hpp"

using namespace remora::targets;
using namespace remora::targets::test;

namespace {
std::string xfer(Debuggee& d, std::string_view name, std::string_view annex = {}) {
  auto got = d.target->xfer_objects()->read(name, annex);
  REQUIRE_MESSAGE(got.has_value(), (got ? std::string() : got.error().message()));
  return *got;
}

std::string hex(std::int64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<long long>(v));
  return buf;
}
}  // namespace

TEST_CASE("ptrace xfer: the objects offered") {
  Debuggee d(Debuggee::launching("basic"));
  std::vector<std::string> names;
  for (const auto& o : d.target->xfer_objects()->objects()) names.push_back(o.name);
  for (const char* want : {"auxv", "exec-file", "libraries-svr4", "siginfo", "osdata"})
    CHECK(std::find(names.begin(), names.end(), want) != names.end());
}

TEST_CASE("ptrace xfer: auxv and exec-file") {
  Debuggee d(Debuggee::launching("basic"));
  auto auxv = xfer(d, "auxv");
  CHECK(auxv.size() % 16 == 0);
  CHECK(ptrace::auxv_value(auxv, AT_PHDR) != 0);
  CHECK(ptrace::auxv_value(auxv, AT_ENTRY) != 0);
  auto exe = xfer(d, "exec-file");
  CHECK(exe.ends_with("/ptrace_inferior"));
  CHECK(xfer(d, "exec-file", hex(d.pid)) == exe);
  CHECK_FALSE(d.target->xfer_objects()->read("exec-file", "zz"));
}

TEST_CASE("ptrace xfer: libraries-svr4 is empty before the dynamic linker ran, then lists libc") {
  Debuggee d(Debuggee::launching("basic"));
  CHECK(xfer(d, "libraries-svr4") == "<library-list-svr4 version=\"1.0\"/>");
  auto stop = d.cont();  // to the program's own int3: libc is loaded
  REQUIRE(stop);
  auto list = xfer(d, "libraries-svr4", "start=0;prev=0");
  INFO(list);
  CHECK(list.starts_with("<library-list-svr4 version=\"1.0\" main-lm=\"0x"));
  CHECK(list.find("libc.so.6\" lm=\"0x") != std::string::npos);
  CHECK(list.find(" l_addr=\"0x") != std::string::npos);
  CHECK(list.find(" l_ld=\"0x") != std::string::npos);
  CHECK(list.find(" lmid=\"0x0\"/>") != std::string::npos);
  CHECK(list.ends_with("</library-list-svr4>"));
  // libc's l_addr is where /proc/PID/maps has libc's first mapping.
  const auto at = list.find("libc.so.6\"");
  const auto l_addr_at = list.find("l_addr=\"0x", at) + 10;
  const Addr l_addr = std::strtoull(list.c_str() + l_addr_at, nullptr, 16);
  bool mapped = false;
  for (const auto& r : d.target->memory_regions()->regions())
    if (r.name.find("libc.so.6") != std::string::npos && r.start == l_addr) mapped = true;
  CHECK(mapped);
}

TEST_CASE("ptrace xfer: siginfo of a signal stop, read and written") {
  Debuggee d(Debuggee::launching("signal"));
  REQUIRE(d.cont());  // announce
  auto stop = d.cont();
  REQUIRE(stop);
  REQUIRE(stop->signal == 30);  // SIGUSR1
  auto raw = xfer(d, "siginfo");
  REQUIRE(raw.size() == 128);
  siginfo_t info{};
  std::memcpy(&info, raw.data(), sizeof info);
  CHECK(info.si_signo == SIGUSR1);
  CHECK(info.si_pid == d.pid);  // raise() sends it from the process itself
  const int errno_value = 77;
  auto written = d.target->xfer_objects()->write("siginfo", "", offsetof(siginfo_t, si_errno),
                                                  std::as_bytes(std::span(&errno_value, 1)));
  REQUIRE(written);
  CHECK(*written == sizeof errno_value);
  std::memcpy(&info, xfer(d, "siginfo").data(), sizeof info);
  CHECK(info.si_errno == 77);
  CHECK(info.si_signo == SIGUSR1);
  CHECK_FALSE(d.target->xfer_objects()->write("siginfo", "", 128, std::as_bytes(std::span(&errno_value, 1))));
}

TEST_CASE("ptrace xfer: osdata types and processes") {
  Debuggee d(Debuggee::launching("basic"));
  auto types = xfer(d, "osdata");
  CHECK(types.find("<osdata type=\"types\">") != std::string::npos);
  CHECK(types.find("<column name=\"Type\">processes</column>") != std::string::npos);
  auto processes = xfer(d, "osdata", "processes");
  CHECK(processes.find("<osdata type=\"processes\">") != std::string::npos);
  const auto me = processes.find("<column name=\"pid\">" + std::to_string(d.pid) + "</column>");
  REQUIRE(me != std::string::npos);
  CHECK(processes.find("ptrace_inferior basic</column>", me) != std::string::npos);
  CHECK_FALSE(d.target->xfer_objects()->read("osdata", "no-such-type"));
}
