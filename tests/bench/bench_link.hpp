// A blocking RSP client link for the benchmark: one TCP socket on 127.0.0.1, remora's own
// ClientLink for framing (acks, NACK resends, RLE), one request in flight at a time — the way
// gdb talks to a stub, so round-trip latency is part of every figure.
#pragma once
#include <cstddef>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "rsp/client.hpp"

namespace remora::bench {

using Error = std::string;

// What the stub said about itself during negotiation.
struct StubInfo {
  std::size_t packet_size = 0;  // PacketSize from qSupported (0: not advertised)
  bool no_ack = false;          // QStartNoAckMode accepted
  bool vcont_step = false;      // vCont? lists `s`
  std::string thread;           // from qC, as the stub spells it ("p1.1", "1f3a")
  std::string first_stop;       // the `?` reply
};

class Link {
 public:
  Link();
  ~Link();
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  std::expected<void, Error> connect(std::uint16_t port);
  // qSupported, QStartNoAckMode when offered, `?`, qC, vCont?.
  std::expected<StubInfo, Error> negotiate();

  // Frames and sends `payload`, returns the reply payload (RLE expanded).
  std::expected<std::string, Error> exchange(std::string_view payload);
  // Sends an already framed request (built before the clock starts), returns the reply.
  std::expected<std::string, Error> exchange_frame(std::string_view frame);
  // Sends without waiting for a reply (the final `k`: a stub may exit before it answers).
  std::expected<void, Error> send_only(std::string_view payload) { return send_all(link_.request(payload)); }
  // ClientLink::request: frames a payload so it can be stored and replayed by exchange_frame.
  std::string frame(std::string_view payload) { return link_.request(payload); }

 private:
  std::expected<void, Error> send_all(std::string_view bytes);
  std::expected<std::string, Error> read_reply();

  int fd_ = -1;
  rsp::ClientLink link_;
  std::vector<char> buffer_;
  std::vector<rsp::ClientEvent> events_;
  std::size_t next_event_ = 0;  // events_ already returned
};

}  // namespace remora::bench
