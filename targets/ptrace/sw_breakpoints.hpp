// Software breakpoints (int3) and the shadow of the bytes they replace. Reads through this
// layer never show an int3 that remora planted; a client write over one updates the shadow and
// keeps the int3 planted.
#pragma once
#include <cstdint>
#include <map>
#include <span>
#include <system_error>

#include "targets/ptrace/proc_memory.hpp"

namespace remora::targets::ptrace {

class SoftwareBreakpoints {
 public:
  explicit SoftwareBreakpoints(const ProcMemory& memory) : memory_(memory) {}

  std::error_code insert(Addr addr);
  std::error_code remove(Addr addr);
  bool inserted(Addr addr) const { return table_.contains(addr); }
  bool empty() const { return table_.empty(); }

  // For stepping one thread over a breakpoint: puts the original byte back / plants int3 again
  // without forgetting the breakpoint.
  std::error_code lift(Addr addr);
  std::error_code replant(Addr addr);

  // A vfork child shares the parent's memory: the int3s come out while it runs, back at
  // vfork-done, so the child never traps on them.
  void lift_all();
  void replant_all();

  // Removes every int3 from memory and forgets them (detach).
  void remove_all();
  // The process's address space was replaced (exec): the int3s are gone with it.
  void forget_all() { table_.clear(); }
  // Writes the original bytes into another process's memory (a fork child inherits the int3s).
  void restore_in(const ProcMemory& other) const;
  // Takes over another table whose int3s are planted in this memory too (a fork child's copy).
  void copy_table_from(const SoftwareBreakpoints& other) { table_ = other.table_; }

  Transfer read(Addr addr, std::span<std::byte> out) const;
  Transfer write(Addr addr, std::span<const std::byte> data);

 private:
  const ProcMemory& memory_;
  std::map<Addr, std::byte> table_;  // address -> the original byte
};

}  // namespace remora::targets::ptrace
