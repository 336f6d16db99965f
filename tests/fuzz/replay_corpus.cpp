// Corpus replay: a plain main (GCC, no libFuzzer) linked with one fuzz entry point. It runs every
// file of the given corpus directories through LLVMFuzzerTestOneInput (a crash or a sanitizer
// report fails the test like any other), then checks what coverage_sink.hpp gathered and exits
// non-zero with a list of whatever the corpus never reached:
//   session:  every route of packet_routes() was hit, every route saw a decode failure, every
//             DecodeError kind was produced through some route, and the framing events (NACK,
//             bad checksum, oversized frame), unknown packets, stops and reconnects all happened;
//   decoders: every decoder declared in rsp/packets/*.hpp (the list CMake reads from the headers)
//             ran, accepted at least one input and refused at least one, and every DecodeError
//             kind was produced;
//   outcomes: (qemu_replies, loaders) every outcome named with --expect-outcomes happened.
//
// usage: replay_corpus session|decoders|outcomes [--expect-decoders a,b,c]
//                      [--expect-outcomes 'a|b|c'] DIR...
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <string>
#include <string_view>
#include <vector>

#include "rsp/dispatch.hpp"
#include "tests/fuzz/coverage_sink.hpp"

namespace {

using namespace remora;
using rsp::DecodeError;

// DecodeError kinds that no decoder in rsp/packets/ can produce, so no corpus can show them.
// Empty today: every kind has a producer (e.g. bad_escape: X, bad_value: Z kind > 0x10000,
// too_long: M length >= 2^63, qSupported with > 256 features, vCont with > 4096 actions).
// A kind listed here that the corpus does reach fails the replay, so the list cannot go stale.
constexpr std::array<DecodeError, 0> kKindsWithoutProducer{};

// Routes whose decoder cannot fail (none today: even decode_no_args refuses trailing text).
constexpr std::array<std::string_view, 0> kRoutesThatCannotFail{};

template <class List, class T>
bool listed(const List& list, const T& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::vector<std::string> missing;

void require(bool ok, std::string what) {
  if (!ok) missing.push_back(std::move(what));
}

std::string kind_name(std::size_t k) { return std::string(rsp::describe(static_cast<DecodeError>(k))); }

void check_kinds(const std::vector<std::uint64_t>& seen, const char* where) {
  for (std::size_t k = 0; k < fuzz::kDecodeErrorKinds; ++k) {
    bool exempt = listed(kKindsWithoutProducer, static_cast<DecodeError>(k));
    if (exempt)
      require(seen[k] == 0, std::string(where) + ": DecodeError '" + kind_name(k) +
                                "' is listed as unproducible but was produced: drop it from the list");
    else
      require(seen[k] > 0, std::string(where) + ": no input produced DecodeError '" + kind_name(k) + "'");
  }
}

void check_session() {
  const auto& sum = fuzz::session_sum;
  auto routes = rsp::packet_routes();
  require(sum.route_hits.size() == routes.size(), "session: coverage has a different number of routes");
  std::vector<std::uint64_t> kinds(fuzz::kDecodeErrorKinds, 0);
  for (std::size_t r = 0; r < routes.size() && r < sum.route_hits.size(); ++r) {
    std::string name(routes[r].name);
    require(sum.route_hits[r] > 0, "session: route '" + name + "' never hit");
    std::uint64_t failures = 0;
    for (std::size_t k = 0; k < fuzz::kDecodeErrorKinds; ++k) {
      failures += sum.decode_failures[r][k];
      kinds[k] += sum.decode_failures[r][k];
    }
    if (!listed(kRoutesThatCannotFail, routes[r].name))
      require(failures > 0, "session: route '" + name + "' never saw a decode failure");
  }
  check_kinds(kinds, "session");
  require(sum.unknown_packets > 0, "session: no unknown packet");
  require(sum.stats.nacks > 0, "session: no NACK");
  require(sum.stats.bad_checksums > 0, "session: no bad checksum");
  require(sum.stats.overflows > 0, "session: no oversized frame");
  require(sum.stops_delivered > 0, "session: no stop delivered through the listener");
  require(sum.reconnects > 0, "session: no reconnect after D / k");
  std::printf("session: %llu sessions, %llu packets in, %llu out, %llu malformed, %llu unknown, %llu NACKs, "
              "%llu bad checksums, %llu oversized, %llu stops\n",
              static_cast<unsigned long long>(sum.sessions), static_cast<unsigned long long>(sum.stats.packets_in),
              static_cast<unsigned long long>(sum.stats.packets_out),
              static_cast<unsigned long long>(sum.stats.malformed),
              static_cast<unsigned long long>(sum.unknown_packets), static_cast<unsigned long long>(sum.stats.nacks),
              static_cast<unsigned long long>(sum.stats.bad_checksums),
              static_cast<unsigned long long>(sum.stats.overflows),
              static_cast<unsigned long long>(sum.stops_delivered));
}

std::vector<std::string> split_names(std::string_view list, char separator = ',') {
  std::vector<std::string> out;
  while (!list.empty()) {
    auto comma = list.find(separator);
    auto name = list.substr(0, comma);
    if (!name.empty()) out.emplace_back(name);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

void check_decoders(const std::vector<std::string>& expected) {
  require(!expected.empty(), "decoders: no --expect-decoders list (CMake reads it from rsp/packets/*.hpp)");
  std::vector<std::uint64_t> kinds(fuzz::kDecodeErrorKinds, 0);
  for (const auto& [name, tally] : fuzz::decoder_tallies)
    for (std::size_t k = 0; k < fuzz::kDecodeErrorKinds; ++k) kinds[k] += tally.refused[k];
  for (const auto& name : expected) {
    auto it = fuzz::decoder_tallies.find(name);
    if (it == fuzz::decoder_tallies.end()) {
      require(false, "decoders: " + name + " is declared in rsp/packets/ but decoders_fuzzer.cpp never runs it");
      continue;
    }
    std::uint64_t refused = 0;
    for (auto n : it->second.refused) refused += n;
    require(it->second.accepted > 0, "decoders: " + name + " never accepted an input");
    require(refused > 0, "decoders: " + name + " never refused an input");
  }
  check_kinds(kinds, "decoders");
  std::printf("decoders: %zu decoders tallied, %zu expected\n", fuzz::decoder_tallies.size(), expected.size());
}

void check_outcomes(const std::vector<std::string>& expected) {
  require(!expected.empty(), "outcomes: no --expect-outcomes list");
  for (const auto& name : expected)
    require(fuzz::outcomes[name] > 0, "outcomes: no input led to '" + name + "'");
  for (const auto& [name, count] : fuzz::outcomes)
    std::printf("  %-32s %llu\n", name.c_str(), static_cast<unsigned long long>(count));
}

bool read_file(const std::filesystem::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s session|decoders|outcomes [--expect-decoders a,b,c] [--expect-outcomes 'a|b'] DIR...\n",
                 argv[0]);
    return 2;
  }
  const std::string_view mode = argv[1];
  std::vector<std::string> expected;
  std::vector<std::filesystem::path> files;
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--expect-decoders" && i + 1 < argc) {
      expected = split_names(argv[++i]);
      continue;
    }
    if (arg == "--expect-outcomes" && i + 1 < argc) {
      expected = split_names(argv[++i], '|');
      continue;
    }
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(arg, ec))
      if (entry.is_regular_file()) files.push_back(entry.path());
    if (ec) require(false, "cannot list " + std::string(arg) + ": " + ec.message());
  }
  std::sort(files.begin(), files.end());
  require(!files.empty(), "no corpus files");

  auto start = std::chrono::steady_clock::now();
  std::string bytes;
  for (const auto& path : files) {
    if (!read_file(path, bytes)) {
      require(false, "cannot read " + path.string());
      continue;
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  std::printf("replayed %zu files in %lld ms\n", files.size(), static_cast<long long>(ms));

  if (mode == "session")
    check_session();
  else if (mode == "decoders")
    check_decoders(expected);
  else if (mode == "outcomes")
    check_outcomes(expected);
  else
    require(false, "unknown mode " + std::string(mode));

  if (missing.empty()) {
    std::printf("corpus replay: everything reached\n");
    return 0;
  }
  std::fprintf(stderr, "corpus replay: %zu things never reached:\n", missing.size());
  for (const auto& m : missing) std::fprintf(stderr, "  - %s\n", m.c_str());
  return 1;
}
