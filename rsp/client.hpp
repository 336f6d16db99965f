// The client end of an RSP link, free of I/O: remora's QEMU backend and the tests use it to talk
// to a stub. It frames requests, acknowledges replies while acks are on, and decodes replies
// (expanding RLE).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "rsp/framing.hpp"

namespace remora::rsp {

struct ClientEvent {
  enum class Kind { reply, notification, resend_requested, corrupt_reply, overflow };
  Kind kind = Kind::reply;
  std::string payload;  // RLE expanded; binary escapes left intact
};

class ClientLink {
 public:
  explicit ClientLink(std::size_t max_reply = 1 << 20);

  // Bytes to send for a request (payload already escaped where binary).
  std::string request(std::string_view payload);
  // The 0x03 interrupt byte.
  static std::string interrupt() { return std::string(1, '\x03'); }

  // Feeds bytes read from the stub. Appends events, and bytes that must be sent back (acks,
  // and the last request again when the stub sent '-') to `to_send`.
  void feed(std::string_view bytes, std::vector<ClientEvent>& events, std::string& to_send);

  // After the stub answered OK to QStartNoAckMode.
  void set_no_ack(bool no_ack) { no_ack_ = no_ack; }
  bool no_ack() const { return no_ack_; }

 private:
  FrameDecoder decoder_;
  bool no_ack_ = false;
  std::string last_request_;
};

}  // namespace remora::rsp
