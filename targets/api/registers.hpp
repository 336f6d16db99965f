// Registers as a target description describes them (GDB's target.xml model).
#pragma once
#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "targets/api/types.hpp"

namespace remora::targets {

// lldb's "generic" register roles, also used by the stub to pick expedited registers.
enum class GenericRole { none, pc, sp, fp, ra, flags, arg1, arg2, arg3, arg4, arg5, arg6 };

struct RegisterInfo {
  std::string name;
  unsigned bitsize = 64;
  unsigned regnum = 0;          // the number `p`/`P` and stop replies use
  std::string type = "int";     // target.xml type name (int, code_ptr, data_ptr, i387_ext, vec128, ...)
  std::string group;            // general, float, vector, system, ...
  std::string feature;          // the target.xml feature that holds it (org.gnu.gdb.i386.core, ...)
  GenericRole generic = GenericRole::none;
  int dwarf = -1;               // DWARF / EH frame register number, -1 if none
  int ehframe = -1;
  bool in_g_packet = true;      // part of the `g`/`G` block
  std::string lldb_encoding = "uint";   // uint, sint, ieee754, vector
  std::string lldb_format = "hex";      // hex, decimal, float, vector-uint8, ...
  std::string lldb_set = "General Purpose Registers";
  std::vector<unsigned> value_regs;     // lldb: this register is a slice of these
  std::vector<unsigned> invalidate_regs;

  std::size_t bytes() const { return (bitsize + 7) / 8; }
};

struct TargetDescription {
  std::string architecture;                 // "i386:x86-64"
  std::string osabi;                        // "GNU/Linux" or empty
  std::vector<RegisterInfo> registers;      // ordered by regnum, dense from 0
  std::map<std::string, std::string> xml;   // annex name -> document; "target.xml" is the root

  const RegisterInfo* find(unsigned regnum) const {
    return regnum < registers.size() ? &registers[regnum] : nullptr;
  }
  const RegisterInfo* find_role(GenericRole role) const {
    for (const auto& r : registers)
      if (r.generic == role) return &r;
    return nullptr;
  }
};

class RegisterAccess {
 public:
  virtual ~RegisterAccess() = default;
  virtual const TargetDescription& description() const = 0;
  // `out.size()` equals the register's size; bytes are in target order (little-endian on x86).
  virtual std::error_code read_register(ThreadId thread, unsigned regnum, std::span<std::byte> out) = 0;
  virtual std::error_code write_register(ThreadId thread, unsigned regnum,
                                         std::span<const std::byte> value) = 0;
};

}  // namespace remora::targets
