// The acceptor with a fake client: no Session, no target. Real sockets on loopback.
#include "stub/server.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asio/ip/tcp.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <fstream>

using namespace remora::stub;

namespace {

struct FakeClient final : Client {
  ClientStream stream;
  ClientDone done;
  bool started = false;
  bool shut_down = false;
  FakeClient(ClientStream s, ClientDone d) : stream(std::move(s)), done(std::move(d)) {}
  void start() override { started = true; }
  void shutdown() override {
    shut_down = true;
    finish(false);
  }
  void finish(bool exit_server, bool process_done = false) {
    std::error_code ignored;
    stream.input.close(ignored);
    if (done) std::exchange(done, nullptr)(ClientEnd{exit_server, process_done});
  }
};

struct Fixture {
  asio::io_context io;
  std::vector<std::string> lines;
  std::vector<std::shared_ptr<FakeClient>> clients;
  bool finished = false;

  std::unique_ptr<Server> make(Comm comm, bool once = false) {
    return std::make_unique<Server>(
        io, ServerConfig{std::move(comm), once},
        [this](ClientStream s, ClientDone d) {
          clients.push_back(std::make_shared<FakeClient>(std::move(s), std::move(d)));
          return clients.back();
        },
        [this](const std::string& line) { lines.push_back(line); }, [this] { finished = true; });
  }

  bool saw(const std::string& text) const {
    for (const auto& l : lines)
      if (l.find(text) != std::string::npos) return true;
    return false;
  }

  template <typename Pred>
  bool run_until(Pred pred) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!pred() && std::chrono::steady_clock::now() < deadline) {
      io.restart();
      io.run_for(std::chrono::milliseconds(10));
    }
    return pred();
  }

  asio::ip::tcp::socket connect(std::uint16_t port) {
    asio::ip::tcp::socket s(io);
    std::error_code ec;
    s.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
    REQUIRE_FALSE(ec);
    return s;
  }

  // Connects one more client and waits until the server has handed it over; the socket is kept
  // here so it stays open for the rest of the test case.
  void connect_client(Server& server) {
    std::size_t before = clients.size();
    sockets.push_back(connect(server.port()));
    REQUIRE(run_until([&] { return clients.size() == before + 1; }));
  }

  // The common start of a test case: a loopback server on a free port serving one client.
  std::unique_ptr<Server> serve_one_client(bool once = false);

  std::vector<asio::ip::tcp::socket> sockets;  // after `io`: closed before it goes
};

TcpComm loopback_any_port() {
  TcpComm tcp;
  tcp.port = 0;
  tcp.defaulted_to_loopback = true;
  return tcp;
}

std::unique_ptr<Server> Fixture::serve_one_client(bool once) {
  auto server = make(loopback_any_port(), once);
  REQUIRE(server->start());
  connect_client(*server);
  return server;
}

}  // namespace

TEST_CASE("port 0 binds a free port and prints it verbatim") {
  Fixture f;
  auto server = f.make(loopback_any_port());
  REQUIRE(server->start());
  REQUIRE(server->port() != 0);
  REQUIRE(f.lines.size() == 2);
  CHECK(f.lines[0] == "Listening on port " + std::to_string(server->port()));
  CHECK(f.lines[1] == "remora: listening on 127.0.0.1 only; use 0.0.0.0:PORT to accept other hosts");
}

TEST_CASE("one client at a time; the second is closed without a byte") {
  Fixture f;
  auto server = f.make(loopback_any_port());
  REQUIRE(server->start());
  auto first = f.connect(server->port());
  REQUIRE(f.run_until([&] { return f.clients.size() == 1; }));
  CHECK(f.clients[0]->started);
  auto local = first.local_endpoint();
  CHECK(f.saw("Remote debugging from host 127.0.0.1, port " + std::to_string(local.port())));

  auto second = f.connect(server->port());
  REQUIRE(f.run_until([&] { return f.saw("refused a second client"); }));
  CHECK(f.saw("remora: refused a second client from 127.0.0.1:" + std::to_string(second.local_endpoint().port()) +
              " (one client at a time)"));
  char byte = 0;
  std::error_code ec;
  std::size_t n = second.read_some(asio::buffer(&byte, 1), ec);
  CHECK(n == 0);
  CHECK(ec == asio::error::eof);
  CHECK(f.clients.size() == 1);

  // The first client's stream really is the accepted socket.
  asio::write(first, asio::buffer(std::string("$?#3f")), ec);
  REQUIRE_FALSE(ec);
  char got[5] = {};
  asio::read(f.clients[0]->stream.input, asio::buffer(got), ec);
  CHECK(std::string(got, 5) == "$?#3f");
}

TEST_CASE("a client leaving says so in gdbserver's words; a finished process ends the server") {
  SUBCASE("keep listening") {
    Fixture f;
    auto server = f.serve_one_client();
    f.lines.clear();
    f.clients[0]->finish(false);
    REQUIRE(f.run_until([&] { return !server->has_client(); }));
    REQUIRE(f.lines.size() >= 2);
    CHECK(f.lines[0] == "Remote side has terminated connection.  GDBserver will reopen the connection.");
    CHECK(f.lines[1] == "Listening on port " + std::to_string(server->port()));
    CHECK_FALSE(f.finished);
  }
  SUBCASE("the process is gone (not --multi): exit without the reopen line") {
    Fixture f;
    auto server = f.serve_one_client();
    f.lines.clear();
    f.clients[0]->finish(false, true);
    REQUIRE(f.run_until([&] { return f.finished; }));
    CHECK_FALSE(f.saw("reopen"));
  }
}

TEST_CASE("bind() then begin(): nothing is announced before begin()") {
  Fixture f;
  auto server = f.make(loopback_any_port());
  REQUIRE(server->bind());
  CHECK(server->port() != 0);
  CHECK(f.lines.empty());
  server->begin();
  REQUIRE_FALSE(f.lines.empty());
  CHECK(f.lines[0] == "Listening on port " + std::to_string(server->port()));
  f.connect_client(*server);
}

TEST_CASE("after a client leaves, the next one is served; --once exits instead") {
  SUBCASE("keep listening") {
    Fixture f;
    auto server = f.serve_one_client();
    f.clients[0]->finish(false);
    REQUIRE(f.run_until([&] { return !server->has_client(); }));
    CHECK_FALSE(f.finished);
    f.connect_client(*server);
    REQUIRE(f.clients.size() == 2);
    CHECK(f.clients[1]->started);
  }
  SUBCASE("--once") {
    Fixture f;
    auto server = f.serve_one_client(true);
    f.clients[0]->finish(false);
    CHECK(f.run_until([&] { return f.finished; }));
  }
  SUBCASE("the client asks the server to exit") {
    Fixture f;
    auto server = f.serve_one_client();
    f.clients[0]->finish(true);
    CHECK(f.run_until([&] { return f.finished; }));
  }
}

TEST_CASE("stop() shuts the client down and finishes") {
  Fixture f;
  auto server = f.serve_one_client();
  server->stop();
  CHECK(f.clients[0]->shut_down);
  CHECK(f.finished);
}

TEST_CASE("a port in use is gdbserver's bind error") {
  Fixture f;
  auto first = f.make(loopback_any_port());
  REQUIRE(first->start());
  TcpComm same;
  same.port = first->port();
  auto second = f.make(same);
  auto r = second->start();
  REQUIRE_FALSE(r);
  CHECK(r.error() == "Can't bind address: Address already in use.");
}

TEST_CASE("unix socket: 0600, stale socket replaced, other files refused, removed on stop") {
  std::string path = "/tmp/remora-test-" + std::to_string(::getpid()) + ".sock";
  ::unlink(path.c_str());
  {
    // A stale socket file: bound, then its owner went away without removing it.
    asio::io_context io;
    asio::local::stream_protocol::acceptor stale(io, asio::local::stream_protocol::endpoint(path));
  }
  Fixture f;
  auto server = f.make(UnixComm{path});
  REQUIRE(server->start());
  CHECK(f.saw("Listening on unix socket " + path));
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  // A live socket is not stolen by a second server.
  Fixture g;
  auto rival = g.make(UnixComm{path});
  auto r = rival->start();
  REQUIRE_FALSE(r);
  CHECK(r.error() == "Can't bind address: Address already in use.");

  asio::local::stream_protocol::socket client(f.io);
  std::error_code ec;
  client.connect(asio::local::stream_protocol::endpoint(path), ec);
  REQUIRE_FALSE(ec);
  REQUIRE(f.run_until([&] { return f.clients.size() == 1; }));
  CHECK(f.saw("Remote debugging from unix socket " + path));
  server->stop();
  CHECK(::access(path.c_str(), F_OK) != 0);

  std::ofstream(path) << "not a socket";
  Fixture h;
  auto refused = h.make(UnixComm{path});
  auto e = refused->start();
  REQUIRE_FALSE(e);
  CHECK(e.error().find("not a socket") != std::string::npos);
  CHECK(::access(path.c_str(), F_OK) == 0);
  ::unlink(path.c_str());
}

TEST_CASE("IPv6 loopback") {
  Fixture f;
  TcpComm tcp;
  tcp.host = "::1";
  auto server = f.make(tcp);
  auto r = server->start();
  if (!r) {
    MESSAGE("no IPv6 here: " << r.error());
    return;
  }
  asio::ip::tcp::socket s(f.io);
  std::error_code ec;
  s.connect({asio::ip::make_address("::1"), server->port()}, ec);
  REQUIRE_FALSE(ec);
  REQUIRE(f.run_until([&] { return f.clients.size() == 1; }));
  CHECK(f.saw("Remote debugging from host ::1, port "));
}
