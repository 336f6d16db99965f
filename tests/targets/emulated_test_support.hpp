// Helpers shared by the emulated-target tests: a post queue standing in for the event loop, a
// stop recorder, and byte/integer conversions.
#pragma once
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "targets/api/target.hpp"
#include "targets/arch/amd64.hpp"
#include "targets/emulated/emulated_target.hpp"

namespace remora::targets::test {

// The event loop: posted work runs only when drain() is called.
struct PostQueue {
  std::deque<std::function<void()>> work;
  Post post() {
    return [this](std::function<void()> f) { work.push_back(std::move(f)); };
  }
  std::size_t drain() {
    std::size_t n = 0;
    while (!work.empty()) {
      auto f = std::move(work.front());
      work.pop_front();
      f();
      ++n;
    }
    return n;
  }
};

struct StopRecorder : StopListener {
  std::vector<StopEvent> stops;
  void on_stop(const StopEvent& e) override { stops.push_back(e); }
};

inline std::unique_ptr<Target> make_target(PostQueue& loop, const emulated::EmulatedOptions& options = {}) {
  auto t = emulated::make_emulated_target(options, loop.post());
  if (!t) return nullptr;
  return std::move(*t);
}

inline std::vector<std::byte> bytes(std::initializer_list<unsigned> values) {
  std::vector<std::byte> out;
  for (unsigned v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

inline std::vector<std::byte> pattern(std::size_t n, unsigned seed = 1) {
  std::vector<std::byte> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::byte>((i * 31 + seed) & 0xff);
  return out;
}

inline std::uint64_t read_reg(Target& t, unsigned regnum) {
  const auto* info = t.registers().description().find(regnum);
  std::vector<std::byte> buf(info->bytes());
  if (t.registers().read_register({1, 1}, regnum, buf)) return ~0ull;
  std::uint64_t v = 0;
  std::memcpy(&v, buf.data(), std::min<std::size_t>(8, buf.size()));
  return v;
}

inline std::error_code write_reg(Target& t, unsigned regnum, std::uint64_t value) {
  const auto* info = t.registers().description().find(regnum);
  std::vector<std::byte> buf(info->bytes());
  std::memcpy(buf.data(), &value, std::min<std::size_t>(8, buf.size()));
  return t.registers().write_register({1, 1}, regnum, buf);
}

inline ResumeAction action(ResumeKind kind, Addr start = 0, Addr end = 0) {
  ResumeAction a;
  a.kind = kind;
  a.range_start = start;
  a.range_end = end;
  return a;
}

}  // namespace remora::targets::test
