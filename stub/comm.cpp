// COMM, gdbserver's way of naming where to listen: [HOST]:PORT, unix:PATH, a path, or `-`.
#include <asio/ip/address.hpp>
#include <charconv>

#include "stub/comm.hpp"
#include "stub/options.hpp"

namespace remora::stub {

// Decimal, or hex with 0x: the forms gdbserver users type.
std::optional<std::uint64_t> parse_number(std::string_view text) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
    base = 16;
  }
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

namespace {

std::expected<Comm, std::string> parse_tcp(std::string_view host, std::string_view port_text,
                                           std::string_view whole) {
  auto port = parse_number(port_text);
  if (!port || *port > 65535)
    return std::unexpected("bad port '" + std::string(port_text) + "' in '" + std::string(whole) + "'");
  TcpComm tcp;
  tcp.port = static_cast<std::uint16_t>(*port);
  if (host.empty()) {
    // gdbserver binds every interface for ":PORT"; remora chooses loopback so a debug stub is
    // never exposed to the network by accident.
    tcp.defaulted_to_loopback = true;
    return tcp;
  }
  if (host == "localhost") return tcp;
  std::error_code ec;
  asio::ip::make_address(std::string(host), ec);
  if (ec)
    return std::unexpected("bad host '" + std::string(host) +
                           "': use a numeric address (127.0.0.1, 0.0.0.0, [::1], [::]) or localhost");
  tcp.host = std::string(host);
  return tcp;
}

}  // namespace

std::expected<Comm, std::string> parse_comm(std::string_view text) {
  if (text == "-" || text == "stdio") return StdioComm{};  // gdbserver accepts both
  if (text.starts_with("unix:")) {
    if (text.size() == 5) return std::unexpected(std::string("unix: needs a socket path"));
    return UnixComm{std::string(text.substr(5))};
  }
  if (text.find('/') != std::string_view::npos) return UnixComm{std::string(text)};
  if (text.starts_with('[')) {
    auto close = text.find("]:");
    if (close == std::string_view::npos)
      return std::unexpected("bad COMM '" + std::string(text) + "': IPv6 needs the form [ADDR]:PORT");
    return parse_tcp(text.substr(1, close - 1), text.substr(close + 2), text);
  }
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos)
    return std::unexpected("bad COMM '" + std::string(text) +
                           "': expected [HOST]:PORT, unix:PATH, a socket path, or - for stdio");
  std::string_view host = text.substr(0, colon);
  if (host.find(':') != std::string_view::npos)
    return std::unexpected("bad COMM '" + std::string(text) + "': write IPv6 addresses as [ADDR]:PORT");
  return parse_tcp(host, text.substr(colon + 1), text);
}

}  // namespace remora::stub
