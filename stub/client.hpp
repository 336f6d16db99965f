// The seam between the acceptor (server.hpp) and what serves one client (connection.hpp), so
// the acceptor can be tested with a fake client and no Session.
#pragma once
#include <asio/posix/stream_descriptor.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace remora::stub {

// One client's byte stream. Sockets (TCP or Unix) and stdio all become POSIX descriptors so a
// single connection type serves every COMM form; only stdio has a separate output descriptor.
struct ClientStream {
  asio::posix::stream_descriptor input;
  std::optional<asio::posix::stream_descriptor> output;  // nullopt: write to `input`
  std::string peer;                                      // for messages: "127.0.0.1:5555", "stdio"
};

struct ClientEnd {
  bool exit_server = false;   // the client asked the whole stub to exit (`monitor exit`)
  bool process_done = false;  // the debugged process is gone and nothing else can start one
};

using ClientDone = std::function<void(ClientEnd)>;

class Client {
 public:
  virtual ~Client() = default;
  virtual void start() = 0;
  // End the client now (a signal, server shutdown): disconnect the session cleanly and close.
  // `done` is still called once.
  virtual void shutdown() = 0;
};

// Makes the client for a new stream. `done` must be called exactly once, from the event loop,
// when the client has ended (never from inside start()).
using ClientFactory = std::function<std::shared_ptr<Client>(ClientStream stream, ClientDone done)>;

// Where console lines go (stderr in the program, a vector in tests). One line, no newline.
using Console = std::function<void(const std::string& line)>;
Console stderr_console();

}  // namespace remora::stub
