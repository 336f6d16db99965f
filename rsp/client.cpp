// The client end of an RSP link. It is the mirror of the stub's framing: it acknowledges what the
// stub sends and resends what the stub NACKs, so the code above it sees only whole replies.
#include "rsp/client.hpp"

#include <utility>

namespace remora::rsp {

ClientLink::ClientLink(std::size_t max_reply) : decoder_(max_reply, /*expand_rle=*/true) {}

std::string ClientLink::request(std::string_view payload) {
  // Requests are never RLE-encoded: stubs (gdbserver, QEMU) do not expand runs in what they read.
  last_request_ = make_frame(payload);
  return last_request_;
}

void ClientLink::feed(std::string_view bytes, std::vector<ClientEvent>& events,
                      std::string& to_send) {
  std::vector<FrameEvent> frames;
  decoder_.feed(bytes, frames);
  const bool acking = !no_ack_;
  for (auto& f : frames) {
    const bool notif = f.lead == '%';
    switch (f.kind) {
      case FrameEventKind::packet:
        if (acking) to_send.push_back('+');
        events.push_back({ClientEvent::Kind::reply, std::move(f.payload)});
        break;
      case FrameEventKind::notification:
        events.push_back({ClientEvent::Kind::notification, std::move(f.payload)});
        break;
      case FrameEventKind::bad_checksum:
        // Ask for the reply again; a corrupt notification is just lost (it is never acked,
        // and a '-' would make the stub resend its last *reply* instead).
        if (acking && !notif) to_send.push_back('-');
        events.push_back({ClientEvent::Kind::corrupt_reply, std::move(f.payload)});
        break;
      case FrameEventKind::overflow:
        // The frame arrived whole, it is just too big to keep: a '-' would only make the stub
        // send it again forever, so acknowledge it and let the caller fail the request.
        if (acking && !notif) to_send.push_back('+');
        events.push_back({ClientEvent::Kind::overflow, {}});
        break;
      case FrameEventKind::nack:
        to_send += last_request_;
        events.push_back({ClientEvent::Kind::resend_requested, {}});
        break;
      case FrameEventKind::ack:        // our request arrived; nothing to do
      case FrameEventKind::interrupt:  // meaningless from a stub
      case FrameEventKind::garbage:    // e.g. a stub's stray newline; the next frame resyncs
        break;
    }
  }
}

}  // namespace remora::rsp
