// One syscall run inside the debuggee: save the registers, put `syscall` (0f 05) at an executable
// address, point rip at it with the arguments in rax/rdi/rsi/rdx/r10/r8/r9, single-step, read
// rax, put the code bytes and every register back.
#include "targets/ptrace/inferior_mmap.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

#include "targets/api/errors.hpp"
#include "targets/ptrace/proc_files.hpp"
#include "targets/ptrace/ptrace_ops.hpp"
#include "targets/ptrace/ptrace_target.hpp"

namespace remora::targets::ptrace {
namespace {

constexpr std::array<std::byte, 2> kSyscall{std::byte{0x0f}, std::byte{0x05}};

std::error_code get_regs(pid_t tid, user_regs_struct& regs) {
  return ::ptrace(PTRACE_GETREGS, tid, nullptr, &regs) == 0 ? std::error_code{} : last_errno();
}

std::error_code set_regs(pid_t tid, const user_regs_struct& regs) {
  return ::ptrace(PTRACE_SETREGS, tid, nullptr, &regs) == 0 ? std::error_code{} : last_errno();
}

// Steps the thread over the `syscall` at `at` (rip is already there). A signal that is dequeued
// before the instruction runs stops the thread first: it is kept in `caught` and the step is
// tried again. Done when rip is past the instruction.
std::expected<std::uint64_t, std::error_code> step_over_syscall(pid_t tid, Addr at, std::vector<int>& caught) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    if (auto ec = resume_thread(tid, true, 0)) return std::unexpected(ec);
    auto status = wait_blocking(tid);
    if (!status || !WIFSTOPPED(*status)) return std::unexpected(make_error_code(errc::process_exited));
    const int sig = WSTOPSIG(*status);
    if (ptrace_event_of(*status) == 0 && sig != SIGTRAP) caught.push_back(sig);
    user_regs_struct now{};
    if (auto ec = get_regs(tid, now)) return std::unexpected(ec);
    if (now.rip == at + kSyscall.size()) return now.rax;
  }
  return std::unexpected(make_error_code(errc::backend_io));
}

// Signals that arrived during the step are the program's: the first waits in the thread's
// deferred_signal (as for signals found while stopping everything), others are queued again.
void give_back(Thread& t, const std::vector<int>& caught) {
  for (int sig : caught) {
    if (t.deferred_signal == 0)
      t.deferred_signal = sig;
    else
      ::syscall(SYS_tgkill, t.pid, t.tid, sig);
  }
}

// Where to put the instruction: the thread's pc when it is in executable memory (every other
// thread is stopped, so nothing else can run those bytes meanwhile), else the first executable
// mapping of a file (never [vdso]/[vsyscall], which /proc/PID/mem may not write).
Addr code_address(const std::vector<MemoryRegion>& regions, Addr pc) {
  for (const auto& r : regions)
    if (r.executable && pc >= r.start && pc - r.start + kSyscall.size() <= r.size) return pc;
  for (const auto& r : regions)
    if (r.executable && r.size >= kSyscall.size() && !r.name.starts_with('[')) return r.start;
  return 0;
}

std::error_code from_errno(std::uint64_t raw) {
  const auto e = -static_cast<std::int64_t>(raw);
  if (e == ENOMEM) return errc::resource_exhausted;
  if (e == EINVAL) return errc::invalid_argument;
  return errc::backend_io;
}

bool is_error(std::uint64_t raw) { return raw >= static_cast<std::uint64_t>(-4095); }

}  // namespace

std::expected<std::uint64_t, std::error_code> inject_syscall(const SyscallSite& site, long nr,
                                                             const std::array<std::uint64_t, 6>& args) {
  Thread& t = *site.thread;
  // Registers the client changed go to the thread first: they are what gets restored.
  if (auto ec = t.regs.flush()) return std::unexpected(ec);
  user_regs_struct saved{};
  if (auto ec = get_regs(t.tid, saved)) return std::unexpected(ec);
  std::array<std::byte, 2> original{};
  if (auto r = site.memory->read(site.code_at, original); r.bytes != original.size())
    return std::unexpected(r.error ? r.error : make_error_code(errc::unmapped));
  if (auto w = site.memory->write(site.code_at, kSyscall); w.bytes != kSyscall.size()) {
    (void)site.memory->write(site.code_at, std::span(original).first(w.bytes));
    return std::unexpected(w.error ? w.error : make_error_code(errc::write_protected));
  }
  user_regs_struct call = saved;
  call.rip = site.code_at;
  call.rax = static_cast<std::uint64_t>(nr);
  // orig_rax -1: a thread stopped inside an interrupted syscall must not have the kernel's
  // restart logic rewind our rip; the saved orig_rax brings the restart back afterwards.
  call.orig_rax = ~0ULL;
  call.rdi = args[0];
  call.rsi = args[1];
  call.rdx = args[2];
  call.r10 = args[3];
  call.r8 = args[4];
  call.r9 = args[5];
  std::vector<int> caught;
  std::expected<std::uint64_t, std::error_code> result = std::unexpected(std::error_code{});
  if (auto ec = set_regs(t.tid, call))
    result = std::unexpected(ec);
  else
    result = step_over_syscall(t.tid, site.code_at, caught);
  const auto restored_code = site.memory->write(site.code_at, original);
  const auto restored_regs = set_regs(t.tid, saved);
  t.regs.invalidate();  // read again from the thread: exactly what was saved
  give_back(t, caught);
  if (result && restored_code.bytes != original.size())
    return std::unexpected(restored_code.error ? restored_code.error : make_error_code(errc::backend_io));
  if (result && restored_regs) return std::unexpected(restored_regs);
  return result;
}

std::expected<Addr, std::error_code> InferiorMmap::allocate(std::uint64_t size, AllocationPermissions p) {
  if (size == 0) return std::unexpected(make_error_code(errc::invalid_argument));
  const std::uint64_t page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  if (size > (1ULL << 40)) return std::unexpected(make_error_code(errc::resource_exhausted));
  const std::uint64_t rounded = (size + page - 1) & ~(page - 1);
  auto site = find_();
  if (!site) return std::unexpected(site.error());
  const std::uint64_t prot = (p.readable ? PROT_READ : 0) | (p.writable ? PROT_WRITE : 0) | (p.executable ? PROT_EXEC : 0);
  const std::uint64_t flags = MAP_PRIVATE | MAP_ANONYMOUS;
  auto raw = inject_syscall(*site, SYS_mmap, {0, rounded, prot, flags, ~0ULL, 0});
  if (!raw) return std::unexpected(raw.error());
  if (is_error(*raw)) return std::unexpected(from_errno(*raw));
  allocations_[{site->pid, *raw}] = rounded;
  return *raw;
}

std::error_code InferiorMmap::deallocate(Addr addr) {
  auto site = find_();
  if (!site) return site.error();
  auto it = allocations_.find({site->pid, addr});
  if (it == allocations_.end()) return errc::invalid_argument;
  auto raw = inject_syscall(*site, SYS_munmap, {addr, it->second, 0, 0, 0, 0});
  if (!raw) return raw.error();
  if (is_error(*raw)) return from_errno(*raw);
  allocations_.erase(it);
  return {};
}

// The thread to borrow: the one of the last stop (lldb's current thread), else any stopped one
// of the selected process. Not one with a queued SIGTRAP (the step would consume it) nor one at
// a syscall-entry stop (its syscall would be skipped).
std::expected<SyscallSite, std::error_code> PtraceTarget::syscall_site() {
  if (state_ == RunState::no_process) return std::unexpected(make_error_code(errc::no_process));
  if (state_ == RunState::running) return std::unexpected(make_error_code(errc::target_running));
  const pid_t pid = selected_ != 0 ? selected_ : pid_;
  auto usable = [pid](const Thread* t) {
    return t != nullptr && t->pid == pid && !t->running && !t->trap_queued && !t->in_syscall && !t->zombie;
  };
  Thread* chosen = nullptr;
  if (current_stop_) chosen = threads_.find(static_cast<pid_t>(current_stop_->thread.tid));
  if (!usable(chosen)) {
    chosen = nullptr;
    for (auto& t : threads_)
      if (usable(t.get())) {
        chosen = t.get();
        break;
      }
  }
  if (chosen == nullptr) return std::unexpected(make_error_code(errc::not_supported));
  SyscallSite site{pid, chosen, &memory_of(pid), 0};
  site.code_at = code_address(read_maps(pid), chosen->regs.pc());
  if (site.code_at == 0) return std::unexpected(make_error_code(errc::not_supported));
  return site;
}

}  // namespace remora::targets::ptrace
