// Thread ids on the wire: `TID`, `-1`, `0`, or with multiprocess `pPID.TID`, `pPID`, `p-1.-1`.
#pragma once
#include <expected>
#include <string>
#include <string_view>

#include "rsp/codec.hpp"
#include "targets/api/types.hpp"

namespace remora::rsp::packets {

std::expected<targets::ThreadId, DecodeError> parse_thread_id(std::string_view text);
// `multiprocess` selects the `pPID.TID` form (the client negotiated multiprocess+).
void append_thread_id(std::string& out, targets::ThreadId id, bool multiprocess);

}  // namespace remora::rsp::packets
