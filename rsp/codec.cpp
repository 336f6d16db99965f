// Value codecs of the protocol. Every parser consumes its whole field: a number followed by junk
// is an error, not a shorter number, because a silently truncated address or length is far worse
// than an `Exx` reply.
#include "rsp/codec.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace remora::rsp {
namespace {

// -1 for a non-hex character. A table, not a chain of ifs: this runs once per digit of every
// `m`/`M`/`g`/`G` payload, which can be hundreds of KiB.
constexpr std::array<std::int8_t, 256> make_hex_table() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 10; ++i) t['0' + i] = static_cast<std::int8_t>(i);
  for (int i = 0; i < 6; ++i) {
    t['a' + i] = static_cast<std::int8_t>(10 + i);
    t['A' + i] = static_cast<std::int8_t>(10 + i);
  }
  return t;
}
constexpr auto kHexValue = make_hex_table();
constexpr char kHexDigits[] = "0123456789abcdef";

int hex_value(char c) { return kHexValue[static_cast<unsigned char>(c)]; }

// Decodes hex pairs into `out` (which holds exactly hex.size()/2 bytes).
bool decode_pairs(std::string_view hex, std::byte* out) {
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = hex_value(hex[i]);
    const int lo = hex_value(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i / 2] = static_cast<std::byte>((hi << 4) | lo);
  }
  return true;
}

// "00".."ff" for every byte value: one two-byte copy per byte of an `m` reply.
constexpr std::array<char, 512> make_hex_pairs() {
  std::array<char, 512> t{};
  for (int i = 0; i < 256; ++i) {
    t[2 * i] = kHexDigits[i >> 4];
    t[2 * i + 1] = kHexDigits[i & 0xf];
  }
  return t;
}
constexpr auto kHexPairs = make_hex_pairs();

// Appends the hex of raw bytes; one resize up front so a 256 KiB read costs one allocation
// (none when `out` is a reused buffer).
void append_hex_raw(std::string& out, const unsigned char* data, std::size_t n) {
  const std::size_t start = out.size();
  out.resize(start + 2 * n);
  char* dst = out.data() + start;
  for (std::size_t i = 0; i < n; ++i) std::memcpy(dst + 2 * i, &kHexPairs[2 * data[i]], 2);
}

bool needs_escape(unsigned char c) { return c == '$' || c == '#' || c == '}' || c == '*'; }

}  // namespace

std::string_view describe(DecodeError e) {
  switch (e) {
    case DecodeError::empty_field: return "empty field";
    case DecodeError::bad_hex: return "bad hex digit";
    case DecodeError::odd_hex_length: return "odd number of hex digits";
    case DecodeError::overflow: return "number too large";
    case DecodeError::missing_field: return "missing field";
    case DecodeError::length_mismatch: return "length does not match data";
    case DecodeError::address_wrap: return "address range wraps";
    case DecodeError::too_long: return "packet too long";
    case DecodeError::bad_escape: return "bad binary escape";
    case DecodeError::bad_thread_id: return "bad thread id";
    case DecodeError::unknown_action: return "unknown action";
    case DecodeError::trailing_garbage: return "trailing characters";
    case DecodeError::bad_value: return "value not allowed";
  }
  return "unknown decode error";
}

std::expected<std::uint64_t, DecodeError> parse_hex_u64(std::string_view field) {
  if (field.empty()) return std::unexpected(DecodeError::empty_field);
  std::uint64_t value = 0;
  for (char c : field) {
    const int d = hex_value(c);
    if (d < 0) return std::unexpected(DecodeError::bad_hex);
    // Leading zeros are legal (gdb pads registers), so test the value, not the digit count.
    if (value >> 60 != 0) return std::unexpected(DecodeError::overflow);
    value = (value << 4) | static_cast<std::uint64_t>(d);
  }
  return value;
}

std::expected<std::uint64_t, DecodeError> parse_dec_u64(std::string_view field) {
  if (field.empty()) return std::unexpected(DecodeError::empty_field);
  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t value = 0;
  for (char c : field) {
    // There is no bad_digit error, and bad_hex would mislead about a decimal field.
    if (c < '0' || c > '9') return std::unexpected(DecodeError::bad_value);
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (value > (kMax - d) / 10) return std::unexpected(DecodeError::overflow);
    value = value * 10 + d;
  }
  return value;
}

std::expected<std::vector<std::byte>, DecodeError> decode_hex_bytes(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::unexpected(DecodeError::odd_hex_length);
  std::vector<std::byte> out(hex.size() / 2);
  if (!decode_pairs(hex, out.data())) return std::unexpected(DecodeError::bad_hex);
  return out;
}

std::expected<void, DecodeError> decode_hex_into(std::string_view hex, std::span<std::byte> out) {
  if (hex.size() % 2 != 0) return std::unexpected(DecodeError::odd_hex_length);
  if (hex.size() / 2 != out.size()) return std::unexpected(DecodeError::length_mismatch);
  if (!decode_pairs(hex, out.data())) return std::unexpected(DecodeError::bad_hex);
  return {};
}

void append_hex(std::string& out, std::span<const std::byte> bytes) {
  append_hex_raw(out, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

void append_hex(std::string& out, std::string_view text) {
  append_hex_raw(out, reinterpret_cast<const unsigned char*>(text.data()), text.size());
}

void append_hex_u64(std::string& out, std::uint64_t value) {
  char buf[16];
  int n = 0;
  do {
    buf[n++] = kHexDigits[value & 0xf];
    value >>= 4;
  } while (value != 0);
  while (n > 0) out.push_back(buf[--n]);
}

void append_hex_byte(std::string& out, std::uint8_t value) {
  out.push_back(kHexDigits[value >> 4]);
  out.push_back(kHexDigits[value & 0xf]);
}

std::string to_hex(std::span<const std::byte> bytes) {
  std::string out;
  append_hex(out, bytes);
  return out;
}

std::string to_hex(std::string_view text) {
  std::string out;
  append_hex(out, text);
  return out;
}

std::expected<std::string, DecodeError> hex_to_text(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::unexpected(DecodeError::odd_hex_length);
  std::string out(hex.size() / 2, '\0');
  if (!decode_pairs(hex, reinterpret_cast<std::byte*>(out.data())))
    return std::unexpected(DecodeError::bad_hex);
  return out;
}

// Escapes are rare in real data (about 1.6% of random bytes need one, so a '}' every ~64 bytes).
// With SSE2 both passes look at 16 bytes at a time through a mask of their '}' positions: a
// clean block is counted or copied whole, and each '}' costs a few instructions. The previous
// code hopped from '}' to '}' with memchr, whose per-call cost at such short distances made it
// ~20% of a PacketSize X (perf, tests/bench/README.md). Without SSE2 a byte loop does the same.
#if defined(__SSE2__)
namespace {
constexpr std::size_t kBlock = 16;

unsigned brace_mask(const char* p) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('}'))));
}

// Fewer than 16 bytes, with fixed-size copies the compiler inlines (a memcpy call per stretch
// would cost more than the stretch).
[[gnu::always_inline]] inline void copy_short(std::byte* dst, const char* src, std::size_t n) {
  if (n & 8) { std::memcpy(dst, src, 8); dst += 8; src += 8; }
  if (n & 4) { std::memcpy(dst, src, 4); dst += 4; src += 4; }
  if (n & 2) { std::memcpy(dst, src, 2); dst += 2; src += 2; }
  if (n & 1) std::memcpy(dst, src, 1);
}
}  // namespace
#endif

std::expected<std::size_t, DecodeError> unescaped_size(std::string_view data) {
  const char* p = data.data();
  const std::size_t n = data.size();
  std::size_t escapes = 0;
  std::size_t i = 0;
  bool carry = false;  // the last '}' seen escapes the byte at i
#if defined(__SSE2__)
  for (; i + kBlock <= n; i += kBlock) {
    unsigned m = brace_mask(p + i) & (carry ? ~1u : ~0u);
    carry = false;
    while (m != 0) {  // the lowest '}' escapes the byte after it, whatever that byte is
      const unsigned j = static_cast<unsigned>(__builtin_ctz(m));
      ++escapes;
      carry = j == kBlock - 1;
      m &= ~(3u << j);
    }
  }
#endif
  for (; i < n; ++i) {
    if (carry) {
      carry = false;
    } else if (p[i] == '}') {
      ++escapes;
      carry = true;
    }
  }
  if (carry) return std::unexpected(DecodeError::bad_escape);
  return n - escapes;
}

std::size_t unescape_binary_into(std::string_view data, std::byte* out) {
  const char* p = data.data();
  const std::size_t n = data.size();
  std::byte* dst = out;
  std::size_t i = 0;
#if defined(__SSE2__)
  while (i + kBlock <= n) {
    const unsigned m = brace_mask(p + i);
    if (m == 0) {  // 16 plain bytes are 16 output bytes: the store stays inside `out`
      std::memcpy(dst, p + i, kBlock);
      dst += kBlock;
      i += kBlock;
      continue;
    }
    if ((m & (m << 1)) == 0 && (m >> (kBlock - 1)) == 0) {
      // Every '}' and the byte it escapes lie inside this block: take them all without reloading.
      std::size_t at = 0;
      for (unsigned rest = m; rest != 0; rest &= rest - 1) {
        const auto j = static_cast<std::size_t>(__builtin_ctz(rest));
        copy_short(dst, p + i + at, j - at);
        dst += j - at;
        *dst++ = static_cast<std::byte>(static_cast<unsigned char>(p[i + j + 1]) ^ 0x20);
        at = j + 2;
      }
      copy_short(dst, p + i + at, kBlock - at);
      dst += kBlock - at;
      i += kBlock;
      continue;
    }
    const auto k = static_cast<std::size_t>(__builtin_ctz(m));
    copy_short(dst, p + i, k);
    dst += k;
    if (i + k + 1 >= n) return static_cast<std::size_t>(dst - out);  // a dangling '}'
    *dst++ = static_cast<std::byte>(static_cast<unsigned char>(p[i + k + 1]) ^ 0x20);
    i += k + 2;
  }
#endif
  for (; i < n; ++i) {
    if (p[i] != '}') {
      *dst++ = static_cast<std::byte>(p[i]);
    } else if (i + 1 < n) {  // a dangling '}' is unescaped_size's error
      *dst++ = static_cast<std::byte>(static_cast<unsigned char>(p[++i]) ^ 0x20);
    }
  }
  return static_cast<std::size_t>(dst - out);
}

std::expected<std::vector<std::byte>, DecodeError> unescape_binary(std::string_view data) {
  auto size = unescaped_size(data);
  if (!size) return std::unexpected(size.error());
  std::vector<std::byte> out(*size);
  unescape_binary_into(data, out.data());
  return out;
}

std::size_t escaped_prefix_fitting(std::span<const std::byte> bytes, std::size_t budget) {
  if (bytes.size() * 2 <= budget) return bytes.size();  // fits even if every byte needs escaping
  std::size_t used = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    used += needs_escape(static_cast<unsigned char>(bytes[i])) ? 2 : 1;
    if (used > budget) return i;
  }
  return bytes.size();
}

void append_escaped(std::string& out, std::span<const std::byte> bytes) {
  std::size_t extra = 0;
  for (std::byte b : bytes) extra += needs_escape(static_cast<unsigned char>(b)) ? 1 : 0;
  const std::size_t start = out.size();
  out.resize(start + bytes.size() + extra);
  char* dst = out.data() + start;
  for (std::byte b : bytes) {
    const auto c = static_cast<unsigned char>(b);
    if (needs_escape(c)) {
      *dst++ = '}';
      *dst++ = static_cast<char>(c ^ 0x20);
    } else {
      *dst++ = static_cast<char>(c);
    }
  }
}

std::expected<EncodedBytes, DecodeError> EncodedBytes::hex(std::string_view text) {
  if (text.size() % 2 != 0) return std::unexpected(DecodeError::odd_hex_length);
  for (char c : text)
    if (hex_value(c) < 0) return std::unexpected(DecodeError::bad_hex);
  return EncodedBytes(text, text.size() / 2, Encoding::hex);
}

std::expected<EncodedBytes, DecodeError> EncodedBytes::binary(std::string_view text) {
  auto size = unescaped_size(text);
  if (!size) return std::unexpected(size.error());
  return EncodedBytes(text, *size, Encoding::binary);
}

void EncodedBytes::decode_into(std::span<std::byte> out) const {
  if (out.size() < size_) return;  // a caller bug; nothing is written past `out`
  if (encoding_ == Encoding::hex) {
    (void)decode_pairs(text_, out.data());  // checked by hex()
  } else {
    (void)unescape_binary_into(text_, out.data());
  }
}

std::vector<std::byte> EncodedBytes::decode() const {
  std::vector<std::byte> out(size_);
  decode_into(out);
  return out;
}

bool EncodedBytes::operator==(const std::vector<std::byte>& bytes) const {
  return bytes.size() == size_ && decode() == bytes;
}

Split split_once(std::string_view s, char sep) {
  const auto pos = s.find(sep);
  if (pos == std::string_view::npos) return Split{s, {}, false};
  return Split{s.substr(0, pos), s.substr(pos + 1), true};
}

}  // namespace remora::rsp
