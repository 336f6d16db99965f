// Builds the target the command line asks for: the emulated image, or (Linux) a process under
// ptrace — launched, attached or none yet (--multi) — with its console watch.
#pragma once
#include <asio/io_context.hpp>
#include <expected>
#include <memory>
#include <string>

#include "stub/client.hpp"
#include "stub/connection.hpp"
#include "stub/options.hpp"
#include "targets/api/target.hpp"
#include "targets/hostfs/host_fs.hpp"

namespace remora::stub {

struct BuiltTarget {
  // vFile's files (--vfile; nullptr when off or the backend has no files): declared first so it
  // outlives the target that points at it.
  std::unique_ptr<targets::hostfs::HostFs> files;
  std::unique_ptr<targets::Target> target;
  // The process's console lines and "work done" test (declared after `target`, so destroyed
  // before it); nullptr for the emulated target.
  std::unique_ptr<ProcessObserver> watch;

  // Prints what gdbserver prints as it exits with a process still there, then destroys the
  // target (which kills a launched process or detaches from an attached one).
  void shut_down() {
    if (watch) watch->at_exit();
    watch.reset();
    target.reset();
  }
};

// The error is the console text to print before exiting with status 1 (gdbserver's words where
// it has some: "Cannot attach to process N: ...", then "Exiting").
std::expected<BuiltTarget, std::string> build_target(asio::io_context& io, const Options& options,
                                                     const Console& console);

}  // namespace remora::stub
