// One client: async reads feed the Session, its output is written back, target stops reach it
// while the target runs. Callback-style asio on the single-threaded io_context; the Session
// itself does no I/O.
#pragma once
#include <asio/steady_timer.hpp>
#include <array>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "rsp/session.hpp"
#include "stub/client.hpp"
#include "targets/api/target.hpp"

namespace remora::stub {

// Watches the debugged process on the stub's behalf (console lines, exit when it is gone).
// Kept abstract so the connection knows no backend; stub/process_watch.* is the ptrace one.
class ProcessObserver {
 public:
  virtual ~ProcessObserver() = default;
  // After every Session call: notice a process that appeared (vRun, vAttach) or went (D, k).
  virtual void after_session_call() = 0;
  // A stop the client is told about (exits among them).
  virtual void on_stop(const targets::StopEvent& event) = 0;
  // Nothing left to debug and no way to get a new process (not --multi): flush, close, exit.
  virtual bool work_done() const = 0;
  // The stub is exiting: say what happens to a process still there (before it happens).
  virtual void at_exit() = 0;
};

struct ConnectionConfig {
  rsp::SessionOptions session;
  std::optional<std::chrono::seconds> idle_timeout;
  ProcessObserver* process = nullptr;  // nullptr: no process to watch (the emulated target)
};

class Connection final : public Client,
                         public targets::StopListener,
                         public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::io_context& io, ClientStream stream, targets::Target& target, ConnectionConfig config,
             Console console, ClientDone done);

  void start() override;
  void shutdown() override;

  // The target's listener while connected: forwards to the Session, then sends what it
  // produced. (The Session is the real listener; this wrapper is the hook that drains it.)
  void on_stop(const targets::StopEvent& event) override;

 private:
  asio::posix::stream_descriptor& output() { return stream_.output ? *stream_.output : stream_.input; }
  void read_more();
  void on_read(std::error_code ec, std::size_t length);
  void feed();
  void after_session_call(std::string& out);
  void send(std::string bytes);
  std::size_t next_slice() const;
  std::string take_spare();
  void keep_spare(std::string&& bytes);
  void write_front();
  void on_written(std::error_code ec);
  void arm_idle_timer(std::chrono::steady_clock::duration delay);
  void on_idle_timer();
  void end(const std::string& why);

  ClientStream stream_;
  targets::Target& target_;
  ConnectionConfig config_;
  Console console_;
  ClientDone done_;
  std::unique_ptr<rsp::Session> session_;
  asio::steady_timer idle_timer_;
  std::chrono::steady_clock::time_point last_input_;

  std::array<char, 64 * 1024> read_buffer_{};
  std::string unfed_;               // bytes read but not yet given to the Session (backpressure)
  std::size_t unfed_offset_ = 0;
  bool reading_ = false;

  std::deque<std::string> write_queue_;  // one async_write at a time: the front is in flight
  std::string spare_;  // a written (or unused) output buffer, capacity kept for the next reply
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;

  bool closing_ = false;      // D, k or `monitor exit`: flush what is queued, then end
  bool exit_server_ = false;
  bool process_done_ = false;
  bool awaiting_hangup_ = false;  // non-stop: the process is gone, the client has not hung up yet
  bool ended_ = false;
};

// Makes the ClientFactory main() hands the Server: a fresh Session per client over one target.
ClientFactory make_connection_factory(asio::io_context& io, targets::Target& target, ConnectionConfig config,
                                      Console console);

}  // namespace remora::stub
