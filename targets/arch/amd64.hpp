// The x86-64 target description as gdbserver's amd64-linux target offers it (gdb/arch/amd64.c):
// features core, sse, [linux], [segments], [avx], [avx512], [pkeys], numbered densely in that order.
#pragma once
#include "targets/api/registers.hpp"
#include "targets/arch/tdesc_xml.hpp"

namespace remora::targets {

struct Amd64Features {
  bool linux_regs = true;     // org.gnu.gdb.i386.linux: orig_rax (and osabi GNU/Linux)
  bool segments_base = true;  // org.gnu.gdb.i386.segments: fs_base, gs_base
  bool avx = false;           // ymm0h..ymm15h
  bool avx512 = false;        // xmm16-31, ymm16h-31h, k0-7, zmm0h-31h
  bool pkeys = false;         // pkru
};

TargetDescription amd64_description(const Amd64Features& features);

// The numbers every amd64 description shares (core + sse). The rest depend on the features:
// look them up with find_register().
namespace amd64 {
enum : unsigned {
  rax = 0, rbx, rcx, rdx, rsi, rdi, rbp, rsp,
  r8, r9, r10, r11, r12, r13, r14, r15,
  rip = 16, eflags, cs, ss, ds, es, fs, gs,
  st0 = 24,
  fctrl = 32, fstat, ftag, fiseg, fioff, foseg, fooff, fop,
  xmm0 = 40,
  mxcsr = 56,
  // Present when linux_regs; fs_base follows it (or mxcsr when there is no linux feature).
  orig_rax = 57,
};
}  // namespace amd64

}  // namespace remora::targets
