#include "stub/trace.hpp"

#include <chrono>
#include <ctime>

namespace remora::stub {
namespace {

void append_escaped(std::string& out, std::string_view bytes) {
  static constexpr char hex[] = "0123456789abcdef";
  for (char c : bytes) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && u != '\\') {
      out += c;
    } else {
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 0xf];
    }
  }
}

// HH:MM:SS.mmm local time: enough to line packets up with gdb's own `set debug remote` log.
std::string timestamp() {
  auto now = std::chrono::system_clock::now();
  std::time_t secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm local{};
  localtime_r(&secs, &local);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%03d", local.tm_hour, local.tm_min, local.tm_sec,
                static_cast<int>(ms));
  return buf;
}

}  // namespace

std::string format_packet(rsp::PacketObserver::Direction direction, std::string_view payload,
                          std::size_t max_shown) {
  std::string line = direction == rsp::PacketObserver::Direction::from_client ? "-> " : "<- ";
  if (payload.size() <= max_shown) {
    append_escaped(line, payload);
  } else {
    append_escaped(line, payload.substr(0, max_shown));
    line += "... (" + std::to_string(payload.size()) + " bytes)";
  }
  return line;
}

void TraceWriter::on_packet(Direction direction, std::string_view payload) {
  if (!enabled_) {
    if (direction == Direction::from_client && format_ == TraceFormat::readable) formatter_.saw_request(payload);
    return;
  }
  if (format_ == TraceFormat::raw) return write_line(format_packet(direction, payload));
  const bool request = direction == Direction::from_client;
  write_line((request ? "-> " : "<- ") + (request ? formatter_.request(payload) : formatter_.reply(payload)));
}

void TraceWriter::on_note(std::string_view text) {
  if (!enabled_) return;
  std::string line = "remora: ";
  append_escaped(line, text);
  write_line(line);
}

bool TraceWriter::set_tracing(bool on) {
  enabled_ = on;
  return stream_ != nullptr;
}

void TraceWriter::write_line(std::string_view text) {
  if (stream_ == nullptr) return;
  std::string line = timestamp();
  line += ' ';
  line += text;
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stream_);
  std::fflush(stream_);  // a trace is read while the stub runs, or after it crashed
}

}  // namespace remora::stub
