// A process's memory through /proc/PID/mem: one descriptor per process, pread/pwrite loops.
// Writes land in read-only and PROT_NONE pages too (the kernel uses FOLL_FORCE), which is what
// software breakpoints in text need. No breakpoint shadowing here: this is the raw layer.
#pragma once
#include <sys/types.h>

#include <span>
#include <system_error>

#include "targets/api/memory_access.hpp"

namespace remora::targets::ptrace {

class ProcMemory {
 public:
  ProcMemory() = default;
  ~ProcMemory();
  ProcMemory(const ProcMemory&) = delete;
  ProcMemory& operator=(const ProcMemory&) = delete;

  std::error_code open(pid_t pid);  // also after exec: the old descriptor names the old mm
  void close();
  bool is_open() const { return fd_ >= 0; }

  // The readable prefix; when a large read fails outright it narrows down page by page so the
  // prefix is exact.
  Transfer read(Addr addr, std::span<std::byte> out) const;
  // A short or failed pwrite is a partial write: the prefix stays.
  Transfer write(Addr addr, std::span<const std::byte> data) const;

 private:
  Transfer read_exact_prefix(Addr addr, std::span<std::byte> out) const;
  int fd_ = -1;
};

}  // namespace remora::targets::ptrace
