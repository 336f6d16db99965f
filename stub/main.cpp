// remora: parse the command line, build the target, serve clients on one io_context.
#include <fcntl.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>

#include "stub/connection.hpp"
#include "stub/diagnose.hpp"
#include "stub/options.hpp"
#include "stub/server.hpp"
#include "stub/targets.hpp"
#include "stub/trace.hpp"
#include "targets/cache/memory_cache.hpp"
#include "targets/cache/proc_maps_hint.hpp"

namespace {

using namespace remora;

constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

int usage_error(const stub::UsageError& error) {
  std::fprintf(stderr, "remora: %s\nTry 'remora --help' for more information.\n", error.message.c_str());
  return exit_usage;
}

const char* signal_name(int number) {
  switch (number) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    default: return "a signal";
  }
}

// The --trace destination; closes a file it opened.
struct TraceSink {
  std::FILE* file = nullptr;
  bool owned = false;
  std::unique_ptr<stub::TraceWriter> writer;
  ~TraceSink() {
    if (owned && file != nullptr) std::fclose(file);
  }
};

// Without --trace the writer still exists, switched off and aimed at stderr, so that
// `monitor trace on` can start a trace in a live session.
bool open_trace(const stub::Options& options, TraceSink& sink) {
  const auto format = options.trace_raw ? stub::TraceFormat::raw : stub::TraceFormat::readable;
  if (!options.trace) {
    sink.writer = std::make_unique<stub::TraceWriter>(stderr, format, /*enabled=*/false);
    return true;
  }
  if (options.trace->empty()) {
    sink.file = stderr;
  } else {
    sink.file = std::fopen(options.trace->c_str(), "a");
    if (sink.file == nullptr) {
      std::fprintf(stderr, "remora: cannot open trace file %s: %s\n", options.trace->c_str(), std::strerror(errno));
      return false;
    }
    sink.owned = true;
  }
  sink.writer = std::make_unique<stub::TraceWriter>(sink.file, format);
  return true;
}

// Before gdbserver's "Can't bind address: ...\nExiting" (kept together, verbatim, for scripts
// that match them): who holds the port, when /proc can tell.
std::string bind_hint(const stub::Options& options) {
  const auto* tcp = std::get_if<stub::TcpComm>(&options.comm);
  if (tcp == nullptr) return {};
  auto holder = stub::port_holder(tcp->port);
  if (!holder) return {};
  return "remora: port " + std::to_string(tcp->port) + " is held by " + *holder +
         "; stop it or pick another port (:0 picks a free one)\n";
}

// What to try when remora could not reach the QEMU that --target qemu:... names.
std::string qemu_hint(const stub::Options& options) {
  const auto& q = options.qemu;
  const std::string where = q.unix_path.empty() ? "tcp:" + q.host + ":" + std::to_string(q.port) : "unix:" + q.unix_path;
  return "remora: is QEMU running with its gdbstub there? start it first with '-S -gdb " + where +
         (q.unix_path.empty() ? "" : ",server,wait=off") + "' (or let remora start QEMU: --target qemu-user PROG)";
}

// A failure's message ends in gdbserver's "Exiting"; what to do goes just before it.
std::string with_launch_hint(std::string error, const stub::Options& options) {
  std::string hint;
  if (options.target == stub::TargetKind::ptrace && !options.program.empty())
    hint = stub::launch_hint(options.program.front());
  if (options.target == stub::TargetKind::qemu && error.find("cannot connect to QEMU") != std::string::npos)
    hint = qemu_hint(options);
  const auto at = error.rfind("\nExiting");
  if (hint.empty() || at == std::string::npos) return error;
  return error.insert(at, "\n" + hint);
}

stub::ConnectionConfig connection_config(const stub::Options& options, rsp::PacketObserver* observer,
                                         stub::ProcessObserver* process) {
  stub::ConnectionConfig config;
  config.session.packet_size = stub::advertised_packet_size(options);
  config.session.extended_mode = options.multi;
  config.session.offer_memory_map = options.memory_map;
  config.session.on_disconnect = options.on_disconnect;
  config.session.observer = observer;
  config.idle_timeout = options.idle_timeout;
  config.process = process;
  return config;
}

// With `-` and a program to launch, the client's stdin/stdout move to other descriptors and
// the program gets /dev/null as stdin and remora's stderr as stdout, as under gdbserver:
// otherwise its output would corrupt the packets and its reads would steal them.
bool move_stdio_aside(const stub::Options& options, stub::ServerConfig& config) {
  if (!std::holds_alternative<stub::StdioComm>(options.comm) || options.target != stub::TargetKind::ptrace)
    return true;
  config.stdio_in = ::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
  config.stdio_out = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (config.stdio_in < 0 || config.stdio_out < 0 || null_fd < 0 || ::dup2(null_fd, STDIN_FILENO) < 0 ||
      ::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
    std::fprintf(stderr, "remora: cannot set up stdio: %s\n", std::strerror(errno));
    return false;
  }
  ::close(null_fd);
  return true;
}

// The memory cache between every session and the target (rsp::SessionOptions::memory_cache).
struct CacheLayer {
  std::unique_ptr<targets::cache::ProcMapsHint> hints;
  std::unique_ptr<targets::cache::MemoryCache> cache;
};

// --cache=auto: off for the emulated target (its memory is in-process: nothing to save) and for
// ptrace (a /proc/PID/mem access costs ~1 us against a 60-120 us packet round trip: measured,
// the cache made gdb no faster there; see targets/cache/README.md).
CacheLayer make_cache(const stub::Options& options, targets::Target& target) {
  CacheLayer layer;
  // QEMU: on unless --cache=off; every QEMU round trip is expensive (PacketSize 4 KiB, acks).
  const bool qemu = options.target == stub::TargetKind::qemu || options.target == stub::TargetKind::qemu_user;
  if (options.cache != stub::CacheMode::on && !(qemu && options.cache == stub::CacheMode::automatic)) return layer;
  targets::cache::CacheConfig config;
  if (options.target == stub::TargetKind::ptrace) {
    // Rule 7: only private mappings are held back; the maps are read once per stop.
    layer.hints = std::make_unique<targets::cache::ProcMapsHint>([&target] {
      auto threads = target.threads();
      return threads.empty() ? 0 : static_cast<int>(threads.front().pid);
    });
    config.hints = layer.hints.get();
  }
  layer.cache = std::make_unique<targets::cache::MemoryCache>(target.memory(), config);
  return layer;
}

int run(const stub::Options& options) {
  TraceSink trace;
  if (!open_trace(options, trace)) return exit_failure;

  asio::io_context io(1);  // one thread: ptrace must be driven from the tracer thread
  stub::Console console = stub::stderr_console();
  asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  // The target may keep posting work while it runs, so the loop is stopped, not drained.
  auto finished = [&] {
    std::error_code ignored;
    signals.cancel(ignored);
    io.stop();
  };
  stub::ServerConfig server_config{options.comm, options.once};
  if (!move_stdio_aside(options, server_config)) return exit_failure;
  stub::BuiltTarget built;
  CacheLayer cache;
  stub::Server server(io, server_config,
                      [&](stub::ClientStream stream, stub::ClientDone done) -> std::shared_ptr<stub::Client> {
                        auto config = connection_config(options, trace.writer.get(), built.watch.get());
                        config.session.memory_cache = cache.cache.get();
                        return std::make_shared<stub::Connection>(io, std::move(stream), *built.target,
                                                                  std::move(config), console, std::move(done));
                      },
                      console, finished);
  // gdbserver binds before it launches: a busy port must not leave a program behind.
  if (auto bound = server.bind(); !bound) {
    console(bind_hint(options) + bound.error() + "\nExiting");
    return exit_failure;
  }
  auto target = stub::build_target(io, options, console);
  if (!target) {
    console(with_launch_hint(target.error(), options));
    return exit_failure;
  }
  built = std::move(*target);
  cache = make_cache(options, *built.target);
  signals.async_wait([&](std::error_code ec, int number) {
    if (ec) return;
    console(std::string("remora: received ") + signal_name(number) + "; disconnecting and exiting");
    server.stop();
  });
  server.begin();
  io.run();
  server.stop();  // ends a client still connected before the target goes
  built.shut_down();
  return exit_ok;
}

}  // namespace

int main(int argc, char** argv) {
  // A client that vanishes mid-write must give EPIPE, not kill the stub.
  std::signal(SIGPIPE, SIG_IGN);
  auto options = stub::parse_options(argc, argv);
  if (!options) return usage_error(options.error());
  if (options->print_and_exit) {
    std::fputs(options->print_and_exit->c_str(), stdout);
    return exit_ok;
  }
  if (auto unsupported = stub::check_supported(*options)) return usage_error(*unsupported);
  return run(*options);
}
