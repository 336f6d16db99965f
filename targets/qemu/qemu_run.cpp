// Running QEMU: vCont out, the stop reply back on the io_context, ^C, detach and kill.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <asio/post.hpp>
#include <thread>

#include "rsp/codec.hpp"
#include "targets/api/errors.hpp"
#include "targets/qemu/qemu_target.hpp"

namespace remora::targets::qemu {
namespace {

char action_letter(const ResumeAction& a) {
  if (a.kind == ResumeKind::step) return a.signal ? 'S' : 's';
  return a.signal ? 'C' : 'c';
}

std::uint64_t little_endian(std::span<const std::byte> bytes) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < bytes.size() && i < 8; ++i) v |= std::to_integer<std::uint64_t>(bytes[i]) << (8 * i);
  return v;
}

}  // namespace

std::error_code QemuTarget::resume(std::span<const ResumeAction> actions) {
  if (running_ || stop_posted_) return errc::target_running;
  // A dead link first: QEMU's death may already have been recorded as the current stop (noticed
  // by a read while stopped), and the client still has to be told with an exit stop reply.
  if (!link_.alive()) return post_lost();
  if (current_stop_ && current_stop_->kind != StopKind::stopped) return errc::no_process;
  std::string packet = "vCont";
  std::set<std::int64_t> stepping;
  if (std::all_of(actions.begin(), actions.end(), [](const ResumeAction& a) { return a.kind == ResumeKind::stop; }))
    return stop_in_place(actions.empty() ? ThreadId::any() : actions.front().thread);
  for (const auto& a : actions) {
    // QEMU 7.2 has no `t`: in all-stop the threads it names stay stopped anyway. No `r` either
    // (can_range_step() is false, so remora does not offer it).
    if (a.kind == ResumeKind::stop) continue;
    if (a.kind == ResumeKind::range_step) return errc::not_supported;
    packet += ';';
    packet += action_letter(a);
    if (a.signal) rsp::append_hex_byte(packet, static_cast<std::uint8_t>(a.signal));
    if (!a.thread.is_all()) packet += ":" + format_qemu_thread(concrete(a.thread), features_.multiprocess);
    if (a.kind == ResumeKind::step) stepping.insert(concrete(a.thread).tid);
  }
  if (auto ec = link_.send_only(packet)) return link_.alive() ? ec : post_lost();
  stepping_ = std::move(stepping);
  blocks_.clear();
  memory_.ran();  // pages proven writable may change while it runs; the prefetch is stale
  page_probes_.clear();  // the guest may map and unmap while it runs
  selected_.reset();  // QEMU moves its Hg to the thread that stops
  running_ = true;
  interrupt_requested_ = false;
  link_.wait_async([this](QemuLink::Reply reply) { on_stop_reply(std::move(reply)); });
  return {};
}

// vCont;t alone: nothing runs; the stop (signal 0) is reported from the loop, as gdbserver does.
std::error_code QemuTarget::stop_in_place(ThreadId thread) {
  StopEvent e;
  e.thread = concrete(thread);
  e.signal = 0;
  e.reason = StopReason::signal;
  return post_stop(std::move(e));
}

// The stop is reported from the loop, as a real one would be (never inside the client's request).
std::error_code QemuTarget::post_stop(StopEvent e) {
  stop_posted_ = true;
  asio::post(io_, [this, e = std::move(e), token = std::weak_ptr<int>(token_)] {
    if (token.expired() || !stop_posted_) return;
    stop_posted_ = false;
    current_stop_ = e;
    if (listener_) listener_->on_stop(e);
  });
  return {};
}

std::error_code QemuTarget::post_lost() {
  StopEvent e = link_lost();
  threads_.clear();
  return post_stop(std::move(e));
}

std::error_code QemuTarget::interrupt() {
  if (!running_) return {};
  interrupt_requested_ = true;
  if (launched_ && !launched_->reaped) {
    // QEMU 7.2 user mode does not read its socket while the guest runs, so 0x03 would wait
    // until the next stop. SIGINT to QEMU becomes a pending guest signal, and QEMU's gdbstub
    // reports it as a stop (T02) *before* delivering it: when the client resumes without a
    // signal (gdb's default for SIGINT: nopass), the guest's handler never runs.
    return ::kill(launched_->pid, SIGINT) == 0 ? std::error_code{} : std::error_code(errno, std::system_category());
  }
  return link_.send_raw(std::string(1, '\x03'));  // system mode reads it while running
}

std::error_code QemuTarget::detach() {
  // Never forwarded: QEMU 7.2 serves one debugger connection for its life, so remora keeps the
  // link (and the guest stopped) for the next client. The client's breakpoints go.
  if (running_) return errc::target_running;
  std::error_code first;
  auto inserted = std::move(inserted_);
  inserted_.clear();
  for (const auto& [key, count] : inserted) {
    std::string packet = "z" + std::to_string(std::get<0>(key)) + ",";
    rsp::append_hex_u64(packet, std::get<1>(key));
    packet += ',';
    rsp::append_hex_u64(packet, std::get<2>(key));
    auto reply = request(packet);
    if (!reply && !first) first = reply.error();
  }
  // The client's own z0s before it left may still wait to ride with a request: send them now.
  if (auto ec = link_.flush_deferred(); ec && !first) first = ec;
  return first;
}

std::error_code QemuTarget::kill() {
  link_.cancel_wait();
  running_ = false;
  stop_posted_ = false;
  if (launched_) {
    release_qemu(*launched_);
  } else if (link_.alive()) {
    // QEMU answers `k` with W00 and waits for our ack before it exits: read (and ack) it.
    link_.set_timeout(std::min(options_.timeout, std::chrono::milliseconds(1000)));
    (void)request("k");
    (void)link_.send_raw({});  // the ack QEMU waits for before it exits
  }
  threads_.clear();
  blocks_.clear();
  memory_.ran();
  inserted_.clear();
  StopEvent gone;
  gone.kind = StopKind::terminated;
  gone.signal = gdb_signal::kill;
  current_stop_ = gone;
  return {};
}

void QemuTarget::reap(bool force) {
  if (!launched_ || launched_->reaped) return;
  // QEMU exits right after it closes the link; give it a moment before forcing it.
  for (int i = 0; i < 100 && !reap_qemu(*launched_, false); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (force && !launched_->reaped) release_qemu(*launched_);
}

StopEvent QemuTarget::link_lost() {
  StopEvent e;
  e.kind = StopKind::terminated;
  e.signal = gdb_signal::kill;
  e.reason = StopReason::exception;
  e.description = "lost QEMU: " + (link_.death().empty() ? std::string("link closed") : link_.death());
  reap(true);
  if (launched_ && launched_->reaped) {
    int st = launched_->wait_status;
    if (WIFEXITED(st)) {
      e.kind = StopKind::exited;
      e.exit_code = WEXITSTATUS(st);
    } else if (WIFSIGNALED(st)) {
      e.signal = WTERMSIG(st) == SIGKILL ? gdb_signal::kill : gdb_signal::term;
    }
  }
  return e;
}

StopEvent QemuTarget::parse_stop(std::string_view reply) {
  StopEvent e;
  auto sig = rsp::parse_hex_u64(reply.size() >= 3 ? reply.substr(1, 2) : std::string_view{});
  if (!sig || (reply[0] != 'T' && reply[0] != 'S' && reply[0] != 'W' && reply[0] != 'X')) {
    StopEvent odd;
    odd.thread = concrete(ThreadId::any());
    odd.reason = StopReason::exception;
    odd.description = "QEMU sent an unexpected stop reply '" + std::string(reply.substr(0, 40)) + "'";
    return odd;
  }
  if (reply[0] == 'W' || reply[0] == 'X') {
    e.kind = reply[0] == 'W' ? StopKind::exited : StopKind::terminated;
    e.exit_code = static_cast<int>(*sig);
    e.signal = static_cast<int>(*sig);
    threads_.clear();
    return e;
  }
  e.signal = static_cast<int>(*sig);
  e.thread = concrete(ThreadId::any());
  for (std::string_view rest = reply.substr(3); !rest.empty();) {
    auto pair = rsp::split_once(rest, ';');
    auto kv = rsp::split_once(pair.head, ':');
    if (kv.head == "thread") {
      if (auto t = parse_qemu_thread(kv.tail)) e.thread = *t;
    } else if (kv.head == "watch" || kv.head == "rwatch" || kv.head == "awatch") {
      e.reason = kv.head == "watch" ? StopReason::watch_write
                                   : kv.head == "rwatch" ? StopReason::watch_read : StopReason::watch_access;
      e.watch_address = rsp::parse_hex_u64(kv.tail).value_or(0);
    } else if (kv.head == "swbreak") {
      e.reason = StopReason::breakpoint;
    } else if (kv.head == "hwbreak") {
      e.reason = StopReason::hw_breakpoint;
    }
    if (!pair.found) break;
    rest = pair.tail;
  }
  return e;
}

// QEMU 7.2 says only T05 for a breakpoint or a finished step: remora tells them apart from what
// it asked for (the threads it stepped, the breakpoints it inserted at the stop pc).
void QemuTarget::classify_trap(StopEvent& e, std::string_view) {
  if (e.signal == gdb_signal::int_ && interrupt_requested_) {
    e.reason = StopReason::interrupt;
    return;
  }
  if (e.signal != gdb_signal::trap || e.reason != StopReason::signal) return;
  const RegisterInfo* pc = desc_.find_role(GenericRole::pc);
  std::vector<std::byte> value(pc ? pc->bytes() : 0);
  if (pc && !read_register(e.thread, pc->regnum, value)) {
    const Addr at = little_endian(value);
    for (const auto& [key, count] : inserted_) {
      if (std::get<1>(key) != at) continue;
      if (std::get<0>(key) == static_cast<int>(BreakpointKind::software)) e.reason = StopReason::breakpoint;
      if (std::get<0>(key) == static_cast<int>(BreakpointKind::hardware)) e.reason = StopReason::hw_breakpoint;
    }
  }
  if (e.reason == StopReason::signal && stepping_.contains(e.thread.tid)) e.reason = StopReason::step;
}

void QemuTarget::on_stop_reply(QemuLink::Reply reply) {
  running_ = false;
  StopEvent event;
  if (!reply) {
    event = link_lost();
    threads_.clear();
  } else if (reply->size() == 3 && reply->front() == 'E') {
    // Only bs/bc are answered this way (QEMU cannot go back from here): nothing ran. gdb treats
    // an E reply to a resume as a stop with no signal; so does remora, saying why.
    event.thread = concrete(ThreadId::any());
    event.signal = 0;
    event.reason = StopReason::exception;
    event.description = "QEMU answered " + *reply + ": it cannot run backwards from here";
  } else {
    event = parse_stop(*reply);
    if (event.kind == StopKind::stopped) {
      // QEMU points its Hg at the thread that stopped (gdb_set_stop_cpu): no Hg needed to read
      // its registers. The thread list is read when someone asks (gdb's stepi never does), which
      // keeps a step at QEMU's 3 round trips (vCont, g, the client's m) as gdb alone makes.
      selected_ = event.thread;
      threads_stale_ = true;
      prefetch_armed_ = true;
      classify_trap(event, *reply);
    } else {
      reap(false);
    }
  }
  interrupt_requested_ = false;
  stepping_.clear();
  // The client's Hg is reset at a stop (memory goes through the stopped vCPU) and the guest may
  // have changed its page tables.
  memory_thread_ = ThreadId::any();
  system_memory_.forget_translations();
  current_stop_ = event;
  if (listener_) listener_->on_stop(event);
}

}  // namespace remora::targets::qemu
