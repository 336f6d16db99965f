// --trace: every packet and note, one timestamped line each, for a person reading along.
#pragma once
#include <cstdio>
#include <string>
#include <string_view>

#include "rsp/session.hpp"
#include "stub/trace_format.hpp"

namespace remora::stub {

// --trace-format: `readable` decodes each packet (stub/trace_format.hpp); `raw` shows the bytes
// exactly as sent (escaped), which scripts that grep for a packet's text rely on.
enum class TraceFormat { readable, raw };

// Formats one raw trace line (without the timestamp): `-> $payload`, `<- $payload`. Bytes
// outside printable ASCII appear as \xNN; a payload over `max_shown` characters is cut and
// followed by its total length.
std::string format_packet(rsp::PacketObserver::Direction direction, std::string_view payload,
                          std::size_t max_shown = 200);

class TraceWriter final : public rsp::PacketObserver {
 public:
  // Writes to `stream` (not owned: stderr, or a file the caller keeps open). A writer made
  // disabled writes nothing until `monitor trace on` (remora started without --trace).
  explicit TraceWriter(std::FILE* stream, TraceFormat format = TraceFormat::readable, bool enabled = true)
      : stream_(stream), format_(format), enabled_(enabled) {}

  void on_packet(Direction direction, std::string_view payload) override;
  void on_note(std::string_view text) override;
  bool set_tracing(bool on) override;

 private:
  void write_line(std::string_view text);
  std::FILE* stream_;
  TraceFormat format_;
  bool enabled_;
  TraceFormatter formatter_;
};

}  // namespace remora::stub
