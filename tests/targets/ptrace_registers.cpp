// RegisterSet and the XSAVE probe against a real traced child: values the child loaded are read
// back, written values survive a flush into a fresh RegisterSet and into the CPU itself.
#include <doctest/doctest.h>

#include <elf.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <optional>
#include <vector>

#include "targets/api/errors.hpp"
#include "targets/arch/tdesc_xml.hpp"
#include "targets/ptrace/register_set.hpp"
#include "tests/targets/ptrace_test_support.hpp"

using namespace remora::targets;
using namespace remora::targets::ptrace;

// Data the child's assembly uses, at fixed (extern "C") names so top-level asm can reach them.
extern "C" {
alignas(64) unsigned char remora_regs_pattern[128];
alignas(64) unsigned char remora_regs_out[256];
void remora_regs_load_sse();
void remora_regs_load_avx();
void remora_regs_load_avx512();
void remora_regs_store();
void remora_regs_store_avx();
void remora_regs_store_avx512();
}

// Each loader sets known values and stops at an int3, then spins: the test never lets it return.
// remora_regs_store writes rax, xmm0, ymm0, zmm0, k1, zmm31 to remora_regs_out (where the CPU
// has them) and stops the same way. Assembled always, executed only when the CPU has the feature.
__asm__(R"(
  .text
  .p2align 4
remora_regs_common:
  fninit
  fld1
  movdqu remora_regs_pattern(%rip), %xmm0
  movdqu remora_regs_pattern+16(%rip), %xmm15
  movabs $0x1122334455667788, %rax
  movabs $0x99aabbccddeeff00, %r15
remora_regs_trap:
  int3
1: pause
  jmp 1b
  .globl remora_regs_load_sse, remora_regs_load_avx, remora_regs_load_avx512
remora_regs_load_sse:
  jmp remora_regs_common
remora_regs_load_avx:
  vmovdqu remora_regs_pattern(%rip), %ymm1
  jmp remora_regs_common
remora_regs_load_avx512:
  vmovdqu remora_regs_pattern(%rip), %ymm1
  vmovdqu64 remora_regs_pattern(%rip), %zmm2
  vmovdqu64 remora_regs_pattern+64(%rip), %zmm17
  mov $0xbeef, %ecx
  kmovw %ecx, %k1
  jmp remora_regs_common
  .globl remora_regs_store, remora_regs_store_avx, remora_regs_store_avx512
remora_regs_store:
  mov %rax, remora_regs_out(%rip)
  movdqu %xmm0, remora_regs_out+64(%rip)
  jmp remora_regs_trap
remora_regs_store_avx:
  mov %rax, remora_regs_out(%rip)
  vmovdqu %ymm0, remora_regs_out+64(%rip)
  jmp remora_regs_trap
remora_regs_store_avx512:
  mov %rax, remora_regs_out(%rip)
  kmovw %k1, %ecx
  mov %ecx, remora_regs_out+8(%rip)
  vmovdqu64 %zmm0, remora_regs_out+64(%rip)
  vmovdqu64 %zmm31, remora_regs_out+128(%rip)
  jmp remora_regs_trap
)");

namespace {

using Bytes = std::vector<std::byte>;

// A traced child stopped at its first int3 in `body`. Killed and reaped on destruction.
struct Child : test::TracedChild {
  explicit Child(void (*body)()) : TracedChild(body) { REQUIRE(cont_to_trap()); }
  bool cont_to_trap() {
    auto st = cont();
    return st && WIFSTOPPED(*st) && WSTOPSIG(*st) == SIGTRAP;
  }
};

unsigned regnum(const char* name) {
  const RegisterInfo* r = find_register(host_description(), name);
  REQUIRE_MESSAGE(r != nullptr, name);
  return r->regnum;
}

Bytes read_reg(RegisterSet& set, const char* name) {
  const RegisterInfo* r = find_register(host_description(), name);
  REQUIRE_MESSAGE(r != nullptr, name);
  Bytes out(r->bytes());
  std::error_code ec = set.read(r->regnum, out);
  REQUIRE_MESSAGE(!ec, name << ": " << ec.message());
  return out;
}

void write_reg(RegisterSet& set, const char* name, const Bytes& value) {
  std::error_code ec = set.write(regnum(name), value);
  REQUIRE_MESSAGE(!ec, name << ": " << ec.message());
}

Bytes pattern(std::size_t offset, std::size_t n) {
  Bytes b(n);
  std::memcpy(b.data(), remora_regs_pattern + offset, n);
  return b;
}

Bytes filled(std::size_t n, unsigned seed) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = std::byte((seed + 7 * i) & 0xff);
  return b;
}

Bytes u64(std::uint64_t v, std::size_t n = 8) {
  Bytes b(n);
  std::memcpy(b.data(), &v, n);
  return b;
}

std::uint64_t peek(pid_t pid, const void* addr) {
  errno = 0;
  long v = ::ptrace(PTRACE_PEEKDATA, pid, const_cast<void*>(addr), nullptr);
  REQUIRE(errno == 0);
  return static_cast<std::uint64_t>(v);
}

Bytes peek_bytes(pid_t pid, const unsigned char* addr, std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; i += 8) {
    std::uint64_t w = peek(pid, addr + i);
    std::memcpy(b.data() + i, &w, std::min<std::size_t>(8, n - i));
  }
  return b;
}

Bytes raw_xstate(pid_t pid, std::size_t size) {
  Bytes buf(size);
  iovec iov{buf.data(), buf.size()};
  REQUIRE(::ptrace(PTRACE_GETREGSET, pid, reinterpret_cast<void*>(NT_X86_XSTATE), &iov) == 0);
  buf.resize(iov.iov_len);
  return buf;
}

void (*loader(const XstateLayout& l))() {
  return l.avx512 ? remora_regs_load_avx512 : l.avx ? remora_regs_load_avx : remora_regs_load_sse;
}

struct PatternInit {
  PatternInit() {
    for (unsigned i = 0; i < sizeof remora_regs_pattern; ++i)
      remora_regs_pattern[i] = static_cast<unsigned char>(0x30 + i);
  }
} pattern_init;

}  // namespace

TEST_CASE("xstate probe matches /proc/cpuinfo and the kernel's XSAVE image") {
  XstateLayout l = probe_xstate_layout();
  MESSAGE("xcr0=" << l.xcr0 << " size=" << l.xsave_size
                    << " ymm=" << l.ymm_offset << " opmask=" << l.opmask_offset
                    << " zmm_hi256=" << l.zmm_hi256_offset << " hi16_zmm=" << l.hi16_zmm_offset
                    << " pkru=" << l.pkru_offset);
  CHECK(l.xsave_size >= 576);
  CHECK(l.avx);
  CHECK(l.ymm_offset == 576);  // architectural: AVX follows the 64-byte header at 512
  if (l.avx512) {
    CHECK(l.opmask_offset >= 832);
    CHECK(l.zmm_hi256_offset == l.opmask_offset + 64);   // 8 x 8-byte k registers
    CHECK(l.hi16_zmm_offset == l.zmm_hi256_offset + 512);  // 16 x 32-byte upper halves
  }
  Child child(remora_regs_load_sse);
  Bytes image = raw_xstate(child.pid, l.xsave_size + 4096);
  CHECK(image.size() == l.xsave_size);  // the kernel's regset is CPUID.(0DH,0).EBX bytes
  std::uint64_t kernel_xcr0 = 0;
  std::memcpy(&kernel_xcr0, image.data() + 464, 8);
  CHECK(kernel_xcr0 == l.xcr0);
  const auto& d = host_description();
  CHECK((find_register(d, "ymm0h") != nullptr) == l.avx);
  CHECK((find_register(d, "zmm31h") != nullptr) == l.avx512);
  CHECK((find_register(d, "k7") != nullptr) == l.avx512);
  CHECK((find_register(d, "pkru") != nullptr) == l.pkeys);
}

TEST_CASE("registers the child loaded read back, x87 tag word expanded") {
  XstateLayout l = probe_xstate_layout();
  Child child(loader(l));
  RegisterSet set(child.pid, l);
  CHECK(peek(child.pid, reinterpret_cast<const void*>(set.pc() - 1)) % 256 == 0xcc);  // after int3
  CHECK(set.sp() != 0);
  CHECK(read_reg(set, "rax") == u64(0x1122334455667788));
  CHECK(read_reg(set, "r15") == u64(0x99aabbccddeeff00));
  CHECK(read_reg(set, "rip") == u64(set.pc()));
  CHECK((std::to_integer<unsigned>(read_reg(set, "eflags")[1]) & 0x02) != 0);  // IF
  CHECK(read_reg(set, "cs") == u64(0x33, 4));  // __USER_CS
  CHECK(read_reg(set, "fs_base") != u64(0));    // glibc's TLS
  CHECK(read_reg(set, "xmm0") == pattern(0, 16));
  CHECK(read_reg(set, "xmm15") == pattern(16, 16));
  // The default control bits; sticky exception flags (bits 0-5) may be set by earlier code.
  Bytes mxcsr = read_reg(set, "mxcsr");
  CHECK((std::to_integer<unsigned>(mxcsr[0]) & 0xc0) == 0x80);
  CHECK(mxcsr[1] == std::byte{0x1f});
  // fninit; fld1: st0 = 1.0, TOP = 7, physical register 7 valid (00), the others empty (11).
  CHECK(read_reg(set, "st0") == Bytes{std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0},
                                      std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0x80},
                                      std::byte{0xff}, std::byte{0x3f}});
  CHECK(read_reg(set, "fctrl") == u64(0x37f, 4));
  CHECK(read_reg(set, "fstat") == u64(0x3800, 4));
  CHECK(read_reg(set, "ftag") == u64(0x3fff, 4));
  if (l.avx) CHECK(read_reg(set, "ymm1h") == pattern(16, 16));
  if (l.avx512) {
    CHECK(read_reg(set, "zmm2h") == pattern(32, 32));
    CHECK(read_reg(set, "xmm17") == pattern(64, 16));
    CHECK(read_reg(set, "ymm17h") == pattern(80, 16));
    CHECK(read_reg(set, "zmm17h") == pattern(96, 32));
    CHECK(read_reg(set, "k1") == u64(0xbeef));
  }
}

TEST_CASE("written registers survive flush: fresh RegisterSet and the CPU agree") {
  XstateLayout l = probe_xstate_layout();
  Child child(loader(l));
  {
    RegisterSet set(child.pid, l);
    write_reg(set, "rax", u64(0x0123456789abcdef));
    write_reg(set, "orig_rax", u64(std::uint64_t(-1)));
    write_reg(set, "gs_base", u64(0x7f0012345000));  // the store code below uses neither base
    write_reg(set, "eflags", u64(0x246 | 0x1, 4));  // CF on
    write_reg(set, "xmm0", filled(16, 1));
    write_reg(set, "ftag", u64(0xffff, 4));  // everything empty
    if (l.avx) write_reg(set, "ymm0h", filled(16, 2));
    if (l.avx512) {
      write_reg(set, "zmm0h", filled(32, 3));
      write_reg(set, "k1", u64(0x5a5a));
      write_reg(set, "xmm31", filled(16, 4));
      write_reg(set, "ymm31h", filled(16, 5));
      write_reg(set, "zmm31h", filled(32, 6));
    }
    REQUIRE(!set.flush());
  }
  RegisterSet fresh(child.pid, l);
  CHECK(read_reg(fresh, "rax") == u64(0x0123456789abcdef));
  CHECK(read_reg(fresh, "orig_rax") == u64(std::uint64_t(-1)));
  CHECK(read_reg(fresh, "gs_base") == u64(0x7f0012345000));
  CHECK(read_reg(fresh, "eflags") == u64(0x247, 4));
  CHECK(read_reg(fresh, "xmm0") == filled(16, 1));
  CHECK(read_reg(fresh, "ftag") == u64(0xffff, 4));
  CHECK(read_reg(fresh, "rip") == u64(fresh.pc()));
  if (l.avx) CHECK(read_reg(fresh, "ymm0h") == filled(16, 2));
  if (l.avx512) {
    CHECK(read_reg(fresh, "zmm0h") == filled(32, 3));
    CHECK(read_reg(fresh, "k1") == u64(0x5a5a));
    CHECK(read_reg(fresh, "xmm31") == filled(16, 4));
    CHECK(read_reg(fresh, "ymm31h") == filled(16, 5));
    CHECK(read_reg(fresh, "zmm31h") == filled(32, 6));
  }
  // Run code that stores the registers to memory: the values reached the CPU.
  auto store = l.avx512 ? remora_regs_store_avx512 : l.avx ? remora_regs_store_avx : remora_regs_store;
  REQUIRE(!fresh.set_pc(reinterpret_cast<std::uint64_t>(store)));
  REQUIRE(!fresh.flush());
  REQUIRE(child.cont_to_trap());
  CHECK(peek(child.pid, remora_regs_out) == 0x0123456789abcdef);
  if (l.avx512) {
    CHECK(peek(child.pid, remora_regs_out + 8) % 0x10000 == 0x5a5a);
    Bytes zmm0 = filled(16, 1);
    for (auto b : filled(16, 2)) zmm0.push_back(b);
    for (auto b : filled(32, 3)) zmm0.push_back(b);
    CHECK(peek_bytes(child.pid, remora_regs_out + 64, 64) == zmm0);
    Bytes zmm31 = filled(16, 4);
    for (auto b : filled(16, 5)) zmm31.push_back(b);
    for (auto b : filled(32, 6)) zmm31.push_back(b);
    CHECK(peek_bytes(child.pid, remora_regs_out + 128, 64) == zmm31);
  } else if (l.avx) {
    Bytes ymm0 = filled(16, 1);
    for (auto b : filled(16, 2)) ymm0.push_back(b);
    CHECK(peek_bytes(child.pid, remora_regs_out + 64, 32) == ymm0);
  } else {
    CHECK(peek_bytes(child.pid, remora_regs_out + 64, 16) == filled(16, 1));
  }
}

TEST_CASE("a component in its init state (XSTATE_BV bit clear) still takes a write") {
  XstateLayout l = probe_xstate_layout();
  if (!l.avx) return;
  Child child(loader(l));
  // Put AVX (and the AVX-512 parts) in init state, as the kernel sees after VZEROALL.
  Bytes image = raw_xstate(child.pid, l.xsave_size);
  std::uint64_t bv = 0;
  std::memcpy(&bv, image.data() + 512, 8);
  bv &= ~std::uint64_t{0xe4};
  std::memcpy(image.data() + 512, &bv, 8);
  iovec iov{image.data(), image.size()};
  REQUIRE(::ptrace(PTRACE_SETREGSET, child.pid, reinterpret_cast<void*>(NT_X86_XSTATE), &iov) == 0);
  {
    RegisterSet set(child.pid, l);
    CHECK(read_reg(set, "ymm1h") == Bytes(16));
    write_reg(set, "ymm1h", filled(16, 9));
    if (l.avx512) write_reg(set, "k2", u64(0x77));
    REQUIRE(!set.flush());
  }
  RegisterSet fresh(child.pid, l);
  CHECK(read_reg(fresh, "ymm1h") == filled(16, 9));
  if (l.avx512) CHECK(read_reg(fresh, "k2") == u64(0x77));
}

TEST_CASE("save and restore bring back both blocks") {
  XstateLayout l = probe_xstate_layout();
  Child child(loader(l));
  RegisterSet set(child.pid, l);
  auto snapshot = set.save();
  REQUIRE(snapshot.has_value());
  write_reg(set, "rax", u64(42));
  write_reg(set, "xmm0", filled(16, 11));
  REQUIRE(!set.flush());
  set.invalidate();
  CHECK(read_reg(set, "rax") == u64(42));
  REQUIRE(!set.restore(**snapshot));
  REQUIRE(!set.flush());
  RegisterSet fresh(child.pid, l);
  CHECK(read_reg(fresh, "rax") == u64(0x1122334455667788));
  CHECK(read_reg(fresh, "xmm0") == pattern(0, 16));
  if (l.avx) CHECK(read_reg(fresh, "ymm1h") == pattern(16, 16));
}

TEST_CASE("errors: unknown register, wrong size, component missing, thread gone") {
  XstateLayout l = probe_xstate_layout();
  Child child(loader(l));
  RegisterSet set(child.pid, l);
  Bytes eight(8), four(4);
  CHECK(set.read(9999, eight) == errc::no_such_register);
  CHECK(set.read(regnum("rax"), four) == errc::invalid_argument);
  CHECK(set.write(regnum("rax"), four) == errc::invalid_argument);
  if (l.avx) {
    // The description has ymm0h but the kernel did not enable the component.
    XstateLayout no_avx = l;
    no_avx.xcr0 &= ~std::uint64_t{0x4};
    RegisterSet partial(child.pid, no_avx);
    Bytes sixteen(16);
    CHECK(partial.read(regnum("ymm0h"), sixteen) == errc::register_unavailable);
    CHECK(partial.read(regnum("xmm0"), sixteen) == std::error_code{});
  }
  pid_t dead = child.pid;
  ::kill(dead, SIGKILL);
  (void)test::wait_status(dead);
  child.pid = -1;
  RegisterSet gone(dead, l);
  CHECK(gone.read(regnum("rax"), eight) == errc::no_such_thread);
}

TEST_CASE("without XSAVE the fxsave image of PTRACE_GETFPREGS serves x87 and SSE") {
  XstateLayout legacy;  // what probe_xstate_layout() reports on a CPU without OSXSAVE
  legacy.xcr0 = 0x3;
  Child child(remora_regs_load_sse);
  RegisterSet set(child.pid, legacy);
  CHECK(read_reg(set, "xmm0") == pattern(0, 16));
  CHECK(read_reg(set, "ftag") == u64(0x3fff, 4));
  write_reg(set, "xmm15", filled(16, 21));
  write_reg(set, "fop", u64(0x7ff, 4));
  REQUIRE(!set.flush());
  RegisterSet fresh(child.pid, legacy);
  CHECK(read_reg(fresh, "xmm15") == filled(16, 21));
  CHECK(read_reg(fresh, "fop") == u64(0x7ff, 4));
}
