#include "stub/server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <asio/ip/address.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/local/stream_protocol.hpp>
#include <chrono>
#include <cstdio>

namespace remora::stub {
namespace {

struct PeerName {
  std::string host;
  std::uint16_t port = 0;
  bool is_unix = false;
};

PeerName peer_name(const asio::generic::stream_protocol::endpoint& endpoint) {
  PeerName name;
  const sockaddr* sa = endpoint.data();
  char text[INET6_ADDRSTRLEN] = {};
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    name.host = text;
    name.port = ntohs(in->sin_port);
  } else if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    name.host = text;
    name.port = ntohs(in6->sin6_port);
  } else if (sa->sa_family == AF_UNIX) {
    name.is_unix = true;
  } else {
    name.host = "unknown";  // getpeername failed: the client is already gone
  }
  return name;
}

// Adopts a connected socket's descriptor; the error is a message.
std::expected<asio::posix::stream_descriptor, std::string> adopt(asio::io_context& io, int fd) {
  asio::posix::stream_descriptor d(io);
  std::error_code ec;
  d.assign(fd, ec);
  if (ec) {
    ::close(fd);
    return std::unexpected(ec.message());
  }
  return d;
}

bool is_socket_file(const std::string& path, bool& exists) {
  struct stat st {};
  exists = ::lstat(path.c_str(), &st) == 0;
  return exists && S_ISSOCK(st.st_mode);
}

// A socket file is stale when nobody accepts on it; a live one belongs to another server.
bool socket_is_live(asio::io_context& io, const std::string& path) {
  asio::local::stream_protocol::socket probe(io);
  std::error_code ec;
  probe.connect(asio::local::stream_protocol::endpoint(path), ec);
  return !ec;
}

}  // namespace

Console stderr_console() {
  return [](const std::string& line) {
    std::string text = line + "\n";
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
  };
}

std::string describe_peer(const asio::generic::stream_protocol::endpoint& endpoint) {
  PeerName name = peer_name(endpoint);
  if (name.is_unix) return "unix socket";
  bool v6 = name.host.find(':') != std::string::npos;
  return (v6 ? "[" + name.host + "]" : name.host) + ":" + std::to_string(name.port);
}

Server::Server(asio::io_context& io, ServerConfig config, ClientFactory factory, Console console,
               std::function<void()> finished)
    : io_(io),
      config_(std::move(config)),
      factory_(std::move(factory)),
      console_(std::move(console)),
      finished_(std::move(finished)),
      retry_timer_(io),
      waiting_timer_(io) {}

Server::~Server() {
  if (acceptor_) {
    std::error_code ignored;
    acceptor_->close(ignored);
  }
  if (!unix_path_.empty()) ::unlink(unix_path_.c_str());
}

std::expected<void, std::string> Server::start() {
  if (auto bound = bind(); !bound) return bound;
  if (std::holds_alternative<StdioComm>(config_.comm)) return start_stdio();
  begin();
  return {};
}

std::expected<void, std::string> Server::bind() {
  if (bound_) return {};
  bound_ = true;
  if (const auto* tcp = std::get_if<TcpComm>(&config_.comm)) return listen_tcp(*tcp);
  if (const auto* unix_comm = std::get_if<UnixComm>(&config_.comm)) return listen_unix(*unix_comm);
  return {};
}

void Server::begin() {
  if (std::holds_alternative<StdioComm>(config_.comm)) {
    if (auto started = start_stdio(); !started) {
      console_(started.error());
      finish();
    }
    return;
  }
  announce_listening();
  accept_next();
}

std::expected<void, std::string> Server::listen_tcp(const TcpComm& tcp) {
  std::error_code ec;
  asio::ip::address address = asio::ip::make_address(tcp.host, ec);
  if (ec) return std::unexpected("remora: bad address '" + tcp.host + "'");
  asio::generic::stream_protocol::endpoint endpoint(asio::ip::tcp::endpoint(address, tcp.port));
  acceptor_.emplace(io_);
  acceptor_->open(endpoint.protocol(), ec);
  // gdbserver sets SO_REUSEADDR too: a restarted stub must not wait out TIME_WAIT.
  if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return std::unexpected("Can't bind address: " + ec.message() + ".");
  auto local = acceptor_->local_endpoint(ec);
  port_ = ec ? tcp.port : peer_name(local).port;
  return {};
}

std::expected<void, std::string> Server::listen_unix(const UnixComm& unix_comm) {
  const std::string& path = unix_comm.path;
  if (path.size() >= sizeof(sockaddr_un{}.sun_path))
    return std::unexpected("Can't bind address: File name too long.");
  bool exists = false;
  if (is_socket_file(path, exists)) {
    if (socket_is_live(io_, path)) return std::unexpected("Can't bind address: Address already in use.");
    ::unlink(path.c_str());  // stale: left by a stub that died
  } else if (exists) {
    return std::unexpected("remora: " + path + " exists and is not a socket; not replacing it");
  }
  std::error_code ec;
  asio::generic::stream_protocol::endpoint endpoint(asio::local::stream_protocol::endpoint{path});
  acceptor_.emplace(io_);
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) {
    // Created 0600 from the start (umask, not chmod afterwards): a debug stub gives whoever
    // connects the run of the debuggee, so no other user may connect even for a moment.
    mode_t old_mask = ::umask(0177);
    acceptor_->bind(endpoint, ec);
    ::umask(old_mask);
  }
  if (!ec) unix_path_ = path;
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return std::unexpected("Can't bind address: " + ec.message() + ".");
  return {};
}

std::expected<void, std::string> Server::start_stdio() {
  // dup()s, so closing the connection never leaves fd 0/1 free for an unrelated open().
  auto in = adopt(io_, ::fcntl(config_.stdio_in, F_DUPFD_CLOEXEC, 3));
  if (!in) return std::unexpected("remora: cannot use stdin: " + in.error());
  auto out = adopt(io_, ::fcntl(config_.stdio_out, F_DUPFD_CLOEXEC, 3));
  if (!out) return std::unexpected("remora: cannot use stdout: " + out.error());
  console_("Remote debugging using stdio");
  run_client(ClientStream{std::move(*in), std::move(*out), "stdio"});
  return {};
}

void Server::announce_listening() {
  if (const auto* tcp = std::get_if<TcpComm>(&config_.comm)) {
    console_("Listening on port " + std::to_string(port_));
    if (tcp->defaulted_to_loopback && !loopback_note_printed_) {
      loopback_note_printed_ = true;
      console_("remora: listening on 127.0.0.1 only; use 0.0.0.0:PORT to accept other hosts");
    }
  } else {
    console_("Listening on unix socket " + unix_path_);
  }
}

void Server::accept_next() {
  if (stopped_ || !acceptor_) return;
  acceptor_->async_accept([this](std::error_code ec, asio::generic::stream_protocol::socket socket) {
    on_accept(ec, std::move(socket));
  });
}

void Server::on_accept(std::error_code ec, asio::generic::stream_protocol::socket socket) {
  if (stopped_ || ec == asio::error::operation_aborted) return;
  if (ec) {
    // EMFILE and friends: say so, and try again shortly rather than spin.
    console_("remora: accept failed: " + ec.message());
    retry_timer_.expires_after(std::chrono::milliseconds(200));
    retry_timer_.async_wait([this](std::error_code wait_ec) {
      if (!wait_ec) accept_next();
    });
    return;
  }
  if (client_) {
    if (waiting_) {
      refuse(socket);
    } else {
      waiting_.emplace(std::move(socket));
      waiting_timer_.expires_after(std::chrono::milliseconds(500));
      waiting_timer_.async_wait([this](std::error_code wait_ec) {
        if (wait_ec || stopped_ || !waiting_) return;
        refuse(*waiting_);
        waiting_.reset();
      });
    }
    accept_next();
    return;
  }
  serve(std::move(socket));
  accept_next();
}

void Server::refuse(asio::generic::stream_protocol::socket& socket) {
  std::error_code peer_ec;
  auto remote = socket.remote_endpoint(peer_ec);
  PeerName peer = peer_name(remote);
  std::string peer_text = peer.is_unix ? "unix socket " + unix_path_ : describe_peer(remote);
  console_("remora: refused a second client from " + peer_text + " (one client at a time)");
  socket.close(peer_ec);
}

void Server::serve(asio::generic::stream_protocol::socket socket) {
  std::error_code peer_ec;
  auto remote = socket.remote_endpoint(peer_ec);
  PeerName peer = peer_name(remote);
  std::string peer_text = peer.is_unix ? "unix socket " + unix_path_ : describe_peer(remote);
  if (peer.is_unix) {
    console_("Remote debugging from unix socket " + unix_path_);
  } else {
    console_("Remote debugging from host " + peer.host + ", port " + std::to_string(peer.port));
    // RSP is small request/reply packets: Nagle plus delayed ACK would add 40 ms to each.
    socket.set_option(asio::ip::tcp::no_delay(true), peer_ec);
  }
  std::error_code release_ec;
  int fd = socket.release(release_ec);
  std::expected<asio::posix::stream_descriptor, std::string> stream = std::unexpected(release_ec.message());
  if (!release_ec) stream = adopt(io_, fd);
  if (!stream) {
    console_("remora: cannot serve " + peer_text + ": " + stream.error());
  } else {
    run_client(ClientStream{std::move(*stream), std::nullopt, peer_text});
  }
}

void Server::run_client(ClientStream stream) {
  client_peer_ = stream.peer;
  client_ = factory_(std::move(stream), [this](ClientEnd end) { on_client_done(end); });
  if (client_) client_->start();
}

void Server::on_client_done(ClientEnd end) {
  client_.reset();
  if (stopped_) return;
  bool stdio = std::holds_alternative<StdioComm>(config_.comm);
  if (end.exit_server) console_("remora: exiting at the client's request");
  if (stdio || config_.once || end.exit_server || end.process_done) {
    finish();
    return;
  }
  // gdbserver's words, verbatim (two spaces included): scripts wait for them.
  console_("Remote side has terminated connection.  GDBserver will reopen the connection.");
  announce_listening();
  if (waiting_) {
    waiting_timer_.cancel();
    auto next = std::move(*waiting_);
    waiting_.reset();
    serve(std::move(next));
  }
}

void Server::stop() { finish(); }

void Server::finish() {
  if (stopped_) return;
  stopped_ = true;
  std::error_code ignored;
  retry_timer_.cancel();
  waiting_timer_.cancel();
  if (waiting_) {
    waiting_->close(ignored);
    waiting_.reset();
  }
  if (acceptor_) acceptor_->close(ignored);
  if (client_) client_->shutdown();
  if (!unix_path_.empty()) {
    ::unlink(unix_path_.c_str());
    unix_path_.clear();
  }
  if (finished_) finished_();
}

}  // namespace remora::stub
