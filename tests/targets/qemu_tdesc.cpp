// QEMU's target description: includes flattened, registers parsed (comments skipped, implicit
// numbers), lldb fields added from remora's amd64 table; QEMU's thread ids.
#include <doctest/doctest.h>

#include "targets/qemu/qemu_target.hpp"
#include "targets/qemu/qemu_tdesc.hpp"

using namespace remora::targets;
using namespace remora::targets::qemu;

namespace {

// Shaped like what qemu-x86_64 7.2 sends (abridged): a root with one include, and a feature
// with a commented-out block of registers.
const char* root = R"(<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd"><target><architecture>i386:x86-64</architecture><xi:include href="i386-64bit.xml"/></target>)";
const char* feature = R"(<?xml version="1.0"?>
<!-- Copyright -->
<!DOCTYPE target SYSTEM "gdb-target.dtd">
<feature name="org.gnu.gdb.i386.core">
  <flags id="x64_eflags" size="4"><field name="CF" start="0" end="0"/></flags>
  <reg name="rax" bitsize="64" type="int64" regnum="0"/>
  <reg name="rsp" bitsize="64" type="data_ptr"/>
  <reg name="rip" bitsize="64" type="code_ptr"/>
  <reg name="eflags" bitsize="32" type="x64_eflags"/>
  <!--reg name="ss_base" bitsize="64" type="int64"/>
  <reg name="ds_base" bitsize="64" type="int64"/-->
  <reg name="k_gs_base" bitsize="64" type="int64"/>
  <reg name="xmm0" bitsize="128" type="vec128"/>
  <reg name="mxcsr" bitsize="32" type="x64_mxcsr" group="vector"/>
</feature>)";

std::expected<std::string, std::string> fetch(std::string_view name) {
  if (name == "i386-64bit.xml") return std::string(feature);
  return std::unexpected("no such annex");
}

}  // namespace

TEST_CASE("qemu tdesc: includes are inlined into one document") {
  auto flat = flatten_includes(root, fetch);
  REQUIRE(flat.has_value());
  CHECK(flat->find("xi:include") == std::string::npos);
  CHECK(flat->find("<feature name=\"org.gnu.gdb.i386.core\">") != std::string::npos);
  CHECK(flat->find("<!DOCTYPE target SYSTEM \"gdb-target.dtd\"><target>") != std::string::npos);
  CHECK(flat->find("Copyright") == std::string::npos);  // the included prolog and comments go
  CHECK(flat->ends_with("</feature></target>"));
  CHECK_FALSE(flatten_includes(R"(<target><xi:include href="missing.xml"/></target>)", fetch).has_value());
}

TEST_CASE("qemu tdesc: registers, numbers and features from QEMU's XML") {
  auto flat = flatten_includes(root, fetch);
  REQUIRE(flat.has_value());
  auto desc = parse_description(*flat);
  REQUIRE(desc.has_value());
  CHECK(desc->architecture == "i386:x86-64");
  REQUIRE(desc->registers.size() == 7);  // the commented-out ss_base/ds_base are not registers
  CHECK(desc->registers[1].name == "rsp");
  CHECK(desc->registers[4].name == "k_gs_base");
  CHECK(desc->registers[4].regnum == 4);
  CHECK(desc->registers[5].bitsize == 128);
  CHECK(desc->registers[6].group == "vector");
  CHECK(desc->registers[0].feature == "org.gnu.gdb.i386.core");
  CHECK(desc->xml.at("target.xml") == *flat);
  enrich_from_amd64(*desc);
  CHECK(desc->registers[2].generic == GenericRole::pc);
  CHECK(desc->registers[1].generic == GenericRole::sp);
  CHECK(desc->registers[1].dwarf == 7);
  CHECK(desc->registers[4].lldb_set == "System Registers");
}

TEST_CASE("qemu tdesc: malformed descriptions are refused with a reason") {
  CHECK_FALSE(parse_description("<target></target>").has_value());
  CHECK_FALSE(parse_description(R"(<feature name="x"><reg name="a" bitsize="64" regnum="1"/></feature>)").has_value());
  CHECK_FALSE(parse_description(R"(<feature name="x"><reg name="a" bitsize="zz"/></feature>)").has_value());
}

TEST_CASE("qemu thread ids") {
  auto t = parse_qemu_thread("p1.70e7");
  REQUIRE(t.has_value());
  CHECK(t->pid == 1);
  CHECK(t->tid == 0x70e7);
  CHECK(parse_qemu_thread("7198")->tid == 0x7198);
  CHECK(parse_qemu_thread("p1.-1")->tid == -1);
  CHECK_FALSE(parse_qemu_thread("pzz").has_value());
  CHECK(format_qemu_thread({1, 0x70e7}, true) == "p1.70e7");
  CHECK(format_qemu_thread({1, -1}, true) == "p1.-1");
  CHECK(format_qemu_thread({1, 0x10}, false) == "10");
}
