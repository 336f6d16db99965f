// The link to QEMU's gdbstub: remora's RSP client framing (rsp::ClientLink) over a socket.
// While the guest is stopped every request is synchronous with a deadline (poll), so a QEMU that
// hangs costs one timeout, never a hang; while it runs, the stop reply is awaited on the
// io_context (async_wait for readability) and handed to a callback.
#pragma once
#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <vector>
#include <string>
#include <string_view>
#include <system_error>

#include "rsp/client.hpp"

namespace remora::targets::qemu {

// Round trips and bytes on QEMU's side of the link (tests and `monitor qemu-stats` read them).
struct LinkStats {
  std::uint64_t requests = 0;
  std::uint64_t read_requests = 0;   // m
  std::uint64_t write_requests = 0;  // M
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
  std::size_t largest_request = 0;   // payload bytes, to prove QEMU's limits were kept
};

// Where QEMU's gdbstub is: `tcp` host:port or a Unix socket path.
struct Endpoint {
  std::string host;  // empty for a Unix socket
  std::uint16_t port = 0;
  std::string unix_path;
  std::string describe() const;
};

class QemuLink {
 public:
  using Reply = std::expected<std::string, std::error_code>;

  QemuLink(asio::io_context& io, std::chrono::milliseconds timeout);
  ~QemuLink();
  QemuLink(const QemuLink&) = delete;
  QemuLink& operator=(const QemuLink&) = delete;

  // Connects within the timeout. The error text is for a person.
  std::expected<void, std::string> connect(const Endpoint& where);

  // Sends `payload` and waits for its reply; console `O` packets before it go to `console` (or
  // nowhere). After a timeout, EOF or I/O error the link is dead: this and every later request
  // fail at once.
  Reply request(std::string_view payload, std::string* console = nullptr);
  // Sends a request whose reply comes later (a resume): wait_async() receives it.
  std::error_code send_only(std::string_view payload);
  // Sends raw bytes (the 0x03 interrupt; empty: just the pending ack).
  std::error_code send_raw(std::string_view bytes);
  // Waits on the io_context for the next reply; `done` gets it, or the error that ended the link.
  void wait_async(std::function<void(Reply)> done);
  void cancel_wait();

  bool alive() const { return alive_; }
  const std::string& death() const { return death_; }  // why the link died, for messages
  void set_no_ack(bool on) { client_.set_no_ack(on); }
  void set_timeout(std::chrono::milliseconds t) { timeout_ = t; }
  LinkStats& stats() { return stats_; }
  const LinkStats& stats() const { return stats_; }

 private:
  std::error_code write_all(std::string_view bytes);
  // Reads what is available into the decoder; false on EOF/error (link dead).
  bool pump(std::optional<Reply>& reply, bool defer_ack);
  void fail(std::string why);
  void on_readable(std::error_code ec);
  void arm();

  asio::posix::stream_descriptor socket_;
  std::chrono::milliseconds timeout_;
  rsp::ClientLink client_;
  std::vector<rsp::ClientEvent> pending_;  // replies decoded but not yet taken
  bool alive_ = false;
  std::string death_;
  bool deferred_ack_ = false;  // the '+' for the last reply, not yet sent
  std::function<void(Reply)> async_done_;
  LinkStats stats_;
  std::shared_ptr<int> token_ = std::make_shared<int>(0);
};

}  // namespace remora::targets::qemu
