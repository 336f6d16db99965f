#include "rsp/session.hpp"

#include <string>
#include <utility>

#include "rsp/dispatch.hpp"
#include "rsp/framing.hpp"
#include "rsp/handlers/handlers.hpp"
#include "rsp/session_state.hpp"
#include "rsp/stop_reply.hpp"
#include "rsp/target_meter.hpp"

namespace remora::rsp {
namespace {

constexpr std::size_t kDecodeErrorKinds = static_cast<std::size_t>(DecodeError::bad_value) + 1;

// Frames a little longer than the advertised size are still taken: gdb counts the payload only,
// and a few clients round up. Anything beyond is an overflow.
std::size_t frame_limit(std::size_t packet_size) { return packet_size + 64; }

}  // namespace

class SessionImpl {
 public:
  // Handlers reach the target through the meter, so `monitor stats` can count and time them.
  SessionImpl(targets::Target& target, SessionOptions options)
      : meter(target, meter_stats), state(meter, options), decoder(frame_limit(options.packet_size)) {
    meter.attach(state.stats.target);
    state.stats.packets_by_route.assign(packet_routes().size(), 0);
    coverage.route_hits.assign(packet_routes().size(), 0);
    coverage.decode_failures.assign(packet_routes().size(), std::vector<std::uint64_t>(kDecodeErrorKinds, 0));
  }

  void on_bytes(std::string_view bytes, std::string& out) {
    HandlingTime timed(*this);
    state.stats.bytes_in += bytes.size();
    events.clear();
    decoder.feed(bytes, events);
    for (auto& event : events) on_event(event, out);
    // Payload strings go back to the decoder: the next big frame then needs no allocation.
    for (auto& event : events) decoder.recycle(std::move(event.payload));
  }

  void on_stop(const targets::StopEvent& event, std::string& out) {
    HandlingTime timed(*this);
    state.note_stop_for_register_reads();
    if (state.non_stop) return on_non_stop_event(event, out);
    bool owed = state.running;
    if (owed) state.stats.target_running += std::chrono::steady_clock::now() - run_started;
    state.running = false;
    state.last_stop = event;
    state.general_thread = targets::ThreadId::any();
    if (state.options.memory_cache) state.options.memory_cache->invalidate();
    // gdb's stop replies have no room for why (lldb's carry it): the trace shows it.
    if (!event.description.empty()) state.note("stop: " + event.description);
    if (owed) send(render_stop_reply(state, event), out);
  }

  // Non-stop: the stop joins the queue; only a stop into an empty queue is announced with a
  // notification (the client drains the rest with vStopped). No stop reply is ever owed.
  void on_non_stop_event(const targets::StopEvent& event, std::string& out) {
    if (!event.description.empty()) state.note("stop: " + event.description);
    if (event.kind == targets::StopKind::no_resumed && !state.features.offers("no-resumed+")) return;
    if (event.kind == targets::StopKind::stopped) state.last_stop = event;
    state.queue_stop(render_stop_reply(state, event),
                     event.kind == targets::StopKind::stopped ? event.thread : targets::ThreadId::any());
    if (state.stop_queue.size() == 1) send_notification("Stop:" + state.stop_queue.front(), out);
  }

  void send_notification(std::string_view payload, std::string& out) {
    std::size_t before = out.size();
    append_frame(out, payload, /*rle=*/false, '%');
    state.stats.packets_out++;
    state.stats.bytes_out += out.size() - before;
    if (state.options.observer)
      state.options.observer->on_packet(PacketObserver::Direction::to_client, "%" + std::string(payload));
  }

  // A client that leaves in non-stop mode leaves the threads as they are, as gdbserver does: the
  // next client's `?` lists the stopped ones, or, if it is an all-stop client, stops them all
  // first (handlers/non_stop.cpp, ensure_all_stop). Detach and kill stop running threads themselves.
  void leave_non_stop() {
    state.non_stop = false;
    state.clear_stops();
  }

  void on_disconnect() {
    // vFile handles belong to the client that opened them (gdbserver closes them too).
    if (auto* files = state.target.host_io()) files->close_all();
    leave_non_stop();
    // After D or k the client already decided the target's fate; nothing more to do.
    if (state.wants_close) {
      state.running = false;
      return;
    }
    std::string failure;
    handlers::flush_pending_writes(state, &failure);
    // The next client may come after the target ran (or after a failed flush): start afresh.
    if (auto* cache = state.options.memory_cache) {
      cache->invalidate();
      note_cache_stats(cache->stats());
    }
    switch (state.options.on_disconnect) {
      case DisconnectAction::detach: (void)state.target.detach(); break;
      case DisconnectAction::kill: (void)state.target.kill(); break;
      case DisconnectAction::keep:
        // Kept for the next client stopped, as gdbserver's `?` stops all in all-stop: left
        // running, the next client's `?` would report a stale stop of a process that runs on.
        if (state.running) (void)state.target.interrupt();
        break;
    }
    state.running = false;
  }

  // --trace: what the memory cache did in this session (monitor cache stats says the same).
  void note_cache_stats(const targets::CacheStats& c) {
    const auto saved = static_cast<long long>(c.client_reads + c.client_writes) -
                       static_cast<long long>(c.backend_reads + c.backend_writes);
    state.note("memory cache: hits " + std::to_string(c.hits) + ", misses " + std::to_string(c.misses) +
               ", round trips saved " + std::to_string(saved) + ", bytes flushed " + std::to_string(c.bytes_flushed));
  }

  void send(std::string_view payload, std::string& out) {
    std::size_t before = out.size();
    append_frame(out, payload, /*rle=*/true);
    // Kept only to answer a NACK, which never comes once acks are off: no copy of big replies.
    if (!state.no_ack) last_frame.assign(out, before, std::string::npos);
    state.stats.packets_out++;
    state.stats.bytes_out += out.size() - before;
    if (state.options.observer) state.options.observer->on_packet(PacketObserver::Direction::to_client, payload);
  }

  // Declared before `state`, which refers to the meter (the meter counts into state.stats).
  TargetCallStats meter_stats;  // only until the constructor attaches state.stats.target
  MeteredTarget meter;
  SessionState state;
  FrameDecoder decoder;
  std::chrono::steady_clock::time_point run_started;
  std::vector<FrameEvent> events;
  std::string last_frame;
  std::string pending;  // stop replies delivered through the listener
  DispatchCoverage coverage;

 private:
  void on_event(const FrameEvent& event, std::string& out) {
    switch (event.kind) {
      case FrameEventKind::packet: return on_packet(event.payload, out);
      case FrameEventKind::bad_checksum:
        state.stats.bad_checksums++;
        state.note("bad checksum on a packet from the client");
        // Notifications are never acknowledged (nor answered): a corrupt one is dropped, not
        // NACKed, and not taken for a packet in no-ack mode.
        if (event.lead == '%') return;
        if (!state.no_ack) {
          out += '-';
          return;
        }
        // No-ack mode: no resend will come. gdbserver runs the packet anyway, but a corrupt `M`
        // or `X` would write wrong bytes; refusing it with an error is the safe answer.
        {
          std::string reply;
          render_reply(Reply::error(ErrorCode::malformed, "bad checksum: packet not run"), state.error_dialect(),
                       reply);
          return send(reply, out);
        }
      case FrameEventKind::overflow: {
        state.stats.overflows++;
        if (event.lead == '%') return;  // an oversized notification: nothing to ack or answer
        // A NACK would make the client resend the same oversized frame forever; refuse it instead.
        if (!state.no_ack) out += '+';
        std::string reply;
        render_reply(Reply::error(ErrorCode::too_long, "packet longer than the PacketSize remora offered"),
                     state.error_dialect(), reply);
        return send(reply, out);
      }
      case FrameEventKind::ack: return;
      case FrameEventKind::nack:
        state.stats.nacks++;
        // Once acks are off a '-' is line noise (gdbserver discards it): resending would put an
        // unrequested copy of the last reply in front of the next one.
        if (!state.no_ack) out += last_frame;
        return;
      case FrameEventKind::interrupt:
        if (state.running) {
          auto ec = state.target.interrupt();
          if (ec) state.note("interrupt failed: " + ec.message());
        }
        return;
      case FrameEventKind::notification:
      case FrameEventKind::garbage: return;
    }
  }

  void on_packet(std::string_view payload, std::string& out) {
    state.stats.packets_in++;
    if (state.options.observer) state.options.observer->on_packet(PacketObserver::Direction::from_client, payload);
    if (!state.no_ack) out += '+';
    const bool was_running = state.running;
    auto result = dispatch(state, payload);
    if (!was_running && state.running) run_started = std::chrono::steady_clock::now();
    record(result);
    if (result.reply.kind == Reply::Kind::data) {
      // The payload as is (what render_reply would copy); its buffer then serves the next reply.
      send(result.reply.data, out);
      if (result.reply.data.capacity() > state.reply_buffer.capacity())
        state.reply_buffer = std::move(result.reply.data);
    } else {
      std::string reply;
      if (render_reply(result.reply, state.error_dialect(), reply)) send(reply, out);
    }
    if (result.no_ack_after_reply) state.no_ack = true;
    if (std::exchange(state.announce_queue, false) && !state.stop_queue.empty())
      send_notification("Stop:" + state.stop_queue.front(), out);
  }

  // Session time, target calls included.
  class HandlingTime {
   public:
    explicit HandlingTime(SessionImpl& impl) : impl_(impl), start_(std::chrono::steady_clock::now()) {}
    ~HandlingTime() {
      impl_.state.stats.handling += std::chrono::steady_clock::now() - start_;
    }
    HandlingTime(const HandlingTime&) = delete;
    HandlingTime& operator=(const HandlingTime&) = delete;

   private:
    SessionImpl& impl_;
    std::chrono::steady_clock::time_point start_;
  };

  void record(const DispatchResult& result) {
    if (result.route < 0) {
      coverage.unknown_packets++;
      state.stats.unknown_packets++;
      return;
    }
    auto route = static_cast<std::size_t>(result.route);
    coverage.route_hits[route]++;
    state.stats.packets_by_route[route]++;
    if (result.decode_error) {
      state.stats.malformed++;
      coverage.decode_failures[route][static_cast<std::size_t>(*result.decode_error)]++;
    }
  }
};

Session::Session(targets::Target& target, SessionOptions options)
    : impl_(std::make_unique<SessionImpl>(target, options)) {}
Session::~Session() = default;

void Session::on_client_bytes(std::string_view bytes, std::string& out) { impl_->on_bytes(bytes, out); }
void Session::on_target_stop(const targets::StopEvent& event, std::string& out) { impl_->on_stop(event, out); }
void Session::on_disconnect() { impl_->on_disconnect(); }
void Session::on_stop(const targets::StopEvent& event) { impl_->on_stop(event, impl_->pending); }
std::string Session::take_output() { return std::exchange(impl_->pending, {}); }
bool Session::wants_close() const { return impl_->state.wants_close; }
bool Session::wants_exit() const { return impl_->state.wants_exit; }
bool Session::target_running() const { return impl_->state.running; }
bool Session::in_frame() const { return impl_->decoder.in_frame(); }
bool Session::stops_unacknowledged() const { return !impl_->state.stop_queue.empty(); }
bool Session::non_stop() const { return impl_->state.non_stop; }
const SessionStats& Session::stats() const { return impl_->state.stats; }
const DispatchCoverage& Session::coverage() const { return impl_->coverage; }

}  // namespace remora::rsp
