// rsp_bench: a raw RSP client that measures one stub (remora or gdbserver) the way gdb drives it —
// one request in flight, blocking sockets on 127.0.0.1 — and prints one JSON line of results.
//
//   rsp_bench --port N --buffer ADDR [--total BYTES] [--breakpoint ADDR] [--seconds S] [--kill 0|1]
//             --measure x:adv,x:18431,m:adv,m:18431,step,bp,qc
//
// x:SIZE / m:SIZE: write / read [ADDR, ADDR+BYTES) again and again in packets of SIZE bytes
// (`adv` = the stub's PacketSize), MiB/s. step: single steps per second (`vCont;s:TID`, or `s`).
// bp: gdb's breakpoint cycle per second — z0, step, Z0, continue to the next hit — starting with
// Z0 + continue to reach ADDR. qc: `qC` round-trip latency in microseconds.
// At the end it sends `k` (unless --kill 0). Every frame is built before the clock starts, so
// the figures are the stub's and the kernel's.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <expected>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "rsp/codec.hpp"
#include "tests/bench/bench_link.hpp"

namespace {

using remora::bench::Error;
using remora::bench::Link;
using remora::bench::StubInfo;
using Clock = std::chrono::steady_clock;

struct Config {
  std::uint16_t port = 0;
  std::uint64_t buffer = 0;
  std::uint64_t total = 32u << 20;
  std::uint64_t breakpoint = 0;
  double seconds = 1.0;
  bool kill = true;
  int stub_pid = 0;  // when given, each result also carries the stub's CPU time
  std::vector<std::string> measures;
};

struct Result {
  double value = 0;  // in `unit`
  const char* unit = "";
  std::uint64_t count = 0;  // packets, steps or cycles behind the value
  double work = 0;          // MiB moved, steps, cycles or round trips: what stub CPU is divided by
};

// On-CPU nanoseconds of every thread of `pid` (/proc/PID/task/*/schedstat, first field): the
// stub's own cost, which a loaded machine's run-queue waits do not inflate.
std::uint64_t cpu_ns(int pid) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    if (std::FILE* f = std::fopen((task.path() / "schedstat").c_str(), "r")) {
      unsigned long long ns = 0;
      if (std::fscanf(f, "%llu", &ns) == 1) total += ns;
      std::fclose(f);
    }
  }
  return total;
}

std::string hex(std::uint64_t v) {
  std::string s;
  remora::rsp::append_hex_u64(s, v);
  return s;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Pseudo-random bytes so X carries the escapes real data needs (about 1.6% of bytes).
std::vector<unsigned char> test_pattern(std::size_t n) {
  std::vector<unsigned char> out(n);
  std::uint64_t x = 0x9e3779b97f4a7c15u;
  for (auto& b : out) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    b = static_cast<unsigned char>(x >> 24);
  }
  return out;
}

// X frames covering [buffer, buffer+total), each frame at most `packet_size` bytes of payload
// (gdb counts the header in it as well).
std::vector<std::string> x_frames(Link& link, const Config& c, std::size_t packet_size) {
  const auto data = test_pattern(c.total);
  std::vector<std::string> frames;
  const std::size_t header_max = 1 + 16 + 1 + 8 + 1;  // "X" addr "," len ":"
  std::size_t at = 0;
  while (at < c.total) {
    std::string body;
    const std::size_t cap = packet_size - header_max;
    std::size_t n = 0;
    while (at + n < c.total) {
      const unsigned char b = data[at + n];
      const bool esc = b == '$' || b == '#' || b == '}' || b == '*';
      if (body.size() + (esc ? 2 : 1) > cap) break;
      if (esc) body.push_back('}');
      body.push_back(static_cast<char>(esc ? b ^ 0x20 : b));
      ++n;
    }
    frames.push_back(link.frame("X" + hex(c.buffer + at) + "," + hex(n) + ":" + body));
    at += n;
  }
  return frames;
}

std::expected<Result, Error> measure_x(Link& link, const Config& c, std::size_t packet_size) {
  const auto frames = x_frames(link, c, packet_size);
  std::uint64_t bytes = 0, packets = 0;
  const auto start = Clock::now();
  do {
    for (const auto& f : frames) {
      auto reply = link.exchange_frame(f);
      if (!reply) return std::unexpected(reply.error());
      if (*reply != "OK") return std::unexpected("X answered '" + reply->substr(0, 40) + "'");
      ++packets;
    }
    bytes += c.total;
  } while (seconds_since(start) < c.seconds);
  const double mib = static_cast<double>(bytes) / (1 << 20);
  return Result{mib / seconds_since(start), "MiB/s", packets, mib};
}

// Read back random bytes, not the zeros of a fresh buffer: RLE would shrink a zero-filled reply
// to almost nothing on the wire, which real memory never does. Done before any clock starts.
std::expected<void, Error> fill_buffer(Link& link, const Config& c) {
  for (const auto& f : x_frames(link, c, 18431)) {
    auto reply = link.exchange_frame(f);
    if (!reply) return std::unexpected(reply.error());
    if (*reply != "OK") return std::unexpected("filling the buffer: X answered '" + reply->substr(0, 40) + "'");
  }
  return {};
}

std::expected<Result, Error> measure_m(Link& link, const Config& c, std::size_t packet_size) {
  // The hex reply (2 chars per byte) must fit the packet, as gdb computes it.
  const std::size_t len = (packet_size - 4) / 2;
  std::vector<std::string> frames;
  for (std::uint64_t at = 0; at < c.total; at += len)
    frames.push_back(link.frame("m" + hex(c.buffer + at) + "," + hex(std::min<std::uint64_t>(len, c.total - at))));
  std::uint64_t bytes = 0, packets = 0;
  const auto start = Clock::now();
  do {
    for (const auto& f : frames) {
      auto reply = link.exchange_frame(f);
      if (!reply) return std::unexpected(reply.error());
      if (reply->empty() || reply->size() % 2 != 0)
        return std::unexpected("m answered '" + reply->substr(0, 40) + "'");
      bytes += reply->size() / 2;
      ++packets;
    }
  } while (seconds_since(start) < c.seconds);
  const double mib = static_cast<double>(bytes) / (1 << 20);
  return Result{mib / seconds_since(start), "MiB/s", packets, mib};
}

bool is_stop(std::string_view reply) { return reply.starts_with('T') || reply.starts_with('S'); }

std::string step_payload(const StubInfo& info) { return info.vcont_step ? "vCont;s:" + info.thread : "s"; }
std::string cont_payload(const StubInfo& info) { return info.vcont_step ? "vCont;c" : "c"; }

std::expected<Result, Error> measure_step(Link& link, const Config& c, const StubInfo& info) {
  const auto frame = link.frame(step_payload(info));
  std::uint64_t steps = 0;
  const auto start = Clock::now();
  do {
    for (int i = 0; i < 100; ++i) {
      auto reply = link.exchange_frame(frame);
      if (!reply) return std::unexpected(reply.error());
      if (!is_stop(*reply)) return std::unexpected("step answered '" + reply->substr(0, 40) + "'");
      ++steps;
    }
  } while (seconds_since(start) < c.seconds);
  return Result{static_cast<double>(steps) / seconds_since(start), "steps/s", steps, static_cast<double>(steps)};
}

std::expected<void, Error> expect_reply(Link& link, std::string_view frame, bool stop) {
  auto reply = link.exchange_frame(frame);
  if (!reply) return std::unexpected(reply.error());
  if (stop ? !reply->starts_with("T05") && !reply->starts_with("S05") : *reply != "OK")
    return std::unexpected("'" + std::string(frame.substr(0, 40)) + "' answered '" + reply->substr(0, 60) + "'");
  return {};
}

std::expected<Result, Error> measure_bp(Link& link, const Config& c, const StubInfo& info) {
  if (c.breakpoint == 0) return std::unexpected(Error("bp needs --breakpoint"));
  const auto insert = link.frame("Z0," + hex(c.breakpoint) + ",1");
  const auto remove = link.frame("z0," + hex(c.breakpoint) + ",1");
  const auto step = link.frame(step_payload(info));
  const auto cont = link.frame(cont_payload(info));
  // Reach the breakpoint once, as gdb's first `continue` does.
  for (auto [frame, stop] : {std::pair{&insert, false}, {&cont, true}})
    if (auto ok = expect_reply(link, *frame, stop); !ok) return std::unexpected(ok.error());
  std::uint64_t cycles = 0;
  const auto start = Clock::now();
  do {
    for (auto [frame, stop] : {std::pair{&remove, false}, {&step, true}, {&insert, false}, {&cont, true}})
      if (auto ok = expect_reply(link, *frame, stop); !ok) return std::unexpected(ok.error());
    ++cycles;
  } while (seconds_since(start) < c.seconds);
  const double rate = static_cast<double>(cycles) / seconds_since(start);
  if (auto ok = expect_reply(link, remove, false); !ok) return std::unexpected(ok.error());
  return Result{rate, "cycles/s", cycles, static_cast<double>(cycles)};
}

std::expected<Result, Error> measure_qc(Link& link, const Config& c) {
  const auto frame = link.frame("qC");
  std::uint64_t n = 0;
  const auto start = Clock::now();
  do {
    for (int i = 0; i < 100; ++i, ++n)
      if (auto reply = link.exchange_frame(frame); !reply) return std::unexpected(reply.error());
  } while (seconds_since(start) < c.seconds);
  return Result{seconds_since(start) * 1e6 / static_cast<double>(n), "us", n, static_cast<double>(n)};
}

std::expected<Result, Error> run_one(Link& link, const Config& c, const StubInfo& info, std::string_view what) {
  const auto colon = what.find(':');
  if (colon != std::string_view::npos) {
    const auto size_text = what.substr(colon + 1);
    std::size_t size = size_text == "adv" ? info.packet_size : std::strtoull(std::string(size_text).c_str(), nullptr, 0);
    if (size < 64) return std::unexpected("bad packet size in '" + std::string(what) + "'");
    if (what.starts_with("x:")) return measure_x(link, c, size);
    if (what.starts_with("m:")) return measure_m(link, c, size);
  }
  if (what == "step") return measure_step(link, c, info);
  if (what == "bp") return measure_bp(link, c, info);
  if (what == "qc") return measure_qc(link, c);
  return std::unexpected("unknown measure '" + std::string(what) + "'");
}

std::expected<Config, Error> parse_args(int argc, char** argv) {
  Config c;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view key = argv[i];
    const char* value = argv[i + 1];
    if (key == "--port") c.port = static_cast<std::uint16_t>(std::strtoul(value, nullptr, 0));
    else if (key == "--buffer") c.buffer = std::strtoull(value, nullptr, 0);
    else if (key == "--total") c.total = std::strtoull(value, nullptr, 0);
    else if (key == "--breakpoint") c.breakpoint = std::strtoull(value, nullptr, 0);
    else if (key == "--seconds") c.seconds = std::strtod(value, nullptr);
    else if (key == "--stub-pid") c.stub_pid = std::atoi(value);
    else if (key == "--kill") c.kill = std::string_view(value) != "0";
    else if (key == "--measure") {
      std::string_view list = value;
      while (!list.empty()) {
        const auto comma = std::min(list.find(','), list.size());
        c.measures.emplace_back(list.substr(0, comma));
        list.remove_prefix(std::min(comma + 1, list.size()));
      }
    } else return std::unexpected("unknown option " + std::string(key));
  }
  if (argc % 2 == 0) return std::unexpected(Error("options come in pairs: --name value"));
  if (c.port == 0 || c.measures.empty()) return std::unexpected(Error("need --port and --measure"));
  if (c.buffer == 0 && c.total != 0) {
    for (const auto& m : c.measures)
      if (m.starts_with("x:") || m.starts_with("m:")) return std::unexpected(Error("x/m need --buffer"));
  }
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  auto config = parse_args(argc, argv);
  if (!config) {
    std::fprintf(stderr, "rsp_bench: %s\n", config.error().c_str());
    return 2;
  }
  Link link;
  auto connected = link.connect(config->port);
  auto info = connected ? link.negotiate() : std::unexpected(connected.error());
  if (!info) {
    std::fprintf(stderr, "rsp_bench: %s\n", info.error().c_str());
    return 1;
  }
  std::printf("{\"packet_size\": %zu, \"no_ack\": %s, \"vcont\": %s, \"results\": {", info->packet_size,
              info->no_ack ? "true" : "false", info->vcont_step ? "true" : "false");
  int status = 0;
  for (const auto& what : config->measures) {
    if (!what.starts_with("m:")) continue;
    if (auto filled = fill_buffer(link, *config); !filled) {
      std::fprintf(stderr, "rsp_bench: %s\n", filled.error().c_str());
      return 1;
    }
    break;
  }
  const char* sep = "";
  for (const auto& what : config->measures) {
    const auto cpu_before = config->stub_pid ? cpu_ns(config->stub_pid) : 0;
    auto r = run_one(link, *config, *info, what);
    const auto cpu = config->stub_pid ? cpu_ns(config->stub_pid) - cpu_before : 0;
    if (!r) {
      std::fprintf(stderr, "rsp_bench: %s: %s\n", what.c_str(), r.error().c_str());
      status = 1;
      break;
    }
    // The bp setup (Z0 + first continue) is inside the CPU window: small next to a whole second
    // of cycles, and the same for every stub.
    std::printf("%s\"%s\": {\"value\": %.6g, \"unit\": \"%s\", \"count\": %llu, \"cpu_us_per_unit\": %.6g}", sep,
                what.c_str(), r->value, r->unit, static_cast<unsigned long long>(r->count),
                r->work > 0 ? static_cast<double>(cpu) / 1e3 / r->work : 0.0);
    sep = ", ";
  }
  std::printf("}}\n");
  std::fflush(stdout);
  // Kill the debuggee so no traced process outlives the run (gdbserver then exits too).
  if (config->kill) (void)link.send_only("k");
  return status;
}
