// Packets forwarded verbatim to the stub a backend fronts (QEMU's qqemu.*/Qqemu.*), and reverse
// execution (bs/bc).
#pragma once
#include <expected>
#include <string>
#include <string_view>

#include "rsp/codec.hpp"

namespace remora::rsp::packets {

struct Passthrough {  // qqemu.NAME[...] / Qqemu.NAME[...], the whole payload
  std::string packet;
};

struct Reverse {  // bs / bc
  bool step = false;
};

// `args` is what follows "qqemu." / "Qqemu.": a name and its arguments in plain printable text
// (no framing characters, at most 256 characters), forwarded as it is.
std::expected<Passthrough, DecodeError> decode_qemu_query(std::string_view args);
std::expected<Passthrough, DecodeError> decode_qemu_set(std::string_view args);
// `args` is what follows "b": exactly "s" or "c".
std::expected<Reverse, DecodeError> decode_reverse(std::string_view args);

}  // namespace remora::rsp::packets
