// A Session over the real emulated target, driven by exact client bytes, with the event loop
// replaced by a queue the test drains. Header-only: tests/CMakeLists.txt builds each test
// executable from its own directory's sources only, so a transcript.cpp would not be linked.
#pragma once
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rsp/codec.hpp"
#include "rsp/framing.hpp"
#include "rsp/session.hpp"
#include "targets/emulated/emulated_target.hpp"

namespace remora::test {

// `$payload#cs` exactly as a client sends it (clients do not run-length encode).
inline std::string frame(std::string_view payload) { return rsp::make_frame(payload, /*rle=*/false); }

// What remora answers to one packet in ack mode: the ack, then the (run-length encoded) reply.
inline std::string acked(std::string_view payload) { return "+" + rsp::make_frame(payload, /*rle=*/true); }
// The same in no-ack mode.
inline std::string unacked(std::string_view payload) { return rsp::make_frame(payload, /*rle=*/true); }

// The payload of one reply frame `[+]$...#cs`, run-length encoding expanded; "<bad frame>" when
// `wire` is not exactly one well-formed frame with a matching checksum.
inline std::string payload_of(std::string_view wire) {
  if (wire.starts_with('+')) wire.remove_prefix(1);
  if (wire.size() < 4 || wire.front() != '$' || wire[wire.size() - 3] != '#') return "<bad frame>";
  const std::string_view body = wire.substr(1, wire.size() - 4);
  if (rsp::make_frame(body) != wire) return "<bad frame>";
  std::string out;
  if (!rsp::expand_rle(body, out)) return "<bad frame>";
  return out;
}

// Bytes as a string (binary packets and hex helpers).
inline std::string text_of(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Little-endian hex of a 64-bit value, as `p` / `g` / expedited registers show it.
inline std::string le_hex64(std::uint64_t value) {
  std::string out;
  for (int i = 0; i < 8; ++i) rsp::append_hex_byte(out, static_cast<std::uint8_t>(value >> (8 * i)));
  return out;
}

class Transcript {
 public:
  explicit Transcript(rsp::SessionOptions options = {}, const targets::emulated::EmulatedOptions& emulated = {}) {
    auto made = targets::emulated::make_emulated_target(
        emulated, [this](std::function<void()> work) { loop_.push_back(std::move(work)); });
    if (!made) {
      error_ = made.error();
      return;
    }
    target_ = std::move(*made);
    session_ = std::make_unique<rsp::Session>(*target_, options);
    target_->set_stop_listener(session_.get());
  }
  ~Transcript() {
    if (target_) target_->set_stop_listener(nullptr);
  }
  Transcript(const Transcript&) = delete;
  Transcript& operator=(const Transcript&) = delete;

  bool ok() const { return session_ != nullptr; }
  const std::string& error() const { return error_; }
  rsp::Session& session() { return *session_; }
  targets::Target& target() { return *target_; }
  std::size_t queued() const { return loop_.size(); }

  // Client bytes in; everything the server sends back out, with posted stops delivered after
  // the bytes were taken (as an event loop would run them).
  std::string feed(std::string_view bytes) {
    std::string out;
    session_->on_client_bytes(bytes, out);
    drain();
    out += session_->take_output();
    return out;
  }

  // Like feed(), but leaves posted work queued (a stop that has not been delivered yet).
  std::string feed_no_drain(std::string_view bytes) {
    std::string out;
    session_->on_client_bytes(bytes, out);
    return out;
  }

  // Runs the posted work; returns what the session sent as a result (stop replies).
  std::string run_loop() {
    drain();
    return session_->take_output();
  }

  // Feeds `bytes` cut at `cuts` (ascending offsets), running the loop after every piece.
  std::string feed_split(std::string_view bytes, const std::vector<std::size_t>& cuts, bool drain_each = true) {
    std::string out;
    std::size_t from = 0;
    auto piece = [&](std::size_t to) {
      session_->on_client_bytes(bytes.substr(from, to - from), out);
      if (drain_each) {
        drain();
        out += session_->take_output();
      }
      from = to;
    };
    for (std::size_t cut : cuts)
      if (cut > from && cut < bytes.size()) piece(cut);
    piece(bytes.size());
    drain();
    out += session_->take_output();
    return out;
  }

 private:
  void drain() {
    while (!loop_.empty()) {
      auto work = std::move(loop_.front());
      loop_.pop_front();
      work();
    }
  }

  std::deque<std::function<void()>> loop_;
  std::unique_ptr<targets::Target> target_;
  std::unique_ptr<rsp::Session> session_;
  std::string error_;
};

}  // namespace remora::test
