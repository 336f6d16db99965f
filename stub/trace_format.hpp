// The readable --trace: one packet in, one line a person can read out. Pure (no I/O, no clock),
// so every packet kind is unit-tested; stub/trace.* adds the time and writes the line.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace remora::stub {

// Bytes shown as text when most are printable, otherwise as hex; cut after `max_shown` bytes
// with the total length: `"ELF..."` or `7f454c46 0201... (4096 bytes)`.
std::string show_bytes(std::string_view bytes, std::size_t max_shown = 32);

// The kind of a packet as the trace names it: `m`, `vCont`, `qSupported`...
std::string_view packet_name(std::string_view payload);

// Decodes packets into `m addr=0x401000 len=64`, `T05 thread=p1.1 swbreak`, `!! ERROR E0e`.
// Replies are named after the request they answer, so the formatter remembers the last one.
class TraceFormatter {
 public:
  std::string request(std::string_view payload);
  // Only remembers what the reply will answer (the trace is off, but may be switched on
  // before the reply: `monitor trace on`'s own reply is then decoded as monitor output).
  void saw_request(std::string_view payload) { last_request_ = std::string(packet_name(payload)); }
  std::string reply(std::string_view payload);

 private:
  std::string last_request_;  // the request's name (`m`, `qSupported`, ...): how to read the reply
};

}  // namespace remora::stub
