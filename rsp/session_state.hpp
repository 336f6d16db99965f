// The state handlers work on: the target, what the client negotiated, and the run state.
// Handlers see this, never packet text or the output buffer.
#pragma once
#include <functional>
#include <optional>
#include <set>
#include <string>

#include "rsp/reply.hpp"
#include "rsp/session.hpp"
#include "targets/api/target.hpp"

namespace remora::rsp {

struct ClientFeatures {
  bool multiprocess = false;        // qSupported multiprocess+
  bool swbreak = false;             // swbreak+ : stop replies may say swbreak
  bool hwbreak = false;
  bool error_message = false;       // gdb's error-message+ : E.text accepted
  bool lldb_error_strings = false;  // QEnableErrorStrings : Enn;HEXTEXT accepted
  bool thread_suffix = false;       // QThreadSuffixSupported
  bool threads_in_stop_reply = false;  // QListThreadsInStopReply
  bool lldb = false;                // the client speaks lldb's dialect (it sent an lldb-only packet)
  std::set<std::string, std::less<>> offered;  // every qSupported feature the client sent, as sent
  bool offers(std::string_view feature) const { return offered.contains(feature); }
};

struct SessionState {
  SessionState(targets::Target& t, SessionOptions o) : target(t), options(o) {}

  targets::Target& target;
  SessionOptions options;
  ClientFeatures features;
  bool no_ack = false;
  targets::ThreadId general_thread = targets::ThreadId::any();   // Hg
  targets::ThreadId continue_thread = targets::ThreadId::all();  // Hc
  std::optional<targets::StopEvent> last_stop;
  bool running = false;           // the target runs; a stop reply is owed to the client
  bool wants_close = false;
  bool wants_exit = false;
  SessionStats stats;

  // Memory as the client sees it: through the cache when there is one.
  targets::MemoryAccess& memory() {
    return options.memory_cache ? static_cast<targets::MemoryAccess&>(*options.memory_cache) : target.memory();
  }
  ErrorDialect error_dialect() const {
    if (features.lldb_error_strings) return ErrorDialect::lldb_text;
    if (features.error_message) return ErrorDialect::gdb_text;
    return ErrorDialect::number_only;
  }
  void note(std::string_view text) {
    if (options.observer) options.observer->on_note(text);
  }
  // The thread register and memory packets act on (Hg, or the stop thread, or the first).
  targets::ThreadId resolve_thread(std::optional<targets::ThreadId> explicit_thread);
};

}  // namespace remora::rsp
