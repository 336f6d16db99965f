// The amd64 register table. Everything a client sees (target.xml, the features, qRegisterInfo)
// is derived from the table built here.
#include "targets/arch/amd64.hpp"

#include <array>
#include <string>
#include <utility>
#include <vector>

namespace remora::targets {
namespace {

constexpr const char* kCore = "org.gnu.gdb.i386.core";
constexpr const char* kSse = "org.gnu.gdb.i386.sse";
constexpr const char* kLinux = "org.gnu.gdb.i386.linux";
constexpr const char* kSegments = "org.gnu.gdb.i386.segments";
constexpr const char* kAvx = "org.gnu.gdb.i386.avx";
constexpr const char* kAvx512 = "org.gnu.gdb.i386.avx512";
constexpr const char* kPkeys = "org.gnu.gdb.i386.pkeys";

// lldb-server's register set names for x86-64 Linux (NativeRegisterContextLinux_x86_64); the
// AVX-512 and PKU sets are ours, lldb-server has none for them.
constexpr const char* kSetGpr = "General Purpose Registers";
constexpr const char* kSetFpr = "Floating Point Registers";
constexpr const char* kSetAvx = "Advanced Vector Extensions";
constexpr const char* kSetAvx512 = "AVX-512 Registers";
constexpr const char* kSetPkeys = "Protection Key Registers";

struct Lldb {
  const char* encoding;
  const char* format;
  const char* set;
};
constexpr Lldb kInt{"uint", "hex", kSetGpr};
constexpr Lldb kFloatCtl{"uint", "hex", kSetFpr};
constexpr Lldb kX87{"vector", "vector-uint8", kSetFpr};  // lldb shows st(i) as 10 raw bytes
constexpr Lldb kSseVec{"vector", "vector-uint8", kSetFpr};

class Table {
 public:
  explicit Table(TargetDescription& d) : d_(d) {}

  RegisterInfo& add(std::string name, unsigned bitsize, std::string type, const char* feature,
                    const Lldb& lldb, int dwarf = -1) {
    RegisterInfo r;
    r.name = std::move(name);
    r.bitsize = bitsize;
    r.regnum = static_cast<unsigned>(d_.registers.size());
    r.type = std::move(type);
    r.feature = feature;
    r.dwarf = dwarf;
    r.ehframe = dwarf;  // the x86-64 psABI uses one numbering for DWARF and .eh_frame
    r.lldb_encoding = lldb.encoding;
    r.lldb_format = lldb.format;
    r.lldb_set = lldb.set;
    d_.registers.push_back(std::move(r));
    return d_.registers.back();
  }

 private:
  TargetDescription& d_;
};

std::string numbered(const char* prefix, unsigned i, const char* suffix = "") {
  return prefix + std::to_string(i) + suffix;
}

void add_core(Table& t) {
  // System V AMD64 psABI DWARF numbers, in gdb's register order.
  struct Gpr { const char* name; const char* type; int dwarf; GenericRole role; };
  static constexpr std::array<Gpr, 16> gprs{{
      {"rax", "int64", 0, GenericRole::none}, {"rbx", "int64", 3, GenericRole::none},
      {"rcx", "int64", 2, GenericRole::arg4}, {"rdx", "int64", 1, GenericRole::arg3},
      {"rsi", "int64", 4, GenericRole::arg2}, {"rdi", "int64", 5, GenericRole::arg1},
      {"rbp", "data_ptr", 6, GenericRole::fp}, {"rsp", "data_ptr", 7, GenericRole::sp},
      {"r8", "int64", 8, GenericRole::arg5}, {"r9", "int64", 9, GenericRole::arg6},
      {"r10", "int64", 10, GenericRole::none}, {"r11", "int64", 11, GenericRole::none},
      {"r12", "int64", 12, GenericRole::none}, {"r13", "int64", 13, GenericRole::none},
      {"r14", "int64", 14, GenericRole::none}, {"r15", "int64", 15, GenericRole::none},
  }};
  for (const auto& g : gprs) t.add(g.name, 64, g.type, kCore, kInt, g.dwarf).generic = g.role;
  t.add("rip", 64, "code_ptr", kCore, kInt, 16).generic = GenericRole::pc;
  t.add("eflags", 32, "i386_eflags", kCore, kInt, 49).generic = GenericRole::flags;
  static constexpr std::array<std::pair<const char*, int>, 6> segs{
      {{"cs", 51}, {"ss", 52}, {"ds", 53}, {"es", 50}, {"fs", 54}, {"gs", 55}}};
  for (const auto& [name, dwarf] : segs) t.add(name, 32, "int32", kCore, kInt, dwarf);
  for (unsigned i = 0; i < 8; ++i)
    t.add(numbered("st", i), 80, "i387_ext", kCore, kX87, 33 + static_cast<int>(i));
  static constexpr std::array<std::pair<const char*, int>, 8> fpu_ctl{
      {{"fctrl", 65}, {"fstat", 66}, {"ftag", -1}, {"fiseg", -1}, {"fioff", -1}, {"foseg", -1},
       {"fooff", -1}, {"fop", -1}}};
  for (const auto& [name, dwarf] : fpu_ctl) t.add(name, 32, "int", kCore, kFloatCtl, dwarf).group = "float";
}

void add_sse(Table& t) {
  for (unsigned i = 0; i < 16; ++i)
    t.add(numbered("xmm", i), 128, "vec128", kSse, kSseVec, 17 + static_cast<int>(i));
  t.add("mxcsr", 32, "i386_mxcsr", kSse, kFloatCtl, 64).group = "vector";
}

void add_avx512(Table& t) {
  const Lldb vec{"vector", "vector-uint8", kSetAvx512};
  const Lldb mask{"uint", "hex", kSetAvx512};
  for (unsigned i = 16; i < 32; ++i)
    t.add(numbered("xmm", i), 128, "vec128", kAvx512, vec, 67 + static_cast<int>(i - 16));
  for (unsigned i = 16; i < 32; ++i) t.add(numbered("ymm", i, "h"), 128, "uint128", kAvx512, vec);
  for (unsigned i = 0; i < 8; ++i)
    t.add(numbered("k", i), 64, "uint64", kAvx512, mask, 118 + static_cast<int>(i));
  for (unsigned i = 0; i < 32; ++i) t.add(numbered("zmm", i, "h"), 256, "v2ui128", kAvx512, vec);
}

using tdesc::TypeDef;

TypeDef vector(const char* id, const char* element, unsigned count) {
  TypeDef t;
  t.kind = TypeDef::Kind::vector;
  t.id = id;
  t.element_type = element;
  t.count = count;
  return t;
}

TypeDef flags(const char* id, std::vector<tdesc::FlagField> fields) {
  TypeDef t;
  t.kind = TypeDef::Kind::flags;
  t.id = id;
  t.size = 4;
  t.flag_fields = std::move(fields);
  return t;
}

// vec128 and the vectors it is made of, as gdb 13's 64bit-sse.xml defines them (bfloat16 and
// ieee_half are predefined types since gdb 12/11).
std::vector<TypeDef> vec128_types() {
  std::vector<TypeDef> types{
      vector("v8bf16", "bfloat16", 8), vector("v8h", "ieee_half", 8), vector("v4f", "ieee_single", 4),
      vector("v2d", "ieee_double", 2), vector("v16i8", "int8", 16),   vector("v8i16", "int16", 8),
      vector("v4i32", "int32", 4),     vector("v2i64", "int64", 2)};
  TypeDef u;
  u.kind = TypeDef::Kind::union_;
  u.id = "vec128";
  u.fields = {{"v8_bfloat16", "v8bf16"}, {"v8_half", "v8h"},     {"v4_float", "v4f"},
              {"v2_double", "v2d"},      {"v16_int8", "v16i8"},  {"v8_int16", "v8i16"},
              {"v4_int32", "v4i32"},     {"v2_int64", "v2i64"},  {"uint128", "uint128"}};
  types.push_back(std::move(u));
  return types;
}

TypeDef eflags_type() {
  return flags("i386_eflags", {{"CF", 0, 0},   {"", 1, 1},     {"PF", 2, 2},   {"AF", 4, 4},
                               {"ZF", 6, 6},   {"SF", 7, 7},   {"TF", 8, 8},   {"IF", 9, 9},
                               {"DF", 10, 10}, {"OF", 11, 11}, {"NT", 14, 14}, {"RF", 16, 16},
                               {"VM", 17, 17}, {"AC", 18, 18}, {"VIF", 19, 19}, {"VIP", 20, 20},
                               {"ID", 21, 21}});
}

TypeDef mxcsr_type() {
  return flags("i386_mxcsr", {{"IE", 0, 0},   {"DE", 1, 1},   {"ZE", 2, 2},   {"OE", 3, 3},
                              {"UE", 4, 4},   {"PE", 5, 5},   {"DAZ", 6, 6},  {"IM", 7, 7},
                              {"DM", 8, 8},   {"ZM", 9, 9},   {"OM", 10, 10}, {"UM", 11, 11},
                              {"PM", 12, 12}, {"FZ", 15, 15}});
}

std::vector<tdesc::FeatureDoc> feature_docs(const Amd64Features& f) {
  std::vector<tdesc::FeatureDoc> docs;
  docs.push_back({"64bit-core.xml", kCore, {eflags_type()}});
  auto sse_types = vec128_types();
  sse_types.push_back(mxcsr_type());
  docs.push_back({"64bit-sse.xml", kSse, std::move(sse_types)});
  if (f.linux_regs) docs.push_back({"64bit-linux.xml", kLinux, {}});
  if (f.segments_base) docs.push_back({"64bit-segments.xml", kSegments, {}});
  if (f.avx) docs.push_back({"64bit-avx.xml", kAvx, {}});
  if (f.avx512) {
    auto types = vec128_types();
    types.push_back(vector("v2ui128", "uint128", 2));
    docs.push_back({"64bit-avx512.xml", kAvx512, std::move(types)});
  }
  if (f.pkeys) docs.push_back({"64bit-pkeys.xml", kPkeys, {}});
  return docs;
}

}  // namespace

TargetDescription amd64_description(const Amd64Features& f) {
  TargetDescription d;
  d.architecture = "i386:x86-64";
  if (f.linux_regs) d.osabi = "GNU/Linux";
  Table t(d);
  add_core(t);
  add_sse(t);
  if (f.linux_regs) t.add("orig_rax", 64, "int", kLinux, kInt);
  if (f.segments_base) {
    t.add("fs_base", 64, "int", kSegments, kInt, 58);
    t.add("gs_base", 64, "int", kSegments, kInt, 59);
  }
  if (f.avx) {
    const Lldb avx{"vector", "vector-uint8", kSetAvx};
    for (unsigned i = 0; i < 16; ++i) t.add(numbered("ymm", i, "h"), 128, "uint128", kAvx, avx);
  }
  if (f.avx512) add_avx512(t);
  if (f.pkeys) t.add("pkru", 32, "uint32", kPkeys, {"uint", "hex", kSetPkeys});
  tdesc::generate_xml(d, feature_docs(f));
  return d;
}

}  // namespace remora::targets
