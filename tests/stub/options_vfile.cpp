// --vfile=confined|open|off: the default is confined; anything else is a usage error.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "stub/options.hpp"

using namespace remora::stub;

namespace {

std::expected<Options, UsageError> parse_words(std::vector<std::string> words) { return parse_options(words); }

}  // namespace

TEST_CASE("--vfile: confined by default, open and off on request, others refused") {
  auto o = parse_words({":1234", "/bin/true"});
  REQUIRE(o.has_value());
  CHECK(o->vfile == VfileMode::confined);
  CHECK(parse_words({"--vfile=open", ":1234", "/bin/true"})->vfile == VfileMode::open);
  CHECK(parse_words({"--vfile", "off", ":1234", "/bin/true"})->vfile == VfileMode::off);
  CHECK(parse_words({"--vfile=confined", ":1234", "/bin/true"})->vfile == VfileMode::confined);
  auto bad = parse_words({"--vfile=everything", ":1234", "/bin/true"});
  REQUIRE(!bad.has_value());
  CHECK(bad.error().message.find("--vfile") != std::string::npos);
}
