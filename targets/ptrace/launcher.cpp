#include "targets/ptrace/launcher.hpp"

#include <fcntl.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <map>

#include "targets/ptrace/ptrace_ops.hpp"

extern char** environ;

namespace remora::targets::ptrace {
namespace {

// What the child reports through the CLOEXEC pipe when a step before exec fails.
struct ChildFailure {
  int stage;  // 0 chdir, 1 stdio redirection, 2 exec
  int error;
};
constexpr const char* kStageNames[] = {"cannot change to working directory", "cannot open redirected stdio",
                                       "cannot execute"};

// Built with append/push_back only: GCC 12 at -O3 reports a false -Wrestrict for chains of
// std::string operator+.
std::string shell_quote(const std::string& word) {
  std::string out(1, '\'');
  for (char c : word) {
    if (c == '\'')
      out.append("'\\''");
    else
      out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

// execvp's search, done in the parent so the error is ours to word and the child stays simple.
std::string resolve(const std::string& program) {
  if (program.find('/') != std::string::npos) return program;
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    std::string candidate = (end == start ? std::string(".") : dirs.substr(start, end - start)) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return program;
}

// An ELF that is not x86-64 would start, then show gdb registers that are not its own: refuse
// it by name instead. Scripts and other non-ELF files are left to the kernel.
std::string unsupported_elf(const std::string& path) {
  unsigned char header[20] = {};
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  const auto n = ::read(fd, header, sizeof header);
  ::close(fd);
  if (n < static_cast<ssize_t>(sizeof header) || std::memcmp(header, "\x7f" "ELF", 4) != 0) return {};
  const unsigned machine = header[18] | (header[19] << 8);  // e_machine, little-endian
  if (header[4] == 1)
    return std::string("a 32-bit program (ELF32") + (machine == 3 ? ", i386" : "") +
           "); remora debugs 64-bit x86-64 programs only: 32-bit ones are not supported";
  if (machine != 62)
    return "an ELF program for another architecture (e_machine " + std::to_string(machine) +
           "); remora's ptrace backend runs x86-64 programs only (try --target qemu-user)";
  return {};
}

std::vector<std::string> build_environment(const LaunchSettings& s) {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry = *e;
    const auto eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& name : s.environment_unset) env.erase(name);
  for (const auto& [name, value] : s.environment_set) env[name] = value;
  std::vector<std::string> out;
  for (const auto& [name, value] : env) out.push_back(name + "=" + value);
  return out;
}

struct Plan {
  std::string path;
  std::vector<std::string> argv;
  std::vector<std::string> envp;
  int execs = 1;  // exec stops before the program's own
};

Plan make_plan(const LaunchSpec& spec, const std::string& program) {
  Plan plan;
  plan.envp = build_environment(spec.settings);
  std::vector<std::string> words = spec.wrapper;
  words.push_back(program);
  words.insert(words.end(), spec.args.begin(), spec.args.end());
  plan.execs = spec.wrapper.empty() ? 1 : 2;
  if (spec.settings.startup_with_shell.value_or(true)) {
    std::string command = "exec";
    for (const auto& w : words) {
      command.push_back(' ');
      command.append(shell_quote(w));
    }
    plan.path = "/bin/sh";
    plan.argv = {"/bin/sh", "-c", command};
    plan.execs += 1;
  } else {
    plan.path = spec.wrapper.empty() ? program : resolve(spec.wrapper.front());
    plan.argv = std::move(words);
  }
  return plan;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

bool redirect(const std::string& path, int fd, int flags) {
  if (path.empty()) return true;
  const int opened = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  return opened >= 0 && ::dup2(opened, fd) == fd;
}

[[noreturn]] void child_fail(int err_fd, int stage) {
  const ChildFailure f{stage, errno};
  (void)!::write(err_fd, &f, sizeof f);
  ::_exit(127);
}

// The child: only async-signal-safe calls. It waits until the parent has seized it, so the
// exec is traced from the first instruction.
[[noreturn]] void run_child(const LaunchSpec& spec, const Plan& plan, char* const* argv, char* const* envp, int go_fd,
                            int err_fd) {
  char go = 0;
  while (::read(go_fd, &go, 1) < 0 && errno == EINTR) {
  }
  auto fail = [err_fd](int stage) { child_fail(err_fd, stage); };
  if (spec.settings.disable_randomization.value_or(true))
    ::personality(static_cast<unsigned long>(::personality(0xffffffff)) | ADDR_NO_RANDOMIZE);
  if (!spec.settings.working_dir.empty() && ::chdir(spec.settings.working_dir.c_str()) != 0) fail(0);
  if (!redirect(spec.settings.stdin_path, 0, O_RDONLY) || !redirect(spec.settings.stdout_path, 1, O_WRONLY | O_CREAT | O_TRUNC) ||
      !redirect(spec.settings.stderr_path, 2, O_WRONLY | O_CREAT | O_TRUNC))
    fail(1);
  ::execve(plan.path.c_str(), argv, envp);
  child_fail(err_fd, 2);
}

std::string describe_startup_exit(const std::string& program, int status, int err_fd) {
  ChildFailure f{};
  if (::read(err_fd, &f, sizeof f) == static_cast<ssize_t>(sizeof f) && f.stage >= 0 && f.stage <= 2)
    return program + ": " + kStageNames[f.stage] + ": " + std::strerror(f.error);
  if (WIFSIGNALED(status))
    return "During startup program terminated with signal " + std::string(::strsignal(WTERMSIG(status)));
  return "During startup program exited with code " + std::to_string(WEXITSTATUS(status));
}

// Lets the shell and the wrapper run until the program's own exec.
std::expected<pid_t, std::string> run_to_program(pid_t pid, int execs, const std::string& program, int err_fd) {
  for (;;) {
    auto status = wait_blocking(pid);
    if (!status) return std::unexpected("lost the new process " + std::to_string(pid));
    if (!WIFSTOPPED(*status)) return std::unexpected(describe_startup_exit(program, *status, err_fd));
    int deliver = 0;
    if (ptrace_event_of(*status) == PTRACE_EVENT_EXEC) {
      if (--execs == 0) return pid;
    } else if (ptrace_event_of(*status) == 0 && WSTOPSIG(*status) != SIGTRAP) {
      deliver = WSTOPSIG(*status);
    }
    if (auto ec = resume_thread(pid, false, deliver)) return std::unexpected("cannot resume the new process: " + ec.message());
  }
}

}  // namespace

std::expected<pid_t, std::string> launch_process(const LaunchSpec& spec) {
  if (spec.program.empty()) return std::unexpected("no program to run");
  const std::string program = resolve(spec.program);
  if (::access(program.c_str(), X_OK) != 0)
    return std::unexpected(spec.program + ": " + std::strerror(errno));
  if (auto why = unsupported_elf(program); !why.empty()) return std::unexpected(spec.program + ": " + why);
  Plan plan = make_plan(spec, program);
  auto argv = c_strings(plan.argv);  // built before fork: the child must not allocate
  auto envp = c_strings(plan.envp);
  int go[2], err[2];
  if (::pipe2(go, O_CLOEXEC) != 0) return std::unexpected(std::string("pipe: ") + std::strerror(errno));
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(go[0]), ::close(go[1]);
    return std::unexpected(std::string("pipe: ") + std::strerror(errno));
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(go[1]), ::close(err[0]);
    run_child(spec, plan, argv.data(), envp.data(), go[0], err[1]);
  }
  ::close(go[0]), ::close(err[1]);
  std::expected<pid_t, std::string> result = std::unexpected(std::string("fork: ") + std::strerror(errno));
  if (pid > 0) {
    // Only exec events while the shell runs: a shell that forks must not grow the tracee set.
    if (::ptrace(PTRACE_SEIZE, pid, nullptr, PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL) != 0) {
      result = std::unexpected(std::string("cannot trace the new process: ") + std::strerror(errno));
      ::kill(pid, SIGKILL);
      (void)wait_blocking(pid);
    } else {
      ::close(go[1]);  // releases the child: EOF on its read
      go[1] = -1;
      result = run_to_program(pid, plan.execs, spec.program, err[0]);
      if (result && ::ptrace(PTRACE_SETOPTIONS, pid, nullptr, tracing_options(true)) != 0)
        result = std::unexpected(std::string("cannot set tracing options: ") + std::strerror(errno));
      if (!result) {
        ::kill(pid, SIGKILL);
        (void)wait_blocking(pid);
      }
    }
  }
  if (go[1] >= 0) ::close(go[1]);
  ::close(err[0]);
  return result;
}

}  // namespace remora::targets::ptrace
