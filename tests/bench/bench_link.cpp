#include "tests/bench/bench_link.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace remora::bench {
namespace {

// Large enough for an `m` reply at the biggest PacketSize the bench tries (16 MiB) plus room.
constexpr std::size_t max_reply = 40u << 20;
constexpr std::size_t read_chunk = 1u << 20;

// gdb 13's qSupported, so stubs pick the same dialect (multiprocess thread ids, swbreak) for us.
constexpr std::string_view qsupported =
    "qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;vfork-events+;"
    "exec-events+;vContSupported+;QThreadEvents+;no-resumed+;memory-tagging+;xmlRegisters=i386";

Error sys_error(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// The value of `name=HEX` in a qSupported reply, 0 when absent.
std::size_t feature_number(std::string_view reply, std::string_view name) {
  const std::string key = std::string(name) + "=";
  std::size_t pos = 0;
  while (pos < reply.size()) {
    const auto end = std::min(reply.find(';', pos), reply.size());
    const auto item = reply.substr(pos, end - pos);
    if (item.starts_with(key)) {
      std::size_t value = 0;
      const auto digits = item.substr(key.size());
      std::from_chars(digits.data(), digits.data() + digits.size(), value, 16);
      return value;
    }
    pos = end + 1;
  }
  return 0;
}

bool has_feature(std::string_view reply, std::string_view plus) {
  std::size_t pos = 0;
  while (pos < reply.size()) {
    const auto end = std::min(reply.find(';', pos), reply.size());
    if (reply.substr(pos, end - pos) == plus) return true;
    pos = end + 1;
  }
  return false;
}

}  // namespace

Link::Link() : link_(max_reply), buffer_(read_chunk) {}

Link::~Link() {
  if (fd_ >= 0) ::close(fd_);
}

std::expected<void, Error> Link::connect(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return std::unexpected(sys_error("socket"));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return std::unexpected(sys_error("connect"));
  // gdb sets TCP_NODELAY too; without it every small request waits for Nagle.
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return {};
}

std::expected<void, Error> Link::send_all(std::string_view bytes) {
  while (!bytes.empty()) {
    const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(sys_error("send"));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

std::expected<std::string, Error> Link::read_reply() {
  for (;;) {
    while (next_event_ < events_.size()) {
      auto& event = events_[next_event_++];
      switch (event.kind) {
        case rsp::ClientEvent::Kind::reply: return std::move(event.payload);
        case rsp::ClientEvent::Kind::overflow: return std::unexpected(Error("reply longer than the client's limit"));
        case rsp::ClientEvent::Kind::notification:      // no async notifications in all-stop
        case rsp::ClientEvent::Kind::resend_requested:  // ClientLink already queued the resend
        case rsp::ClientEvent::Kind::corrupt_reply:     // ClientLink already queued a '-'
          break;
      }
    }
    events_.clear();
    next_event_ = 0;
    const auto n = ::recv(fd_, buffer_.data(), buffer_.size(), 0);
    if (n == 0) return std::unexpected(Error("stub closed the connection"));
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(sys_error("recv"));
    }
    std::string to_send;
    link_.feed(std::string_view(buffer_.data(), static_cast<std::size_t>(n)), events_, to_send);
    if (!to_send.empty()) {
      if (auto sent = send_all(to_send); !sent) return std::unexpected(sent.error());
    }
  }
}

std::expected<std::string, Error> Link::exchange_frame(std::string_view frame) {
  if (auto sent = send_all(frame); !sent) return std::unexpected(sent.error());
  return read_reply();
}

std::expected<std::string, Error> Link::exchange(std::string_view payload) {
  return exchange_frame(link_.request(payload));
}

std::expected<StubInfo, Error> Link::negotiate() {
  StubInfo info;
  auto features = exchange(qsupported);
  if (!features) return std::unexpected(features.error());
  info.packet_size = feature_number(*features, "PacketSize");
  if (has_feature(*features, "QStartNoAckMode+")) {
    auto ok = exchange("QStartNoAckMode");
    if (!ok) return std::unexpected(ok.error());
    if (*ok == "OK") {
      link_.set_no_ack(true);
      info.no_ack = true;
    }
  }
  auto stop = exchange("?");
  if (!stop) return std::unexpected(stop.error());
  info.first_stop = *stop;
  auto current = exchange("qC");
  if (!current) return std::unexpected(current.error());
  if (!current->starts_with("QC")) return std::unexpected("qC answered '" + *current + "'");
  info.thread = current->substr(2);
  auto vcont = exchange("vCont?");
  if (!vcont) return std::unexpected(vcont.error());
  info.vcont_step = vcont->find(";s") != std::string::npos;
  return info;
}

}  // namespace remora::bench
