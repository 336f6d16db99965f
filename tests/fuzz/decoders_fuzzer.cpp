// libFuzzer entry point: the whole input is handed, as packet arguments, to every typed decoder in
// rsp/packets/ (and to the codec parsers they are built on). Each result is tallied for the
// replay (coverage_sink.hpp), and what a decoder accepted is checked against what it promises:
// round trips through the matching encoder, lengths that match, ranges that do not wrap.
//
// The table below must name every decoder declared in rsp/packets/*.hpp: the corpus replay is
// given that list by CMake (read from the headers) and fails on a decoder missing here.
//
// Also compiled by GCC without libFuzzer into the corpus replay; nothing clang-only here.
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "rsp/codec.hpp"
#include "rsp/packets/control.hpp"
#include "rsp/packets/execution.hpp"
#include "rsp/packets/host_io.hpp"
#include "rsp/packets/lldb.hpp"
#include "rsp/packets/memory.hpp"
#include "rsp/packets/passthrough.hpp"
#include "rsp/packets/registers.hpp"
#include "rsp/packets/process.hpp"
#include "rsp/packets/process_query.hpp"
#include "rsp/packets/thread_id.hpp"
#include "tests/fuzz/coverage_sink.hpp"

namespace {

using namespace remora;
using rsp::DecodeError;
namespace p = rsp::packets;

[[noreturn]] void fail(const char* what, std::string_view input) {
  std::fprintf(stderr, "decoders_fuzzer: %s (input of %zu bytes: %.*s)\n", what, input.size(),
               static_cast<int>(input.size() > 200 ? 200 : input.size()), input.data());
  std::abort();
}

void check(bool ok, const char* what, std::string_view input) {
  if (!ok) fail(what, input);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool wraps(std::uint64_t addr, std::uint64_t length) {
  return length > 0 && addr > std::numeric_limits<std::uint64_t>::max() - (length - 1);
}

// What each decoder accepted must hold; the checks are per result type.
template <class T>
void verify(const T&, std::string_view) {}

void verify(const targets::ThreadId& id, std::string_view in) {
  std::string text;
  p::append_thread_id(text, id, /*multiprocess=*/true);
  auto again = p::parse_thread_id(text);
  check(again && *again == id, "thread id does not survive append_thread_id/parse_thread_id", in);
}
void verify(const p::ReadMemory& r, std::string_view in) { check(!wraps(r.addr, r.length), "m range wraps", in); }
void verify(const p::WriteMemory& w, std::string_view in) {
  check(!wraps(w.addr, w.data.size()), "M/X range wraps", in);
}
void verify(const p::Breakpoint& b, std::string_view in) {
  check(!wraps(b.addr, b.length), "Z range wraps", in);
  check(static_cast<int>(b.kind) >= 0 && static_cast<int>(b.kind) <= 4, "Z type out of range", in);
}
void verify(const p::VCont& v, std::string_view in) { check(!v.actions.empty(), "vCont without actions", in); }
void verify(const p::WriteRegister& w, std::string_view in) { check(!w.value.empty(), "P without a value", in); }
void verify(const p::Resume& r, std::string_view in) { check(r.signal >= 0 && r.signal <= 0xff, "bad signal", in); }

void verify(const p::SearchMemory& q, std::string_view in) {
  check(!wraps(q.addr, q.length) && !q.pattern.empty(), "qSearch range wraps or pattern empty", in);
}
void verify(const p::MemoryCrc& c, std::string_view in) { check(!wraps(c.addr, c.length), "qCRC range wraps", in); }
void verify(const p::SignalList& l, std::string_view in) {
  for (int sig : l.signals) check(sig >= 0 && sig <= 0xff, "signal out of range", in);
}
void verify(const p::RegisterInfoQuery& q, std::string_view in) { check(q.regnum <= 0xffff, "regnum > 0xffff", in); }
void verify(const p::AllocateMemory& a, std::string_view in) { check(a.size > 0, "_M of size 0", in); }
void verify(const p::ThreadStopInfoQuery& q, std::string_view in) { verify(q.thread, in); }
void verify(const p::RestoreRegisterState& r, std::string_view in) {
  // The id came in decimal; lldb echoes back what QSaveRegisterState printed.
  check(std::to_string(r.id).size() <= in.size(), "restore id grew", in);
  if (r.thread) verify(*r.thread, in);
}
void verify(const p::HostOpen& o, std::string_view in) {
  check(!o.path.empty() && o.path.find('\0') == std::string::npos, "vFile path empty or holds a NUL", in);
}
void verify(const p::HostPath& o, std::string_view in) {
  check(!o.path.empty() && o.path.find('\0') == std::string::npos, "vFile path empty or holds a NUL", in);
}
void verify(const p::HostFd& f, std::string_view in) { check(f.fd >= 0, "negative vFile fd", in); }
void verify(const p::HostPread& r, std::string_view in) { check(r.fd >= 0, "negative vFile fd", in); }
void verify(const p::HostPwrite& w, std::string_view in) { check(w.fd >= 0, "negative vFile fd", in); }
void verify(const p::SaveRegisterState& r, std::string_view in) {
  if (r.thread) verify(*r.thread, in);
}

template <auto Decode>
void run(const char* name, std::string_view in) {
  // Looked up once per decoder, not per input: a std::string key built and compared 53 times per
  // input was a third of the fuzzer's time, and its memcmp calls filled libFuzzer's table of
  // compared values with decoder names. std::map references stay valid as the map grows.
  static auto& tally = fuzz::decoder_tallies[name];
  auto result = Decode(in);
  if (!result) {
    auto kind = static_cast<std::size_t>(result.error());
    check(kind < fuzz::kDecodeErrorKinds, "DecodeError out of range", in);
    tally.refused[kind]++;
    return;
  }
  tally.accepted++;
  if constexpr (!std::is_void_v<typename decltype(result)::value_type>) verify(*result, in);
}

// The codec parsers the decoders are built on, with their round trips.
void codec_round_trips(std::string_view in) {
  if (auto v = rsp::parse_hex_u64(in)) {
    std::string text;
    rsp::append_hex_u64(text, *v);
    auto again = rsp::parse_hex_u64(text);
    check(again && *again == *v, "hex number does not round-trip", in);
  }
  if (auto v = rsp::parse_dec_u64(in)) check(std::to_string(*v).size() <= in.size(), "decimal grew", in);
  if (auto bytes = rsp::decode_hex_bytes(in)) check(rsp::to_hex(*bytes) == lower(in), "hex bytes do not round-trip", in);
  if (auto text = rsp::hex_to_text(in)) check(rsp::to_hex(*text) == lower(in), "hex text does not round-trip", in);
  if (auto bytes = rsp::unescape_binary(in)) {
    std::string escaped;
    rsp::append_escaped(escaped, *bytes);
    for (char c : escaped) check(c != '$' && c != '#' && c != '*', "escaped data still holds framing", in);
    auto again = rsp::unescape_binary(escaped);
    check(again && *again == *bytes, "binary data does not round-trip", in);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
#define REMORA_RUN(ns, f) run<ns::f>(#f, in)
  REMORA_RUN(p, decode_breakpoint);
  REMORA_RUN(p, decode_detach);
  REMORA_RUN(p, decode_attached);
  REMORA_RUN(p, decode_vkill);
  REMORA_RUN(p, decode_monitor);
  REMORA_RUN(p, decode_xfer_read);
  REMORA_RUN(p, decode_supported);
  REMORA_RUN(p, decode_no_args);
  REMORA_RUN(p, decode_continue);
  REMORA_RUN(p, decode_continue_signal);
  REMORA_RUN(p, decode_step);
  REMORA_RUN(p, decode_step_signal);
  REMORA_RUN(p, decode_vcont);
  REMORA_RUN(p, decode_set_thread);
  REMORA_RUN(p, decode_thread_alive);
  REMORA_RUN(p, decode_read_memory);
  REMORA_RUN(p, decode_write_memory_hex);
  REMORA_RUN(p, decode_write_memory_binary);
  REMORA_RUN(p, split_thread_suffix);
  REMORA_RUN(p, decode_read_registers);
  REMORA_RUN(p, decode_write_registers);
  REMORA_RUN(p, decode_read_register);
  REMORA_RUN(p, decode_write_register);
  REMORA_RUN(p, parse_thread_id);
  REMORA_RUN(p, decode_vrun);
  REMORA_RUN(p, decode_restart);
  REMORA_RUN(p, decode_set_environment);
  REMORA_RUN(p, decode_unset_environment);
  REMORA_RUN(p, decode_working_dir);
  REMORA_RUN(p, decode_switch);
  REMORA_RUN(p, decode_signal_list);
  REMORA_RUN(p, decode_catch_syscalls);
  REMORA_RUN(p, decode_xfer_object);
  REMORA_RUN(p, decode_thread_extra_info);
  REMORA_RUN(p, decode_search_memory);
  REMORA_RUN(p, decode_crc);
  REMORA_RUN(p, decode_register_info);
  REMORA_RUN(p, decode_memory_region_info);
  REMORA_RUN(p, decode_allocate_memory);
  REMORA_RUN(p, decode_deallocate_memory);
  REMORA_RUN(p, decode_save_register_state);
  REMORA_RUN(p, decode_restore_register_state);
  REMORA_RUN(p, decode_thread_stop_info);
  REMORA_RUN(p, decode_watchpoint_support_info);
  REMORA_RUN(p, decode_host_open);
  REMORA_RUN(p, decode_host_fd);
  REMORA_RUN(p, decode_host_pread);
  REMORA_RUN(p, decode_host_pwrite);
  REMORA_RUN(p, decode_host_path);
  REMORA_RUN(p, decode_host_setfs);
  REMORA_RUN(p, decode_qemu_query);
  REMORA_RUN(p, decode_qemu_set);
  REMORA_RUN(p, decode_reverse);
#undef REMORA_RUN
  codec_round_trips(in);
  return 0;
}
