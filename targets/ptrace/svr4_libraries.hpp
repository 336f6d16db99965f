// gdb's qXfer:libraries-svr4 document, read from the inferior the way gdbserver's
// linux_qxfer_libraries_svr4 does: auxv's AT_PHDR/AT_PHNUM give the program headers (and the
// PIE load bias through PT_PHDR), PT_DYNAMIC's DT_DEBUG gives the dynamic linker's r_debug,
// whose r_map is the link_map list (64-bit layouts).
#pragma once
#include <string>
#include <string_view>

#include "targets/api/memory_access.hpp"

namespace remora::targets::ptrace {

// `auxv` is /proc/PID/auxv. Before the dynamic linker has filled in DT_DEBUG (or for a static
// program) the list is empty: `<library-list-svr4 version="1.0"/>`.
std::string svr4_library_list(MemoryAccess& memory, std::string_view auxv);

// An auxv entry's value (AT_*), 0 when absent.
Addr auxv_value(std::string_view auxv, Addr type);

}  // namespace remora::targets::ptrace
