// The acceptor: TCP (IPv4/IPv6), Unix socket or stdio, one client at a time. Prints gdbserver's
// console lines verbatim because IDEs and test scripts wait for them (see stub/README.md).
#pragma once
#include <asio/basic_socket_acceptor.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "stub/client.hpp"
#include "stub/options.hpp"

namespace remora::stub {

struct ServerConfig {
  Comm comm;
  bool once = false;
  // For `-`: where the client is. main() moves it off fds 0/1 when a launched program inherits
  // them (gdbserver gives the program /dev/null and stderr instead).
  int stdio_in = 0;
  int stdio_out = 1;
};

class Server {
 public:
  // `finished` is called once, when the server has nothing left to do (--once, `monitor exit`,
  // the stdio client gone, or stop()).
  Server(asio::io_context& io, ServerConfig config, ClientFactory factory, Console console,
         std::function<void()> finished);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens (printing "Listening on ..."), or starts the stdio client. The error is
  // the console line to print before exiting with status 1.
  std::expected<void, std::string> start();
  // start() in two steps, as gdbserver does: bind first (so a busy port fails before a program
  // is launched), then announce "Listening on port N" and accept (after "Process ... created").
  std::expected<void, std::string> bind();
  void begin();
  // Ends the client cleanly, closes the listener and removes the Unix socket file.
  void stop();

  std::uint16_t port() const { return port_; }  // the bound TCP port (0 before start)
  bool has_client() const { return client_ != nullptr; }

 private:
  std::expected<void, std::string> listen_tcp(const TcpComm& tcp);
  std::expected<void, std::string> listen_unix(const UnixComm& unix_comm);
  bool bound_ = false;
  std::expected<void, std::string> start_stdio();
  void announce_listening();
  void accept_next();
  void on_accept(std::error_code ec, asio::generic::stream_protocol::socket socket);
  void serve(asio::generic::stream_protocol::socket socket);
  void refuse(asio::generic::stream_protocol::socket& socket);
  void run_client(ClientStream stream);
  void on_client_done(ClientEnd end);
  void finish();

  asio::io_context& io_;
  ServerConfig config_;
  ClientFactory factory_;
  Console console_;
  std::function<void()> finished_;
  // One acceptor type for TCP and Unix sockets: the generic protocol takes either endpoint.
  std::optional<asio::basic_socket_acceptor<asio::generic::stream_protocol>> acceptor_;
  asio::steady_timer retry_timer_;
  // A connection that arrived while a client was connected. gdb's `disconnect` followed at once
  // by `target remote` connects before remora has read the first client's EOF (both events can
  // be ready in one poll), so the newcomer waits briefly for the current client to end before
  // it is refused, as it would in gdbserver's listen backlog.
  std::optional<asio::generic::stream_protocol::socket> waiting_;
  asio::steady_timer waiting_timer_;
  std::uint16_t port_ = 0;
  std::string unix_path_;  // the socket file we created, removed on stop()
  std::shared_ptr<Client> client_;
  std::string client_peer_;
  bool stopped_ = false;
  bool loopback_note_printed_ = false;
};

// "H:P" (IPv6 as [H]:P) for a connected socket, or "unix socket" for an AF_UNIX peer.
std::string describe_peer(const asio::generic::stream_protocol::endpoint& endpoint);

}  // namespace remora::stub
