// Issue 5, rule 3 and 6 at the Session: every packet that lets the target go flushes the memory
// cache first (c, C, s, S, vCont with any action, D, a disconnect), `k` drops what is pending,
// a failed flush refuses the resume (E.text for gdb, an exception stop for lldb), and the
// monitor commands reach the cache. The cache here is a recording stand-in that really holds
// writes back (the real one is tested in tests/targets/cache_*.cpp; rsp_unit does not link it).
#include <doctest/doctest.h>

#include <deque>
#include <map>

#include "rsp/codec.hpp"
#include "tests/support/transcript.hpp"

using namespace remora;
using test::frame;
using test::payload_of;

namespace {

struct HoldingCache : targets::WriteBackMemory {
  targets::MemoryAccess& below;
  std::map<targets::Addr, std::byte> pending;
  int flushes = 0, invalidates = 0;
  bool fail_flush = false;
  bool on = true;
  explicit HoldingCache(targets::MemoryAccess& m) : below(m) {}

  targets::Transfer read_virtual(targets::Addr a, std::span<std::byte> out) override {
    auto t = below.read_virtual(a, out);
    for (std::size_t i = 0; i < t.bytes; ++i)
      if (auto it = pending.find(a + i); it != pending.end()) out[i] = it->second;
    return t;
  }
  targets::Transfer write_virtual(targets::Addr a, std::span<const std::byte> data) override {
    for (std::size_t i = 0; i < data.size(); ++i) pending[a + i] = data[i];
    return {data.size(), {}};
  }
  targets::Transfer write_virtual_uncached(targets::Addr a, std::span<const std::byte> data) override {
    for (std::size_t i = 0; i < data.size(); ++i) pending.erase(a + i);
    return below.write_virtual(a, data);
  }
  FlushResult flush() override {
    ++flushes;
    if (fail_flush && !pending.empty()) return {make_error_code(targets::errc::unmapped), pending.begin()->first};
    for (auto [a, b] : pending) below.write_virtual(a, std::span(&b, 1));
    pending.clear();
    return {};
  }
  void invalidate() override {
    ++invalidates;
    pending.clear();
  }
  FlushResult set_enabled(bool enable) override {
    if (!enable)
      if (auto r = flush(); r.error) return r;
    on = enable;
    return {};
  }
  bool enabled() const override { return on; }
  targets::CacheStats stats() const override {
    targets::CacheStats s;
    s.enabled = on;
    s.hits = 7;
    return s;
  }
};

struct CachedSession {
  std::deque<std::function<void()>> loop;
  std::unique_ptr<targets::Target> target;
  std::unique_ptr<HoldingCache> cache;
  std::unique_ptr<rsp::Session> session;

  explicit CachedSession(rsp::SessionOptions options = {}) {
    auto made = targets::emulated::make_emulated_target({}, [this](std::function<void()> w) { loop.push_back(std::move(w)); });
    REQUIRE(made);
    target = std::move(*made);
    cache = std::make_unique<HoldingCache>(target->memory());
    options.memory_cache = cache.get();
    session = std::make_unique<rsp::Session>(*target, options);
    target->set_stop_listener(session.get());
  }
  ~CachedSession() { target->set_stop_listener(nullptr); }

  std::string feed(std::string_view payload) {
    std::string out;
    session->on_client_bytes(frame(payload), out);
    while (!loop.empty()) {
      auto w = std::move(loop.front());
      loop.pop_front();
      w();
    }
    return out + session->take_output();
  }
  std::string raw_byte(targets::Addr a) {
    std::byte b{};
    target->memory().read_virtual(a, std::span(&b, 1));
    std::string out;
    rsp::append_hex_byte(out, static_cast<std::uint8_t>(b));
    return out;
  }
};

}  // namespace

TEST_CASE("cache paths: every resume packet flushes held-back writes before the target runs") {
  for (const char* resume : {"c", "C05", "s", "S05", "vCont;c", "vCont;s:1", "vCont;C05:1;c", "vCont;t:1;c"}) {
    CAPTURE(resume);
    CachedSession s;
    REQUIRE(payload_of(s.feed("M600000,1:5a")) == "OK");
    CHECK(s.cache->pending.size() == 1);
    CHECK(s.raw_byte(0x600000) != "5a");  // really held back
    const int flushes = s.cache->flushes;
    s.feed(resume);
    CHECK(s.cache->flushes == flushes + 1);
    CHECK(s.raw_byte(0x600000) == "5a");
    CHECK(s.cache->invalidates >= 1);  // after the resume (and again at the stop)
  }
}

TEST_CASE("cache paths: D and a disconnect flush; k drops pending writes") {
  {
    CachedSession s;
    s.feed("M600000,1:5a");
    CHECK(payload_of(s.feed("D")) == "OK");
    CHECK(s.raw_byte(0x600000) == "5a");
  }
  {
    CachedSession s;
    s.feed("M600001,1:6b");
    s.session->on_disconnect();
    CHECK(s.raw_byte(0x600001) == "6b");
    CHECK(s.cache->pending.empty());
  }
  {
    CachedSession s;
    s.feed("M600002,1:7c");
    const int flushes = s.cache->flushes;
    s.feed("k");
    CHECK(s.cache->flushes == flushes);
    CHECK(s.cache->pending.empty());
  }
}

TEST_CASE("cache paths: a failed flush refuses the resume; gdb gets E.text, lldb an exception stop") {
  CachedSession gdb;
  gdb.feed("qSupported:error-message+");
  gdb.feed("M600000,1:5a");
  gdb.cache->fail_flush = true;
  auto reply = payload_of(gdb.feed("vCont;c"));
  CHECK(reply.starts_with("E."));
  CHECK(reply.find("0x600000") != std::string::npos);
  CHECK_FALSE(gdb.session->target_running());
  CHECK(payload_of(gdb.feed("c")).starts_with("E."));
  CHECK_FALSE(gdb.session->target_running());

  CachedSession lldb;
  lldb.feed("QStartNoAckMode");
  lldb.feed("qHostInfo");  // lldb-only: the session now speaks lldb's dialect
  lldb.feed("M600000,1:5a");
  lldb.cache->fail_flush = true;
  std::string out;
  lldb.session->on_client_bytes(frame("c"), out);
  auto stop = payload_of(out);
  CHECK(stop.starts_with("T05"));
  CHECK(stop.find("reason:exception") != std::string::npos);
  CHECK(stop.find("description:") != std::string::npos);
  CHECK_FALSE(lldb.session->target_running());
}

TEST_CASE("cache paths: monitor cache and monitor write-uncached reach the cache") {
  CachedSession s;
  auto text = [](const std::string& reply) { return rsp::hex_to_text(reply).value_or("<bad hex>"); };
  CHECK(text(payload_of(s.feed("qRcmd," + rsp::to_hex(std::string_view("help"))))).find("write-uncached") !=
        std::string::npos);
  s.feed("M600000,1:5a");
  CHECK(text(payload_of(s.feed("qRcmd," + rsp::to_hex(std::string_view("cache flush"))))) == "memory cache flushed\n");
  CHECK(s.raw_byte(0x600000) == "5a");
  CHECK(text(payload_of(s.feed("qRcmd," + rsp::to_hex(std::string_view("cache stats"))))).find("hits 7") !=
        std::string::npos);
  CHECK(text(payload_of(s.feed("qRcmd," + rsp::to_hex(std::string_view("cache off"))))) == "memory cache off\n");
  CHECK_FALSE(s.cache->on);
  CHECK(text(payload_of(s.feed("qRcmd," + rsp::to_hex(std::string_view("cache on"))))) == "memory cache on\n");
  s.feed("M600004,1:11");
  auto wrote = text(payload_of(s.feed("qRcmd," + rsp::to_hex(std::string_view("write-uncached 0x600004 a1b2")))));
  CHECK(wrote == "wrote 2 bytes at 0x600004\n");
  CHECK(s.raw_byte(0x600004) == "a1");
  CHECK(s.raw_byte(0x600005) == "b2");
  CHECK(s.cache->pending.empty());
  CHECK(payload_of(s.feed("qRcmd," + rsp::to_hex(std::string_view("write-uncached zz")))).starts_with("E"));
  CHECK(payload_of(s.feed("qRcmd," + rsp::to_hex(std::string_view("cache sideways")))).starts_with("E"));
}
