// Extended mode: vRun, vAttach, R, and the launch settings (QEnvironment*, QSetWorkingDir,
// QDisableRandomization, QStartupWithShell) that the next vRun or R uses.
//
// Only with --multi (the `!` packet is refused otherwise): running arbitrary programs on behalf
// of whoever connects is what extended mode means, and plain `target remote` must not allow it.
#include <algorithm>
#include <string>

#include "rsp/handlers/handlers.hpp"
#include "rsp/handlers/process_handlers.hpp"
#include "rsp/stop_reply.hpp"

namespace remora::rsp::handlers {
namespace {

ErrorCode launch_error_code(std::error_code ec) {
  if (ec == std::errc::permission_denied || ec == std::errc::operation_not_permitted) return ErrorCode::not_permitted;
  if (ec == std::errc::no_such_process) return ErrorCode::no_process;
  return ErrorCode::target_io;
}

// The client sees the new process as a fresh start: no thread selection, nothing cached.
void start_afresh(SessionState& s, const targets::StopEvent& stop) {
  s.last_stop = stop;
  s.running = false;
  s.general_thread = targets::ThreadId::any();
  s.continue_thread = targets::ThreadId::all();
}

Reply report_new_process(SessionState& s, const targets::StopEvent& stop) {
  start_afresh(s, stop);
  return Reply::with(render_stop_reply(s, stop));
}

std::expected<targets::StopEvent, Reply> launch(SessionState& s, targets::LaunchRequest request) {
  if (s.options.memory_cache) s.options.memory_cache->invalidate();
  auto stop = s.target.process_control()->launch(request);
  if (!stop) {
    // gdb shows E.text as is: "PROG: No such file or directory", like a shell would say it.
    std::string text = request.program + ": " + stop.error().message();
    s.note("cannot run " + text);
    return std::unexpected(Reply::error(launch_error_code(stop.error()), std::move(text)));
  }
  s.last_launch = std::move(request);
  return *stop;
}

// What R and an empty vRun program run again: the last run, else what remora was started with.
std::optional<targets::LaunchRequest> previous_launch(SessionState& s) {
  if (s.last_launch) return s.last_launch;
  return s.target.process_control()->initial_launch();
}

}  // namespace

bool launch_enabled(SessionState& s) { return s.options.extended_mode && s.target.process_control() != nullptr; }

Reply run_program(SessionState& s, const packets::RunProgram& r) {
  if (!launch_enabled(s)) return Reply::empty();
  targets::LaunchRequest request{r.program, r.args, s.launch_settings};
  if (request.program.empty()) {
    // gdb sends an empty name when `set remote exec-file` is unset; gdbserver then runs the
    // previous program with the new arguments, and so does remora.
    auto previous = previous_launch(s);
    if (!previous || previous->program.empty())
      return Reply::error(ErrorCode::not_permitted, "no program to run: remora was started without one "
                                                    "(use `set remote exec-file PROG`)");
    request.program = previous->program;
  }
  auto stop = launch(s, std::move(request));
  if (!stop) return stop.error();
  return report_new_process(s, *stop);
}

Reply attach_process(SessionState& s, const packets::ProcessArg& a) {
  if (!launch_enabled(s)) return Reply::empty();
  if (s.options.memory_cache) s.options.memory_cache->invalidate();
  auto stop = s.target.process_control()->attach(*a.pid);
  if (!stop) {
    std::string text = "cannot attach to process " + std::to_string(*a.pid) + ": " + stop.error().message();
    s.note(text);
    return Reply::error(launch_error_code(stop.error()), std::move(text));
  }
  if (!s.non_stop) return report_new_process(s, *stop);
  // Non-stop (as gdb expects and gdbserver does): OK, then every attached thread's stop comes
  // through the notification queue.
  start_afresh(s, *stop);
  const bool was_empty = s.stop_queue.empty();
  if (auto* control = s.target.non_stop())
    for (const auto& thread_stop : control->stopped_threads())
      s.queue_stop(render_stop_reply(s, thread_stop), thread_stop.thread);
  s.announce_queue = was_empty;
  return Reply::ok();
}

Reply restart(SessionState& s, const packets::Restart&) {
  // Outside extended mode `R` is unknown to gdbserver too: the empty reply.
  if (!launch_enabled(s)) return Reply::empty();
  auto request = previous_launch(s);
  (void)kill(s, packets::NoArgs{});  // extended mode: kill answers OK and keeps the link
  if (!request || request->program.empty()) {
    s.note("restart: there is no program to run again");
    return Reply::none();
  }
  request->settings = s.launch_settings;
  // gdb sends no reply to R and asks `?` next: the new stop (or W00 on failure) answers that.
  auto stop = launch(s, std::move(*request));
  if (stop) report_new_process(s, *stop);
  return Reply::none();
}

Reply set_environment(SessionState& s, const packets::SetEnvironment& e) {
  if (!launch_enabled(s)) return Reply::empty();
  auto& settings = s.launch_settings;
  // Set and unset are kept disjoint, so the backend's order of applying them cannot matter.
  std::erase(settings.environment_unset, e.name);
  settings.environment_set[e.name] = e.value;
  return Reply::ok();
}

Reply unset_environment(SessionState& s, const packets::HexText& e) {
  if (!launch_enabled(s)) return Reply::empty();
  auto& settings = s.launch_settings;
  settings.environment_set.erase(e.text);
  if (std::find(settings.environment_unset.begin(), settings.environment_unset.end(), e.text) ==
      settings.environment_unset.end())
    settings.environment_unset.push_back(e.text);
  return Reply::ok();
}

Reply reset_environment(SessionState& s, const packets::NoArgs&) {
  if (!launch_enabled(s)) return Reply::empty();
  // Back to remora's own startup environment (gdbserver's our_environ reset).
  s.launch_settings.environment_set.clear();
  s.launch_settings.environment_unset.clear();
  s.launch_settings.environment_reset = true;
  return Reply::ok();
}

Reply set_working_dir(SessionState& s, const packets::HexText& d) {
  if (!launch_enabled(s)) return Reply::empty();
  s.launch_settings.working_dir = d.text;  // empty: remora's own working directory
  return Reply::ok();
}

Reply disable_randomization(SessionState& s, const packets::Switch& v) {
  if (!launch_enabled(s)) return Reply::empty();
  s.launch_settings.disable_randomization = v.on;
  return Reply::ok();
}

Reply startup_with_shell(SessionState& s, const packets::Switch& v) {
  if (!launch_enabled(s)) return Reply::empty();
  s.launch_settings.startup_with_shell = v.on;
  return Reply::ok();
}

}  // namespace remora::rsp::handlers
