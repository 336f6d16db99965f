// lldb's _M / _m on ptrace: mmap and munmap run inside the stopped debuggee by injecting one
// `syscall` instruction into a stopped thread (lldb-server does the same; without it lldb would
// call mmap in the inferior itself through a full expression call).
#pragma once
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <system_error>
#include <utility>

#include "targets/api/memory_allocator.hpp"
#include "targets/ptrace/proc_memory.hpp"
#include "targets/ptrace/thread_list.hpp"

namespace remora::targets::ptrace {

// Where a syscall can run now: a stopped thread to borrow, the raw memory of its process (no
// breakpoint shadow: whatever is in memory, int3s included, is put back byte for byte) and an
// executable address to put the two-byte `syscall` at.
struct SyscallSite {
  pid_t pid = 0;
  Thread* thread = nullptr;
  const ProcMemory* memory = nullptr;
  Addr code_at = 0;
};

// Runs syscall `nr` with `args` in the site's thread and returns its raw result (-errno on
// failure, as the kernel gives it). Every register and the two code bytes are restored whatever
// happens; a signal that arrives instead of the step is kept in the thread's deferred_signal
// (delivered on the next resume). Error codes are the tracer's failures, not the syscall's.
std::expected<std::uint64_t, std::error_code> inject_syscall(const SyscallSite& site, long nr,
                                                             const std::array<std::uint64_t, 6>& args);

class InferiorMmap final : public MemoryAllocator {
 public:
  using SiteFinder = std::function<std::expected<SyscallSite, std::error_code>()>;
  explicit InferiorMmap(SiteFinder find) : find_(std::move(find)) {}

  std::expected<Addr, std::error_code> allocate(std::uint64_t size, AllocationPermissions permissions) override;
  std::error_code deallocate(Addr addr) override;

  // The process is gone (exit, kill, detach): its allocations went with it.
  void forget() { allocations_.clear(); }

 private:
  SiteFinder find_;
  // (pid, start) -> page-rounded size: only what allocate() returned may be unmapped.
  std::map<std::pair<pid_t, Addr>, std::uint64_t> allocations_;
};

}  // namespace remora::targets::ptrace
