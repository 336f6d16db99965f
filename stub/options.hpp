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

enum class TargetKind { emulated };

struct Options {
  Comm comm = TcpComm{};
  std::vector<std::string> program;  // PROG ARGS..., empty when none was given

  bool once = false;
  bool multi = false;
  bool attach = false;
  bool memory_map = false;

  TargetKind target = TargetKind::emulated;
  targets::emulated::EmulatedOptions emulated;  // --target emulated:FILE, --region, --fault

  // --trace: nullopt = off, "" = stderr, otherwise a file to append to.
  std::optional<std::string> trace;
  std::optional<std::chrono::seconds> idle_timeout;  // nullopt (or --idle-timeout 0) = never
  std::size_t packet_size = rsp::SessionOptions{}.packet_size;
  rsp::DisconnectAction on_disconnect = rsp::DisconnectAction::keep;

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

// Options that parse but that this build cannot honour (PROG and --attach need the ptrace
// backend). Kept apart from parsing so that only this changes when the backend arrives.
std::optional<UsageError> check_supported(const Options& options);

// "remora 0.1.0 ..." for --version.
std::string version_text();

}  // namespace remora::stub
