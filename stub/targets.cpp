#include "stub/targets.hpp"

#include <asio/post.hpp>

#ifdef REMORA_HAVE_PTRACE
#include "stub/process_watch.hpp"
#include "targets/ptrace/ptrace_target.hpp"
#endif

namespace remora::stub {

#ifdef REMORA_HAVE_QEMU
// stub/qemu_build.cpp
std::expected<BuiltTarget, std::string> build_qemu(asio::io_context& io, const Options& options,
                                                   const Console& console);
#endif

#ifdef REMORA_HAVE_PTRACE
namespace {

std::expected<BuiltTarget, std::string> build_ptrace(asio::io_context& io, const Options& options,
                                                     const Console& console) {
  namespace pt = targets::ptrace;
  pt::PtraceOptions ptrace_options;
  if (options.attach) {
    ptrace_options.attach_pid = static_cast<pid_t>(options.attach_pid);
  } else if (!options.program.empty()) {
    pt::LaunchSpec spec;
    spec.program = options.program.front();
    spec.args.assign(options.program.begin() + 1, options.program.end());
    spec.wrapper = options.launch.wrapper;
    spec.settings.disable_randomization = options.launch.disable_randomization;
    spec.settings.startup_with_shell = options.launch.startup_with_shell;
    // gdbserver's --multi sessions start from this program too (`run` with no file).
    ptrace_options.launch = std::move(spec);
  }
  auto made = pt::make_ptrace_target(io, std::move(ptrace_options));
  if (!made) {
    // The attacher's message is gdbserver's already ("Cannot attach to process N: ...");
    // a launch failure names the program ("PROG: No such file or directory").
    return std::unexpected((options.attach ? "" : "remora: ") + made.error() + "\nExiting");
  }
  BuiltTarget built;
  if (options.vfile != VfileMode::off) {
    auto* process = made->get();
    const auto policy = options.vfile == VfileMode::open ? targets::hostfs::Policy::open : targets::hostfs::Policy::confined;
    // Confined to whichever process is selected now (vRun, fork following and attach change it).
    built.files = std::make_unique<targets::hostfs::HostFs>(policy, [process] { return std::int64_t{process->pid()}; });
    process->set_host_io(built.files.get());
  }
  auto watch = std::make_unique<ProcessWatch>(**made, console, options.multi);
  watch->after_session_call();  // "Process PROG created; pid = N" / "Attached; pid = N"
  built.target = std::move(*made);
  built.watch = std::move(watch);
  return built;
}

}  // namespace
#endif

std::expected<BuiltTarget, std::string> build_target(asio::io_context& io, const Options& options,
                                                     const Console& console) {
#ifdef REMORA_HAVE_QEMU
  if (options.target == TargetKind::qemu || options.target == TargetKind::qemu_user)
    return build_qemu(io, options, console);
#endif
#ifdef REMORA_HAVE_PTRACE
  if (options.target == TargetKind::ptrace) return build_ptrace(io, options, console);
#endif
  targets::Post post = [&io](std::function<void()> fn) { asio::post(io, std::move(fn)); };
  auto target = targets::emulated::make_emulated_target(options.emulated, post);
  if (!target) return std::unexpected("remora: " + target.error());
  BuiltTarget built;
  built.target = std::move(*target);
  return built;
}

}  // namespace remora::stub
