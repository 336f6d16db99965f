// The QEMU target: lifetime, registers (QEMU's `g` cached per stop, `p`/`P` where accepted),
// breakpoints (Z forwarded with refcounts), monitor commands.
#include "targets/qemu/qemu_target.hpp"

#include <unistd.h>

#include <charconv>

#include "rsp/codec.hpp"
#include "targets/api/errors.hpp"
#include "targets/qemu/qemu_tdesc.hpp"

namespace remora::targets::qemu {

std::optional<ThreadId> parse_qemu_thread(std::string_view text) {
  ThreadId t{1, 0};
  if (text.starts_with('p')) {
    auto dot = text.find('.');
    if (dot == std::string_view::npos) return std::nullopt;
    auto pid = rsp::parse_hex_u64(text.substr(1, dot - 1));
    if (!pid) return std::nullopt;
    t.pid = static_cast<std::int64_t>(*pid);
    text.remove_prefix(dot + 1);
  }
  if (text == "-1") {
    t.tid = -1;
    return t;
  }
  auto tid = rsp::parse_hex_u64(text);
  if (!tid) return std::nullopt;
  t.tid = static_cast<std::int64_t>(*tid);
  return t;
}

std::string format_qemu_thread(ThreadId thread, bool multiprocess) {
  auto part = [](std::int64_t v) {
    if (v < 0) return std::string("-1");
    std::string s;
    rsp::append_hex_u64(s, static_cast<std::uint64_t>(v));
    return s;
  };
  return multiprocess ? "p" + part(thread.pid) + "." + part(thread.tid) : part(thread.tid);
}

QemuTarget::QemuTarget(asio::io_context& io, QemuOptions options)
    : io_(io),
      options_(std::move(options)),
      link_(io, options_.timeout),
      memory_([this](std::string_view payload) { return request(payload); }, {0x1000, options_.page_size},
              [this](std::span<const std::string> payloads) { return link_.request_batch(payloads); }),
      system_memory_(memory_, {[this] { return select_thread(concrete(memory_thread_)); },
                               [this] { return static_cast<int>(concrete(memory_thread_).tid); },
                               [this] { return physical_; },
                               [this](std::string_view command) { return monitor_query(command); }}) {}

QemuTarget::~QemuTarget() {
  link_.cancel_wait();
  if (launched_) release_qemu(*launched_);
}

std::expected<void, std::string> QemuTarget::start() {
  Endpoint where = options_.endpoint;
  if (options_.launch) {
    auto q = launch_qemu_user(*options_.launch, options_.timeout);
    if (!q) return std::unexpected(q.error());
    launched_ = std::move(*q);
    where = Endpoint{{}, 0, launched_->socket};
  }
  auto connected = link_.connect(where);
  // QEMU creates its socket file at bind() and listens a moment later: on a loaded machine a
  // connect in between is refused. Retry (bounded by the timeout) while the QEMU we started lives.
  const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  while (!connected && launched_ && std::chrono::steady_clock::now() < deadline && !reap_qemu(*launched_, false)) {
    ::usleep(20 * 1000);
    connected = link_.connect(where);
  }
  if (!connected) return connected;
  if (launched_) {
    // Connected: the socket file has done its job. Removing it now means nobody else can reach
    // this QEMU, and nothing is left in /tmp even if remora is killed with SIGKILL.
    ::unlink(launched_->socket.c_str());
    ::rmdir(launched_->dir.c_str());
    launched_->socket.clear();
    launched_->dir.clear();
  }
  return probe();
}

ThreadId QemuTarget::concrete(ThreadId thread) const {
  if (!thread.is_any() && !thread.is_all()) return thread;
  if (current_stop_ && current_stop_->kind == StopKind::stopped && current_stop_->thread.tid > 0)
    return current_stop_->thread;
  return threads_.empty() ? ThreadId{1, 1} : threads_.front();
}

std::error_code QemuTarget::select_thread(ThreadId thread) {
  if (selected_ && *selected_ == thread) return {};
  auto reply = request("Hg" + format_qemu_thread(thread, features_.multiprocess));
  if (!reply) return reply.error();
  if (*reply != "OK") return errc::no_such_thread;
  selected_ = thread;
  return {};
}

std::error_code QemuTarget::load_block(ThreadId thread) {
  if (blocks_.contains(thread.tid)) return {};
  if (auto ec = select_thread(thread)) return ec;
  // The first `g` of a stop goes in one window with the previous stop's first memory read
  // (QemuMemory::guess_packet): a step then costs QEMU two round trips, not three. User mode
  // only (a system-mode read may reach a device).
  auto guess = prefetch_armed_ && !features_.system_mode && link_.pipelining_safe(false) &&
                       features_.packet_size <= 0x2000
                   ? memory_.guess_packet()
                   : std::nullopt;
  prefetch_armed_ = false;
  QemuLink::Reply reply;
  if (guess) {
    std::string both[2] = {"g", *guess};
    auto replies = link_.request_batch(both);
    reply = std::move(replies[0]);
    memory_.take_guess(replies[1]);
  } else {
    reply = request("g");
  }
  if (!reply) return reply.error();
  if (reply->empty() || reply->size() % 2 != 0 || reply->front() == 'E') return errc::backend_io;
  Block block;
  block.bytes.resize(reply->size() / 2);
  block.available.assign(block.bytes.size(), true);
  for (std::size_t i = 0; i < block.bytes.size(); ++i) {
    std::string_view pair(reply->data() + 2 * i, 2);
    if (pair == "xx") {
      block.available[i] = false;
      continue;
    }
    if (!rsp::decode_hex_into(pair, std::span(&block.bytes[i], 1))) return errc::backend_io;
  }
  blocks_[thread.tid] = std::move(block);
  return {};
}

std::optional<std::size_t> QemuTarget::offset_of(unsigned regnum) const {
  std::size_t offset = 0;
  for (const auto& r : desc_.registers) {
    if (r.regnum == regnum) return r.in_g_packet ? std::optional(offset) : std::nullopt;
    offset += r.bytes();
  }
  return std::nullopt;
}

std::error_code QemuTarget::read_register(ThreadId thread, unsigned regnum, std::span<std::byte> out) {
  if (running_) return errc::target_running;
  const RegisterInfo* info = desc_.find(regnum);
  if (!info || out.size() != info->bytes()) return errc::no_such_register;
  thread = concrete(thread);
  if (auto offset = offset_of(regnum)) {
    if (auto ec = load_block(thread)) return ec;
    const Block& b = blocks_[thread.tid];
    if (*offset + out.size() > b.bytes.size()) return errc::register_unavailable;
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (!b.available[*offset + i]) return errc::register_unavailable;
      out[i] = b.bytes[*offset + i];
    }
    return {};
  }
  if (auto ec = select_thread(thread)) return ec;
  std::string packet = "p";
  rsp::append_hex_u64(packet, regnum);
  auto reply = request(packet);
  if (!reply) return reply.error();
  if (*reply == std::string(out.size() * 2, 'x')) return errc::register_unavailable;
  if (reply->size() != out.size() * 2 || !rsp::decode_hex_into(*reply, out)) return errc::register_unavailable;
  return {};
}

std::error_code QemuTarget::write_register(ThreadId thread, unsigned regnum, std::span<const std::byte> value) {
  if (running_) return errc::target_running;
  const RegisterInfo* info = desc_.find(regnum);
  if (!info || value.size() != info->bytes()) return errc::no_such_register;
  thread = concrete(thread);
  if (auto ec = select_thread(thread)) return ec;
  if (features_.p_packet) {
    std::string packet = "P";
    rsp::append_hex_u64(packet, regnum);
    packet += '=';
    rsp::append_hex(packet, value);
    auto reply = request(packet);
    if (!reply) return reply.error();
    if (reply->empty()) {
      features_.p_packet = false;  // fall back to G from now on
    } else if (*reply != "OK") {
      return errc::backend_io;
    }
  }
  auto offset = offset_of(regnum);
  if (!features_.p_packet) {
    if (!offset) return errc::not_supported;
    if (auto ec = load_block(thread)) return ec;
    Block b = blocks_[thread.tid];
    std::copy(value.begin(), value.end(), b.bytes.begin() + static_cast<std::ptrdiff_t>(*offset));
    auto reply = request("G" + rsp::to_hex(b.bytes));
    if (!reply) return reply.error();
    if (*reply != "OK") return errc::backend_io;
  }
  // Keep this stop's copy in step; a register outside `g` is simply read again.
  if (offset && blocks_.contains(thread.tid)) {
    Block& b = blocks_[thread.tid];
    for (std::size_t i = 0; i < value.size(); ++i) {
      b.bytes[*offset + i] = value[i];
      b.available[*offset + i] = true;
    }
  }
  return {};
}

bool QemuTarget::supports(BreakpointKind kind) const {
  if (kind == BreakpointKind::software || kind == BreakpointKind::hardware) return true;
  return features_.watchpoints;
}

// QEMU 7.2 user mode answers Z0/z0 with OK whatever the address (a TCG breakpoint is a number
// in a list, checked when code is translated), so the request can ride with the next one to
// QEMU — between two steps of gdb's breakpoint cycle that is the resume — instead of costing a
// wait of its own. System mode (KVM may refuse) and other kinds ask QEMU at once.
bool QemuTarget::may_defer(BreakpointKind kind) const {
  return kind == BreakpointKind::software && !features_.system_mode && link_.pipelining_safe(false) &&
         features_.packet_size <= 0x2000;
}

std::error_code QemuTarget::insert(BreakpointKind kind, Addr addr, std::size_t length) {
  auto key = std::make_tuple(static_cast<int>(kind), addr, length);
  if (auto it = inserted_.find(key); it != inserted_.end()) {
    ++it->second;  // QEMU would add a second entry; one in QEMU is enough
    return {};
  }
  std::string packet = "Z" + std::to_string(static_cast<int>(kind)) + ",";
  rsp::append_hex_u64(packet, addr);
  packet += ',';
  rsp::append_hex_u64(packet, length);
  if (may_defer(kind)) {
    link_.defer(std::move(packet));
    inserted_[key] = 1;
    return {};
  }
  auto reply = request(packet);
  if (!reply) return reply.error();
  if (reply->empty()) return errc::not_supported;
  if (*reply != "OK") return errc::unmapped;
  inserted_[key] = 1;
  return {};
}

std::error_code QemuTarget::remove(BreakpointKind kind, Addr addr, std::size_t length) {
  auto key = std::make_tuple(static_cast<int>(kind), addr, length);
  auto it = inserted_.find(key);
  if (it == inserted_.end()) return errc::invalid_argument;
  if (--it->second > 0) return {};
  inserted_.erase(it);
  std::string packet = "z" + std::to_string(static_cast<int>(kind)) + ",";
  rsp::append_hex_u64(packet, addr);
  packet += ',';
  rsp::append_hex_u64(packet, length);
  if (may_defer(kind)) {
    link_.defer(std::move(packet));
    return {};
  }
  auto reply = request(packet);
  if (!reply) return reply.error();
  return *reply == "OK" ? std::error_code{} : std::error_code(errc::backend_io);
}

std::vector<MonitorCommands::Command> QemuTarget::commands() const {
  std::vector<Command> list{{"qemu-stats", "round trips and bytes on the link to QEMU, and what it supports"}};
  if (options_.monitor_passthrough) list.push_back({"ANY", "anything else goes to QEMU's monitor (--qemu-monitor)"});
  return list;
}

std::optional<std::string> QemuTarget::run(std::string_view command_line, std::error_code& error) {
  if (command_line == "qemu-stats") {
    const auto& s = link_.stats();
    return "requests " + std::to_string(s.requests) + "\nm " + std::to_string(s.read_requests) + "\nM " +
           std::to_string(s.write_requests) + "\nbytes-sent " + std::to_string(s.bytes_sent) + "\nbytes-received " +
           std::to_string(s.bytes_received) + "\nlargest-request " + std::to_string(s.largest_request) +
           "\nround-trips " + std::to_string(s.round_trips) +
           "\nqemu-packet-size " + std::to_string(features_.packet_size) + "\nwatchpoints " +
           (features_.watchpoints ? "yes" : "no") + "\nhost-memory " +
           (memory_.host_stats().disabled ? "off: a probe differed from the host's byte" : host_memory_note_) +
           "\nhost-bytes-read " + std::to_string(memory_.host_stats().bytes_read) + "\nhost-bytes-written " +
           std::to_string(memory_.host_stats().bytes_written) + "\nhost-page-probes " +
           std::to_string(memory_.host_stats().probes) + "\nhost-pages-through-qemu " +
           std::to_string(memory_.host_stats().pages_through_qemu) + "\nhost-skipped-stops " +
           std::to_string(memory_.host_stats().stops_not_allowed) + "\n";
  }
  if (!options_.monitor_passthrough) return std::nullopt;
  if (running_) {
    error = errc::target_running;
    return "remora: the target is running\n";
  }
  // QEMU answers qRcmd with O packets (console output) and then OK; collect the output.
  std::string console;
  auto reply = link_.request("qRcmd," + rsp::to_hex(command_line), &console);
  if (!reply) {
    error = reply.error();
    return "remora: " + link_.death() + "\n";
  }
  if (reply->empty()) {
    error = errc::not_supported;
    return "remora: this QEMU has no monitor behind its gdbstub (user mode)\n";
  }
  if (*reply != "OK") {
    error = errc::backend_io;
    return console + "remora: QEMU answered " + *reply + "\n";
  }
  return console;
}

}  // namespace remora::targets::qemu
