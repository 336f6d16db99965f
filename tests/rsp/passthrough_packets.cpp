// qqemu.*/Qqemu.* and bs/bc (rsp/routes_passthrough.cpp): forwarded verbatim to a target's
// PacketPassthrough, empty without one; ReverseStep+/ReverseContinue+ offered exactly when the
// target can reverse; Hg reaches Target::set_memory_thread.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/support/transcript.hpp"

using namespace remora;
using test::acked;
using test::frame;
using test::payload_of;

namespace {

// The emulated target plus a passthrough that records what it was sent (a stand-in for QEMU).
class Forwarding final : public targets::Target, public targets::PacketPassthrough {
 public:
  explicit Forwarding(targets::Target& inner) : inner_(inner) {}
  targets::MemoryAccess& memory() override { return inner_.memory(); }
  targets::RegisterAccess& registers() override { return inner_.registers(); }
  std::vector<targets::ThreadId> threads() override { return inner_.threads(); }
  std::optional<targets::StopEvent> current_stop() override { return inner_.current_stop(); }
  std::error_code resume(std::span<const targets::ResumeAction> a) override { return inner_.resume(a); }
  std::error_code interrupt() override { return inner_.interrupt(); }
  std::error_code detach() override { return inner_.detach(); }
  std::error_code kill() override { return inner_.kill(); }
  void set_stop_listener(targets::StopListener* l) override { inner_.set_stop_listener(l); }
  targets::PacketPassthrough* passthrough() override { return this; }
  void set_memory_thread(targets::ThreadId t) override { memory_threads.push_back(t); }

  std::expected<std::string, std::error_code> forward(std::string_view packet) override {
    sent.emplace_back(packet);
    if (packet == "qqemu.sstep") return std::string("0x7");
    if (packet == "qqemu.Nothing") return std::string();
    return std::string("OK");
  }
  bool can_reverse() const override { return reversible; }
  std::error_code reverse(bool step) override {
    sent.emplace_back(step ? "bs" : "bc");
    return {};
  }

  std::vector<std::string> sent;
  std::vector<targets::ThreadId> memory_threads;
  bool reversible = false;

 private:
  targets::Target& inner_;
};

struct Fixture {
  test::Transcript base;
  Forwarding target{base.target()};
  rsp::Session session{target, {}};

  std::string ask(std::string_view packet) {
    std::string out;
    session.on_client_bytes(frame(packet), out);
    out += session.take_output();
    return out;
  }
};

}  // namespace

TEST_CASE("passthrough: without the capability qqemu.*, Qqemu.* and bs/bc answer empty") {
  test::Transcript t;
  CHECK(t.feed(frame("qqemu.sstep")) == acked(""));
  CHECK(t.feed(frame("Qqemu.PhyMemMode:1")) == acked(""));
  CHECK(t.feed(frame("bs")) == acked(""));
  CHECK(payload_of(t.feed(frame("qSupported"))).find("ReverseStep") == std::string::npos);
}

TEST_CASE("passthrough: qqemu.*/Qqemu.* reach the target verbatim and its reply comes back as it is") {
  Fixture f;
  CHECK(f.ask("qqemu.sstep") == acked("0x7"));
  CHECK(f.ask("Qqemu.PhyMemMode:1") == acked("OK"));
  CHECK(f.ask("qqemu.Nothing") == acked(""));
  CHECK(f.target.sent == std::vector<std::string>{"qqemu.sstep", "Qqemu.PhyMemMode:1", "qqemu.Nothing"});
  // Text that could not be forwarded as it is never reaches the target.
  CHECK(payload_of(f.ask("qqemu.a b")).starts_with("E"));
  CHECK(payload_of(f.ask("qqemu.")).starts_with("E"));
  CHECK(f.target.sent.size() == 3);
}

TEST_CASE("passthrough: bs/bc only where the target can reverse, then like a resume") {
  Fixture f;
  CHECK(f.ask("bs") == acked(""));
  CHECK(f.target.sent.empty());
  f.target.reversible = true;
  auto features = payload_of(f.ask("qSupported:multiprocess+"));
  CHECK(features.find(";ReverseStep+;ReverseContinue+") != std::string::npos);
  CHECK(f.ask("bc") == "+");  // no reply until the target stops
  CHECK(f.target.sent == std::vector<std::string>{"bc"});
  CHECK(f.session.target_running());
  CHECK(payload_of(f.ask("g")).starts_with("E"));  // busy while it runs
  targets::StopEvent stop;
  stop.thread = {1, 1};
  stop.reason = targets::StopReason::exception;
  stop.signal = 0;
  stop.description = "nothing to go back to";
  std::string out;
  f.session.on_target_stop(stop, out);
  CHECK(payload_of(out).starts_with("T00"));
  CHECK_FALSE(f.session.target_running());
  CHECK(payload_of(f.ask("bx")).starts_with("E"));
}

TEST_CASE("passthrough: Hg tells the target which thread memory goes through") {
  Fixture f;
  f.ask("Hgp1.1");
  f.ask("Hg0");
  f.ask("Hc-1");
  REQUIRE(f.target.memory_threads.size() == 2);
  CHECK(f.target.memory_threads[0] == targets::ThreadId{1, 1});
  CHECK(f.target.memory_threads[1].is_any());
}
