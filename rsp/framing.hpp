// Framing of the Remote Serial Protocol, for both ends of a link and free of I/O:
// `$payload#cs` packets, `%payload#cs` notifications, `+`/`-` acks and the 0x03 interrupt byte.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace remora::rsp {

enum class FrameEventKind {
  packet,        // a complete `$...#cs` frame whose checksum matched
  notification,  // a complete `%...#cs` frame whose checksum matched
  bad_checksum,  // a complete frame whose checksum did not match (payload still given)
  overflow,      // a frame longer than the limit; its bytes were dropped up to its `#cs`
  ack,           // '+'
  nack,          // '-'
  interrupt,     // 0x03 outside a frame
  garbage,       // bytes outside a frame that mean nothing (reported once per run of them)
};

struct FrameEvent {
  FrameEventKind kind = FrameEventKind::packet;
  // The payload between the lead character and '#', escapes left intact (they belong to the
  // packet's own decoder). With expand_rle, run-length encoding has been expanded.
  // bad_checksum carries the wire payload as received (no RLE expansion); overflow carries none;
  // garbage carries the first byte of a run, or the abandoned `$...` text when a frame restarts.
  std::string payload;
  // '$' or '%' for the frame events (packet, notification, bad_checksum, overflow), so that a
  // client never NACKs a corrupt notification (notifications are not acknowledged).
  char lead = '$';
};

// Streaming decoder: gives the same events whatever way the byte stream is split.
class FrameDecoder {
 public:
  // `max_payload` bounds the bytes kept for one frame (before RLE expansion); longer frames end
  // in an `overflow` event. `expand_rle` is for the client side, which reads RLE replies.
  explicit FrameDecoder(std::size_t max_payload, bool expand_rle = false);

  void feed(std::string_view bytes, std::vector<FrameEvent>& out);
  // True while a frame has started but not ended (a stalled or cut-off client).
  bool in_frame() const;
  void reset();
  // Hands back the payload string of an event the caller is done with. The decoder keeps the
  // larger buffer for the next frame, so PacketSize frames do not each grow a fresh string
  // (for glibc a new large block is fresh zero-filled pages every time).
  void recycle(std::string&& buffer);

 private:
  enum class State { idle, payload, checksum1, checksum2 };
  std::size_t feed_idle(std::string_view in, std::size_t i, std::vector<FrameEvent>& out);
  std::size_t feed_payload(std::string_view in, std::size_t i, std::vector<FrameEvent>& out);
  void feed_checksum(char c, std::vector<FrameEvent>& out);
  void start_frame(char lead);
  void abandon_frame(std::vector<FrameEvent>& out);
  void keep(std::string_view chunk);
  void finish_frame(std::vector<FrameEvent>& out);

  std::size_t max_payload_;
  bool expand_rle_;
  State state_ = State::idle;
  char lead_ = '$';
  bool overflowed_ = false;
  bool in_garbage_ = false;
  std::uint8_t sum_ = 0;
  std::uint8_t wire_sum_ = 0;
  bool bad_digit_ = false;  // a checksum character was not a hex digit
  std::string payload_;
};

std::uint8_t checksum(std::string_view payload);

// Appends `$payload#cs` (or `%...` for a notification). The payload must already be escaped
// where it carries binary data. With `rle`, runs of more than three equal characters are
// run-length encoded; a count that would produce '#', '$' or '}' is never emitted (the run is
// shortened instead), and runs of '*', '#', '$' and '}' are never encoded (see framing.cpp).
void append_frame(std::string& out, std::string_view payload, bool rle = false, char lead = '$');
std::string make_frame(std::string_view payload, bool rle = false, char lead = '$');

// Expands `X*n` runs (count = n - 29) into `out`, which is replaced. Returns false on a `*`
// with nothing before it or an invalid count (missing, or not printable ' '..'~').
bool expand_rle(std::string_view in, std::string& out);

}  // namespace remora::rsp
