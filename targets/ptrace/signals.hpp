// Linux x86-64 signal numbers <-> gdb's wire numbering (gdb/signals.def). They agree up to 15
// only; above that every number differs (SIGUSR1 is 10 on Linux, 30 for gdb).
#pragma once

namespace remora::targets::ptrace {

// 0 stays 0; a Linux signal gdb has no name for becomes GDB_SIGNAL_UNKNOWN (143).
int gdb_signal_from_linux(int linux_signal);
// 0 for 0 and for gdb numbers that have no Linux counterpart.
int linux_signal_from_gdb(int gdb_signal);

}  // namespace remora::targets::ptrace
