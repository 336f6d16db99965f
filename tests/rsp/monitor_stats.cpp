// monitor stats / trace / help, and the meter the Session reaches the target through.
#include <doctest/doctest.h>

#include <string>

#include "rsp/codec.hpp"
#include "rsp/target_meter.hpp"
#include "tests/support/transcript.hpp"

using namespace remora;
using test::frame;
using test::payload_of;
using test::Transcript;

namespace {

// The text a `monitor` command printed (its hex reply decoded), or the reply as is.
std::string monitor(Transcript& t, std::string_view command) {
  auto reply = payload_of(t.feed(frame("qRcmd," + rsp::to_hex(command))));
  std::string text;
  if (auto bytes = rsp::decode_hex_bytes(reply)) {
    for (auto b : *bytes) text += static_cast<char>(b);
    return text;
  }
  return reply;
}

class SwitchableObserver final : public rsp::PacketObserver {
 public:
  void on_packet(Direction, std::string_view payload) override {
    if (on) packets += std::string(payload) + "\n";
  }
  void on_note(std::string_view) override {}
  bool set_tracing(bool enable) override {
    on = enable;
    return true;
  }
  bool on = false;
  std::string packets;
};

}  // namespace

TEST_CASE("monitor stats: packets by kind and the target calls they made") {
  Transcript t;
  REQUIRE(t.ok());
  for (int i = 0; i < 3; ++i) t.feed(frame("m400000,10"));
  t.feed(frame("g"));
  t.feed(frame("M600100,2:abcd"));
  t.feed(frame("vBogus"));
  auto text = monitor(t, "stats");
  CHECK(text.find("packets in 7, out 6\n") != std::string::npos);  // the qRcmd's reply is not sent yet
  CHECK(text.find("packets by kind: m 3, ") != std::string::npos);
  CHECK(text.find(", M 1") != std::string::npos);
  CHECK(text.find("unsupported 1") != std::string::npos);
  CHECK(text.find("qRcmd") == std::string::npos);  // a packet is counted once it is answered
  CHECK(monitor(t, "stats").find("qRcmd 1") != std::string::npos);
  CHECK(text.find("target calls: memory reads 3 (48 bytes), memory writes 1 (2 bytes), register reads ") !=
        std::string::npos);
  CHECK(text.find("time: session ") != std::string::npos);
  CHECK(text.find("waiting for the client ") != std::string::npos);
  CHECK(t.session().stats().target.register_reads > 0);  // `g` read every register through the meter
  CHECK(t.session().stats().target.resumes == 0);
}

TEST_CASE("monitor stats counts resumes and the time the target ran") {
  Transcript t;
  t.feed(frame("s"));
  const auto& st = t.session().stats();
  CHECK(st.target.resumes == 1);
  CHECK(st.packets_by_route.size() > 0);
  CHECK(monitor(t, "stats").find("resumes 1,") != std::string::npos);
}

TEST_CASE("monitor trace on|off switches the observer; without one it says so") {
  Transcript plain;
  CHECK(monitor(plain, "trace on") == "E16");  // the client did not offer error-message+
  plain.feed(frame("qSupported:error-message+"));
  CHECK(monitor(plain, "trace on") == "E.this remora has no packet trace to switch");
  SwitchableObserver observer;
  rsp::SessionOptions options;
  options.observer = &observer;
  Transcript t(options);
  t.feed(frame("qSupported:error-message+"));
  t.feed(frame("qC"));
  CHECK(observer.packets.empty());
  CHECK(monitor(t, "trace on") == "packet trace on\n");
  t.feed(frame("qC"));
  CHECK(observer.packets.find("qC\n") != std::string::npos);
  CHECK(monitor(t, "trace off") == "packet trace off\n");
  observer.packets.clear();
  t.feed(frame("qC"));
  CHECK(observer.packets.empty());
  CHECK(monitor(t, "trace sideways") == "E.usage: monitor trace on|off");
}

TEST_CASE("monitor help lists every command, the backend's too") {
  Transcript t;
  auto text = monitor(t, "help");
  for (auto command : {"help", "exit", "stats", "trace on|off", "cache", "write-uncached"})
    CHECK(text.find(std::string("  ") + command) != std::string::npos);
  REQUIRE(t.target().monitor() != nullptr);
  for (const auto& command : t.target().monitor()->commands())
    CHECK(text.find("  " + command.name) != std::string::npos);
}

TEST_CASE("the meter forwards every capability accessor to the target it wraps") {
  Transcript t;
  auto& inner = t.target();
  rsp::TargetCallStats stats;
  rsp::MeteredTarget meter(inner, stats);
  CHECK(meter.breakpoints() == inner.breakpoints());
  CHECK(meter.memory_regions() == inner.memory_regions());
  CHECK(meter.monitor() == inner.monitor());
  CHECK(meter.process_control() == inner.process_control());
  CHECK(meter.signal_control() == inner.signal_control());
  CHECK(meter.xfer_objects() == inner.xfer_objects());
  CHECK(meter.host_io() == inner.host_io());
  CHECK(meter.memory_allocator() == inner.memory_allocator());
  CHECK(meter.attached() == inner.attached());
  CHECK(meter.can_range_step() == inner.can_range_step());
  CHECK(meter.working_directory() == inner.working_directory());
  CHECK(meter.passthrough() == inner.passthrough());
  CHECK(&meter.registers().description() == &inner.registers().description());
  CHECK(meter.threads() == inner.threads());
  std::byte buf[4];
  auto transfer = meter.memory().read_virtual(0x400000, buf);
  CHECK(transfer.bytes == 4);
  CHECK(stats.memory_reads == 1);
  CHECK(stats.bytes_read == 4);
  CHECK(stats.other_calls == 1);  // threads()
}
