// Value codecs of the protocol: hex numbers, hex byte strings, escaped binary, thread ids.
// Every parser checks the whole field: no partial numbers, no silent overflow.
#pragma once
#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace remora::rsp {

enum class DecodeError {
  empty_field,       // a field that must hold a value is empty
  bad_hex,           // a character that is not a hex digit
  odd_hex_length,    // hex byte string with an odd number of digits
  overflow,          // a number that does not fit its type
  missing_field,     // a separator or a field is missing
  length_mismatch,   // declared length and supplied data differ
  address_wrap,      // addr + length passes the end of the address space
  too_long,          // longer than the packet size allows
  bad_escape,        // '}' at the end of binary data
  bad_thread_id,
  unknown_action,    // vCont action / Z type / qXfer object the stub does not know
  trailing_garbage,  // characters after the last field
  bad_value,         // a field that parses but whose value is not allowed
};

std::string_view describe(DecodeError e);

// Parses a whole field as an unsigned hex number (at most 64 bits; leading zeros allowed).
std::expected<std::uint64_t, DecodeError> parse_hex_u64(std::string_view field);
// Same, decimal (used by a few lldb packets).
std::expected<std::uint64_t, DecodeError> parse_dec_u64(std::string_view field);

// Decodes pairs of hex digits; rejects odd lengths and non-hex characters.
std::expected<std::vector<std::byte>, DecodeError> decode_hex_bytes(std::string_view hex);
// Decodes into a buffer that must be exactly hex.size()/2 long.
std::expected<void, DecodeError> decode_hex_into(std::string_view hex, std::span<std::byte> out);

void append_hex(std::string& out, std::span<const std::byte> bytes);
void append_hex(std::string& out, std::string_view text);  // text bytes as hex (qRcmd output)
void append_hex_u64(std::string& out, std::uint64_t value);  // minimal digits, lowercase
void append_hex_byte(std::string& out, std::uint8_t value);   // always two digits
std::string to_hex(std::span<const std::byte> bytes);
std::string to_hex(std::string_view text);
// Hex text to bytes-as-string (qRcmd input, vFile paths).
std::expected<std::string, DecodeError> hex_to_text(std::string_view hex);

// Binary data in X / vFile:pwrite: '}' escapes the next byte XOR 0x20.
std::expected<std::vector<std::byte>, DecodeError> unescape_binary(std::string_view data);
// The byte count `data` unescapes to; bad_escape for a '}' that ends it.
std::expected<std::size_t, DecodeError> unescaped_size(std::string_view data);
// Unescapes into `out`, which holds at least unescaped_size(data) bytes; returns that count.
std::size_t unescape_binary_into(std::string_view data, std::byte* out);
// Escapes '$', '#', '}' and '*' so a binary payload never looks like framing or a run.
void append_escaped(std::string& out, std::span<const std::byte> bytes);
// How many of `bytes`, from the first, fit in `budget` characters once escaped.
std::size_t escaped_prefix_fitting(std::span<const std::byte> bytes, std::size_t budget);

// Bytes still in their wire encoding (hex pairs, or escaped binary), already checked by the
// factory: a handler decodes them straight into a buffer it reuses, so a PacketSize `M` or `X`
// costs no allocation and one pass over the data. A view: valid while the packet text is.
class EncodedBytes {
 public:
  enum class Encoding : std::uint8_t { hex, binary };
  EncodedBytes() = default;
  static std::expected<EncodedBytes, DecodeError> hex(std::string_view text);     // M data
  static std::expected<EncodedBytes, DecodeError> binary(std::string_view text);  // X data

  std::size_t size() const { return size_; }  // decoded bytes
  bool empty() const { return size_ == 0; }
  // Writes size() bytes to the front of `out`; writes nothing if `out` is shorter.
  void decode_into(std::span<std::byte> out) const;
  std::vector<std::byte> decode() const;
  bool operator==(const std::vector<std::byte>& bytes) const;  // same decoded bytes

 private:
  EncodedBytes(std::string_view text, std::size_t size, Encoding encoding)
      : text_(text), size_(size), encoding_(encoding) {}
  std::string_view text_;
  std::size_t size_ = 0;
  Encoding encoding_ = Encoding::binary;
};

// Splits `s` at the first `sep`; returns nullopt-like empty `rest` flag through the bool.
struct Split {
  std::string_view head;
  std::string_view tail;
  bool found = false;
};
Split split_once(std::string_view s, char sep);

}  // namespace remora::rsp
