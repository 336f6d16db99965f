// Framing of the Remote Serial Protocol. The decoder is a byte-driven state machine whose only
// memory between feed() calls is its members, so any split of the stream gives the same events;
// inside a payload it works on whole chunks (find the next '#' or '$', sum and copy the chunk)
// because MiB-sized `X`/`M` frames and `m` replies are common.
//
// Decisions worth knowing:
// - A '$' inside a frame (payload or checksum digits) abandons that frame and starts a new one,
//   as gdbserver does: a client that gave up on a half-sent packet (timeout, reconnect) starts
//   again with '$', and raw '$' never appears in a payload because binary data escapes it. The
//   abandoned text is reported as one `garbage` event. '%' and 0x03 inside a frame are data.
// - Run-length encoding is textual over the already-escaped payload, which is what every decoder
//   (gdb, lldb, ours) expands before unescaping. The encoder additionally never emits a run of
//   '}' nor a '}' count, so every '}' of the output is followed by the same character as in the
//   input; a decoder that unescaped before expanding runs would then read the same bytes too.
//   Runs of '*', '#' and '$' are never encoded (they cannot be in a valid payload anyway, and
//   encoding them would make the frame ambiguous).
#include "rsp/framing.hpp"

#include <algorithm>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace remora::rsp {
namespace {

constexpr std::string_view kSignificant{"$%+-\x03", 5};  // bytes that end a garbage run
constexpr int kRleBias = 29;       // count char = repeats + 29 (so 3 repeats is ' ')
constexpr std::size_t kRleMaxRepeats = '~' - kRleBias;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool never_run_encoded(char c) { return c == '*' || c == '#' || c == '$' || c == '}'; }
bool bad_count_char(std::size_t repeats) {
  const auto c = static_cast<char>(repeats + kRleBias);
  return c == '#' || c == '$' || c == '}';
}

bool run_at(const char* p, std::size_t i) { return p[i] == p[i + 1] && p[i] == p[i + 2] && p[i] == p[i + 3]; }

// True when some byte of x is zero (exact; which byte is left to the caller).
bool has_zero_byte(std::uint64_t x) {
  return ((x - 0x0101010101010101u) & ~x & 0x8080808080808080u) != 0;
}

// The first index >= i where at least four equal characters start (the shortest run worth a
// look: `c*N` is 3 characters, so 3 repeats or fewer gain nothing), or p.size(). Hex and escaped binary replies rarely have runs, so the scan is what
// costs: eight positions per step, comparing each byte with the three after it at once.
std::size_t find_run(std::string_view p, std::size_t i) {
  const char* d = p.data();
  const std::size_t n = p.size();
  for (; i + 11 <= n; i += 8) {  // positions i..i+7 read up to d[i+10]
    std::uint64_t w0, w1, w2, w3;
    std::memcpy(&w0, d + i, 8);
    std::memcpy(&w1, d + i + 1, 8);
    std::memcpy(&w2, d + i + 2, 8);
    std::memcpy(&w3, d + i + 3, 8);
    if (!has_zero_byte((w0 ^ w1) | (w0 ^ w2) | (w0 ^ w3))) continue;
    for (std::size_t k = i; k < i + 8; ++k)
      if (run_at(d, k)) return k;
  }
  for (; i + 4 <= n; ++i)
    if (run_at(d, i)) return i;
  return n;
}

// Output is byte for byte what a character-at-a-time encoder gives (tests/rsp/wire_bulk.cpp
// checks it against one): runs are found at the same places and encoded the same way; only the
// stretches between them are copied in bulk.
void append_rle(std::string& out, std::string_view p) {
  std::size_t i = 0;
  while (i < p.size()) {
    const std::size_t r = find_run(p, i);
    out.append(p.data() + i, r - i);
    if (r == p.size()) return;
    const char c = p[r];
    std::size_t j = r + 1;
    while (j < p.size() && p[j] == c && j - r <= kRleMaxRepeats) ++j;
    std::size_t repeats = j - r - 1;
    if (never_run_encoded(c)) {
      out.append(j - r, c);
      i = j;
      continue;
    }
    // Shorten rather than emit a forbidden count; the left-over one or two characters go out
    // literally on the next turn (they end the run, so they are too few to encode).
    while (bad_count_char(repeats)) --repeats;
    const char run[3] = {c, '*', static_cast<char>(repeats + kRleBias)};
    out.append(run, 3);
    i = r + repeats + 1;
  }
}

}  // namespace

FrameDecoder::FrameDecoder(std::size_t max_payload, bool expand_rle)
    : max_payload_(max_payload), expand_rle_(expand_rle) {}

bool FrameDecoder::in_frame() const { return state_ != State::idle; }

void FrameDecoder::reset() {
  state_ = State::idle;
  in_garbage_ = false;
  overflowed_ = false;
  bad_digit_ = false;
  sum_ = 0;
  wire_sum_ = 0;
  payload_.clear();
}

void FrameDecoder::recycle(std::string&& buffer) {
  if (buffer.capacity() <= payload_.capacity()) return;
  buffer.assign(payload_);  // a frame may be half-kept already
  payload_.swap(buffer);
}

void FrameDecoder::feed(std::string_view bytes, std::vector<FrameEvent>& out) {
  std::size_t i = 0;
  while (i < bytes.size()) {
    switch (state_) {
      case State::idle: i = feed_idle(bytes, i, out); break;
      case State::payload: i = feed_payload(bytes, i, out); break;
      case State::checksum1:
      case State::checksum2: feed_checksum(bytes[i++], out); break;
    }
  }
}

std::size_t FrameDecoder::feed_idle(std::string_view in, std::size_t i,
                                    std::vector<FrameEvent>& out) {
  const char c = in[i];
  switch (c) {
    case '$':
    case '%': start_frame(c); return i + 1;
    case '+': out.push_back({FrameEventKind::ack, {}}); break;
    case '-': out.push_back({FrameEventKind::nack, {}}); break;
    case '\x03': out.push_back({FrameEventKind::interrupt, {}}); break;
    default: {
      // One event per run, raised at its first byte: the rest of the run may arrive in a later
      // feed(), so nothing after the first byte can go into the event without breaking split
      // invariance.
      if (!in_garbage_) out.push_back({FrameEventKind::garbage, std::string(1, c)});
      in_garbage_ = true;
      const auto next = in.find_first_of(kSignificant, i + 1);
      return next == std::string_view::npos ? in.size() : next;
    }
  }
  in_garbage_ = false;
  return i + 1;
}

std::size_t FrameDecoder::feed_payload(std::string_view in, std::size_t i,
                                       std::vector<FrameEvent>& out) {
  // '#' ends the chunk; a '$' before it restarts the frame. Two memchr calls, because
  // find_first_of over a two-character set is a memchr per input byte in libstdc++.
  const char* begin = in.data() + i;
  const char* end = in.data() + in.size();
  const auto* hash = static_cast<const char*>(std::memchr(begin, '#', static_cast<std::size_t>(end - begin)));
  const char* limit = hash ? hash : end;
  const auto* dollar = static_cast<const char*>(std::memchr(begin, '$', static_cast<std::size_t>(limit - begin)));
  const std::size_t stop = static_cast<std::size_t>((dollar ? dollar : limit) - in.data());
  const auto chunk = in.substr(i, stop - i);
  sum_ = static_cast<std::uint8_t>(sum_ + checksum(chunk));
  keep(chunk);
  if (stop == in.size()) return stop;
  if (in[stop] == '#') {
    state_ = State::checksum1;
  } else {
    abandon_frame(out);
    start_frame('$');
  }
  return stop + 1;
}

void FrameDecoder::feed_checksum(char c, std::vector<FrameEvent>& out) {
  if (c == '$') {
    abandon_frame(out);
    start_frame('$');
    return;
  }
  const int d = hex_digit(c);
  if (d < 0) bad_digit_ = true;
  if (state_ == State::checksum1) {
    wire_sum_ = static_cast<std::uint8_t>(d << 4);
    state_ = State::checksum2;
    return;
  }
  wire_sum_ = static_cast<std::uint8_t>(wire_sum_ | d);
  finish_frame(out);
}

void FrameDecoder::start_frame(char lead) {
  lead_ = lead;
  state_ = State::payload;
  in_garbage_ = false;
  overflowed_ = false;
  bad_digit_ = false;
  sum_ = 0;
  wire_sum_ = 0;
  payload_.clear();
}

void FrameDecoder::abandon_frame(std::vector<FrameEvent>& out) {
  std::string text;
  text.reserve(payload_.size() + 1);
  text.push_back(lead_);
  text += payload_;
  out.push_back({FrameEventKind::garbage, std::move(text)});
}

// Keeps at most max_payload_ bytes: an endless frame must not grow memory without bound.
void FrameDecoder::keep(std::string_view chunk) {
  if (overflowed_) return;
  const std::size_t room = max_payload_ - payload_.size();
  if (chunk.size() > room) {
    payload_.append(chunk.substr(0, room));
    overflowed_ = true;
    return;
  }
  payload_.append(chunk);
}

void FrameDecoder::finish_frame(std::vector<FrameEvent>& out) {
  state_ = State::idle;
  FrameEvent ev;
  ev.lead = lead_;
  if (overflowed_) {
    ev.kind = FrameEventKind::overflow;
    payload_.clear();
  } else if (bad_digit_ || wire_sum_ != sum_) {
    ev.kind = FrameEventKind::bad_checksum;
    ev.payload = std::move(payload_);
  } else if (expand_rle_ && payload_.find('*') != std::string::npos) {
    // An RLE error is a transmission error like a bad checksum: the sender can resend.
    const bool ok = expand_rle(payload_, ev.payload);
    ev.kind = !ok ? FrameEventKind::bad_checksum
                  : (lead_ == '%' ? FrameEventKind::notification : FrameEventKind::packet);
    if (!ok) ev.payload = std::move(payload_);
  } else {
    ev.kind = lead_ == '%' ? FrameEventKind::notification : FrameEventKind::packet;
    ev.payload = std::move(payload_);
  }
  payload_.clear();
  out.push_back(std::move(ev));
}

std::uint8_t checksum(std::string_view payload) {
#if defined(__SSE2__)
  // 16 bytes per step: psadbw adds each half of a block into a 64-bit lane, which cannot
  // overflow for any frame size. About 4x the word-at-a-time loop below (perf: that loop was
  // ~4.5% of a PacketSize X).
  const char* d = payload.data();
  const std::size_t n = payload.size();
  __m128i acc = _mm_setzero_si128();
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(d + i));
    acc = _mm_add_epi64(acc, _mm_sad_epu8(v, _mm_setzero_si128()));
  }
  std::uint64_t sum = static_cast<std::uint64_t>(_mm_cvtsi128_si64(acc)) +
                      static_cast<std::uint64_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(acc, acc)));
  for (; i < n; ++i) sum += static_cast<unsigned char>(d[i]);
  return static_cast<std::uint8_t>(sum);
#else
  // Eight bytes per step (-O2 does not vectorise the byte loop): the even and odd bytes of each
  // word are added into four 16-bit lanes, which hold at least 128 words of 2 x 255 before a
  // lane could carry into the next; then the lanes are folded. Every byte of a PacketSize frame
  // passes here twice (in and out), so this is not noise.
  constexpr std::uint64_t kLow = 0x00ff00ff00ff00ffu;
  constexpr std::size_t kWordsPerFold = 128;
  const char* d = payload.data();
  const std::size_t words = payload.size() / 8;
  std::uint32_t sum = 0;
  for (std::size_t w = 0; w < words;) {
    std::uint64_t lanes = 0;
    const std::size_t stop = std::min(words, w + kWordsPerFold);
    for (; w < stop; ++w) {
      std::uint64_t x;
      std::memcpy(&x, d + 8 * w, 8);
      lanes += (x & kLow) + ((x >> 8) & kLow);
    }
    for (int lane = 0; lane < 4; ++lane) sum += static_cast<std::uint32_t>((lanes >> (16 * lane)) & 0xffff);
  }
  for (std::size_t i = 8 * words; i < payload.size(); ++i) sum += static_cast<unsigned char>(d[i]);
  return static_cast<std::uint8_t>(sum);
#endif
}

void append_frame(std::string& out, std::string_view payload, bool rle, char lead) {
  out.reserve(out.size() + payload.size() + 4);
  out.push_back(lead);
  const std::size_t start = out.size();
  if (rle) {
    append_rle(out, payload);
  } else {
    out.append(payload);
  }
  // The checksum covers the bytes on the wire, i.e. the encoded runs.
  const std::uint8_t cs = checksum(std::string_view(out).substr(start));
  constexpr char kDigits[] = "0123456789abcdef";
  out.push_back('#');
  out.push_back(kDigits[cs >> 4]);
  out.push_back(kDigits[cs & 0xf]);
}

std::string make_frame(std::string_view payload, bool rle, char lead) {
  std::string out;
  append_frame(out, payload, rle, lead);
  return out;
}

// `out` is replaced. Two passes (validate and size, then fill) so a frame full of runs costs one
// allocation. A '*' repeats the last *expanded* character, as gdb and lldb do, so `a*!*!` is a
// valid (if odd) encoding of ten 'a's.
bool expand_rle(std::string_view in, std::string& out) {
  out.clear();
  std::size_t size = 0;
  for (std::size_t i = 0;;) {
    const std::size_t star = std::min(in.find('*', i), in.size());
    size += star - i;
    if (star == in.size()) break;
    if (size == 0 || star + 1 == in.size()) return false;
    const auto count = static_cast<unsigned char>(in[star + 1]);
    if (count < ' ' || count > '~') return false;
    size += count - kRleBias;
    i = star + 2;
  }
  out.reserve(size);
  for (std::size_t i = 0;;) {
    const std::size_t star = std::min(in.find('*', i), in.size());
    out.append(in.data() + i, star - i);
    if (star == in.size()) break;
    const auto count = static_cast<unsigned char>(in[star + 1]);
    out.append(count - kRleBias, out.back());
    i = star + 2;
  }
  return true;
}

}  // namespace remora::rsp
