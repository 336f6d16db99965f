#include "stub/connection.hpp"

#include <algorithm>
#include <asio/post.hpp>
#include <asio/write.hpp>

namespace remora::stub {
namespace {

// Client bytes go to the Session in slices so that a burst of small requests with large replies
// (thousands of `m` packets in one read) can't make the write queue grow without bound: feeding
// pauses when this much output is queued and resumes as the client reads it. The queue then
// never holds much more than high_water plus the replies to one slice.
constexpr std::size_t feed_slice = 256;
constexpr std::size_t high_water = 1u << 20;

// After D, k or `monitor exit`, how long a client may take to read the last reply.
constexpr auto flush_deadline = std::chrono::seconds(5);
// Non-stop: how long a client may keep the link after its process is gone.
constexpr auto hangup_deadline = std::chrono::seconds(10);

}  // namespace

Connection::Connection(asio::io_context& io, ClientStream stream, targets::Target& target,
                       ConnectionConfig config, Console console, ClientDone done)
    : stream_(std::move(stream)),
      target_(target),
      config_(std::move(config)),
      console_(std::move(console)),
      done_(std::move(done)),
      session_(std::make_unique<rsp::Session>(target, config_.session)),
      idle_timer_(io) {}

void Connection::start() {
  target_.set_stop_listener(this);
  last_input_ = std::chrono::steady_clock::now();
  if (config_.idle_timeout) arm_idle_timer(*config_.idle_timeout);
  std::string out;
  after_session_call(out);
  read_more();
}

void Connection::shutdown() { end(""); }

void Connection::on_stop(const targets::StopEvent& event) {
  if (ended_) return;
  if (config_.process) config_.process->on_stop(event);
  session_->on_stop(event);
  std::string out;
  after_session_call(out);
}

void Connection::read_more() {
  // The socket is read while the target runs too: that is how 0x03 reaches the Session.
  if (reading_ || ended_ || closing_) return;
  reading_ = true;
  stream_.input.async_read_some(asio::buffer(read_buffer_),
                                [self = shared_from_this()](std::error_code ec, std::size_t length) {
                                  self->on_read(ec, length);
                                });
}

void Connection::on_read(std::error_code ec, std::size_t length) {
  reading_ = false;
  if (ended_) return;
  if (ec) {
    end(ec == asio::error::eof ? std::string() : ec.message());
    return;
  }
  last_input_ = std::chrono::steady_clock::now();
  unfed_.append(read_buffer_.data(), length);
  feed();
}

void Connection::feed() {
  while (!ended_ && !closing_ && unfed_offset_ < unfed_.size() && queued_bytes_ < high_water) {
    std::size_t length = next_slice();
    std::string out = take_spare();
    session_->on_client_bytes(std::string_view(unfed_).substr(unfed_offset_, length), out);
    unfed_offset_ += length;
    after_session_call(out);
  }
  if (ended_ || closing_) return;
  if (unfed_offset_ == unfed_.size()) {
    unfed_.clear();
    unfed_offset_ = 0;
    read_more();
  }
  // Otherwise paused: on_written() calls feed() again as the queue drains.
}

// After every Session call: collect what it produced (including stops queued through the
// listener), send it, and act on D / k / `monitor exit`.
void Connection::after_session_call(std::string& out) {
  out += session_->take_output();
  send(std::move(out));
  if (closing_) return;
  if (config_.process) {
    config_.process->after_session_call();
    // gdbserver exits as soon as the exit reply is sent (or after D / k) unless in --multi mode.
    // In non-stop mode the exit is a notification gdb handles after it returns to its event
    // loop; closing first makes it say "Remote connection closed". As gdbserver does, the link
    // stays until the client hangs up (bounded).
    const bool done = config_.process->work_done();
    if (done && session_->non_stop()) {
      if (!awaiting_hangup_) {
        awaiting_hangup_ = true;
        arm_idle_timer(hangup_deadline);
      }
    } else {
      process_done_ = done;
    }
  }
  if (session_->wants_exit()) exit_server_ = true;
  if (session_->wants_close() || session_->wants_exit() || process_done_) {
    closing_ = true;
    if (!writing_) {
      end("");
    } else {
      arm_idle_timer(flush_deadline);
    }
  }
}

void Connection::send(std::string bytes) {
  if (bytes.empty() || ended_) return keep_spare(std::move(bytes));
  queued_bytes_ += bytes.size();
  write_queue_.push_back(std::move(bytes));
  if (!writing_) write_front();
}

// One spare buffer is enough: gdb keeps one request in flight, so a PacketSize reply is framed
// into the buffer the previous one was written from, not into fresh memory each time.
// Inside a frame (a big X or M on its way) the rest of that frame completes at most one packet,
// so it goes in one piece: up to its '#' and checksum (gdb escapes '#' in binary data), or all
// that has arrived. Feeding a 128 KiB X in 256-byte slices cost more than decoding it.
std::size_t Connection::next_slice() const {
  const std::size_t left = unfed_.size() - unfed_offset_;
  if (!session_->in_frame()) return std::min(feed_slice, left);
  const auto hash = unfed_.find('#', unfed_offset_);
  if (hash == std::string::npos) return left;
  return std::min(hash + 3 - unfed_offset_, left);
}

std::string Connection::take_spare() {
  std::string out = std::move(spare_);
  out.clear();
  return out;
}

void Connection::keep_spare(std::string&& bytes) {
  if (bytes.capacity() > spare_.capacity()) spare_ = std::move(bytes);
}

void Connection::write_front() {
  writing_ = true;
  // deque::push_back keeps references valid, so the front's buffer stays put while in flight.
  asio::async_write(output(), asio::buffer(write_queue_.front()),
                    [self = shared_from_this()](std::error_code ec, std::size_t) { self->on_written(ec); });
}

void Connection::on_written(std::error_code ec) {
  writing_ = false;
  if (ended_) return;
  if (ec) {
    end(ec.message());
    return;
  }
  queued_bytes_ -= write_queue_.front().size();
  keep_spare(std::move(write_queue_.front()));
  write_queue_.pop_front();
  if (!write_queue_.empty()) {
    write_front();
  } else if (closing_) {
    end("");
    return;
  }
  if (!closing_) feed();
}

void Connection::arm_idle_timer(std::chrono::steady_clock::duration delay) {
  idle_timer_.expires_after(delay);
  idle_timer_.async_wait([self = shared_from_this()](std::error_code ec) {
    if (!ec) self->on_idle_timer();
  });
}

void Connection::on_idle_timer() {
  if (ended_) return;
  if (awaiting_hangup_) {
    process_done_ = true;
    end("the process is gone and the client did not hang up; closing");
    return;
  }
  if (closing_) {
    end("did not read the last reply; closing");
    return;
  }
  if (!config_.idle_timeout) return;
  auto now = std::chrono::steady_clock::now();
  // gdb sends nothing while it waits for a stop reply: a long `continue` is not idleness.
  if (session_->target_running()) last_input_ = now;
  auto idle_for = now - last_input_;
  if (idle_for >= *config_.idle_timeout) {
    end("nothing received for " + std::to_string(config_.idle_timeout->count()) + " s; closing");
    return;
  }
  arm_idle_timer(*config_.idle_timeout - idle_for);
}

void Connection::end(const std::string& why) {
  if (ended_) return;
  ended_ = true;
  if (!why.empty()) console_("remora: client " + stream_.peer + ": " + why);
  idle_timer_.cancel();
  std::error_code ignored;
  stream_.input.close(ignored);
  if (stream_.output) stream_.output->close(ignored);
  // The queue is left alone: a cancelled async_write may still refer to its front buffer.
  session_->on_disconnect();  // flushes, then detaches, kills or keeps per --on-disconnect
  if (config_.process) {  // --on-disconnect kill/detach may have ended the process
    config_.process->after_session_call();
    process_done_ = process_done_ || config_.process->work_done();
  }
  target_.set_stop_listener(nullptr);
  // Destroyed now, not when the last handler lets go of this connection: the Session refers
  // to the target, which main() may destroy before the event loop's leftovers.
  session_.reset();
  asio::post(idle_timer_.get_executor(), [done = std::move(done_), end = ClientEnd{exit_server_, process_done_}] {
    if (done) done(end);
  });
}

ClientFactory make_connection_factory(asio::io_context& io, targets::Target& target, ConnectionConfig config,
                                      Console console) {
  return [&io, &target, config = std::move(config), console = std::move(console)](
             ClientStream stream, ClientDone done) -> std::shared_ptr<Client> {
    return std::make_shared<Connection>(io, std::move(stream), target, config, console, std::move(done));
  };
}

}  // namespace remora::stub
