#include "targets/ptrace/signals.hpp"

#include <array>

namespace remora::targets::ptrace {
namespace {

constexpr int kGdbUnknown = 143;
constexpr int kGdbRealtime32 = 77;
constexpr int kGdbRealtime33 = 45;  // 33..63 are 45..75
constexpr int kGdbRealtime64 = 78;  // 64..127 are 78..141

// Index: Linux signal 0..31 (x86-64 numbering). Value: gdb number.
constexpr std::array<int, 32> kLinuxToGdb = {
    0,            // 0
    1,  2,  3,    // HUP INT QUIT
    4,  5,  6,    // ILL TRAP ABRT
    10,           // 7 BUS
    8,  9,        // FPE KILL
    30,           // 10 USR1
    11,           // 11 SEGV
    31,           // 12 USR2
    13, 14, 15,   // PIPE ALRM TERM
    kGdbUnknown,  // 16 STKFLT: gdb has no name for it
    20,           // 17 CHLD
    19,           // 18 CONT
    17,           // 19 STOP
    18,           // 20 TSTP
    21, 22,       // 21 TTIN, 22 TTOU
    16,           // 23 URG
    24, 25, 26, 27, 28,  // XCPU XFSZ VTALRM PROF WINCH
    23,           // 29 IO/POLL
    32,           // 30 PWR
    12,           // 31 SYS
};

}  // namespace

int gdb_signal_from_linux(int linux_signal) {
  if (linux_signal >= 0 && linux_signal < static_cast<int>(kLinuxToGdb.size())) return kLinuxToGdb[linux_signal];
  if (linux_signal == 32) return kGdbRealtime32;
  if (linux_signal >= 33 && linux_signal <= 63) return kGdbRealtime33 + (linux_signal - 33);
  if (linux_signal == 64) return kGdbRealtime64;
  return kGdbUnknown;
}

int linux_signal_from_gdb(int gdb_signal) {
  if (gdb_signal <= 0) return 0;
  for (int s = 1; s < static_cast<int>(kLinuxToGdb.size()); ++s)
    if (kLinuxToGdb[s] == gdb_signal && gdb_signal != kGdbUnknown) return s;
  if (gdb_signal == kGdbRealtime32) return 32;
  if (gdb_signal >= kGdbRealtime33 && gdb_signal <= kGdbRealtime33 + 30) return 33 + (gdb_signal - kGdbRealtime33);
  if (gdb_signal == kGdbRealtime64) return 64;
  return 0;
}

}  // namespace remora::targets::ptrace
