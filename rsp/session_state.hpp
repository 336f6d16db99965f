// The state handlers work on: the target, what the client negotiated, and the run state.
// Handlers see this, never packet text or the output buffer.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

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
  bool binary_upload = false;       // gdb 16's binary-upload+ : `x` replies start with 'b'
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
  bool running = false;           // the target runs; a stop reply is owed to the client (all-stop)
  // Non-stop mode (QNonStop:1): resumes are answered OK at once and every stop is queued here
  // as a stop reply; the first goes out as a `%Stop` notification, the rest one per vStopped.
  // The front is the one the client was last sent and has not yet acknowledged.
  bool non_stop = false;
  std::deque<std::string> stop_queue;
  // The thread of each queued stop (`any` for an exit or N): a wildcard resume leaves these
  // threads alone, since the client has not taken their stop yet (gdbserver does the same).
  std::deque<targets::ThreadId> queued_threads;
  // A handler queued stops into an empty queue: the Session announces the front after the reply.
  bool announce_queue = false;
  bool wants_close = false;
  bool wants_exit = false;
  SessionStats stats;
  // lldb's QSaveRegisterState snapshots by id (handlers/lldb_registers.cpp): every register's
  // bytes, empty for one that was unavailable. Bounded; QRestoreRegisterState consumes one.
  struct SavedRegisters {
    targets::ThreadId thread;
    std::vector<std::vector<std::byte>> values;
  };
  std::map<std::uint32_t, SavedRegisters> saved_registers;
  std::uint32_t next_save_id = 1;
  // Extended mode (routes_process.cpp): what the client set up for the next vRun / R, and the
  // last launch (R and an empty vRun program reuse it, as gdbserver does).
  targets::LaunchSettings launch_settings;
  std::optional<targets::LaunchRequest> last_launch;
  // The optional events the client asked for and the backend was told to report.
  targets::ReportedEvents reported_events;
  // Reused across packets so a PacketSize `m`/`X` costs no allocation (handlers/memory.cpp):
  // the bytes read or decoded for one packet (it only grows, to at most about a PacketSize), and
  // the text of a data reply, which the Session hands back here once it is framed.
  std::vector<std::byte> scratch;
  std::string reply_buffer;

  // Memory as the client sees it: through the cache when there is one. Not in non-stop mode,
  // where running threads may change any byte at any time.
  targets::MemoryAccess& memory() {
    return options.memory_cache && !non_stop ? static_cast<targets::MemoryAccess&>(*options.memory_cache)
                                             : target.memory();
  }
  // lldb reads registers one `p` at a time. A client that read more than a few between two stops
  // (a register view, `register read --all`) gets every register of the stopped thread in
  // jThreadsInfo for the next 16 stops (then it needs no `p`, so this cannot tell whether it still
  // looks; a step loop pays for at most 16 stops); one that only steps keeps the short form
  // (handlers/lldb_threads.cpp).
  std::uint32_t register_reads_since_stop = 0;
  std::uint32_t full_register_stops_left = 0;
  bool client_reads_all_registers = false;
  void note_stop_for_register_reads() {
    if (register_reads_since_stop > 8)
      full_register_stops_left = 16;
    else if (full_register_stops_left > 0)
      --full_register_stops_left;
    client_reads_all_registers = full_register_stops_left > 0;
    register_reads_since_stop = 0;
  }

  // The non-stop queue (stop_queue and queued_threads move together).
  void queue_stop(std::string reply, targets::ThreadId thread) {
    stop_queue.push_back(std::move(reply));
    queued_threads.push_back(thread);
  }
  void drop_front_stop() {
    stop_queue.pop_front();
    queued_threads.pop_front();
  }
  void clear_stops() {
    stop_queue.clear();
    queued_threads.clear();
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
