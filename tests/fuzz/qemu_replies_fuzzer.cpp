// libFuzzer entry point: what a hostile or broken QEMU can send to remora's RSP client side.
// Byte 0 picks the part under test; the rest is QEMU's bytes:
//   0: the reply stream through rsp::ClientLink (acks on or off, fed in chunks of 1..16 bytes or
//      whole): every event's payload stays within the limit, and what the link sends back is
//      only acks or the last request again;
//   1: a target description: the input split at NUL bytes into target.xml and the documents its
//      xi:includes fetch (chosen by a hash of the href, or a fetch error), flattened, parsed and
//      enriched as the QEMU backend does; an accepted description has dense register numbers;
//   2: a thread id as QEMU writes it in stop replies and qfThreadInfo.
// Outcomes are tallied (coverage_sink.hpp) so the corpus replay can demand each was reached.
//
// Also compiled by GCC without libFuzzer into the corpus replay; nothing clang-only here.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "rsp/client.hpp"
#include "targets/qemu/qemu_target.hpp"
#include "targets/qemu/qemu_tdesc.hpp"
#include "tests/fuzz/coverage_sink.hpp"

namespace {

using namespace remora;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "qemu_replies_fuzzer: %s\n", what);
  std::abort();
}

void tally(const char* outcome) { fuzz::outcomes[outcome]++; }

void client_stream(std::uint8_t mode, std::string_view bytes) {
  constexpr std::size_t max_reply = 4096;
  rsp::ClientLink link(max_reply);
  link.set_no_ack((mode & 1) != 0);
  const std::string request = link.request("qSupported:xmlRegisters=i386");
  const std::size_t chunk = (mode >> 1) % 17;  // 0: whole
  std::vector<rsp::ClientEvent> events;
  std::string to_send;
  while (!bytes.empty()) {
    auto piece = bytes.substr(0, chunk == 0 ? bytes.size() : chunk);
    bytes.remove_prefix(piece.size());
    link.feed(piece, events, to_send);
  }
  for (const auto& e : events) {
    if (e.payload.size() > 64 * max_reply) fail("an event payload grew past any bound");
    switch (e.kind) {
      case rsp::ClientEvent::Kind::reply: tally("client: reply"); break;
      case rsp::ClientEvent::Kind::notification: tally("client: notification"); break;
      case rsp::ClientEvent::Kind::resend_requested: tally("client: resend requested"); break;
      case rsp::ClientEvent::Kind::corrupt_reply: tally("client: corrupt reply"); break;
      case rsp::ClientEvent::Kind::overflow: tally("client: overflow"); break;
    }
  }
  // What goes back to QEMU: '+' / '-' acks and whole copies of the request, nothing else.
  std::string_view rest = to_send;
  while (!rest.empty()) {
    if (rest.front() == '+' || rest.front() == '-') {
      rest.remove_prefix(1);
    } else if (rest.starts_with(request)) {
      rest.remove_prefix(request.size());
    } else {
      fail("the client link sent QEMU something other than acks and the request");
    }
  }
}

std::uint32_t fnv1a(std::string_view s) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h;
}

void description(std::string_view bytes) {
  std::vector<std::string_view> docs;
  while (true) {
    auto nul = bytes.find('\0');
    docs.push_back(bytes.substr(0, nul));
    if (nul == std::string_view::npos) break;
    bytes.remove_prefix(nul + 1);
  }
  const std::string_view root = docs.front();
  targets::qemu::FetchAnnex fetch = [&](std::string_view name) -> std::expected<std::string, std::string> {
    if (docs.size() < 2 || name.ends_with(".missing")) return std::unexpected(std::string("E00"));
    return std::string(docs[1 + fnv1a(name) % (docs.size() - 1)]);
  };
  auto flat = targets::qemu::flatten_includes(root, fetch);
  if (!flat) {
    tally("tdesc: include refused");
    return;
  }
  tally("tdesc: flattened");
  auto desc = targets::qemu::parse_description(*flat);
  if (!desc) {
    tally("tdesc: description refused");
    return;
  }
  tally("tdesc: description accepted");
  targets::qemu::enrich_from_amd64(*desc);
  for (std::size_t i = 0; i < desc->registers.size(); ++i)
    if (desc->registers[i].regnum != i) fail("an accepted description's register numbers are not dense");
  if (!desc->registers.empty()) tally("tdesc: registers found");
}

void thread_id(std::string_view bytes) {
  tally(targets::qemu::parse_qemu_thread(bytes) ? "thread: accepted" : "thread: refused");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: client_stream(static_cast<std::uint8_t>(data[0] / 3), bytes); break;
    case 1: description(bytes); break;
    default: thread_id(bytes); break;
  }
  return 0;
}
