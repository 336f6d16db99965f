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

}  // namespace

MeteredTarget::MeteredTarget(targets::Target& inner, TargetCallStats& stats)
    : inner_(inner), stats_(&stats), memory_(inner, stats_), registers_(inner, stats_) {}

std::vector<targets::ThreadId> MeteredTarget::threads() {
  Timed timed(stats_->time);
  stats_->other_calls++;
  return inner_.threads();
}

std::optional<targets::StopEvent> MeteredTarget::current_stop() {
  Timed timed(stats_->time);
  stats_->other_calls++;
  return inner_.current_stop();
}

std::error_code MeteredTarget::resume(std::span<const targets::ResumeAction> actions) {
  Timed timed(stats_->time);
  stats_->resumes++;
  return inner_.resume(actions);
}

std::error_code MeteredTarget::interrupt() {
  Timed timed(stats_->time);
  stats_->other_calls++;
  return inner_.interrupt();
}

std::error_code MeteredTarget::detach() {
  Timed timed(stats_->time);
  stats_->other_calls++;
  return inner_.detach();
}

std::error_code MeteredTarget::kill() {
  Timed timed(stats_->time);
  stats_->other_calls++;
  return inner_.kill();
}

targets::Transfer MeteredTarget::Memory::read_virtual(targets::Addr addr, std::span<std::byte> out) {
  Timed timed(stats_->time);
  auto t = inner_.memory().read_virtual(addr, out);
  stats_->memory_reads++;
  stats_->bytes_read += t.bytes;
  return t;
}

targets::Transfer MeteredTarget::Memory::write_virtual(targets::Addr addr, std::span<const std::byte> data) {
  Timed timed(stats_->time);
  auto t = inner_.memory().write_virtual(addr, data);
  stats_->memory_writes++;
  stats_->bytes_written += t.bytes;
  return t;
}

targets::Transfer MeteredTarget::Memory::write_virtual_uncached(targets::Addr addr, std::span<const std::byte> data) {
  Timed timed(stats_->time);
  auto t = inner_.memory().write_virtual_uncached(addr, data);
  stats_->memory_writes++;
  stats_->bytes_written += t.bytes;
  return t;
}

std::error_code MeteredTarget::Registers::read_register(targets::ThreadId thread, unsigned regnum,
                                                        std::span<std::byte> out) {
  Timed timed(stats_->time);
  stats_->register_reads++;
  return inner_.registers().read_register(thread, regnum, out);
}

std::error_code MeteredTarget::Registers::write_register(targets::ThreadId thread, unsigned regnum,
                                                         std::span<const std::byte> value) {
  Timed timed(stats_->time);
  stats_->register_writes++;
  return inner_.registers().write_register(thread, regnum, value);
}

}  // namespace remora::rsp
