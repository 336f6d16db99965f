// The glue between a packet's decoder and its handler; each capability's route table uses it.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "rsp/codec.hpp"
#include "rsp/reply.hpp"
#include "rsp/session_state.hpp"

namespace remora::rsp {

template <auto Decode, auto Handle>
Reply route(SessionState& s, std::string_view args, std::optional<DecodeError>& error) {
  auto request = Decode(args);
  if (!request) {
    error = request.error();
    return Reply::error(ErrorCode::malformed, std::string(describe(request.error())));
  }
  return Handle(s, *request);
}

}  // namespace remora::rsp
