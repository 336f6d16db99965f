// libFuzzer entry point: client bytes -> rsp::Session over a fresh, small emulated target.
//
// Input layout: byte 0 is the mode, the rest is what the client sends.
//   bit 0     acks off: `$QStartNoAckMode#b0` (and its `+`) go first, as gdb sends them
//   bits 1-3  how the bytes are cut into chunks (whole, 1, 2, 3, 7, 61 bytes, or pseudo-random
//             1..32 seeded by bits 4-7), so every frame is also split at every place
//   bit 4     SessionOptions::extended_mode
//   bit 5     SessionOptions::offer_memory_map
//   bits 6-7  what a disconnect does (detach, kill, keep, keep)
// After each chunk the target's posted work is run (the stub's event loop does the same between
// reads), so stops arrive through Session::on_stop and are taken with take_output().
// Everything the session writes is parsed back as a client would and must be well formed.
//
// This file is also compiled by GCC without libFuzzer into the corpus replay (replay_corpus.cpp);
// it must not depend on anything clang-only.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "rsp/framing.hpp"
#include "rsp/session.hpp"
#include "targets/emulated/emulated_target.hpp"
#include "tests/fuzz/coverage_sink.hpp"

namespace {

using namespace remora;
using targets::Addr;

// The packet size the fuzzed session offers: small, so oversized frames are cheap to reach.
constexpr std::size_t kPacketSize = 0x1000;

// The layout: text (r-x, zeros: every byte is a one-byte instruction), a gap, data (rw-) with an
// injected write fault in the middle, a read-only page, and a small rwx page where an input can
// write `EB FE` (jmp .) and continue, so the target really runs until a 0x03 stops it.
constexpr Addr kText = 0x400000;
constexpr Addr kData = 0x600000;  // 0x410000..0x600000 is unmapped
constexpr Addr kRom = 0x700000;
constexpr Addr kJit = 0x800000;
constexpr Addr kWriteFault = kData + 0x8000;

targets::emulated::EmulatedOptions layout() {
  targets::emulated::EmulatedOptions o;
  o.regions = {
      {kText, 0x10000, true, false, true, "text"},
      {kData, 0x10000, true, true, false, "data"},
      {kRom, 0x1000, true, false, false, "rom"},
      {kJit, 0x1000, true, true, true, "jit"},
  };
  o.faults = {{targets::emulated::FaultKind::write, kWriteFault, 0x100}};
  return o;
}

[[noreturn]] void fail(const char* what, std::string_view detail) {
  std::fprintf(stderr, "session_fuzzer: %s: %.*s\n", what, static_cast<int>(detail.size() > 200 ? 200 : detail.size()),
               detail.data());
  std::abort();
}

// The stub's output, read back by a client's decoder: only acks and valid frames may appear,
// RLE must expand, and no reply may grow beyond a small multiple of the packet size.
void check_output(std::string_view out) {
  if (out.empty()) return;
  rsp::FrameDecoder client(16 * kPacketSize, /*expand_rle=*/false);
  std::vector<rsp::FrameEvent> events;
  client.feed(out, events);
  if (client.in_frame()) fail("output ends inside a frame", out);
  std::string expanded;
  for (const auto& e : events) {
    switch (e.kind) {
      case rsp::FrameEventKind::ack:
      case rsp::FrameEventKind::nack: break;
      case rsp::FrameEventKind::packet:
        if (!rsp::expand_rle(e.payload, expanded)) fail("reply with invalid run-length encoding", e.payload);
        if (expanded.size() > 4 * kPacketSize + 1024) fail("reply far longer than the packet size", e.payload);
        break;
      default: fail("output a client cannot parse", out);
    }
  }
}

class NullObserver final : public rsp::PacketObserver {
 public:
  void on_packet(Direction, std::string_view payload) override { seen += payload.size(); }
  void on_note(std::string_view text) override { seen += text.size(); }
  std::size_t seen = 0;
};

// The stub's event loop in miniature: a queue of posted work, run after every chunk.
struct Loop {
  std::deque<std::function<void()>> work;

  void run() {
    // Each resume posts at most one stop and a stop posts nothing; the bound only guards that.
    for (int i = 0; i < 1024 && !work.empty(); ++i) {
      auto f = std::move(work.front());
      work.pop_front();
      f();
    }
  }
};

struct Chunker {
  unsigned mode;
  std::uint32_t rng;

  std::size_t next(std::size_t left) {
    std::size_t n = left;
    switch (mode) {
      case 0: break;
      case 1: n = 1; break;
      case 2: n = 2; break;
      case 3: n = 3; break;
      case 4: n = 7; break;
      case 5: n = 61; break;
      default:
        rng = rng * 1103515245u + 12345u;
        n = 1 + ((rng >> 16) % 32);
        break;
    }
    return n < left ? n : left;
  }
};

rsp::SessionOptions session_options(std::uint8_t mode, rsp::PacketObserver* observer) {
  rsp::SessionOptions o;
  o.packet_size = kPacketSize;
  o.extended_mode = (mode & 0x10) != 0;
  o.offer_memory_map = (mode & 0x20) != 0;
  static constexpr rsp::DisconnectAction kActions[] = {rsp::DisconnectAction::detach, rsp::DisconnectAction::kill,
                                                       rsp::DisconnectAction::keep, rsp::DisconnectAction::keep};
  o.on_disconnect = kActions[mode >> 6];
  o.observer = observer;
  return o;
}

void finish(rsp::Session& session) {
  session.on_disconnect();
  fuzz::session_sum.add(session.coverage(), session.stats());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  Loop loop;
  auto made = targets::emulated::make_emulated_target(
      layout(), [&loop](std::function<void()> f) { loop.work.push_back(std::move(f)); });
  if (!made) fail("the fuzz layout was refused", made.error());
  targets::Target& target = **made;

  NullObserver observer;
  const auto options = session_options(mode, &observer);
  auto session = std::make_unique<rsp::Session>(target, options);
  target.set_stop_listener(session.get());

  std::string out;
  auto deliver = [&](std::string_view bytes) {
    session->on_client_bytes(bytes, out);
    loop.run();
    std::string stops = session->take_output();
    if (!stops.empty()) fuzz::session_sum.stops_delivered++;
    out += stops;
    check_output(out);
    out.clear();
  };

  if (mode & 1) deliver("$QStartNoAckMode#b0+");

  Chunker chunker{(mode >> 1) & 7u, 0x9e3779b9u ^ (static_cast<std::uint32_t>(mode >> 4) * 2654435761u)};
  while (!input.empty()) {
    std::size_t n = chunker.next(input.size());
    deliver(input.substr(0, n));
    input.remove_prefix(n);
    if (session->wants_close() && !input.empty()) {
      if (session->wants_exit()) break;
      // The stub closes the connection after D / k; what follows is a new client on the same
      // target (possibly without a process now), as a server that keeps listening would see.
      target.set_stop_listener(nullptr);
      finish(*session);
      session = std::make_unique<rsp::Session>(target, options);
      target.set_stop_listener(session.get());
      fuzz::session_sum.reconnects++;
    }
  }
  target.set_stop_listener(nullptr);
  finish(*session);
  loop.run();  // stops posted after the last chunk find no listener, as after a real disconnect
  return 0;
}
