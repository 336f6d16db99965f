// Helpers for the ptrace backend tests: a debuggee launched under a PtraceTarget driven by its
// own io_context with bounded waits, and direct /proc/PID/mem access to check what landed.
#pragma once
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "targets/ptrace/ptrace_target.hpp"

namespace remora::targets::test {

using namespace std::chrono_literals;

struct StopLog : StopListener {
  std::vector<StopEvent> stops;
  void on_stop(const StopEvent& e) override { stops.push_back(e); }
};

inline ptrace::LaunchSpec inferior(const std::string& mode, bool shell = false) {
  ptrace::LaunchSpec spec;
  spec.program = REMORA_PTRACE_INFERIOR;
  spec.args = {mode};
  spec.settings.startup_with_shell = shell;
  return spec;
}

struct Debuggee {
  asio::io_context io;
  StopLog log;
  std::unique_ptr<ptrace::PtraceTarget> target;
  pid_t pid = 0;

  explicit Debuggee(ptrace::PtraceOptions options) {
    auto t = ptrace::make_ptrace_target(io, std::move(options));
    REQUIRE_MESSAGE(t.has_value(), (t ? std::string() : t.error()));
    target = std::move(*t);
    target->set_stop_listener(&log);
    pid = target->pid();
  }
  static ptrace::PtraceOptions launching(const std::string& mode, bool shell = false) {
    ptrace::PtraceOptions o;
    o.launch = inferior(mode, shell);
    return o;
  }

  // Runs the loop until a stop arrives (bounded); nullopt when none came in time.
  std::optional<StopEvent> wait(std::chrono::milliseconds limit = 10s) {
    const auto before = log.stops.size();
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (log.stops.size() == before) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return std::nullopt;
      io.run_one_for(deadline - now);
    }
    return log.stops.back();
  }
  std::optional<StopEvent> run(std::vector<ResumeAction> actions) {
    auto ec = target->resume(actions);
    REQUIRE_MESSAGE(!ec, ec.message());
    return wait();
  }
  std::optional<StopEvent> cont(int gdb_signal = 0) {
    ResumeAction a;
    a.kind = ResumeKind::cont;
    a.signal = gdb_signal;
    return run({a});
  }
  std::optional<StopEvent> step(ThreadId thread = ThreadId::all()) {
    ResumeAction a;
    a.kind = ResumeKind::step;
    a.thread = thread;
    return run({a});
  }

  std::uint64_t reg(unsigned regnum, ThreadId thread = ThreadId::any()) {
    std::byte buf[8]{};
    auto ec = target->registers().read_register(thread, regnum, buf);
    REQUIRE_MESSAGE(!ec, ec.message());
    std::uint64_t v = 0;
    std::memcpy(&v, buf, 8);
    return v;
  }
  std::uint64_t pc(ThreadId thread = ThreadId::any()) {
    return reg(target->registers().description().find_role(GenericRole::pc)->regnum, thread);
  }
};

// Registers the inferior's announcing int3 carries (tests/targets/programs/ptrace_inferior.c).
constexpr unsigned kRax = 0, kRbx = 1, kRcx = 2;

// Runs to the inferior's announcing int3 (a SIGTRAP that is not ours).
inline void run_to_announce(Debuggee& d) {
  auto stop = d.cont();
  REQUIRE(stop);
  REQUIRE(stop->kind == StopKind::stopped);
  CHECK(stop->signal == gdb_signal::trap);
  CHECK(stop->reason == StopReason::signal);
}

// Straight from the kernel, bypassing the target (and its breakpoint shadow).
inline std::vector<std::byte> proc_read(pid_t pid, Addr addr, std::size_t n) {
  std::vector<std::byte> out(n);
  const int fd = ::open(("/proc/" + std::to_string(pid) + "/mem").c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  const ssize_t got = ::pread(fd, out.data(), n, static_cast<off_t>(addr));
  ::close(fd);
  out.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
  return out;
}

inline bool process_exists(pid_t pid) { return ::kill(pid, 0) == 0; }

// The state letter of /proc/PID/task/TID/stat ('t' = stopped by the tracer).
inline char task_state(pid_t pid, pid_t tid) {
  const int fd = ::open(("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/stat").c_str(), O_RDONLY);
  if (fd < 0) return '?';
  char buf[512]{};
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return '?';
  const char* paren = std::strrchr(buf, ')');
  return paren != nullptr && paren[1] == ' ' ? paren[2] : '?';
}

// waitpid that cannot hang a test: the status, or nullopt when the wait failed or timed out.
inline std::optional<int> wait_status(pid_t pid, std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG | __WALL);
    if (r == pid) return status;
    if (r == -1 || std::chrono::steady_clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

// A bare traced child for the tests below PtraceTarget: forked, stopped by its own SIGSTOP
// before `body` runs, killed with its tracer (PTRACE_O_EXITKILL), and killed and reaped on
// destruction.
struct TracedChild {
  pid_t pid = -1;
  explicit TracedChild(void (*body)()) {
    pid = ::fork();
    if (pid == 0) {
      ::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
      ::raise(SIGSTOP);
      body();
      ::_exit(0);
    }
    REQUIRE(pid > 0);
    auto st = wait_status(pid);
    REQUIRE((st && WIFSTOPPED(*st) && WSTOPSIG(*st) == SIGSTOP));
    ::ptrace(PTRACE_SETOPTIONS, pid, nullptr, reinterpret_cast<void*>(PTRACE_O_EXITKILL));
  }
  ~TracedChild() {
    if (pid <= 0) return;
    ::kill(pid, SIGKILL);
    (void)wait_status(pid);
  }
  TracedChild(const TracedChild&) = delete;
  TracedChild& operator=(const TracedChild&) = delete;

  // PTRACE_CONT, then the next wait status; nullopt when either failed.
  std::optional<int> cont() {
    if (::ptrace(PTRACE_CONT, pid, nullptr, nullptr) == -1) return std::nullopt;
    return wait_status(pid);
  }
};

}  // namespace remora::targets::test
