// remora: parse the command line, build the target, serve clients on one io_context.
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>

#include "stub/connection.hpp"
#include "stub/options.hpp"
#include "stub/server.hpp"
#include "stub/trace.hpp"

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

bool open_trace(const stub::Options& options, TraceSink& sink) {
  if (!options.trace) return true;
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
  sink.writer = std::make_unique<stub::TraceWriter>(sink.file);
  return true;
}

stub::ConnectionConfig connection_config(const stub::Options& options, rsp::PacketObserver* observer) {
  stub::ConnectionConfig config;
  config.session.packet_size = options.packet_size;
  config.session.extended_mode = options.multi;
  config.session.offer_memory_map = options.memory_map;
  config.session.on_disconnect = options.on_disconnect;
  config.session.observer = observer;
  config.idle_timeout = options.idle_timeout;
  return config;
}

int run(const stub::Options& options) {
  TraceSink trace;
  if (!open_trace(options, trace)) return exit_failure;

  asio::io_context io(1);  // one thread: ptrace must be driven from the tracer thread
  targets::Post post = [&io](std::function<void()> fn) { asio::post(io, std::move(fn)); };
  auto target = targets::emulated::make_emulated_target(options.emulated, post);
  if (!target) {
    std::fprintf(stderr, "remora: %s\n", target.error().c_str());
    return exit_failure;
  }

  stub::Console console = stub::stderr_console();
  asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  // The target may keep posting work while it runs, so the loop is stopped, not drained.
  auto finished = [&] {
    std::error_code ignored;
    signals.cancel(ignored);
    io.stop();
  };
  stub::Server server(io, stub::ServerConfig{options.comm, options.once},
                      stub::make_connection_factory(io, **target, connection_config(options, trace.writer.get()),
                                                    console),
                      console, finished);
  signals.async_wait([&](std::error_code ec, int number) {
    if (ec) return;
    console(std::string("remora: received ") + signal_name(number) + "; disconnecting and exiting");
    server.stop();
  });
  if (auto started = server.start(); !started) {
    console(started.error());
    return exit_failure;
  }
  io.run();
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
