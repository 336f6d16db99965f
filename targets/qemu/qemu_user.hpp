// Starting qemu-user (qemu-x86_64 or the binary --qemu names) for `--target qemu-user`. QEMU
// 7.2's `-g PORT` binds every interface and serves one debugger for its whole life, so remora
// gives it `-g DIR/gdb.sock` (a Unix socket in a private 0700 directory) and holds that link.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <expected>
#include <string>
#include <vector>

namespace remora::targets::qemu {

struct UserLaunch {
  std::string qemu = "qemu-x86_64";  // searched in PATH when it holds no '/'
  std::string program;
  std::vector<std::string> args;
};

struct LaunchedQemu {
  pid_t pid = 0;
  std::string dir;     // the private directory (removed by release())
  std::string socket;  // DIR/gdb.sock
  bool reaped = false;
  int wait_status = 0;
};

// Forks and execs QEMU in its own process group (a terminal's ^C to remora must not reach the
// guest) with PR_SET_PDEATHSIG (it dies with remora), then waits until its socket accepts a
// connection attempt is possible. The error is for a person.
std::expected<LaunchedQemu, std::string> launch_qemu_user(const UserLaunch& launch,
                                                         std::chrono::milliseconds timeout);

// waitpid on exactly this child (never -1). `block`: wait for it; otherwise WNOHANG.
bool reap_qemu(LaunchedQemu& qemu, bool block);
// Kills (SIGKILL) and reaps QEMU if it still runs, and removes the socket and its directory.
void release_qemu(LaunchedQemu& qemu);

}  // namespace remora::targets::qemu
