// Extended mode over a fake backend: vRun, vAttach, R and the launch settings they use, gated on
// --multi and on Target::process_control(), with errors as E.text where the client asked.
#include <doctest/doctest.h>

#include <string>

#include "rsp/codec.hpp"
#include "tests/support/fake_process_target.hpp"

using namespace remora;
using test::ProcessTranscript;

namespace {

rsp::SessionOptions extended() {
  rsp::SessionOptions o;
  o.extended_mode = true;
  return o;
}

std::string hex(std::string_view text) { return rsp::to_hex(text); }

constexpr std::string_view kSettings =
    ";QEnvironmentHexEncoded+;QEnvironmentUnset+;QEnvironmentReset+;QSetWorkingDir+;QStartupWithShell+;"
    "QDisableRandomization+";

}  // namespace

TEST_CASE("vRun launches with the settings the client sent and answers the first stop") {
  ProcessTranscript t(extended());
  REQUIRE(t.ok());
  CHECK(t.ask("qSupported:multiprocess+;error-message+").find(kSettings) != std::string::npos);
  CHECK(t.ask("!") == "OK");
  CHECK(t.ask("QEnvironmentReset") == "OK");
  CHECK(t.ask("QEnvironmentHexEncoded:" + hex("A=1=2")) == "OK");
  CHECK(t.ask("QEnvironmentHexEncoded:" + hex("B=x")) == "OK");
  CHECK(t.ask("QEnvironmentUnset:" + hex("B")) == "OK");  // unset wins over the earlier set
  CHECK(t.ask("QEnvironmentUnset:" + hex("HOME")) == "OK");
  CHECK(t.ask("QEnvironmentHexEncoded:" + hex("HOME=/root")) == "OK");  // and set over unset
  CHECK(t.ask("QSetWorkingDir:" + hex("/tmp")) == "OK");
  CHECK(t.ask("QDisableRandomization:1") == "OK");
  CHECK(t.ask("QStartupWithShell:0") == "OK");
  t.target().next_pid = 1;
  std::string reply = t.ask("vRun;" + hex("/bin/prog") + ";" + hex("arg one") + ";");
  CHECK(reply.starts_with("T05thread:p1.1;06:"));  // the stop, registers expedited
  REQUIRE(t.target().launches.size() == 1);
  const auto& r = t.target().launches[0];
  CHECK(r.program == "/bin/prog");
  CHECK(r.args == std::vector<std::string>{"arg one", ""});
  CHECK(r.settings.environment_reset);
  CHECK(r.settings.environment_set == std::map<std::string, std::string>{{"A", "1=2"}, {"HOME", "/root"}});
  CHECK(r.settings.environment_unset == std::vector<std::string>{"B"});
  CHECK(r.settings.working_dir == "/tmp");
  CHECK(r.settings.disable_randomization == true);
  CHECK(r.settings.startup_with_shell == false);
  CHECK(t.ask("qC") == "QCp1.1");
  CHECK(t.ask("?").starts_with("T05thread:p1.1;"));
}

TEST_CASE("vRun with an empty program runs the previous one, else the initial one") {
  ProcessTranscript t(extended());
  t.target().initial = targets::LaunchRequest{"/srv/initial", {"x"}, {}};
  CHECK(t.ask("vRun;").starts_with("T05"));
  CHECK(t.target().launches.back().program == "/srv/initial");
  CHECK(t.target().launches.back().args.empty());  // the new (empty) argument list, as gdbserver
  CHECK(t.ask("vRun;" + hex("/bin/other")).starts_with("T05"));
  CHECK(t.ask("vRun;;" + hex("y")).starts_with("T05"));
  CHECK(t.target().launches.back().program == "/bin/other");
  CHECK(t.target().launches.back().args == std::vector<std::string>{"y"});
}

TEST_CASE("vRun errors: text for gdb's error-message+, the number otherwise") {
  ProcessTranscript t(extended());
  CHECK(t.ask("vRun;" + hex("/no/missing")) == "E05");
  CHECK(t.ask("vRun;") == "E01");  // nothing to run again
  CHECK(t.ask("qSupported:error-message+").find("error-message+") != std::string::npos);
  CHECK(t.ask("vRun;" + hex("/no/missing")) == "E./no/missing: No such file or directory");
  CHECK(t.ask("vRun;").starts_with("E.no program to run"));
  CHECK(t.ask("vRun;zz").starts_with("E.malformed vRun packet"));
  CHECK(t.ask("?") == "W00");  // a failed run leaves no process
}

TEST_CASE("without --multi, or without ProcessControl, nothing of extended mode exists") {
  ProcessTranscript plain;
  CHECK(plain.ask("qSupported").find("QEnvironment") == std::string::npos);
  for (const char* packet : {"vRun;", "vAttach;1", "R0", "QEnvironmentReset", "QSetWorkingDir:", "QStartupWithShell:1",
                             "QDisableRandomization:1", "QEnvironmentUnset:41", "QEnvironmentHexEncoded:413d31"})
    CHECK(plain.ask(packet) == "");
  CHECK(plain.target().launches.empty());
  CHECK(plain.target().attaches.empty());
  CHECK(plain.target().kills == 0);

  ProcessTranscript no_backend(extended());
  no_backend.target().with_process_control = false;
  CHECK(no_backend.ask("qSupported").find("QEnvironment") == std::string::npos);
  CHECK(no_backend.ask("vRun;" + hex("/bin/true")) == "");
  CHECK(no_backend.ask("QStartupWithShell:1") == "");
}

TEST_CASE("vAttach answers the attach stop; errors name the pid") {
  ProcessTranscript t(extended());
  t.ask("qSupported:multiprocess+;error-message+");
  CHECK(t.ask("vAttach;4d2").starts_with("T11thread:p4d2.4d2;"));  // SIGSTOP; no registers for it
  CHECK(t.target().attaches == std::vector<std::int64_t>{0x4d2});
  CHECK(t.ask("vAttach;999") == "E.cannot attach to process 2457: No such process");
  CHECK(t.ask("vAttach;998") == "E.cannot attach to process 2456: Operation not permitted");
  CHECK(t.ask("vAttach").starts_with("E.malformed vAttach packet"));
}

TEST_CASE("R kills and runs the last program again with the current settings; no reply") {
  ProcessTranscript t(extended());
  t.target().initial = targets::LaunchRequest{"/srv/initial", {"a"}, {}};
  CHECK(t.ask("R0") == "<no reply>");  // nothing ran yet: the initial program, its arguments
  REQUIRE(t.target().launches.size() == 1);
  CHECK(t.target().launches[0].args == std::vector<std::string>{"a"});
  CHECK(t.ask("vRun;" + hex("/bin/p") + ";" + hex("b")).starts_with("T05"));
  CHECK(t.ask("QSetWorkingDir:" + hex("/w")) == "OK");
  int kills = t.target().kills;
  CHECK(t.ask("R00") == "<no reply>");
  CHECK(t.target().kills == kills + 1);
  REQUIRE(t.target().launches.size() == 3);
  CHECK(t.target().launches[2].program == "/bin/p");
  CHECK(t.target().launches[2].args == std::vector<std::string>{"b"});
  CHECK(t.target().launches[2].settings.working_dir == "/w");
  CHECK(t.ask("?").starts_with("T05thread:1;"));
  CHECK(t.ask("Rx") == "E16");
}

TEST_CASE("R with nothing to run leaves no process: `?` says W00") {
  ProcessTranscript t(extended());
  CHECK(t.ask("R0") == "<no reply>");
  CHECK(t.target().launches.empty());
  CHECK(t.ask("?") == "W00");
}
