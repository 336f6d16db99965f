#include "targets/emulated/numbers.hpp"

#include <charconv>

namespace remora::targets::emulated {

std::optional<std::uint64_t> parse_c_number(std::string_view text) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  } else if (text.size() > 1 && text[0] == '0') {
    base = 8;
    text.remove_prefix(1);
  }
  // from_chars accepts a leading '-' for unsigned types on some libraries; refuse it here.
  if (text.empty() || text[0] == '-' || text[0] == '+') return std::nullopt;
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string hex(std::uint64_t value, int digits) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, 16);
  (void)ec;  // 16 digits always fit
  std::string out = "0x";
  auto len = static_cast<int>(end - buf);
  if (len < digits) out.append(static_cast<std::size_t>(digits - len), '0');
  out.append(buf, end);
  return out;
}

}  // namespace remora::targets::emulated
