// --trace: every packet and note, one readable line each, for a person reading along.
#pragma once
#include <cstdio>
#include <string>
#include <string_view>

#include "rsp/session.hpp"

namespace remora::stub {

// Formats one trace line (without the timestamp): `-> $payload`, `<- $payload` or
// `remora: note`. Bytes outside printable ASCII appear as \xNN; a payload over
// `max_shown` characters is cut and followed by its total length.
std::string format_packet(rsp::PacketObserver::Direction direction, std::string_view payload,
                          std::size_t max_shown = 200);

class TraceWriter final : public rsp::PacketObserver {
 public:
  // Writes to `stream` (not owned: stderr, or a file the caller keeps open).
  explicit TraceWriter(std::FILE* stream) : stream_(stream) {}

  void on_packet(Direction direction, std::string_view payload) override;
  void on_note(std::string_view text) override;

 private:
  void write_line(std::string_view text);
  std::FILE* stream_;
};

}  // namespace remora::stub
