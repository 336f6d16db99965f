// A Target with the process-level capabilities (ProcessControl, SignalControl, XferObjects,
// reportable events, breakpoints that record) for transcript tests of routes_process.cpp.
// Memory and registers are the default emulated target's; the process model is the fake's own:
// launch/attach "create" a process whose first thread is (pid, pid). Every call is recorded so
// tests can check what the protocol core asked of the backend. Header-only, as transcript.hpp.
#pragma once
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "rsp/framing.hpp"
#include "rsp/session.hpp"
#include "targets/emulated/emulated_target.hpp"

namespace remora::test {

class FakeProcessTarget final : public targets::Target,
                                public targets::ProcessControl,
                                public targets::SignalControl,
                                public targets::XferObjects,
                                public targets::BreakpointControl,
                                public targets::NonStopControl {
 public:
  explicit FakeProcessTarget(std::unique_ptr<targets::Target> inner) : inner_(std::move(inner)) {}

  // Which capabilities the accessors expose (a test switches them off to check the gating).
  bool with_process_control = true;
  bool with_signal_control = true;
  bool with_xfer_objects = true;
  targets::ReportedEvents can_report{true, true, true, true};

  // What the fake does and what it was asked.
  std::optional<targets::LaunchRequest> initial;
  std::int64_t next_pid = 1;  // the emulated registers answer for thread (1, 1)
  std::vector<targets::LaunchRequest> launches;
  std::vector<std::int64_t> attaches;
  int kills = 0;
  std::vector<std::vector<int>> pass_calls, program_calls;
  std::vector<std::optional<std::vector<int>>> catch_calls;
  std::error_code catch_error;
  std::vector<targets::ReportedEvents> reported_calls;
  std::vector<std::pair<targets::BreakpointKind, bool>> breakpoint_calls;  // kind, insert
  std::vector<targets::ThreadId> thread_list;
  std::map<std::int64_t, std::string> names;  // by tid
  std::map<std::string, std::string> documents;  // "name:annex" -> contents
  std::string siginfo_written;
  // Non-stop mode: offered when with_non_stop; switching refused while `running` is set.
  bool with_non_stop = false;
  bool non_stop_on = false;
  bool running = false;
  int leaves = 0;       // stop_all_and_leave calls
  int interrupts = 0;
  std::vector<std::vector<targets::ResumeAction>> resumes;
  std::vector<targets::StopEvent> stopped;  // what stopped_threads() answers

  // Target: memory and registers from the emulated target, the process from the fake.
  targets::MemoryAccess& memory() override { return inner_->memory(); }
  targets::RegisterAccess& registers() override { return inner_->registers(); }
  std::vector<targets::ThreadId> threads() override { return thread_list; }
  std::string thread_name(targets::ThreadId t) override {
    auto it = names.find(t.tid);
    return it == names.end() ? std::string() : it->second;
  }
  std::optional<targets::StopEvent> current_stop() override { return stop_; }
  std::error_code resume(std::span<const targets::ResumeAction> actions) override {
    resumes.emplace_back(actions.begin(), actions.end());
    return thread_list.empty() ? targets::errc::no_process : std::error_code{};
  }
  std::error_code interrupt() override {
    ++interrupts;
    return {};
  }
  std::error_code detach() override { return end(); }
  std::error_code kill() override {
    ++kills;
    return end();
  }
  void set_stop_listener(targets::StopListener*) override {}
  targets::BreakpointControl* breakpoints() override { return this; }
  targets::ProcessControl* process_control() override { return with_process_control ? this : nullptr; }
  targets::SignalControl* signal_control() override { return with_signal_control ? this : nullptr; }
  targets::XferObjects* xfer_objects() override { return with_xfer_objects ? this : nullptr; }
  targets::ReportedEvents reportable_events() const override { return can_report; }
  void set_reported_events(const targets::ReportedEvents& e) override { reported_calls.push_back(e); }
  targets::NonStopControl* non_stop() override { return with_non_stop ? this : nullptr; }

  // NonStopControl
  bool enabled() const override { return non_stop_on; }
  std::error_code set_non_stop(bool on) override {
    if (running) return targets::errc::target_running;
    non_stop_on = on;
    return {};
  }
  void stop_all_and_leave() override {
    ++leaves;
    non_stop_on = false;
    running = false;
  }
  std::vector<targets::StopEvent> stopped_threads() override { return stopped; }

  // ProcessControl
  std::expected<targets::StopEvent, std::error_code> launch(const targets::LaunchRequest& request) override {
    launches.push_back(request);
    if (request.program.find("missing") != std::string::npos)
      return std::unexpected(std::make_error_code(std::errc::no_such_file_or_directory));
    return start(next_pid);
  }
  std::expected<targets::StopEvent, std::error_code> attach(std::int64_t pid) override {
    attaches.push_back(pid);
    if (pid == 0x999) return std::unexpected(std::make_error_code(std::errc::no_such_process));
    if (pid == 0x998) return std::unexpected(std::make_error_code(std::errc::operation_not_permitted));
    auto stop = start(pid);
    stop.signal = targets::gdb_signal::stop;  // an attach stops with SIGSTOP
    return stop;
  }
  std::error_code kill_process(std::int64_t) override { return kill(); }
  std::optional<targets::LaunchRequest> initial_launch() const override { return initial; }

  // SignalControl
  void set_pass_signals(std::vector<int> s) override { pass_calls.push_back(std::move(s)); }
  void set_program_signals(std::vector<int> s) override { program_calls.push_back(std::move(s)); }
  std::error_code set_catch_syscalls(std::optional<std::vector<int>> s) override {
    catch_calls.push_back(std::move(s));
    return catch_error;
  }

  // XferObjects: auxv (read), siginfo (read/write), exec-file (read), and "features" (a name
  // the core already serves: it must never be offered twice).
  std::vector<Object> objects() const override {
    return {{"auxv", false}, {"siginfo", true}, {"exec-file", false}, {"features", false}};
  }
  std::expected<std::string, std::error_code> read(std::string_view name, std::string_view annex) override {
    auto it = documents.find(std::string(name) + ":" + std::string(annex));
    if (it == documents.end()) return std::unexpected(std::make_error_code(std::errc::invalid_argument));
    return it->second;
  }
  std::expected<std::size_t, std::error_code> write(std::string_view name, std::string_view, std::uint64_t offset,
                                                    std::span<const std::byte> data) override {
    if (name != "siginfo" || offset > 128) return std::unexpected(std::make_error_code(std::errc::invalid_argument));
    std::size_t take = std::min<std::size_t>(data.size(), 128 - offset);
    siginfo_written.assign(reinterpret_cast<const char*>(data.data()), take);
    return take;
  }

  // BreakpointControl: watchpoints of every kind, recorded.
  bool supports(targets::BreakpointKind) const override { return true; }
  std::error_code insert(targets::BreakpointKind kind, targets::Addr, std::size_t) override {
    breakpoint_calls.emplace_back(kind, true);
    return {};
  }
  std::error_code remove(targets::BreakpointKind kind, targets::Addr, std::size_t) override {
    breakpoint_calls.emplace_back(kind, false);
    return {};
  }

 private:
  targets::StopEvent start(std::int64_t pid) {
    thread_list = {{pid, pid}};
    targets::StopEvent stop;
    stop.thread = {pid, pid};
    stop.signal = targets::gdb_signal::trap;
    stop_ = stop;
    return stop;
  }
  std::error_code end() {
    if (thread_list.empty()) return targets::errc::no_process;
    thread_list.clear();
    stop_.reset();
    return {};
  }

  std::unique_ptr<targets::Target> inner_;
  std::optional<targets::StopEvent> stop_;
};

// A Session over a FakeProcessTarget, fed exact client bytes (no event loop: the fake posts
// nothing; tests hand stops to the session themselves).
class ProcessTranscript {
 public:
  explicit ProcessTranscript(rsp::SessionOptions options = {}) {
    auto made = targets::emulated::make_emulated_target({}, [](std::function<void()>) {});
    if (!made) return;
    target_ = std::make_unique<FakeProcessTarget>(std::move(*made));
    options_ = options;
  }
  bool ok() const { return target_ != nullptr; }
  FakeProcessTarget& target() { return *target_; }
  // A new client: a fresh Session over the same fake (made on next use).
  static void reconnect(ProcessTranscript& t) { t.session_.reset(); }
  // The session is made on first use, so a test may configure the fake first.
  rsp::Session& session() {
    if (!session_) session_ = std::make_unique<rsp::Session>(*target_, options_);
    return *session_;
  }
  std::string feed(std::string_view bytes) {
    std::string out;
    session().on_client_bytes(bytes, out);
    return out;
  }
  // The payload of the reply to one packet (ack mode: `+` then one frame), "<bad frame>" if not.
  std::string ask(std::string_view payload) {
    std::string wire = feed(rsp::make_frame(payload, false));
    if (wire.starts_with('+')) wire.erase(0, 1);
    std::string body;
    if (wire.empty()) return "<no reply>";
    if (wire.size() < 4 || wire.front() != '$' || wire[wire.size() - 3] != '#' ||
        rsp::make_frame(std::string_view(wire).substr(1, wire.size() - 4)) != wire ||
        !rsp::expand_rle(std::string_view(wire).substr(1, wire.size() - 4), body))
      return "<bad frame>";
    return body;
  }
  std::string stop(const targets::StopEvent& event) {
    std::string out;
    session().on_target_stop(event, out);
    return out;
  }

 private:
  std::unique_ptr<FakeProcessTarget> target_;
  std::unique_ptr<rsp::Session> session_;
  rsp::SessionOptions options_;
};

}  // namespace remora::test
