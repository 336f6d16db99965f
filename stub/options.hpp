// The command line, in gdbserver's shape: `remora [options] COMM [PROG [ARGS...]]`.
// Parsing is separate from running so every option and every COMM form is unit-testable;
// nothing here touches a socket or a target.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "rsp/session.hpp"
#include "targets/emulated/emulated_target.hpp"

namespace remora::stub {

// `[HOST]:PORT`. `host` is what to bind, already resolved from the shorthands (":PORT" and
// "localhost:PORT" both mean 127.0.0.1).
struct TcpComm {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  bool defaulted_to_loopback = false;  // the user wrote no host: tell them other hosts can't connect
};

// `unix:PATH`, or any COMM holding a '/'.
struct UnixComm {
  std::string path;
};

// `-`: the client is on stdin/stdout (`target remote | remora -`).
struct StdioComm {};

using Comm = std::variant<TcpComm, UnixComm, StdioComm>;

// Parses COMM; the error is a one-line message for a person.
std::expected<Comm, std::string> parse_comm(std::string_view text);

// emulated: the built-in memory image; ptrace: a Linux process (chosen by PROG, --attach or
// --multi unless --target says otherwise).
enum class TargetKind { emulated, ptrace, qemu, qemu_user };

// --target qemu:HOST:PORT | qemu:unix:PATH (connect to a running QEMU's gdbstub) and
// --target qemu-user (remora starts `--qemu BINARY -g SOCKET PROG ARGS`).
struct QemuCliOptions {
  std::string host;        // empty with unix_path
  std::uint16_t port = 0;
  std::string unix_path;
  std::string binary = "qemu-x86_64";
  std::chrono::milliseconds timeout{5000};  // --qemu-timeout SECONDS (fractions allowed: 0.5)
  bool monitor = false;    // --qemu-monitor: qRcmd reaches QEMU's monitor
  bool host_memory = true;  // --qemu-memory host|gdbstub
};

// How PROG is started (gdbserver's --wrapper, --[no-]disable-randomization,
// --[no-]startup-with-shell); unset optionals keep the backend's defaults (ASLR off, a shell).
struct LaunchOptions {
  std::vector<std::string> wrapper;
  std::optional<bool> disable_randomization;
  std::optional<bool> startup_with_shell;
};

enum class CacheMode { automatic, on, off };
// --vfile: what gdb's and lldb's vFile packets may reach (targets/hostfs/host_fs.hpp).
enum class VfileMode { confined, open, off };

struct Options {
  Comm comm = TcpComm{};
  std::vector<std::string> program;  // PROG ARGS..., empty when none was given

  bool once = false;
  bool multi = false;
  bool attach = false;
  std::int64_t attach_pid = 0;  // --attach: the PID after COMM
  bool memory_map = false;

  TargetKind target = TargetKind::emulated;
  targets::emulated::EmulatedOptions emulated;  // --target emulated:FILE, --region, --fault
  LaunchOptions launch;
  QemuCliOptions qemu;  // --target qemu:..., qemu-user, --qemu*

  // --trace: nullopt = off, "" = stderr, otherwise a file to append to. gdbserver's --debug and
  // --remote-debug mean --trace to stderr (unless --trace=FILE was given too).
  std::optional<std::string> trace;
  bool trace_raw = false;  // --trace-format=raw: the bytes as sent instead of decoded packets
  std::optional<std::chrono::seconds> idle_timeout;  // nullopt (or --idle-timeout 0) = never
  std::size_t packet_size = 0;  // --packet-size; 0: the backend's default (advertised_packet_size)
  rsp::DisconnectAction on_disconnect = rsp::DisconnectAction::keep;
  // --cache=on|off|auto: the memory cache between the session and the target's memory
  // (auto: on where it was measured to pay; see targets/cache/README.md).
  CacheMode cache = CacheMode::automatic;
  VfileMode vfile = VfileMode::confined;

  // --help / --version: print this on stdout and exit 0 without running.
  std::optional<std::string> print_and_exit;
};

struct UsageError {
  std::string message;  // one line, without the "remora: " prefix
};

// Never throws: CLI11's exceptions are caught inside.
std::expected<Options, UsageError> parse_options(std::span<const std::string> args);
// argv as main() receives it (argv[0] is skipped).
std::expected<Options, UsageError> parse_options(int argc, const char* const* argv);

// Options that parse but do not fit together (PROG or --attach with --target emulated, a
// backend this build lacks). Kept apart from parsing so that only this depends on the build.
// The PacketSize offered to clients: --packet-size, else 256 KiB in front of QEMU (issue 6 asks
// for it there) and 128 KiB elsewhere, where gdb 13's own `restore` gets slower past 128 KiB
// (tests/bench/README.md: 1.17x gdbserver at 128 KiB, 0.85x at 256 KiB).
std::size_t advertised_packet_size(const Options& options);
// lldb-server's syntax (`gdbserver :1234 prog`, `g`, `platform`, `p`) given to remora: a usage
// error that names remora's own form of the same thing; nullopt for anything else.
std::optional<UsageError> lldb_server_form(std::span<const std::string> args);
std::optional<UsageError> check_supported(const Options& options);

// "remora 0.1.0" and a gdbserver-like second line, for --version.
std::string version_text();

}  // namespace remora::stub
