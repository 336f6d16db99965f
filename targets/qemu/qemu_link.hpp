// The link to QEMU's gdbstub: remora's RSP client framing (rsp::ClientLink) over a socket.
// While the guest is stopped every request is synchronous with a deadline (poll), so a QEMU that
// hangs costs one timeout, never a hang; while it runs, the stop reply is awaited on the
// io_context (async_wait for readability) and handed to a callback.
#pragma once
#include <sys/types.h>

#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <span>
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
  std::uint64_t round_trips = 0;     // waits for QEMU while stopped: a pipelined window counts once
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
  // Pipelined requests (QEMU reads its socket sequentially): all are sent before any reply is
  // read, framed so QEMU 7.2 user mode takes each pre-sent ack as the ack it waits for after a
  // reply (see send_units). Replies come back in order; after a link failure the rest carry it.
  // Only for requests with exactly one reply and no side effect on how QEMU parses what follows
  // (m, M, g). Unix sockets only in user mode (pipelining_safe()).
  std::vector<Reply> request_batch(std::span<const std::string> payloads);
  // Whether request_batch may be used: in user mode the framing relies on each unit reaching QEMU
  // in one read, which a Unix socket guarantees and a TCP stream does not.
  bool pipelining_safe(bool system_mode) const { return system_mode || unix_socket_; }
  // Sends a request whose reply comes later (a resume): wait_async() receives it.
  std::error_code send_only(std::string_view payload);
  // A request whose only possible reply is "OK" (QEMU 7.2's TCG breakpoints, which it cannot
  // refuse) goes out with the next request, in the same unit: a `z0`/`Z0` between two steps then
  // costs no wait of its own. Only where request_batch may be used. A reply other than "OK" is a
  // broken promise: the link fails (the client was told OK already), never silently.
  void defer(std::string payload) { deferred_.push_back(std::move(payload)); }
  bool has_deferred() const { return !deferred_.empty(); }
  // Sends the deferred requests now and takes their replies (before a client leaves).
  std::error_code flush_deferred();
  // Sends raw bytes (the 0x03 interrupt; empty: just the pending ack).
  std::error_code send_raw(std::string_view bytes);
  // Waits on the io_context for the next reply; `done` gets it, or the error that ended the link.
  void wait_async(std::function<void(Reply)> done);
  void cancel_wait();

  // The process at the other end of a Unix socket (SO_PEERCRED); 0 over TCP or when unknown.
  pid_t peer_pid() const;
  bool alive() const { return alive_; }
  const std::string& death() const { return death_; }  // why the link died, for messages
  void set_no_ack(bool on) { client_.set_no_ack(on); }
  void set_timeout(std::chrono::milliseconds t) { timeout_ = t; }
  LinkStats& stats() { return stats_; }
  const LinkStats& stats() const { return stats_; }

 private:
  std::error_code write_all(std::string_view bytes);
  void count(std::string_view payload);
  // Waits for the next reply to `payload` (console `O` packets go to `console`).
  Reply await_reply(std::string_view payload, std::string* console);
  // Frames `payloads` as units and writes each with one send; false when the link died.
  bool send_units(std::span<const std::string> payloads);
  // The deferred requests and then `payloads`, in units; false when the link died.
  bool send_with_deferred(std::span<const std::string> payloads);
  // Takes the deferred requests' replies from pending_; false (link failed) if one is not OK.
  bool take_deferred_replies();
  // Reads what is available into the decoder; false on EOF/error (link dead).
  bool pump(std::optional<Reply>& reply, bool defer_ack);
  // Sends the acks `to_send` asks for, minus those already sent with a pipelined unit.
  bool send_acks(const std::string& to_send, bool defer_ack);
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
  std::size_t preacked_ = 0;   // replies still to come whose '+' went out with their request
  bool unix_socket_ = false;
  std::vector<std::string> deferred_;  // requests whose reply must be OK, not yet sent
  std::size_t deferred_in_flight_ = 0;  // sent, reply not yet taken
  std::function<void(Reply)> async_done_;
  LinkStats stats_;
  std::shared_ptr<int> token_ = std::make_shared<int>(0);
};

}  // namespace remora::targets::qemu
