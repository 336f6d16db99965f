#include "rsp/packets/execution.hpp"

#include "rsp/packets/thread_id.hpp"

namespace remora::rsp::packets {
namespace {

std::expected<std::optional<targets::Addr>, DecodeError> decode_optional_addr(std::string_view text) {
  if (text.empty()) return std::optional<targets::Addr>{};
  auto addr = parse_hex_u64(text);
  if (!addr) return std::unexpected(addr.error());
  return std::optional<targets::Addr>{*addr};
}

std::expected<int, DecodeError> decode_signal(std::string_view text) {
  auto value = parse_hex_u64(text);
  if (!value) return std::unexpected(value.error());
  if (*value > 0xff) return std::unexpected(DecodeError::overflow);
  return static_cast<int>(*value);
}

std::expected<Resume, DecodeError> decode_plain(std::string_view args, bool step) {
  auto addr = decode_optional_addr(args);
  if (!addr) return std::unexpected(addr.error());
  return Resume{step, 0, *addr};
}

std::expected<Resume, DecodeError> decode_with_signal(std::string_view args, bool step) {
  auto parts = split_once(args, ';');
  auto signal = decode_signal(parts.head);
  if (!signal) return std::unexpected(signal.error());
  std::optional<targets::Addr> addr;
  if (parts.found) {
    auto parsed = decode_optional_addr(parts.tail);
    if (!parsed) return std::unexpected(parsed.error());
    if (!*parsed) return std::unexpected(DecodeError::empty_field);
    addr = *parsed;
  }
  return Resume{step, *signal, addr};
}

// One vCont action: c, Csig, s, Ssig, t, rSTART,END, each with an optional :thread.
std::expected<targets::ResumeAction, DecodeError> decode_action(std::string_view text) {
  auto parts = split_once(text, ':');
  std::string_view verb = parts.head;
  targets::ResumeAction action;
  if (parts.found) {
    auto thread = parse_thread_id(parts.tail);
    if (!thread) return std::unexpected(thread.error());
    action.thread = *thread;
  }
  if (verb.empty()) return std::unexpected(DecodeError::empty_field);
  char kind = verb.front();
  verb.remove_prefix(1);
  switch (kind) {
    case 'c':
    case 's':
    case 't':
      if (!verb.empty()) return std::unexpected(DecodeError::trailing_garbage);
      action.kind = kind == 'c' ? targets::ResumeKind::cont
                    : kind == 's' ? targets::ResumeKind::step
                                  : targets::ResumeKind::stop;
      return action;
    case 'C':
    case 'S': {
      auto signal = decode_signal(verb);
      if (!signal) return std::unexpected(signal.error());
      action.kind = kind == 'C' ? targets::ResumeKind::cont : targets::ResumeKind::step;
      action.signal = *signal;
      return action;
    }
    case 'r': {
      auto range = split_once(verb, ',');
      if (!range.found) return std::unexpected(DecodeError::missing_field);
      auto start = parse_hex_u64(range.head);
      if (!start) return std::unexpected(start.error());
      auto end = parse_hex_u64(range.tail);
      if (!end) return std::unexpected(end.error());
      action.kind = targets::ResumeKind::range_step;
      action.range_start = *start;
      action.range_end = *end;
      return action;
    }
    default:
      return std::unexpected(DecodeError::unknown_action);
  }
}

}  // namespace

std::expected<Resume, DecodeError> decode_continue(std::string_view args) { return decode_plain(args, false); }
std::expected<Resume, DecodeError> decode_step(std::string_view args) { return decode_plain(args, true); }
std::expected<Resume, DecodeError> decode_continue_signal(std::string_view args) {
  return decode_with_signal(args, false);
}
std::expected<Resume, DecodeError> decode_step_signal(std::string_view args) { return decode_with_signal(args, true); }

std::expected<VCont, DecodeError> decode_vcont(std::string_view args) {
  // args is what follows "vCont": ";action[:thread];action..."
  if (args.empty() || args.front() != ';') return std::unexpected(DecodeError::missing_field);
  VCont request;
  std::string_view rest = args.substr(1);
  while (true) {
    auto parts = split_once(rest, ';');
    auto action = decode_action(parts.head);
    if (!action) return std::unexpected(action.error());
    request.actions.push_back(*action);
    if (!parts.found) break;
    rest = parts.tail;
    if (request.actions.size() > 4096) return std::unexpected(DecodeError::too_long);
  }
  return request;
}

std::expected<SetThread, DecodeError> decode_set_thread(std::string_view args) {
  if (args.empty()) return std::unexpected(DecodeError::missing_field);
  char op = args.front();
  if (op != 'g' && op != 'c') return std::unexpected(DecodeError::unknown_action);
  auto thread = parse_thread_id(args.substr(1));
  if (!thread) return std::unexpected(thread.error());
  return SetThread{op, *thread};
}

std::expected<ThreadAlive, DecodeError> decode_thread_alive(std::string_view args) {
  auto thread = parse_thread_id(args);
  if (!thread) return std::unexpected(thread.error());
  return ThreadAlive{*thread};
}

}  // namespace remora::rsp::packets
