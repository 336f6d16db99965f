// Where each register of host_description() lives in the two blocks ptrace hands out:
// `user_regs_struct` (PTRACE_GETREGS) and the XSAVE area (PTRACE_GETREGSET NT_X86_XSTATE, or the
// 512-byte fxsave image of PTRACE_GETFPREGS on a CPU without XSAVE). Internal to the ptrace
// backend; RegisterSet is the public face.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "targets/arch/amd64.hpp"
#include "targets/ptrace/register_set.hpp"

namespace remora::targets::ptrace::xstate {

// XSAVE state-component numbers (Intel SDM vol. 1, 13.1): the bit of each in XCR0 and in the
// XSAVE header's XSTATE_BV.
enum Component : unsigned {
  x87 = 0,
  sse = 1,
  avx = 2,        // YMM_Hi128: ymm0h-ymm15h
  opmask = 5,     // k0-k7
  zmm_hi256 = 6,  // upper 256 bits of zmm0-zmm15
  hi16_zmm = 7,   // zmm16-zmm31, all 512 bits
  pkru = 9,
};

// Fixed parts of the XSAVE layout (Intel SDM vol. 1, 10.5.1 "FXSAVE area" and 13.4).
inline constexpr std::size_t kFxsaveSize = 512;   // the legacy region; also PTRACE_GETFPREGS
inline constexpr std::size_t kHeaderOffset = 512; // XSAVE header: XSTATE_BV at +0, XCOMP_BV at +8
inline constexpr std::size_t kSwReservedXcr0 = 464;  // Linux: fxsave bytes 464..471 hold XCR0
inline constexpr std::size_t kMxcsrOffset = 24;
inline constexpr std::size_t kStOffset = 32;     // st0..st7: 10 bytes each in 16-byte slots
inline constexpr std::size_t kXmmOffset = 160;   // xmm0..xmm15: 16 bytes each

enum class Block : std::uint8_t { gpr, xstate };

// How the register's bytes relate to the bytes in the block.
enum class Access : std::uint8_t {
  plain,        // storage_bytes of the block are the register's first bytes; the rest read 0
  ftag,         // fxsave's abridged 8-bit tag <-> the i387 16-bit tag word
  fop,          // 11-bit opcode in a 16-bit field
};

struct Location {
  Block block = Block::gpr;
  Access access = Access::plain;
  unsigned component = x87;     // XSAVE component (xstate block only)
  std::uint32_t offset = 0;     // in the block
  std::uint16_t reg_bytes = 0;  // size of the register as the description gives it
  std::uint16_t storage_bytes = 0;
};

// Locations indexed by regnum, for the description amd64_description(features(layout)).
// Computed once per feature combination and kept for the process's lifetime.
const std::vector<Location>& register_map(const XstateLayout& layout);

Amd64Features features(const XstateLayout& layout);

// Where a component starts in the XSAVE image (standard format); nullopt when the layout says
// the CPU or the kernel lacks it. x87 and SSE live in the fxsave region at 0.
std::optional<std::size_t> component_base(const XstateLayout& layout, unsigned component);

// i387 tag word helpers (gdb/i387-tdep.c: i387_tag, i387_supply_fxsave, i387_collect_fxsave).
std::uint16_t expand_ftag(const std::byte* fxsave);
std::uint8_t abridge_ftag(std::uint16_t ftag);

}  // namespace remora::targets::ptrace::xstate
