// Number parsing and printing shared by the spec parsers and the monitor commands.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace remora::targets::emulated {

// A whole string as an unsigned number in C syntax: 0x/0X hex, a leading 0 octal, else decimal.
// nullopt for empty text, stray characters, a sign or overflow.
std::optional<std::uint64_t> parse_c_number(std::string_view text);

// "0x" followed by at least `digits` lowercase hex digits.
std::string hex(std::uint64_t value, int digits = 1);

}  // namespace remora::targets::emulated
