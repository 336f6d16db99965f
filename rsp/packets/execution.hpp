// Execution packets: c, C, s, S, vCont, and the thread selection packets H and T.
#pragma once
#include <expected>
#include <optional>
#include <string_view>
#include <vector>

#include "rsp/codec.hpp"
#include "targets/api/types.hpp"

namespace remora::rsp::packets {

struct Resume {  // c [addr] / C sig[;addr] / s [addr] / S sig[;addr]
  bool step = false;
  int signal = 0;
  std::optional<targets::Addr> addr;
};

struct VCont {  // vCont;action[:thread]...
  std::vector<targets::ResumeAction> actions;
};

struct SetThread {  // H op thread
  char op = 'g';  // 'g' for register/memory access, 'c' for resume (legacy)
  targets::ThreadId thread;
};

struct ThreadAlive {  // T thread
  targets::ThreadId thread;
};

std::expected<Resume, DecodeError> decode_continue(std::string_view args);
std::expected<Resume, DecodeError> decode_continue_signal(std::string_view args);
std::expected<Resume, DecodeError> decode_step(std::string_view args);
std::expected<Resume, DecodeError> decode_step_signal(std::string_view args);
std::expected<VCont, DecodeError> decode_vcont(std::string_view args);
std::expected<SetThread, DecodeError> decode_set_thread(std::string_view args);
std::expected<ThreadAlive, DecodeError> decode_thread_alive(std::string_view args);

}  // namespace remora::rsp::packets
