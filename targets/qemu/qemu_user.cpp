#include "targets/qemu/qemu_user.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace remora::targets::qemu {
namespace {

using Clock = std::chrono::steady_clock;

// The child: only async-signal-safe calls between fork and exec. A pipe with O_CLOEXEC tells
// the parent whether exec worked (it closes on success; carries errno on failure).
[[noreturn]] void exec_child(const std::vector<char*>& argv, int report_fd, pid_t parent) {
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);  // remora died before prctl took effect
  ::execvp(argv[0], argv.data());
  int err = errno;
  ssize_t ignored = ::write(report_fd, &err, sizeof err);
  (void)ignored;
  ::_exit(127);
}

}  // namespace

std::expected<LaunchedQemu, std::string> launch_qemu_user(const UserLaunch& launch,
                                                         std::chrono::milliseconds timeout) {
  LaunchedQemu q;
  char tmpl[] = "/tmp/remora-qemu-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return std::unexpected(std::string("cannot create a private directory: ") + std::strerror(errno));
  q.dir = tmpl;  // mkdtemp creates it mode 0700: nobody else can reach the socket
  q.socket = q.dir + "/gdb.sock";
  std::vector<std::string> words{launch.qemu, "-g", q.socket, launch.program};
  words.insert(words.end(), launch.args.begin(), launch.args.end());
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    ::rmdir(q.dir.c_str());
    return std::unexpected(std::string("pipe: ") + std::strerror(errno));
  }
  const pid_t parent = ::getpid();
  q.pid = ::fork();
  if (q.pid == 0) exec_child(argv, report[1], parent);
  ::close(report[1]);
  if (q.pid < 0) {
    ::close(report[0]);
    ::rmdir(q.dir.c_str());
    return std::unexpected(std::string("fork: ") + std::strerror(errno));
  }
  int child_errno = 0;
  ssize_t n = ::read(report[0], &child_errno, sizeof child_errno);
  ::close(report[0]);
  if (n == sizeof child_errno) {
    reap_qemu(q, true);
    release_qemu(q);
    return std::unexpected("cannot run " + launch.qemu + ": " + std::strerror(child_errno));
  }
  // QEMU creates the socket before it loads the program; it may still fail (no such PROG).
  const auto deadline = Clock::now() + timeout;
  struct stat st {};
  while (::stat(q.socket.c_str(), &st) != 0) {
    if (reap_qemu(q, false) || Clock::now() > deadline) {
      std::string why = q.reaped ? "exited with status " + std::to_string(WIFEXITED(q.wait_status) ? WEXITSTATUS(q.wait_status) : 128 + WTERMSIG(q.wait_status))
                                 : "did not create its gdb socket in time";
      release_qemu(q);
      return std::unexpected(launch.qemu + " " + why + " (program " + launch.program + ")");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return q;
}

bool reap_qemu(LaunchedQemu& q, bool block) {
  if (q.pid <= 0 || q.reaped) return q.reaped;
  for (;;) {
    pid_t r = ::waitpid(q.pid, &q.wait_status, block ? 0 : WNOHANG);
    if (r == q.pid) {
      q.reaped = true;
      return true;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) q.reaped = true;  // not our child any more: nothing left to reap
    return q.reaped;
  }
}

void release_qemu(LaunchedQemu& q) {
  if (q.pid > 0 && !q.reaped) {
    ::kill(q.pid, SIGKILL);
    reap_qemu(q, true);
  }
  if (!q.socket.empty()) ::unlink(q.socket.c_str());
  if (!q.dir.empty()) ::rmdir(q.dir.c_str());
  q.socket.clear();
  q.dir.clear();
}

}  // namespace remora::targets::qemu
