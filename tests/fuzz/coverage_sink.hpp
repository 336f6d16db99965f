// What the fuzz entry points reached, summed over every input they ran in this process. libFuzzer
// ignores it; the replay driver (replay_corpus.cpp) reads it after running the corpus and fails
// when a route, a decoder failure or a DecodeError kind was never reached.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "rsp/codec.hpp"
#include "rsp/session.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace remora::fuzz {

// bad_value is the last enumerator of DecodeError (rsp/session.cpp sizes its table the same
// way); a kind added after it must move this, and the replay then demands it too.
inline constexpr std::size_t kDecodeErrorKinds = static_cast<std::size_t>(rsp::DecodeError::bad_value) + 1;

// session_fuzzer.cpp: DispatchCoverage and SessionStats summed over every Session it made.
struct SessionSum {
  std::vector<std::uint64_t> route_hits;
  std::vector<std::vector<std::uint64_t>> decode_failures;  // [route][DecodeError]
  std::uint64_t unknown_packets = 0;
  std::uint64_t sessions = 0;
  std::uint64_t stops_delivered = 0;  // stop replies taken through Session::take_output()
  std::uint64_t reconnects = 0;       // a new Session after D / k closed the previous one
  rsp::SessionStats stats;

  void add(const rsp::DispatchCoverage& c, const rsp::SessionStats& s) {
    if (route_hits.size() < c.route_hits.size()) {
      route_hits.resize(c.route_hits.size(), 0);
      decode_failures.resize(c.route_hits.size(), std::vector<std::uint64_t>(kDecodeErrorKinds, 0));
    }
    for (std::size_t r = 0; r < c.route_hits.size(); ++r) {
      route_hits[r] += c.route_hits[r];
      for (std::size_t k = 0; k < kDecodeErrorKinds && k < c.decode_failures[r].size(); ++k)
        decode_failures[r][k] += c.decode_failures[r][k];
    }
    unknown_packets += c.unknown_packets;
    sessions++;
    stats.packets_in += s.packets_in;
    stats.packets_out += s.packets_out;
    stats.bytes_in += s.bytes_in;
    stats.bytes_out += s.bytes_out;
    stats.bad_checksums += s.bad_checksums;
    stats.nacks += s.nacks;
    stats.overflows += s.overflows;
    stats.malformed += s.malformed;
  }
};

// decoders_fuzzer.cpp: per decoder, how often it accepted the input and each way it refused it.
struct DecoderTally {
  std::uint64_t accepted = 0;
  std::array<std::uint64_t, kDecodeErrorKinds> refused{};
};

inline SessionSum session_sum;
inline std::map<std::string, DecoderTally> decoder_tallies;
// qemu_replies_fuzzer.cpp, loaders_fuzzer.cpp: how often each named outcome happened.
inline std::map<std::string, std::uint64_t> outcomes;

}  // namespace remora::fuzz
