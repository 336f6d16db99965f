// qXfer objects of XferObjects (read with m/l slicing, siginfo write), qXfer:threads generated
// for every backend, and qThreadExtraInfo.
#include <doctest/doctest.h>

#include <string>

#include "rsp/codec.hpp"
#include "tests/support/fake_process_target.hpp"
#include "tests/support/transcript.hpp"

using namespace remora;
using test::ProcessTranscript;

namespace {

std::size_t count(const std::string& text, std::string_view what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("qSupported offers each routed object of XferObjects once, and qXfer:threads") {
  ProcessTranscript t;
  std::string reply = t.ask("qSupported");
  CHECK(reply.find(";qXfer:auxv:read+;qXfer:siginfo:read+;qXfer:siginfo:write+;qXfer:exec-file:read+") !=
        std::string::npos);
  CHECK(count(reply, "qXfer:features:read+") == 1);  // the backend's "features" is not offered again
  CHECK(reply.find("qXfer:auxv:write") == std::string::npos);
  CHECK(reply.find(";qXfer:threads:read+") != std::string::npos);

  ProcessTranscript none;
  none.target().with_xfer_objects = false;
  reply = none.ask("qSupported");
  CHECK(reply.find("auxv") == std::string::npos);
  CHECK(reply.find(";qXfer:threads:read+") != std::string::npos);
  CHECK(none.ask("qXfer:auxv:read::0,100") == "");
}

TEST_CASE("qXfer read: sliced with m/l, binary escaped, errors for bad annex and offset") {
  ProcessTranscript t;
  t.target().documents["auxv:"] = std::string("ab$#}*\0z", 8);
  CHECK(t.ask("qXfer:auxv:read::0,2") == "mab");
  CHECK(t.ask("qXfer:auxv:read::2,4") == "m}\x04}\x03}]}\x0a");  // $ # } * escaped
  CHECK(t.ask("qXfer:auxv:read::6,100") == std::string("l\0z", 3));
  CHECK(t.ask("qXfer:auxv:read::8,100") == "l");
  CHECK(t.ask("qXfer:auxv:read::9,100") == "E16");
  CHECK(t.ask("qXfer:auxv:read:other:0,10") == "E05");  // the backend has no such annex
  CHECK(t.ask("qXfer:auxv:read::0") == "E16");
  CHECK(t.ask("qXfer:libraries-svr4:read::0,10") == "");  // not an object of this backend
  CHECK(t.ask("qXfer:osdata:read::0,10") == "");
  t.target().documents["exec-file:1f"] = "/bin/prog";
  CHECK(t.ask("qXfer:exec-file:read:1f:0,fff") == "l/bin/prog");
  // The core route still serves target.xml.
  CHECK(t.ask("qXfer:features:read:target.xml:0,10").starts_with("m<?xml"));
}

TEST_CASE("qXfer:siginfo:write reaches the backend; read-only objects refuse writes") {
  ProcessTranscript t;
  CHECK(t.ask("qXfer:siginfo:write::0:ab}]c") == "4");
  CHECK(t.target().siginfo_written == "ab}c");
  CHECK(t.ask("qXfer:siginfo:write::7f:xyz") == "1");  // the backend took one byte
  CHECK(t.ask("qXfer:siginfo:write::100:x") == "E05");
  CHECK(t.ask("qXfer:auxv:write::0:x") == "");
  CHECK(t.ask("qXfer:threads:write::0:x") == "");
}

TEST_CASE("qXfer:threads: ids in the client's dialect, names escaped") {
  ProcessTranscript t;
  t.target().thread_list = {{0x10, 0x10}, {0x10, 0x12}};
  t.target().names[0x10] = "main";
  t.target().names[0x12] = "a<b>&\"c'";
  const std::string expected_plain =
      "l<?xml version=\"1.0\"?>\n<threads>\n<thread id=\"10\" name=\"main\"/>\n"
      "<thread id=\"12\" name=\"a&lt;b&gt;&amp;&quot;c&apos;\"/>\n</threads>\n";
  CHECK(t.ask("qXfer:threads:read::0,fff") == expected_plain);
  t.ask("qSupported:multiprocess+");
  std::string multi = t.ask("qXfer:threads:read::0,fff");
  CHECK(multi.find("<thread id=\"p10.12\" name=") != std::string::npos);
  CHECK(t.ask("qXfer:threads:read::0,10") == "m<?xml version=\"1");
  CHECK(t.ask("qXfer:threads:read:x:0,10") == "E16");
  t.target().names.clear();
  CHECK(t.ask("qXfer:threads:read::0,fff").find("<thread id=\"p10.10\"/>") != std::string::npos);
}

TEST_CASE("qXfer:threads and qThreadExtraInfo on the emulated target (every backend)") {
  test::Transcript t;
  REQUIRE(t.ok());
  CHECK(test::payload_of(t.feed(test::frame("qXfer:threads:read::0,fff"))) ==
        "l<?xml version=\"1.0\"?>\n<threads>\n<thread id=\"1\" name=\"emulated\"/>\n</threads>\n");
  CHECK(test::payload_of(t.feed(test::frame("qThreadExtraInfo,1"))) == rsp::to_hex("emulated"));
  CHECK(test::payload_of(t.feed(test::frame("qThreadExtraInfo,2"))) == "E03");
  CHECK(test::payload_of(t.feed(test::frame("qThreadExtraInfo,-1"))) == "E03");
  CHECK(test::payload_of(t.feed(test::frame("qThreadExtraInfo,zz"))) == "E16");
}
