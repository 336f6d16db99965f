// ClientLink: acks, NACK resends, notifications, and a round trip against a small stub built on
// FrameDecoder, with acks on and off and a line that corrupts frames in both directions.
#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

#include "rsp/client.hpp"
#include "rsp/framing.hpp"

using namespace remora::rsp;
using Kind = ClientEvent::Kind;

namespace {

struct Fed {
  std::vector<ClientEvent> events;
  std::string to_send;
};

Fed feed(ClientLink& c, std::string_view bytes) {
  Fed f;
  c.feed(bytes, f.events, f.to_send);
  return f;
}

// The stub end, as remora's Session frames it: ack what arrives, NACK bad checksums, resend the
// last reply on '-'; replies go out run-length encoded to exercise the client's expansion.
struct MiniStub {
  FrameDecoder decoder{4096};
  bool no_ack = false;
  std::string last_reply;
  std::vector<std::string> received;

  std::string on_bytes(std::string_view bytes) {
    std::vector<FrameEvent> evs;
    decoder.feed(bytes, evs);
    std::string out;
    for (auto& e : evs) {
      if (e.kind == FrameEventKind::packet) {
        if (!no_ack) out += '+';
        received.push_back(e.payload);
        last_reply = make_frame(answer(e.payload), /*rle=*/true);
        out += last_reply;
        if (e.payload == "QStartNoAckMode") no_ack = true;  // from the next packet on
      } else if (e.kind == FrameEventKind::bad_checksum && !no_ack) {
        out += '-';
      } else if (e.kind == FrameEventKind::nack) {
        out += last_reply;
      }
    }
    return out;
  }

  static std::string answer(std::string_view req) {
    if (req == "g") return std::string(200, '0') + "1234";
    if (req == "QStartNoAckMode") return "OK";
    if (req.starts_with("m")) return std::string(64, 'f');
    return "";
  }
};

using Mangle = std::function<void(std::string&)>;

// Sends one request and shuttles bytes until the client has a reply. `to_stub` and `to_client`
// may corrupt what crosses the line. Bytes cross one at a time, the worst split there is.
struct Harness {
  ClientLink client;
  MiniStub stub;
  std::vector<ClientEvent> events;
  std::string client_saw_acks;  // '+'/'-' the client sent, for checks

  std::string transact(std::string_view request, const Mangle& to_stub = {},
                       const Mangle& to_client = {}) {
    std::string c2s = client.request(request);
    events.clear();
    for (int round = 0; round < 10; ++round) {
      if (to_stub) to_stub(c2s);
      std::string s2c;
      for (char ch : c2s) s2c += stub.on_bytes(std::string_view(&ch, 1));
      if (to_client) to_client(s2c);
      c2s.clear();
      for (char ch : s2c) client.feed(std::string_view(&ch, 1), events, c2s);
      for (char ch : c2s)
        if (ch == '+' || ch == '-') client_saw_acks += ch;
      for (const auto& e : events)
        if (e.kind == Kind::reply) {
          if (!c2s.empty()) stub.on_bytes(c2s);  // the final ack
          return e.payload;
        }
    }
    FAIL("no reply after 10 rounds");
    return {};
  }
};

Mangle corrupt_first_frame() {
  return [done = false](std::string& s) mutable {
    const auto pos = s.find('$');
    if (done || pos == std::string::npos || pos + 1 >= s.size()) return;
    s[pos + 1] ^= 0x01;  // a flipped bit in the payload: the checksum no longer matches
    done = true;
  };
}

bool has(const std::vector<ClientEvent>& evs, Kind k) {
  for (const auto& e : evs)
    if (e.kind == k) return true;
  return false;
}

}  // namespace

TEST_CASE("request frames the payload and interrupt is 0x03") {
  ClientLink c;
  CHECK(c.request("g") == "$g#67");
  CHECK(c.request("") == "$#00");
  CHECK(c.request("0000") == make_frame("0000"));  // requests are never RLE-encoded
  CHECK(ClientLink::interrupt() == "\x03");
}

TEST_CASE("replies are acked while acks are on and expanded from RLE") {
  ClientLink c;
  std::string in = "+";  // built in two steps: GCC 12 -O3 warns falsely on "+" + std::string
  in += make_frame("0000abcd", true);
  auto f = feed(c, in);
  REQUIRE(f.events.size() == 1);
  CHECK(f.events[0].kind == Kind::reply);
  CHECK(f.events[0].payload == "0000abcd");
  CHECK(f.to_send == "+");
  c.set_no_ack(true);
  CHECK(c.no_ack());
  f = feed(c, make_frame("OK") + make_frame("E01"));
  REQUIRE(f.events.size() == 2);
  CHECK(f.events[1].payload == "E01");
  CHECK(f.to_send.empty());
}

TEST_CASE("a bad checksum is NACKed in ack mode only") {
  ClientLink c;
  auto f = feed(c, "$OK#00");
  REQUIRE(f.events.size() == 1);
  CHECK(f.events[0].kind == Kind::corrupt_reply);
  CHECK(f.to_send == "-");
  f = feed(c, make_frame("*bad"));  // invalid RLE is a transmission error too
  CHECK(f.events.at(0).kind == Kind::corrupt_reply);
  CHECK(f.to_send == "-");
  c.set_no_ack(true);
  f = feed(c, "$OK#00");
  CHECK(f.events.at(0).kind == Kind::corrupt_reply);
  CHECK(f.to_send.empty());
}

TEST_CASE("a '-' from the stub resends the last request; '+' and noise are ignored") {
  ClientLink c;
  auto f = feed(c, "-");  // nothing sent yet: nothing to resend
  CHECK(f.to_send.empty());
  CHECK(f.events.at(0).kind == Kind::resend_requested);
  const std::string req = c.request("m1000,4");
  f = feed(c, "+\r\n\x03");
  CHECK(f.events.empty());
  CHECK(f.to_send.empty());
  f = feed(c, "-");
  CHECK(f.events.at(0).kind == Kind::resend_requested);
  CHECK(f.to_send == req);
  c.set_no_ack(true);  // a '-' is still honoured in no-ack mode: the stub knows best
  f = feed(c, "-");
  CHECK(f.to_send == req);
}

TEST_CASE("notifications are reported and never acked or NACKed") {
  ClientLink c;
  auto f = feed(c, make_frame("Stop:T05thread:1;", false, '%'));
  REQUIRE(f.events.size() == 1);
  CHECK(f.events[0].kind == Kind::notification);
  CHECK(f.events[0].payload == "Stop:T05thread:1;");
  CHECK(f.to_send.empty());
  f = feed(c, "%Stop#00");
  CHECK(f.events.at(0).kind == Kind::corrupt_reply);
  CHECK(f.to_send.empty());
}

TEST_CASE("an oversized reply is reported and acked, not NACKed forever") {
  ClientLink c(8);
  auto f = feed(c, make_frame("123456789") + make_frame("12345678"));
  REQUIRE(f.events.size() == 2);
  CHECK(f.events[0].kind == Kind::overflow);
  CHECK(f.events[1].kind == Kind::reply);
  CHECK(f.to_send == "++");
}

TEST_CASE("round trip with the stub: acks on, then QStartNoAckMode") {
  Harness h;
  CHECK(h.transact("g") == MiniStub::answer("g"));
  CHECK(h.transact("m1000,40") == std::string(64, 'f'));
  CHECK(h.client_saw_acks == "++");
  CHECK(h.transact("QStartNoAckMode") == "OK");
  h.client.set_no_ack(true);
  h.client_saw_acks.clear();
  CHECK(h.transact("g") == MiniStub::answer("g"));
  CHECK(h.client_saw_acks.empty());
  CHECK(h.stub.received == std::vector<std::string>{"g", "m1000,40", "QStartNoAckMode", "g"});
}

TEST_CASE("round trip: a corrupted reply is NACKed and resent") {
  Harness h;
  CHECK(h.transact("g", {}, corrupt_first_frame()) == MiniStub::answer("g"));
  CHECK(h.client_saw_acks == "-+");
  CHECK(h.stub.received == std::vector<std::string>{"g"});
}

TEST_CASE("round trip: a corrupted request is NACKed by the stub and resent by the client") {
  Harness h;
  CHECK(h.transact("m1000,40", corrupt_first_frame()) == std::string(64, 'f'));
  CHECK(h.stub.received == std::vector<std::string>{"m1000,40"});  // once, intact
  CHECK(h.client_saw_acks == "+");
}

TEST_CASE("round trip without acks: nothing is resent, corruption is reported") {
  Harness h;
  REQUIRE(h.transact("QStartNoAckMode") == "OK");
  h.client.set_no_ack(true);
  std::vector<ClientEvent> evs;
  std::string back;
  h.client.request("g");
  std::string reply = h.stub.on_bytes(make_frame("g"));
  corrupt_first_frame()(reply);
  h.client.feed(reply, evs, back);
  CHECK(back.empty());
  CHECK(has(evs, Kind::corrupt_reply));
  CHECK_FALSE(has(evs, Kind::reply));
}
