#include "rsp/target_meter.hpp"

namespace remora::rsp {
namespace {

// Adds the time from construction to destruction to `total` (steady_clock: ~20 ns a call,
// noise next to a ptrace or QEMU round trip).
class Timed {
 public:
  explicit Timed(std::chrono::nanoseconds& total) : total_(total), start_(std::chrono::steady_clock::now()) {}
  ~Timed() { total_ += std::chrono::steady_clock::now() - start_; }
  Timed(const Timed&) = delete;
  Timed& operator=(const Timed&) = delete;

 private:
  std::chrono::nanoseconds& total_;
  std::chrono::steady_clock::time_point start_;
};

// One forwarded call: timed into `stats->time`, counted in `calls` before it runs. `stats` is
// the owner's pointer, read at each step as before attach() could move it.
using Counter = std::uint64_t TargetCallStats::*;

template <class Call>
auto counted(TargetCallStats* const& stats, Counter calls, Call call) {
  Timed timed(stats->time);
  ++(stats->*calls);
  return call();
}

// One memory transfer: timed, then counted with the bytes it actually moved.
template <class Call>
targets::Transfer counted_transfer(TargetCallStats* const& stats, Counter calls, Counter bytes, Call call) {
  Timed timed(stats->time);
  auto t = call();
  ++(stats->*calls);
  stats->*bytes += t.bytes;
  return t;
}

}  // namespace

MeteredTarget::MeteredTarget(targets::Target& inner, TargetCallStats& stats)
    : inner_(inner), stats_(&stats), memory_(inner, stats_), registers_(inner, stats_) {}

std::vector<targets::ThreadId> MeteredTarget::threads() {
  return counted(stats_, &TargetCallStats::other_calls, [&] { return inner_.threads(); });
}

std::optional<targets::StopEvent> MeteredTarget::current_stop() {
  return counted(stats_, &TargetCallStats::other_calls, [&] { return inner_.current_stop(); });
}

std::error_code MeteredTarget::resume(std::span<const targets::ResumeAction> actions) {
  return counted(stats_, &TargetCallStats::resumes, [&] { return inner_.resume(actions); });
}

std::error_code MeteredTarget::interrupt() {
  return counted(stats_, &TargetCallStats::other_calls, [&] { return inner_.interrupt(); });
}

std::error_code MeteredTarget::detach() {
  return counted(stats_, &TargetCallStats::other_calls, [&] { return inner_.detach(); });
}

std::error_code MeteredTarget::kill() {
  return counted(stats_, &TargetCallStats::other_calls, [&] { return inner_.kill(); });
}

targets::Transfer MeteredTarget::Memory::read_virtual(targets::Addr addr, std::span<std::byte> out) {
  return counted_transfer(stats_, &TargetCallStats::memory_reads, &TargetCallStats::bytes_read,
                          [&] { return inner_.memory().read_virtual(addr, out); });
}

targets::Transfer MeteredTarget::Memory::write_virtual(targets::Addr addr, std::span<const std::byte> data) {
  return counted_transfer(stats_, &TargetCallStats::memory_writes, &TargetCallStats::bytes_written,
                          [&] { return inner_.memory().write_virtual(addr, data); });
}

targets::Transfer MeteredTarget::Memory::write_virtual_uncached(targets::Addr addr, std::span<const std::byte> data) {
  return counted_transfer(stats_, &TargetCallStats::memory_writes, &TargetCallStats::bytes_written,
                          [&] { return inner_.memory().write_virtual_uncached(addr, data); });
}

std::error_code MeteredTarget::Registers::read_register(targets::ThreadId thread, unsigned regnum,
                                                        std::span<std::byte> out) {
  return counted(stats_, &TargetCallStats::register_reads,
                 [&] { return inner_.registers().read_register(thread, regnum, out); });
}

std::error_code MeteredTarget::Registers::write_register(targets::ThreadId thread, unsigned regnum,
                                                         std::span<const std::byte> value) {
  return counted(stats_, &TargetCallStats::register_writes,
                 [&] { return inner_.registers().write_register(thread, regnum, value); });
}

}  // namespace remora::rsp
