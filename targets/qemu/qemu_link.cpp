#include "targets/qemu/qemu_link.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <asio/post.hpp>
#include <cerrno>
#include <cstring>

#include "rsp/codec.hpp"
#include "targets/api/errors.hpp"

namespace remora::targets::qemu {
namespace {

using Clock = std::chrono::steady_clock;

// QEMU 7.2 user mode reads its socket 256 bytes at a time (gdb_handlesig) and handles each packet
// from that buffer, but after each reply it waits for the ack with a 1-byte read of the socket
// itself (put_packet_binary -> get_char). See QemuLink::send_units.
constexpr std::size_t qemu_read_chunk = 256;

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

// A non-blocking connect that gives up at the deadline; returns the socket or -1 with `why`.
int connect_with_deadline(const sockaddr* addr, socklen_t len, int family, Clock::time_point deadline,
                          std::string& why) {
  int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    why = std::strerror(errno);
    return -1;
  }
  if (::connect(fd, addr, len) != 0 && errno != EINPROGRESS) {
    why = std::strerror(errno);
    ::close(fd);
    return -1;
  }
  pollfd p{fd, POLLOUT, 0};
  int ready = ::poll(&p, 1, remaining_ms(deadline));
  int err = 0;
  socklen_t err_len = sizeof err;
  if (ready <= 0) {
    why = ready == 0 ? "timed out" : std::strerror(errno);
  } else if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0 || err != 0) {
    why = std::strerror(err != 0 ? err : errno);
  } else {
    return fd;
  }
  ::close(fd);
  return -1;
}

int open_endpoint(const Endpoint& where, Clock::time_point deadline, std::string& why) {
  if (!where.unix_path.empty()) {
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    if (where.unix_path.size() >= sizeof un.sun_path) {
      why = "socket path too long";
      return -1;
    }
    std::memcpy(un.sun_path, where.unix_path.c_str(), where.unix_path.size() + 1);
    return connect_with_deadline(reinterpret_cast<sockaddr*>(&un), sizeof un, AF_UNIX, deadline, why);
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string host = where.host == "localhost" || where.host.empty() ? "127.0.0.1" : where.host;
  if (int rc = ::getaddrinfo(host.c_str(), std::to_string(where.port).c_str(), &hints, &found); rc != 0) {
    why = ::gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next)
    fd = connect_with_deadline(a->ai_addr, a->ai_addrlen, a->ai_family, deadline, why);
  ::freeaddrinfo(found);
  return fd;
}

}  // namespace

std::string Endpoint::describe() const {
  if (!unix_path.empty()) return "unix:" + unix_path;
  return (host.empty() ? std::string("127.0.0.1") : host) + ":" + std::to_string(port);
}

QemuLink::QemuLink(asio::io_context& io, std::chrono::milliseconds timeout)
    : socket_(io), timeout_(timeout), client_(1 << 20) {}

QemuLink::~QemuLink() {
  std::error_code ignored;
  socket_.cancel(ignored);
  socket_.close(ignored);
}

std::expected<void, std::string> QemuLink::connect(const Endpoint& where) {
  std::string why;
  int fd = open_endpoint(where, Clock::now() + timeout_, why);
  if (fd < 0) return std::unexpected("cannot connect to QEMU at " + where.describe() + ": " + why);
  std::error_code ec;
  socket_.assign(fd, ec);
  if (ec) {
    ::close(fd);
    return std::unexpected("cannot use the QEMU socket: " + ec.message());
  }
  alive_ = true;
  unix_socket_ = !where.unix_path.empty();
  return {};
}

void QemuLink::fail(std::string why) {
  if (!alive_) return;
  alive_ = false;
  death_ = std::move(why);
  std::error_code ignored;
  socket_.cancel(ignored);
}

std::error_code QemuLink::write_all(std::string_view bytes) {
  if (!alive_) return errc::backend_io;
  const auto deadline = Clock::now() + timeout_;
  while (!bytes.empty()) {
    ssize_t n = ::send(socket_.native_handle(), bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      stats_.bytes_sent += static_cast<std::uint64_t>(n);
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      pollfd p{socket_.native_handle(), POLLOUT, 0};
      if (::poll(&p, 1, remaining_ms(deadline)) > 0) continue;
      fail("QEMU did not read a request within the timeout");
      return errc::timeout;
    }
    fail(std::string("writing to QEMU failed: ") + std::strerror(errno));
    return errc::backend_io;
  }
  return {};
}

bool QemuLink::pump(std::optional<Reply>& reply, bool defer_ack) {
  char buf[65536];
  if (!take_deferred_replies()) return false;
  // A reply already read (pipelined replies often come in one read) needs no system call.
  for (bool drained = !pending_.empty(); !drained;) {
    ssize_t n = ::recv(socket_.native_handle(), buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0) {
      fail("QEMU closed the connection");
      return false;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      fail(std::string("reading from QEMU failed: ") + std::strerror(errno));
      return false;
    }
    stats_.bytes_received += static_cast<std::uint64_t>(n);
    // Less than asked: the socket was empty a moment ago. Another recv would most likely only
    // say EAGAIN (a system call per reply on a machine where each costs ~8 us); the caller polls
    // and pumps again when it needs more.
    drained = static_cast<std::size_t>(n) < sizeof buf;
    std::vector<rsp::ClientEvent> events;
    std::string to_send;
    client_.feed(std::string_view(buf, static_cast<std::size_t>(n)), events, to_send);
    if (!send_acks(to_send, defer_ack)) return false;
    for (auto& e : events) {
      if (e.kind == rsp::ClientEvent::Kind::reply) pending_.push_back(std::move(e));
      if (e.kind == rsp::ClientEvent::Kind::overflow) {
        fail("QEMU sent a reply larger than 1 MiB");
        return false;
      }
    }
  }
  if (!take_deferred_replies()) return false;
  if (!pending_.empty() && !reply) {
    reply = std::move(pending_.front().payload);
    pending_.erase(pending_.begin());
  }
  return true;
}

bool QemuLink::send_acks(const std::string& to_send, bool defer_ack) {
  if (to_send.empty()) return true;
  const bool only_acks = to_send.find_first_not_of('+') == std::string::npos;
  if (!only_acks) {
    // A '-' or a request sent again: with pipelined requests in flight, which one QEMU meant
    // cannot be told, so the link is not trusted any more.
    if (preacked_ > 0) {
      fail("QEMU rejected a pipelined request");
      return false;
    }
    return !write_all(to_send);
  }
  // Replies come in order, so the first acks are those sent ahead with their requests.
  const std::size_t covered = std::min(to_send.size(), preacked_);
  preacked_ -= covered;
  const std::size_t acks = to_send.size() - covered;
  // While stopped, the ack of a reply rides with the next request: QEMU waits for it before
  // it reads that request anyway, so one write and one wake-up less per round trip.
  if (defer_ack && acks == 1) {
    deferred_ack_ = true;
    return true;
  }
  return acks == 0 || !write_all(std::string(acks, '+'));
}

void QemuLink::count(std::string_view payload) {
  stats_.requests++;
  if (payload.starts_with('m')) stats_.read_requests++;
  if (payload.starts_with('M')) stats_.write_requests++;
  if (payload.size() > stats_.largest_request) stats_.largest_request = payload.size();
}

// A unit: frames that all end in the unit's last 256-byte chunk, '+' up to that chunk's end (QEMU
// ignores bytes other than '$' between packets), then one '+' per frame: exactly the bytes of its
// 1-byte ack reads, so its next 256-byte read starts at the next unit. One send per unit, which
// a Unix socket delivers whole (a unit is at most a few KiB), so no read ends inside a unit's
// chunks. System mode parses a plain byte stream: the padding is ignored, each '+' acks a reply.
// The acks go out before the replies are seen: a corrupt reply then fails the link instead of
// being asked for again (it never happens on a local socket).
bool QemuLink::send_units(std::span<const std::string> payloads) {
  std::string unit = deferred_ack_ ? "+" : "";  // taken by the ack read QEMU is blocked in
  deferred_ack_ = false;
  std::size_t lead = unit.size();
  std::size_t frames = 0;
  auto flush = [&] {
    // Without acks (a QEMU that took QStartNoAckMode) nothing waits for one: frames only.
    if (!client_.no_ack()) {
      const std::size_t body = unit.size() - lead;
      unit.append((qemu_read_chunk - body % qemu_read_chunk) % qemu_read_chunk, '+');
      unit.append(frames, '+');
      preacked_ += frames;
    }
    const bool ok = !write_all(unit);
    unit.clear();
    lead = 0;
    frames = 0;
    return ok;
  };
  for (const auto& payload : payloads) {
    count(payload);
    std::string frame = client_.request(payload);
    const std::size_t body = unit.size() - lead;
    if (frames > 0 && (body - 1) / qemu_read_chunk != (body + frame.size() - 1) / qemu_read_chunk && !flush())
      return false;
    unit += frame;
    ++frames;
  }
  return frames == 0 || flush();
}

std::vector<QemuLink::Reply> QemuLink::request_batch(std::span<const std::string> payloads) {
  std::vector<Reply> out;
  out.reserve(payloads.size());
  std::error_code ec = errc::backend_io;
  stats_.round_trips++;
  if (alive_ && send_with_deferred(payloads)) {
    for (const auto& payload : payloads) {
      auto reply = await_reply(payload, nullptr);
      if (!reply) {
        ec = reply.error();
        break;
      }
      out.push_back(std::move(reply));
    }
  }
  while (out.size() < payloads.size()) out.push_back(std::unexpected(ec));
  return out;
}

std::error_code QemuLink::send_only(std::string_view payload) {
  if (!deferred_.empty()) {
    const std::string one(payload);
    return send_with_deferred(std::span(&one, 1)) ? std::error_code{} : std::error_code(errc::backend_io);
  }
  count(payload);
  std::string frame = client_.request(payload);
  if (deferred_ack_) frame.insert(frame.begin(), '+');
  deferred_ack_ = false;
  return write_all(frame);
}

std::error_code QemuLink::send_raw(std::string_view bytes) {
  std::string out = deferred_ack_ ? "+" : "";
  deferred_ack_ = false;
  return write_all(out + std::string(bytes));
}

QemuLink::Reply QemuLink::request(std::string_view payload, std::string* console) {
  if (!alive_) return std::unexpected(make_error_code(errc::backend_io));
  if (auto ec = send_only(payload)) return std::unexpected(ec);  // with any deferred requests
  stats_.round_trips++;
  return await_reply(payload, console);
}

QemuLink::Reply QemuLink::await_reply(std::string_view payload, std::string* console) {
  if (!alive_) return std::unexpected(make_error_code(errc::backend_io));
  const auto deadline = Clock::now() + timeout_;
  for (;;) {
    std::optional<Reply> reply;
    if (!pump(reply, true)) return std::unexpected(make_error_code(errc::backend_io));
    if (reply) {
      // `O` + hex is console output (qRcmd); "OK" is a reply.
      if (reply->has_value() && (*reply)->size() > 1 && (**reply)[0] == 'O' && **reply != "OK") {
        if (console) {
          if (auto text = rsp::hex_to_text(std::string_view(**reply).substr(1))) *console += *text;
        }
        continue;
      }
      return *reply;
    }
    pollfd p{socket_.native_handle(), POLLIN, 0};
    int ready = ::poll(&p, 1, remaining_ms(deadline));
    if (ready == 0) {
      fail("QEMU did not answer '" + std::string(payload.substr(0, 40)) + "' within " +
           std::to_string(timeout_.count()) + " ms");
      return std::unexpected(make_error_code(errc::timeout));
    }
    if (ready < 0 && errno != EINTR) {
      fail(std::string("poll failed: ") + std::strerror(errno));
      return std::unexpected(make_error_code(errc::backend_io));
    }
  }
}

void QemuLink::wait_async(std::function<void(Reply)> done) {
  async_done_ = std::move(done);
  if (!alive_ || !pending_.empty()) {
    // Already there (or already dead): still delivered from the loop, never from this call.
    asio::post(socket_.get_executor(), [this, token = std::weak_ptr<int>(token_)] {
      if (!token.expired()) on_readable({});
    });
    return;
  }
  arm();
}

// Handlers hold a weak token: one may still be queued when the link is destroyed.
void QemuLink::arm() {
  socket_.async_wait(asio::posix::stream_descriptor::wait_read,
                     [this, token = std::weak_ptr<int>(token_)](std::error_code ec) {
                       if (!token.expired()) on_readable(ec);
                     });
}

void QemuLink::cancel_wait() {
  async_done_ = nullptr;
  std::error_code ignored;
  if (alive_) socket_.cancel(ignored);
}

void QemuLink::on_readable(std::error_code ec) {
  if (!async_done_) return;  // cancelled
  if (ec == asio::error::operation_aborted && alive_) return;
  std::optional<Reply> reply;
  // A stop's ack rides with the request that follows it (remora reads `g` at once at a SIGTRAP),
  // as a reply's does while stopped; anything else (QEMU's final W/X waits for it before it
  // exits) is acked at once.
  if (alive_ && !ec) pump(reply, true);
  const bool stop = reply && reply->has_value() && !(*reply)->empty() && ((**reply)[0] == 'T' || (**reply)[0] == 'S');
  if (deferred_ack_ && !stop) (void)send_raw({});
  if (!reply && pending_.empty() && alive_ && !ec) {
    arm();
    return;
  }
  if (!reply) reply = std::unexpected(make_error_code(errc::backend_io));
  auto done = std::move(async_done_);
  async_done_ = nullptr;
  done(std::move(*reply));
}

}  // namespace remora::targets::qemu
