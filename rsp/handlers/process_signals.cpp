// QPassSignals, QProgramSignals, QCatchSyscalls (SignalControl) and the optional events:
// fork/vfork/exec events negotiated in qSupported, thread events switched by QThreadEvents.
#include "rsp/handlers/handlers.hpp"
#include "rsp/handlers/process_handlers.hpp"

namespace remora::rsp::handlers {

Reply pass_signals(SessionState& s, const packets::SignalList& l) {
  auto* control = s.target.signal_control();
  if (!control) return Reply::empty();
  control->set_pass_signals(l.signals);
  return Reply::ok();
}

Reply program_signals(SessionState& s, const packets::SignalList& l) {
  auto* control = s.target.signal_control();
  if (!control) return Reply::empty();
  control->set_program_signals(l.signals);
  return Reply::ok();
}

Reply catch_syscalls(SessionState& s, const packets::CatchSyscalls& c) {
  auto* control = s.target.signal_control();
  if (!control) return Reply::empty();
  auto ec = control->set_catch_syscalls(c.syscalls);
  if (ec) return error_from(ErrorCode::target_io, "cannot catch syscalls", ec);
  return Reply::ok();
}

Reply thread_events(SessionState& s, const packets::Switch& v) {
  if (!s.target.reportable_events().threads) return Reply::empty();
  s.reported_events.threads = v.on;
  s.target.set_reported_events(s.reported_events);
  return Reply::ok();
}

void negotiate_events(SessionState& s, std::string& features) {
  auto can = s.target.reportable_events();
  // An event is reported only when the client offered it and the backend can produce it; a new
  // qSupported (a new client) starts again from nothing, thread events included.
  targets::ReportedEvents want;
  want.fork = can.fork && s.features.offers("fork-events+");
  want.vfork = can.vfork && s.features.offers("vfork-events+");
  want.exec = can.exec && s.features.offers("exec-events+");
  s.reported_events = want;
  s.target.set_reported_events(want);
  if (want.fork) features += ";fork-events+";
  if (want.vfork) features += ";vfork-events+";
  if (want.exec) features += ";exec-events+";
  if (can.threads) features += ";QThreadEvents+";
}

}  // namespace remora::rsp::handlers
