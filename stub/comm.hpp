// Number parsing shared by COMM and the numeric options.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace remora::stub {

// Decimal, or hex with 0x: the forms gdbserver users type.
std::optional<std::uint64_t> parse_number(std::string_view text);

}  // namespace remora::stub
