// The amd64 target description: gdbserver's numbering, sizes, lldb fields, the XML documents.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "targets/arch/amd64.hpp"

using namespace remora::targets;

namespace {

unsigned regnum(const TargetDescription& d, const char* name) {
  const RegisterInfo* r = find_register(d, name);
  REQUIRE_MESSAGE(r != nullptr, name);
  return r->regnum;
}

// A small well-formedness check: tags nest and close, attribute quotes balance, one root.
bool well_formed(const std::string& doc, std::string& why) {
  std::vector<std::string> stack;
  int roots = 0;
  std::size_t pos = 0;
  while ((pos = doc.find('<', pos)) != std::string::npos) {
    auto end = doc.find('>', pos);
    if (end == std::string::npos) return why = "unterminated tag", false;
    std::string tag = doc.substr(pos + 1, end - pos - 1);
    pos = end + 1;
    if (tag.empty()) return why = "empty tag", false;
    if (tag[0] == '?' || tag[0] == '!') continue;
    if (std::count(tag.begin(), tag.end(), '"') % 2 != 0) return why = "unbalanced quotes in <" + tag + ">", false;
    if (tag[0] == '/') {
      if (stack.empty() || stack.back() != tag.substr(1)) return why = "mismatched </" + tag.substr(1) + ">", false;
      stack.pop_back();
      continue;
    }
    std::string name = tag.substr(0, tag.find_first_of(" \t\n/"));
    if (stack.empty()) ++roots;
    if (tag.back() != '/') stack.push_back(name);
  }
  if (!stack.empty()) return why = "unclosed <" + stack.back() + ">", false;
  if (roots != 1) return why = "expected one root element", false;
  return true;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// gdb's predefined types (gdb/target-descriptions.c); anything else must be defined by id.
const std::set<std::string> kBuiltinTypes = {"int8", "int16", "int32", "int64", "int128", "uint8",
                                             "uint16", "uint32", "uint64", "uint128", "code_ptr",
                                             "data_ptr", "ieee_half", "ieee_single", "ieee_double",
                                             "arm_fpa_ext", "i387_ext", "bfloat16", "int", "bool"};

}  // namespace

TEST_CASE("amd64 default: core, sse, linux, segments numbered like gdbserver") {
  auto d = amd64_description({});
  CHECK(d.architecture == "i386:x86-64");
  CHECK(d.osabi == "GNU/Linux");
  REQUIRE(d.registers.size() == 60);
  const char* order[] = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11",
                         "r12", "r13", "r14", "r15", "rip", "eflags", "cs", "ss", "ds", "es", "fs", "gs"};
  for (unsigned i = 0; i < 24; ++i) CHECK(d.registers[i].name == order[i]);
  CHECK(regnum(d, "st0") == amd64::st0);
  CHECK(regnum(d, "st7") == 31);
  CHECK(regnum(d, "fctrl") == amd64::fctrl);
  CHECK(regnum(d, "fop") == amd64::fop);
  CHECK(regnum(d, "xmm0") == amd64::xmm0);
  CHECK(regnum(d, "xmm15") == 55);
  CHECK(regnum(d, "mxcsr") == amd64::mxcsr);
  CHECK(regnum(d, "orig_rax") == amd64::orig_rax);
  CHECK(regnum(d, "fs_base") == 58);
  CHECK(regnum(d, "gs_base") == 59);
  for (unsigned i = 0; i < d.registers.size(); ++i) CHECK(d.registers[i].regnum == i);
  CHECK(d.registers[amd64::rax].bitsize == 64);
  CHECK(d.registers[amd64::eflags].bitsize == 32);
  CHECK(d.registers[amd64::gs].bitsize == 32);
  CHECK(d.registers[amd64::st0].bytes() == 10);
  CHECK(d.registers[amd64::fctrl].bitsize == 32);
  CHECK(d.registers[amd64::xmm0].bytes() == 16);
  CHECK(d.registers[amd64::mxcsr].bitsize == 32);
}

TEST_CASE("amd64 optional features keep gdbserver's order") {
  auto no_linux = amd64_description({.linux_regs = false, .segments_base = true});
  CHECK(no_linux.osabi.empty());
  CHECK(find_register(no_linux, "orig_rax") == nullptr);
  CHECK(regnum(no_linux, "fs_base") == 57);
  CHECK_FALSE(contains(no_linux.xml.at("target.xml"), "<osabi>"));
  CHECK(no_linux.xml.count("64bit-linux.xml") == 0);

  auto full = amd64_description({.linux_regs = true, .segments_base = true, .avx = true, .avx512 = true,
                                 .pkeys = true});
  CHECK(regnum(full, "ymm0h") == 60);
  CHECK(regnum(full, "ymm15h") == 75);
  CHECK(regnum(full, "xmm16") == 76);
  CHECK(regnum(full, "xmm31") == 91);
  CHECK(regnum(full, "ymm16h") == 92);
  CHECK(regnum(full, "k0") == 108);
  CHECK(regnum(full, "k7") == 115);
  CHECK(regnum(full, "zmm0h") == 116);
  CHECK(regnum(full, "zmm31h") == 147);
  CHECK(regnum(full, "pkru") == 148);
  CHECK(full.registers.size() == 149);
  CHECK(full.registers[regnum(full, "zmm0h")].bitsize == 256);
  CHECK(full.registers[regnum(full, "pkru")].bitsize == 32);

  auto avx_only = amd64_description({.linux_regs = true, .segments_base = false, .avx = true});
  CHECK(regnum(avx_only, "ymm0h") == 58);
  CHECK(avx_only.registers.size() == 74);
}

TEST_CASE("lldb fields: generic roles, DWARF numbers, encodings, sets") {
  auto d = amd64_description({.avx = true});
  CHECK(d.find_role(GenericRole::pc)->name == "rip");
  CHECK(d.find_role(GenericRole::sp)->name == "rsp");
  CHECK(d.find_role(GenericRole::fp)->name == "rbp");
  CHECK(d.find_role(GenericRole::flags)->name == "eflags");
  CHECK(d.find_role(GenericRole::arg1)->name == "rdi");
  CHECK(d.find_role(GenericRole::arg2)->name == "rsi");
  CHECK(d.find_role(GenericRole::arg3)->name == "rdx");
  CHECK(d.find_role(GenericRole::arg4)->name == "rcx");
  CHECK(d.find_role(GenericRole::arg5)->name == "r8");
  CHECK(d.find_role(GenericRole::arg6)->name == "r9");
  CHECK(d.find_role(GenericRole::ra) == nullptr);
  const std::pair<const char*, int> dwarf[] = {
      {"rax", 0},    {"rdx", 1},     {"rcx", 2},     {"rbx", 3},    {"rsi", 4},    {"rdi", 5},
      {"rbp", 6},    {"rsp", 7},     {"r8", 8},      {"r15", 15},   {"rip", 16},   {"xmm0", 17},
      {"xmm15", 32}, {"st0", 33},    {"st7", 40},    {"eflags", 49}, {"es", 50},    {"cs", 51},
      {"ss", 52},    {"ds", 53},     {"fs", 54},     {"gs", 55},    {"fs_base", 58}, {"gs_base", 59},
      {"mxcsr", 64}, {"fctrl", 65},  {"fstat", 66},  {"ftag", -1},  {"orig_rax", -1}, {"ymm0h", -1}};
  for (const auto& [name, num] : dwarf) {
    CAPTURE(name);
    const auto& r = d.registers[regnum(d, name)];
    CHECK(r.dwarf == num);
    CHECK(r.ehframe == num);
  }
  const auto& rax = d.registers[amd64::rax];
  CHECK(rax.lldb_encoding == "uint");
  CHECK(rax.lldb_format == "hex");
  CHECK(rax.lldb_set == "General Purpose Registers");
  const auto& xmm = d.registers[amd64::xmm0];
  CHECK(xmm.lldb_encoding == "vector");
  CHECK(xmm.lldb_format == "vector-uint8");
  CHECK(xmm.lldb_set == "Floating Point Registers");
  CHECK(d.registers[amd64::st0].lldb_encoding == "vector");
  CHECK(d.registers[regnum(d, "ymm0h")].lldb_set == "Advanced Vector Extensions");
  for (const auto& r : d.registers) CHECK(r.in_g_packet);
}

TEST_CASE("XML: target.xml includes one document per feature; each lists its registers") {
  auto d = amd64_description({.avx = true, .avx512 = true, .pkeys = true});
  const auto& root = d.xml.at("target.xml");
  std::string why;
  CHECK_MESSAGE(well_formed(root, why), why);
  CHECK(contains(root, "<architecture>i386:x86-64</architecture>"));
  CHECK(contains(root, "<osabi>GNU/Linux</osabi>"));
  std::set<std::string> features;
  for (const auto& [annex, doc] : d.xml) {
    CAPTURE(annex);
    CHECK_MESSAGE(well_formed(doc, why), why);
    if (annex == "target.xml") continue;
    CHECK(contains(root, "<xi:include href=\"" + annex + "\"/>"));
    CHECK(contains(doc, "<!DOCTYPE feature SYSTEM \"gdb-target.dtd\">"));
    auto name_at = doc.find("<feature name=\"") + 15;
    features.insert(doc.substr(name_at, doc.find('"', name_at) - name_at));
  }
  CHECK(d.xml.size() == 8);
  std::set<std::string> used;
  for (const auto& r : d.registers) {
    CAPTURE(r.name);
    CHECK(features.count(r.feature) == 1);
    used.insert(r.feature);
    std::string line = "<reg name=\"" + r.name + "\" bitsize=\"" + std::to_string(r.bitsize) + "\" type=\"" +
                       r.type + "\" regnum=\"" + std::to_string(r.regnum) + "\"";
    int found = 0;
    std::string type_def = "id=\"" + r.type + "\"";
    for (const auto& [annex, doc] : d.xml) {
      if (!contains(doc, line)) continue;
      ++found;
      CHECK(contains(doc, "<feature name=\"" + r.feature + "\">"));
      // Types gdb does not predefine are defined in the same document, before any register.
      if (kBuiltinTypes.count(r.type) == 0) {
        REQUIRE(contains(doc, type_def));
        CHECK(doc.find(type_def) < doc.find("<reg "));
      }
    }
    CHECK(found == 1);
  }
  CHECK(used == features);
  CHECK(contains(d.xml.at("64bit-core.xml"), "<reg name=\"fctrl\" bitsize=\"32\" type=\"int\" regnum=\"32\" group=\"float\"/>"));
  CHECK(contains(d.xml.at("64bit-sse.xml"), "<flags id=\"i386_mxcsr\" size=\"4\">"));
  CHECK(contains(d.xml.at("64bit-sse.xml"), "<field name=\"uint128\" type=\"uint128\"/>"));
  CHECK(contains(d.xml.at("64bit-core.xml"), "<field name=\"ID\" start=\"21\" end=\"21\"/>"));
}

TEST_CASE("flatten_target_xml inlines every feature into one document") {
  for (const Amd64Features& f : {Amd64Features{}, Amd64Features{.avx = true, .avx512 = true, .pkeys = true}}) {
    auto d = amd64_description(f);
    auto flat = flatten_target_xml(d);
    std::string why;
    CHECK_MESSAGE(well_formed(flat, why), why);
    CHECK_FALSE(contains(flat, "xi:include"));
    CHECK_FALSE(contains(flat, "<!DOCTYPE feature"));
    CHECK(flat.find("<?xml") == flat.rfind("<?xml"));
    CHECK(contains(flat, "<architecture>i386:x86-64</architecture>"));
    std::size_t features = 0;
    for (std::size_t p = 0; (p = flat.find("<feature ", p)) != std::string::npos; ++p) ++features;
    CHECK(features == d.xml.size() - 1);
    for (const auto& r : d.registers) CHECK(contains(flat, "<reg name=\"" + r.name + "\""));
    CHECK(flat.find("org.gnu.gdb.i386.core") < flat.find("org.gnu.gdb.i386.sse"));
  }
  TargetDescription empty;
  CHECK(flatten_target_xml(empty).empty());
  // A missing annex is dropped, the rest survives.
  auto d = amd64_description({});
  d.xml.erase("64bit-linux.xml");
  auto flat = flatten_target_xml(d);
  CHECK_FALSE(contains(flat, "orig_rax"));
  CHECK(contains(flat, "fs_base"));
}

TEST_CASE("xml_escape") {
  CHECK(tdesc::xml_escape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&apos;");
}
