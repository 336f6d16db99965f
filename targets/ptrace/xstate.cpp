// The host's XSAVE layout (CPUID leaf 0xD, XCR0) and the register -> block location table.
#include "targets/ptrace/xstate.hpp"

#include <cpuid.h>
#include <sys/user.h>

#include <array>
#include <charconv>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string_view>

namespace remora::targets::ptrace {
namespace {

std::uint64_t read_xcr0() {
  // XGETBV with ECX=0 reads XCR0; legal in user mode once the OS set CR4.OSXSAVE. The
  // instruction is spelled as an inline asm so no -mxsave is needed.
  std::uint32_t lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (std::uint64_t{hi} << 32) | lo;
}

// CPUID.(EAX=0DH, ECX=i).EBX: offset of user state component i in the standard (non-compacted)
// XSAVE format, which is the format NT_X86_XSTATE uses (arch/x86/include/asm/user.h).
std::size_t component_offset(unsigned component) {
  unsigned a = 0, b = 0, c = 0, d = 0;
  __cpuid_count(0xd, component, a, b, c, d);
  return b;
}

constexpr std::uint64_t bit(unsigned component) { return std::uint64_t{1} << component; }

}  // namespace

XstateLayout probe_xstate_layout() {
  XstateLayout l;
  // x87 and SSE are architectural on x86-64; without XSAVE they come from PTRACE_GETFPREGS.
  l.xcr0 = bit(xstate::x87) | bit(xstate::sse);
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid_max(0, nullptr) < 0xd) return l;
  if (!__get_cpuid(1, &a, &b, &c, &d) || (c & bit_OSXSAVE) == 0) return l;
  l.xcr0 = read_xcr0();
  // CPUID.(0DH,0).EBX: the XSAVE area size for the features enabled in XCR0 -- the size the
  // kernel documents for NT_X86_XSTATE users (arch/x86/include/asm/user.h).
  __cpuid_count(0xd, 0, a, b, c, d);
  l.xsave_size = b;
  const auto has = [&](std::uint64_t mask) { return (l.xcr0 & mask) == mask; };
  if (has(bit(xstate::sse) | bit(xstate::avx))) {
    l.avx = true;
    l.ymm_offset = component_offset(xstate::avx);
  }
  // gdb (i386_linux_read_description) wants all three AVX-512 components before it shows any.
  if (l.avx && has(bit(xstate::opmask) | bit(xstate::zmm_hi256) | bit(xstate::hi16_zmm))) {
    l.avx512 = true;
    l.opmask_offset = component_offset(xstate::opmask);
    l.zmm_hi256_offset = component_offset(xstate::zmm_hi256);
    l.hi16_zmm_offset = component_offset(xstate::hi16_zmm);
  }
  if (has(bit(xstate::pkru))) {
    l.pkeys = true;
    l.pkru_offset = component_offset(xstate::pkru);
  }
  return l;
}

const TargetDescription& host_description() {
  static const TargetDescription description =
      amd64_description(xstate::features(probe_xstate_layout()));
  return description;
}

namespace xstate {
namespace {

// Parses "<prefix><n><suffix>" (xmm12, ymm3h, k7, st0).
std::optional<unsigned> numbered(std::string_view name, std::string_view prefix,
                                 std::string_view suffix = {}) {
  if (!name.starts_with(prefix) || !name.ends_with(suffix)) return std::nullopt;
  if (name.size() <= prefix.size() + suffix.size()) return std::nullopt;
  auto digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  unsigned n = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
  return n;
}

Location gpr(std::size_t offset, unsigned reg_bytes) {
  return {Block::gpr, Access::plain, x87, static_cast<std::uint32_t>(offset),
          static_cast<std::uint16_t>(reg_bytes), 8};
}

Location xs(unsigned component, std::size_t offset, unsigned reg_bytes, unsigned storage_bytes = 0,
            Access access = Access::plain) {
  return {Block::xstate, access, component, static_cast<std::uint32_t>(offset),
          static_cast<std::uint16_t>(reg_bytes),
          static_cast<std::uint16_t>(storage_bytes ? storage_bytes : reg_bytes)};
}

std::optional<Location> locate_gpr(std::string_view name) {
  struct Entry { std::string_view name; std::size_t offset; unsigned bytes; };
#define REMORA_GPR(n, bytes) Entry{#n, offsetof(user_regs_struct, n), bytes}
  // Segment selectors and eflags are 32-bit in the description, 64-bit slots in user_regs_struct.
  static constexpr std::array<Entry, 27> table{{
      REMORA_GPR(rax, 8), REMORA_GPR(rbx, 8), REMORA_GPR(rcx, 8), REMORA_GPR(rdx, 8),
      REMORA_GPR(rsi, 8), REMORA_GPR(rdi, 8), REMORA_GPR(rbp, 8), REMORA_GPR(rsp, 8),
      REMORA_GPR(r8, 8), REMORA_GPR(r9, 8), REMORA_GPR(r10, 8), REMORA_GPR(r11, 8),
      REMORA_GPR(r12, 8), REMORA_GPR(r13, 8), REMORA_GPR(r14, 8), REMORA_GPR(r15, 8),
      REMORA_GPR(rip, 8), REMORA_GPR(eflags, 4), REMORA_GPR(cs, 4), REMORA_GPR(ss, 4),
      REMORA_GPR(ds, 4), REMORA_GPR(es, 4), REMORA_GPR(fs, 4), REMORA_GPR(gs, 4),
      REMORA_GPR(orig_rax, 8), REMORA_GPR(fs_base, 8), REMORA_GPR(gs_base, 8),
  }};
#undef REMORA_GPR
  for (const auto& e : table)
    if (e.name == name) return gpr(e.offset, e.bytes);
  return std::nullopt;
}

// x87 control registers in the fxsave image (Intel SDM vol. 1, table 10-2; gdb's
// fxsave_offset[] and amd64_supply_fxsave, which reads fiseg/foseg as the upper halves of the
// 64-bit FPU IP/DP that FXSAVE64 stores at 8 and 16).
std::optional<Location> locate_x87_control(std::string_view name) {
  if (name == "fctrl") return xs(x87, 0, 4, 2);
  if (name == "fstat") return xs(x87, 2, 4, 2);
  if (name == "ftag") return xs(x87, 4, 4, 2, Access::ftag);
  if (name == "fop") return xs(x87, 6, 4, 2, Access::fop);
  if (name == "fioff") return xs(x87, 8, 4);
  if (name == "fiseg") return xs(x87, 12, 4);
  if (name == "fooff") return xs(x87, 16, 4);
  if (name == "foseg") return xs(x87, 20, 4);
  if (name == "mxcsr") return xs(sse, kMxcsrOffset, 4);
  return std::nullopt;
}

// Vector registers. Offsets here are relative to the component's base (component_base()).
// Hi16_ZMM holds zmm16-31 whole (64 bytes each): xmm16 is its first 16 bytes, ymm16h the next
// 16, zmm16h the upper 32.
std::optional<Location> locate_vector(std::string_view name) {
  if (auto n = numbered(name, "st"); n && *n < 8) return xs(x87, kStOffset + 16 * *n, 10);
  if (auto n = numbered(name, "xmm"); n && *n < 32)
    return *n < 16 ? xs(sse, kXmmOffset + 16 * *n, 16) : xs(hi16_zmm, 64 * (*n - 16), 16);
  if (auto n = numbered(name, "ymm", "h"); n && *n < 32)
    return *n < 16 ? xs(avx, 16 * *n, 16) : xs(hi16_zmm, 64 * (*n - 16) + 16, 16);
  if (auto n = numbered(name, "zmm", "h"); n && *n < 32)
    return *n < 16 ? xs(zmm_hi256, 32 * *n, 32) : xs(hi16_zmm, 64 * (*n - 16) + 32, 32);
  if (auto n = numbered(name, "k"); n && *n < 8) return xs(opmask, 8 * *n, 8);
  if (name == "pkru") return xs(pkru, 0, 4);
  return std::nullopt;
}

std::vector<Location> build_map(const Amd64Features& f) {
  std::vector<Location> map;
  for (const auto& r : amd64_description(f).registers) {
    auto loc = locate_gpr(r.name);
    if (!loc) loc = locate_x87_control(r.name);
    if (!loc) loc = locate_vector(r.name);
    // A register this file does not know stays reg_bytes == 0: errc::no_such_register.
    map.push_back(loc && loc->reg_bytes == r.bytes() ? *loc : Location{});
  }
  return map;
}

// i387_tag from gdb/i387-tdep.c: the full tag of one 80-bit register image.
unsigned i387_tag(const std::byte* raw) {
  auto b = [&](int i) { return std::to_integer<unsigned>(raw[i]); };
  bool integer = (b(7) & 0x80) != 0;
  unsigned exponent = ((b(9) & 0x7f) << 8) | b(8);
  bool fraction_zero = b(0) == 0 && b(1) == 0 && b(2) == 0 && b(3) == 0 && b(4) == 0 &&
                       b(5) == 0 && b(6) == 0 && (b(7) & 0x7f) == 0;
  if (exponent == 0x7fff) return 2;                          // special
  if (exponent == 0) return fraction_zero && !integer ? 1 : 2;  // zero / special
  return integer ? 0 : 2;                                    // valid / special (unnormal)
}

}  // namespace

Amd64Features features(const XstateLayout& layout) {
  return {.linux_regs = true, .segments_base = true, .avx = layout.avx,
          .avx512 = layout.avx512, .pkeys = layout.pkeys};
}

std::optional<std::size_t> component_base(const XstateLayout& l, unsigned component) {
  auto present = [&](bool flag, std::size_t offset) -> std::optional<std::size_t> {
    if (!flag || offset == 0 || (l.xcr0 & bit(component)) == 0) return std::nullopt;
    return offset;
  };
  switch (component) {
    case x87:
    case sse: return 0;
    case avx: return present(l.avx, l.ymm_offset);
    case opmask: return present(l.avx512, l.opmask_offset);
    case zmm_hi256: return present(l.avx512, l.zmm_hi256_offset);
    case hi16_zmm: return present(l.avx512, l.hi16_zmm_offset);
    case pkru: return present(l.pkeys, l.pkru_offset);
    default: return std::nullopt;
  }
}

const std::vector<Location>& register_map(const XstateLayout& layout) {
  // Eight feature combinations at most; each table is built once and never freed.
  static std::array<std::vector<Location>, 8> maps;
  static std::array<std::once_flag, 8> once;
  unsigned key = (layout.avx ? 1u : 0u) | (layout.avx512 ? 2u : 0u) | (layout.pkeys ? 4u : 0u);
  std::call_once(once[key], [&] { maps[key] = build_map(features(layout)); });
  return maps[key];
}

std::uint16_t expand_ftag(const std::byte* fxsave) {
  // fxsave byte 4 has one bit per physical register (1 = not empty); the tag of a non-empty
  // one comes from its contents. Physical register p is ST((p - TOP) mod 8), and the image
  // stores registers in ST order. TOP is fstat bits 11-13 (byte 3, bits 3-5).
  unsigned abridged = std::to_integer<unsigned>(fxsave[4]);
  unsigned top = (std::to_integer<unsigned>(fxsave[3]) >> 3) & 7;
  unsigned ftag = 0;
  for (unsigned phys = 0; phys < 8; ++phys) {
    unsigned tag = 3;  // empty
    if (abridged & (1u << phys)) tag = i387_tag(fxsave + kStOffset + 16 * ((phys + 8 - top) % 8));
    ftag |= tag << (2 * phys);
  }
  return static_cast<std::uint16_t>(ftag);
}

std::uint8_t abridge_ftag(std::uint16_t ftag) {
  unsigned abridged = 0;
  for (unsigned phys = 0; phys < 8; ++phys)
    if (((ftag >> (2 * phys)) & 3) != 3) abridged |= 1u << phys;
  return static_cast<std::uint8_t>(abridged);
}

}  // namespace xstate
}  // namespace remora::targets::ptrace
