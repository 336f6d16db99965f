#include "targets/ptrace/svr4_libraries.hpp"

#include <elf.h>
#include <link.h>

#include <cstdio>
#include <cstring>
#include <optional>

#include "targets/api/xml_text.hpp"

namespace remora::targets::ptrace {
namespace {

constexpr std::size_t kMaxLibraries = 4096;  // a corrupt (cyclic) list must still end

std::optional<Addr> read_word(MemoryAccess& memory, Addr addr) {
  Addr value = 0;
  auto t = memory.read_virtual(addr, std::as_writable_bytes(std::span(&value, 1)));
  if (t.bytes != sizeof value) return std::nullopt;
  return value;
}

std::string read_c_string(MemoryAccess& memory, Addr addr) {
  std::string out;
  char chunk[256];
  while (addr != 0 && out.size() < 4096) {
    auto t = memory.read_virtual(addr, std::as_writable_bytes(std::span(chunk)));
    if (t.bytes == 0) break;
    const auto* end = static_cast<const char*>(std::memchr(chunk, 0, t.bytes));
    out.append(chunk, end != nullptr ? static_cast<std::size_t>(end - chunk) : t.bytes);
    if (end != nullptr) break;
    addr += t.bytes;
  }
  return out;
}

// The run-time address of the executable's dynamic section: PT_PHDR tells how far the program
// headers (and so a PIE) moved from their link-time addresses.
std::optional<Addr> dynamic_section(MemoryAccess& memory, std::string_view auxv) {
  const Addr phdr = auxv_value(auxv, AT_PHDR);
  const Addr phnum = auxv_value(auxv, AT_PHNUM);
  if (phdr == 0 || phnum == 0 || phnum > 1024) return std::nullopt;
  Addr bias = 0;
  std::optional<Addr> dynamic;
  for (Addr i = 0; i < phnum; ++i) {
    Elf64_Phdr ph{};
    auto t = memory.read_virtual(phdr + i * sizeof ph, std::as_writable_bytes(std::span(&ph, 1)));
    if (t.bytes != sizeof ph) return std::nullopt;
    if (ph.p_type == PT_PHDR) bias = phdr - ph.p_vaddr;
    if (ph.p_type == PT_DYNAMIC) dynamic = ph.p_vaddr;
  }
  if (!dynamic) return std::nullopt;
  return *dynamic + bias;
}

// DT_DEBUG's value: the address of r_debug, 0 until the dynamic linker has set it.
Addr r_debug_address(MemoryAccess& memory, Addr dynamic) {
  for (int i = 0; i < 1024; ++i) {
    auto tag = read_word(memory, dynamic + i * sizeof(Elf64_Dyn));
    auto value = read_word(memory, dynamic + i * sizeof(Elf64_Dyn) + 8);
    if (!tag || !value || *tag == DT_NULL) return 0;
    if (*tag == DT_DEBUG) return *value;
  }
  return 0;
}

void append_hex(std::string& out, Addr value) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(value));
  out += buf;
}

}  // namespace

Addr auxv_value(std::string_view auxv, Addr type) {
  for (std::size_t at = 0; at + 16 <= auxv.size(); at += 16) {
    Addr entry[2];
    std::memcpy(entry, auxv.data() + at, sizeof entry);
    if (entry[0] == AT_NULL) break;
    if (entry[0] == type) return entry[1];
  }
  return 0;
}

// As gdbserver: the first link_map entry is the main program (main-lm); entries with an empty
// name (the vDSO before it is named, the main program) are left out.
std::string svr4_library_list(MemoryAccess& memory, std::string_view auxv) {
  std::string out = "<library-list-svr4 version=\"1.0\"";
  auto dynamic = dynamic_section(memory, auxv);
  const Addr r_debug = dynamic ? r_debug_address(memory, *dynamic) : 0;
  const auto r_map = r_debug != 0 ? read_word(memory, r_debug + offsetof(struct r_debug, r_map)) : std::nullopt;
  if (!r_map || *r_map == 0) return out + "/>";
  out += " main-lm=\"";
  append_hex(out, *r_map);
  out += "\">";
  Addr lm = *r_map;
  for (std::size_t n = 0; lm != 0 && n < kMaxLibraries; ++n) {
    auto l_addr = read_word(memory, lm + offsetof(link_map, l_addr));
    auto l_name = read_word(memory, lm + offsetof(link_map, l_name));
    auto l_ld = read_word(memory, lm + offsetof(link_map, l_ld));
    auto l_next = read_word(memory, lm + offsetof(link_map, l_next));
    if (!l_addr || !l_name || !l_ld || !l_next) break;
    const std::string name = n == 0 ? std::string{} : read_c_string(memory, *l_name);
    if (!name.empty()) {
      out += "<library name=\"";
      append_xml_escaped(out, name);
      out += "\" lm=\"";
      append_hex(out, lm);
      out += "\" l_addr=\"";
      append_hex(out, *l_addr);
      out += "\" l_ld=\"";
      append_hex(out, *l_ld);
      out += "\" lmid=\"0x0\"/>";  // the default namespace (gdb 13's DTD requires lmid)
    }
    lm = *l_next;
  }
  return out + "</library-list-svr4>";
}

}  // namespace remora::targets::ptrace
