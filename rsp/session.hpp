// The I/O-free protocol state machine: client bytes and target stops in, bytes for the client
// out. A blocking loop, an asio loop, a unit test or a fuzzer drives it the same way.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "targets/api/target.hpp"

namespace remora::rsp {

// What the stub does with the process when the client goes away without D or k.
enum class DisconnectAction { detach, kill, keep };

// Receives every packet that crosses the link and notes the stub wants a person to see
// (--trace). Pure: the stub decides where the text goes.
class PacketObserver {
 public:
  enum class Direction { from_client, to_client };
  virtual ~PacketObserver() = default;
  virtual void on_packet(Direction direction, std::string_view payload) = 0;
  virtual void on_note(std::string_view text) = 0;
  // `monitor trace on|off`: false when this observer cannot be switched (it is not a trace).
  virtual bool set_tracing(bool on) {
    (void)on;
    return false;
  }
};

struct SessionOptions {
  // The PacketSize remora advertises (bytes of payload in one frame).
  std::size_t packet_size = 0x40000;
  bool extended_mode = false;   // --multi: `!`, vRun, vAttach
  bool offer_memory_map = false;  // --memory-map
  DisconnectAction on_disconnect = DisconnectAction::keep;
  PacketObserver* observer = nullptr;
  // The memory cache, when one is layered over the target's memory (flushed before every run).
  targets::WriteBackMemory* memory_cache = nullptr;
};

// Calls the Session made to the target (rsp/target_meter.hpp), for `monitor stats`: over QEMU
// or a slow process these round trips, not the client link, are often what makes gdb slow.
struct TargetCallStats {
  std::uint64_t memory_reads = 0, memory_writes = 0;
  std::uint64_t bytes_read = 0, bytes_written = 0;
  std::uint64_t register_reads = 0, register_writes = 0;
  std::uint64_t resumes = 0;
  std::uint64_t other_calls = 0;  // threads, stop state, interrupt, detach, kill
  std::chrono::nanoseconds time{0};  // spent inside those calls
};

struct SessionStats {
  std::uint64_t packets_in = 0;
  std::uint64_t packets_out = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t bad_checksums = 0;   // counted also in no-ack mode, where they are processed
  std::uint64_t nacks = 0;
  std::uint64_t overflows = 0;
  std::uint64_t malformed = 0;
  // monitor stats: packets by kind, and where the session's time went.
  std::vector<std::uint64_t> packets_by_route;  // indexed like packet_routes()
  std::uint64_t unknown_packets = 0;
  TargetCallStats target;
  std::chrono::nanoseconds handling{0};       // inside the Session (target calls included)
  std::chrono::nanoseconds target_running{0};  // from a resume to its stop
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

// Which routes and decoder failures a session reached (the fuzz corpus replay asserts on it).
struct DispatchCoverage {
  std::vector<std::uint64_t> route_hits;            // indexed like packet_routes()
  std::vector<std::vector<std::uint64_t>> decode_failures;  // [route][DecodeError]
  std::uint64_t unknown_packets = 0;
};

class SessionImpl;

class Session final : public targets::StopListener {
 public:
  Session(targets::Target& target, SessionOptions options);
  ~Session() override;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Bytes from the client; appends everything to send back to `out`.
  void on_client_bytes(std::string_view bytes, std::string& out);
  // A stop from the target; appends the stop reply (if the client awaits one) to `out`.
  void on_target_stop(const targets::StopEvent& event, std::string& out);
  // The client is gone: flush, then detach, kill or keep the target as the options say.
  void on_disconnect();

  // StopListener: queues the stop reply; take it with take_output().
  void on_stop(const targets::StopEvent& event) override;
  // Output produced outside on_client_bytes (stops delivered through the listener).
  std::string take_output();

  bool wants_close() const;  // after D / k: the connection should be closed
  bool wants_exit() const;   // after `monitor exit`: the whole server should exit
  bool target_running() const;
  bool in_frame() const;     // the client has sent half a frame
  // Non-stop: stop replies the client has not acknowledged with vStopped yet (an exit among
  // them: the stub must not close the link before the client has read it).
  bool stops_unacknowledged() const;
  bool non_stop() const;  // the client switched non-stop mode on (QNonStop:1)
  const SessionStats& stats() const;
  const DispatchCoverage& coverage() const;

 private:
  std::unique_ptr<SessionImpl> impl_;
};

}  // namespace remora::rsp
