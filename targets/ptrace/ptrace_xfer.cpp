// The qXfer objects of a traced process: auxv, exec-file, libraries-svr4, siginfo, osdata.
#include <signal.h>
#include <sys/ptrace.h>

#include <charconv>
#include <cstring>

#include "targets/ptrace/osdata.hpp"
#include "targets/ptrace/proc_files.hpp"
#include "targets/ptrace/ptrace_ops.hpp"
#include "targets/ptrace/ptrace_target.hpp"
#include "targets/ptrace/svr4_libraries.hpp"

namespace remora::targets::ptrace {
namespace {
constexpr std::size_t kSiginfoSize = sizeof(siginfo_t);  // 128 on x86-64, as gdb's $_siginfo
static_assert(kSiginfoSize == 128);

std::unexpected<std::error_code> fail(errc e) { return std::unexpected(make_error_code(e)); }
}  // namespace

std::vector<XferObjects::Object> PtraceTarget::objects() const {
  return {{"auxv", false}, {"exec-file", false}, {"libraries-svr4", false}, {"siginfo", true}, {"osdata", false}};
}

// The thread gdb means by $_siginfo: the one of the last stop (gdbserver: the general thread).
Thread* PtraceTarget::siginfo_thread() {
  if (state_ != RunState::stopped) return nullptr;
  return thread_for(ThreadId::any());
}

std::expected<std::string, std::error_code> PtraceTarget::read(std::string_view name, std::string_view annex) {
  if (name == "osdata") {
    auto doc = osdata_document(annex);
    if (!doc) return fail(errc::invalid_argument);
    return *doc;
  }
  if (name == "exec-file") {  // annex: the pid in hex, or empty for the current process
    pid_t pid = selected_ != 0 ? selected_ : pid_;
    if (!annex.empty()) {
      auto [end, ec] = std::from_chars(annex.data(), annex.data() + annex.size(), pid, 16);
      if (ec != std::errc{} || end != annex.data() + annex.size() || pid <= 0) return fail(errc::invalid_argument);
    }
    if (pid == 0) return fail(errc::no_process);
    auto path = exe_path(pid);
    if (path.empty()) return fail(errc::no_process);
    return path;
  }
  if (state_ == RunState::no_process) return fail(errc::no_process);
  const pid_t pid = selected_ != 0 ? selected_ : pid_;
  if (name == "auxv") {
    auto auxv = read_proc_file(pid, "auxv");
    if (!auxv) return fail(errc::backend_io);
    return *auxv;
  }
  if (name == "libraries-svr4") {  // `start=...;prev=...` annexes get the whole list, as allowed
    auto auxv = read_proc_file(pid, "auxv");
    if (!auxv) return fail(errc::backend_io);
    return svr4_library_list(memory(), *auxv);
  }
  if (name == "siginfo") {
    Thread* t = siginfo_thread();
    if (t == nullptr) return fail(state_ == RunState::running ? errc::target_running : errc::no_such_thread);
    siginfo_t info{};
    if (::ptrace(PTRACE_GETSIGINFO, t->tid, nullptr, &info) != 0) return std::unexpected(last_errno());
    return std::string(reinterpret_cast<const char*>(&info), sizeof info);
  }
  return fail(errc::not_supported);
}

// Only siginfo is writable: the bytes patch the thread's siginfo, which the kernel uses when
// the thread is resumed with that signal.
std::expected<std::size_t, std::error_code> PtraceTarget::write(std::string_view name, std::string_view,
                                                                std::uint64_t offset, std::span<const std::byte> data) {
  if (name != "siginfo") return fail(errc::not_supported);
  Thread* t = siginfo_thread();
  if (t == nullptr) return fail(state_ == RunState::no_process ? errc::no_process : errc::no_such_thread);
  if (offset >= kSiginfoSize) return fail(errc::invalid_argument);
  siginfo_t info{};
  if (::ptrace(PTRACE_GETSIGINFO, t->tid, nullptr, &info) != 0) return std::unexpected(last_errno());
  const std::size_t n = std::min<std::size_t>(data.size(), kSiginfoSize - offset);
  std::memcpy(reinterpret_cast<std::byte*>(&info) + offset, data.data(), n);
  if (::ptrace(PTRACE_SETSIGINFO, t->tid, nullptr, &info) != 0) return std::unexpected(last_errno());
  return n;
}

}  // namespace remora::targets::ptrace
