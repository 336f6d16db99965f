// QemuLink's pipelined requests against a stand-in for QEMU 7.2 user mode's socket handling,
// which is what the framing depends on: gdb_handlesig read()s 256 bytes at a time and handles each
// packet from that buffer, and after each reply put_packet_binary waits for the ack with a 1-byte
// recv() of the socket itself, sending the reply again for any other byte. A framing that lets
// one of those 1-byte reads see anything but '+' shows up here as a resent reply (and lost
// requests, as with the real QEMU).
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "rsp/codec.hpp"
#include "rsp/framing.hpp"
#include "targets/qemu/qemu_link.hpp"

using namespace remora::targets::qemu;

namespace {

struct Fake72User {
  int listener = -1;
  std::string dir, path;
  std::thread thread;
  std::atomic<int> resent{0};   // replies sent again because the ack read saw another byte
  std::atomic<int> handled{0};  // packets handled
  std::vector<unsigned char> memory = std::vector<unsigned char>(0x10000);  // at 0x10000

  Fake72User() {
    char tmpl[] = "/tmp/remora-qlink-XXXXXX";
    dir = ::mkdtemp(tmpl);
    path = dir + "/q.sock";
    listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    std::snprintf(un.sun_path, sizeof un.sun_path, "%s", path.c_str());
    REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&un), sizeof un) == 0);
    REQUIRE(::listen(listener, 1) == 0);
    for (std::size_t i = 0; i < memory.size(); ++i) memory[i] = static_cast<unsigned char>(i * 7);
    thread = std::thread([this] { serve(); });
  }
  ~Fake72User() {
    ::shutdown(listener, SHUT_RDWR);
    ::close(listener);
    thread.join();
    std::filesystem::remove_all(dir);
  }

  std::atomic<int> breakpoints{0};  // Z0 minus z0
  std::atomic<bool> refuse_breakpoints{false};

  std::string answer(const std::string& p) {
    if (p == "g") return std::string(32, '1');
    if (p.starts_with("Z0,") || p.starts_with("z0,")) {
      if (refuse_breakpoints) return "E22";
      breakpoints += p[0] == 'Z' ? 1 : -1;
      return "OK";
    }
    auto comma = p.find(',');
    auto colon = p.find(':');
    auto addr = *remora::rsp::parse_hex_u64(std::string_view(p).substr(1, comma - 1));
    auto len = *remora::rsp::parse_hex_u64(std::string_view(p).substr(comma + 1, colon == std::string::npos ? colon : colon - comma - 1));
    if (addr < 0x10000 || addr + len > 0x20000) return "E14";
    if (addr < 0x19000 && addr + len > 0x18000) return "E14";  // one unmapped page
    if (p[0] == 'm') {
      std::string out;
      for (std::size_t i = 0; i < len; ++i) remora::rsp::append_hex_byte(out, memory[addr - 0x10000 + i]);
      return out;
    }
    auto bytes = *remora::rsp::decode_hex_bytes(std::string_view(p).substr(colon + 1));
    for (std::size_t i = 0; i < len; ++i) memory[addr - 0x10000 + i] = std::to_integer<unsigned char>(bytes[i]);
    return "OK";
  }

  void serve() {
    int fd = ::accept(listener, nullptr, nullptr);
    if (fd < 0) return;
    std::string line;
    enum { idle, body, sum1, sum2 } state = idle;
    char buf[256];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);  // gdb_handlesig
      if (n <= 0) break;
      for (ssize_t i = 0; i < n; ++i) {
        const char c = buf[i];
        if (state == idle) {
          if (c == '$') {
            line.clear();
            state = body;
          }
        } else if (state == body) {
          if (c == '#') state = sum1; else line += c;
        } else if (state == sum1) {
          state = sum2;
        } else {
          state = idle;
          ++handled;
          std::string frame = "+" + remora::rsp::make_frame(answer(line));
          for (;;) {  // put_packet_binary: send, then a 1-byte read for the ack
            if (::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL) < 0) goto done;
            char ack = 0;
            if (::recv(fd, &ack, 1, 0) != 1) goto done;
            if (ack == '+') break;
            ++resent;
            frame.erase(0, frame.front() == '+' ? 1 : 0);
          }
        }
      }
    }
  done:
    ::close(fd);
  }
};

std::string m(unsigned addr, unsigned len) {
  std::string p = "m";
  remora::rsp::append_hex_u64(p, addr);
  p += ',';
  remora::rsp::append_hex_u64(p, len);
  return p;
}

std::string M(unsigned addr, unsigned len, unsigned char value) {
  std::string p = "M";
  remora::rsp::append_hex_u64(p, addr);
  p += ',';
  remora::rsp::append_hex_u64(p, len);
  p += ':';
  for (unsigned i = 0; i < len; ++i) remora::rsp::append_hex_byte(p, value);
  return p;
}

}  // namespace

TEST_CASE("qemu link: pipelined requests stay in step with QEMU 7.2 user mode's reads and ack waits") {
  Fake72User qemu;
  asio::io_context io;
  QemuLink link(io, std::chrono::milliseconds(3000));
  REQUIRE(link.connect(Endpoint{{}, 0, qemu.path}));
  CHECK(link.pipelining_safe(false));

  // A plain request first: its ack is deferred and rides with the next write.
  auto g = link.request("g");
  REQUIRE(g);
  CHECK(*g == std::string(32, '1'));

  // 32 reads in one window, one of them in the unmapped page.
  std::vector<std::string> reads;
  for (unsigned a = 0x10000; a < 0x20000; a += 0x800) reads.push_back(m(a, 0x800));
  auto replies = link.request_batch(reads);
  REQUIRE(replies.size() == reads.size());
  for (std::size_t i = 0; i < replies.size(); ++i) {
    const unsigned a = 0x10000 + static_cast<unsigned>(i) * 0x800;
    REQUIRE(replies[i]);
    if (a >= 0x18000 && a < 0x19000) {
      CHECK(*replies[i] == "E14");
    } else {
      REQUIRE(replies[i]->size() == 0x1000);
      CHECK(replies[i]->substr(0, 2) == remora::rsp::to_hex(std::vector<std::byte>{std::byte((a - 0x10000) * 7 & 0xff)}));
    }
  }

  // Writes of ~4 KiB frames (one per unit), then a plain request, then a mixed window.
  std::vector<std::string> writes;
  for (unsigned a = 0x10000; a < 0x14000; a += 0x7e0) writes.push_back(M(a, 0x7e0, 0x5a));
  for (const auto& r : link.request_batch(writes)) CHECK((r && *r == "OK"));
  auto back = link.request(m(0x10000, 4));
  REQUIRE(back);
  CHECK(*back == "5a5a5a5a");
  std::vector<std::string> mixed{M(0x11000, 3, 0x11), m(0x11000, 3), "g", M(0x18000, 1, 0), m(0x11001, 1)};
  auto r = link.request_batch(mixed);
  CHECK((r[0] && *r[0] == "OK"));
  CHECK((r[1] && *r[1] == "111111"));
  CHECK((r[2] && r[2]->size() == 32));
  CHECK((r[3] && *r[3] == "E14"));
  CHECK((r[4] && *r[4] == "11"));
  CHECK(link.request("g").has_value());

  CHECK(qemu.resent == 0);
  CHECK(qemu.handled == 1 + 32 + static_cast<int>(writes.size()) + 1 + 5 + 1);
  CHECK(link.alive());
  CHECK(link.stats().requests == static_cast<std::uint64_t>(qemu.handled.load()));
  CHECK(link.stats().round_trips == 6);  // 3 plain requests and 3 windows
}

TEST_CASE("qemu link: deferred breakpoint requests ride with the next request and their OK is taken") {
  Fake72User qemu;
  asio::io_context io;
  QemuLink link(io, std::chrono::milliseconds(3000));
  REQUIRE(link.connect(Endpoint{{}, 0, qemu.path}));
  link.defer("Z0,10000,1");
  link.defer("Z0,10004,1");
  CHECK(qemu.handled == 0);  // nothing sent yet
  auto back = link.request(m(0x10000, 2));
  REQUIRE(back);
  CHECK(*back == "0007");  // the read's reply, not a breakpoint's OK
  CHECK(qemu.breakpoints == 2);
  CHECK(link.stats().round_trips == 1);
  // With a window, and with a request whose reply is awaited later (a resume).
  link.defer("z0,10000,1");
  auto r = link.request_batch(std::vector<std::string>{m(0x10001, 1), "g"});
  CHECK((r[0] && *r[0] == "07"));
  CHECK((r[1] && r[1]->size() == 32));
  CHECK(qemu.breakpoints == 1);
  link.defer("z0,10004,1");
  REQUIRE_FALSE(link.send_only("g"));
  std::optional<QemuLink::Reply> later;
  link.wait_async([&](QemuLink::Reply reply) { later = std::move(reply); });
  for (int i = 0; i < 300 && !later; ++i) io.run_one_for(std::chrono::milliseconds(10));
  REQUIRE(later);
  REQUIRE(*later);
  CHECK((*later)->size() == 32);
  CHECK(qemu.breakpoints == 0);
  // Sent on their own when nothing follows (a client leaving).
  link.defer("Z0,10010,1");
  CHECK_FALSE(link.flush_deferred());
  CHECK(qemu.breakpoints == 1);
  CHECK_FALSE(link.has_deferred());
  CHECK_FALSE(link.flush_deferred());  // nothing left: nothing sent
  CHECK(qemu.resent == 0);
  CHECK(link.alive());
  // A refusal breaks the promise made to the client: the link fails, loudly.
  qemu.refuse_breakpoints = true;
  link.defer("Z0,10008,1");
  CHECK_FALSE(link.request(m(0x10000, 1)));
  CHECK_FALSE(link.alive());
  CHECK(link.death().find("refused a breakpoint") != std::string::npos);
}
