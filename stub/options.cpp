#include "stub/options.hpp"

#include <CLI/CLI.hpp>
#include <asio/ip/address.hpp>
#include <algorithm>
#include <charconv>
#include <exception>

namespace remora::stub {
namespace {

constexpr std::size_t min_packet_size = 256;          // room for any reply remora sends unsplit
constexpr std::size_t max_packet_size = 16u << 20;    // bounds the buffers a client can make us hold

// Decimal, or hex with 0x: the forms gdbserver users type.
std::optional<std::uint64_t> parse_number(std::string_view text) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
    base = 16;
  }
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::expected<Comm, std::string> parse_tcp(std::string_view host, std::string_view port_text,
                                           std::string_view whole) {
  auto port = parse_number(port_text);
  if (!port || *port > 65535)
    return std::unexpected("bad port '" + std::string(port_text) + "' in '" + std::string(whole) + "'");
  TcpComm tcp;
  tcp.port = static_cast<std::uint16_t>(*port);
  if (host.empty()) {
    // gdbserver binds every interface for ":PORT"; remora chooses loopback so a debug stub is
    // never exposed to the network by accident.
    tcp.defaulted_to_loopback = true;
    return tcp;
  }
  if (host == "localhost") return tcp;
  std::error_code ec;
  asio::ip::make_address(std::string(host), ec);
  if (ec)
    return std::unexpected("bad host '" + std::string(host) +
                           "': use a numeric address (127.0.0.1, 0.0.0.0, [::1], [::]) or localhost");
  tcp.host = std::string(host);
  return tcp;
}

}  // namespace

std::expected<Comm, std::string> parse_comm(std::string_view text) {
  if (text == "-") return StdioComm{};
  if (text.starts_with("unix:")) {
    if (text.size() == 5) return std::unexpected(std::string("unix: needs a socket path"));
    return UnixComm{std::string(text.substr(5))};
  }
  if (text.find('/') != std::string_view::npos) return UnixComm{std::string(text)};
  if (text.starts_with('[')) {
    auto close = text.find("]:");
    if (close == std::string_view::npos)
      return std::unexpected("bad COMM '" + std::string(text) + "': IPv6 needs the form [ADDR]:PORT");
    return parse_tcp(text.substr(1, close - 1), text.substr(close + 2), text);
  }
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos)
    return std::unexpected("bad COMM '" + std::string(text) +
                           "': expected [HOST]:PORT, unix:PATH, a socket path, or - for stdio");
  std::string_view host = text.substr(0, colon);
  if (host.find(':') != std::string_view::npos)
    return std::unexpected("bad COMM '" + std::string(text) + "': write IPv6 addresses as [ADDR]:PORT");
  return parse_tcp(host, text.substr(colon + 1), text);
}

namespace {

// The raw strings CLI11 fills in; converted and checked afterwards so every message is ours.
struct RawArgs {
  std::string comm;
  std::string target;
  std::vector<std::string> regions;
  std::vector<std::string> faults;
  std::string trace;
  std::string idle_timeout;
  std::string packet_size;
  std::string on_disconnect;
  bool help = false;
  bool version = false;
};

void define_options(CLI::App& app, Options& o, RawArgs& raw) {
  app.set_help_flag();  // our own --help, so it is an ordinary value and not an exception
  app.add_flag("-h,--help", raw.help, "Print this help and exit")->disable_flag_override();
  app.add_flag("--version", raw.version, "Print the version and exit")->disable_flag_override();
  app.add_option("COMM", raw.comm,
                 "[HOST]:PORT (no HOST: 127.0.0.1; 0.0.0.0 or [::] for all interfaces), "
                 "unix:PATH or a path holding '/', or - for stdin/stdout")
      ->required();
  app.add_flag("--once", o.once, "Exit after the first client disconnects")->disable_flag_override();
  app.add_flag("--multi", o.multi, "Extended mode: the client may run and kill programs (!, vRun)")
      ->disable_flag_override();
  app.add_flag("--attach", o.attach, "Attach to the process whose PID follows COMM (needs ptrace)")
      ->disable_flag_override();
  app.add_option("--target", raw.target, "Backend: emulated[:FILE] (an ELF or raw image); default emulated")
      ->type_name("KIND[:FILE]");
  app.add_option("--region", raw.regions, "Emulated memory region, PERMS from r w x - (repeatable)")
      ->allow_extra_args(false)
      ->type_name("START,SIZE,PERMS[,NAME]");
  app.add_option("--fault", raw.faults, "Make emulated reads or writes fail from ADDR (repeatable)")
      ->allow_extra_args(false)
      ->type_name("read|write:ADDR[,LEN]");
  app.add_flag("--memory-map", o.memory_map, "Offer the memory map (qXfer:memory-map:read)")
      ->disable_flag_override();
  // A flag with an optional value: `--trace` alone never swallows COMM as its file.
  app.add_flag("--trace{-}", raw.trace, "Log every packet to stderr, or with --trace=FILE to FILE")
      ->option_text("[=FILE]");
  app.add_option("--idle-timeout", raw.idle_timeout, "Close a client silent that long (0: never)")
      ->type_name("SECONDS");
  app.add_option("--packet-size", raw.packet_size, "PacketSize to advertise, in bytes")->type_name("N");
  app.add_option("--on-disconnect", raw.on_disconnect,
                 "When the client leaves without D or k (default keep)")
      ->type_name("detach|kill|keep");
  app.footer(
      "\nPROG [ARGS...] after COMM, and --attach PID, need the ptrace backend (not in this build).\n"
      "Options go before COMM; everything after COMM belongs to PROG.\n");
}

// gdbserver stops reading options at COMM: everything after it is PROG and its arguments, even
// words that look like remora options. CLI11 gets only the part before PROG.
std::vector<std::string> split_off_program(const CLI::App& app, std::span<const std::string> args,
                                           std::vector<std::string>& program) {
  std::vector<std::string> mine;
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-" || !a.starts_with('-')) break;
    mine.push_back(a);
    if (a.find('=') != std::string::npos) continue;
    const CLI::Option* opt = app.get_option_no_throw(a);
    if (opt != nullptr && opt->get_expected_max() > 0 && i + 1 < args.size()) mine.push_back(args[++i]);
  }
  if (i < args.size()) mine.push_back(args[i++]);  // COMM
  program.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  return mine;
}

std::optional<UsageError> convert_target(const RawArgs& raw, Options& o) {
  if (raw.target.empty() || raw.target == "emulated") return std::nullopt;
  if (raw.target.starts_with("emulated:") && raw.target.size() > 9) {
    o.emulated.image = raw.target.substr(9);
    return std::nullopt;
  }
  return UsageError{"unknown --target '" + raw.target + "' (this build has: emulated[:FILE])"};
}

std::optional<UsageError> convert_numbers(const RawArgs& raw, Options& o) {
  if (!raw.idle_timeout.empty()) {
    auto secs = parse_number(raw.idle_timeout);
    if (!secs || *secs > 10'000'000)
      return UsageError{"bad --idle-timeout '" + raw.idle_timeout + "': expected whole seconds"};
    if (*secs > 0) o.idle_timeout = std::chrono::seconds(*secs);
  }
  if (!raw.packet_size.empty()) {
    auto size = parse_number(raw.packet_size);
    if (!size || *size < min_packet_size || *size > max_packet_size)
      return UsageError{"bad --packet-size '" + raw.packet_size + "': expected " +
                        std::to_string(min_packet_size) + ".." + std::to_string(max_packet_size)};
    o.packet_size = *size;
  }
  return std::nullopt;
}

std::optional<UsageError> convert(const RawArgs& raw, Options& o) {
  auto comm = parse_comm(raw.comm);
  if (!comm) return UsageError{comm.error()};
  o.comm = *comm;
  if (auto e = convert_target(raw, o)) return e;
  for (const auto& text : raw.regions) {
    auto region = targets::emulated::parse_region_spec(text);
    if (!region) return UsageError{"bad --region '" + text + "': " + region.error()};
    o.emulated.regions.push_back(*region);
  }
  for (const auto& text : raw.faults) {
    auto fault = targets::emulated::parse_fault_spec(text);
    if (!fault) return UsageError{"bad --fault '" + text + "': " + fault.error()};
    o.emulated.faults.push_back(*fault);
  }
  if (!raw.trace.empty()) o.trace = raw.trace == "-" ? std::string() : raw.trace;
  if (auto e = convert_numbers(raw, o)) return e;
  if (raw.on_disconnect.empty() || raw.on_disconnect == "keep") {
    o.on_disconnect = rsp::DisconnectAction::keep;
  } else if (raw.on_disconnect == "detach") {
    o.on_disconnect = rsp::DisconnectAction::detach;
  } else if (raw.on_disconnect == "kill") {
    o.on_disconnect = rsp::DisconnectAction::kill;
  } else {
    return UsageError{"bad --on-disconnect '" + raw.on_disconnect + "': expected detach, kill or keep"};
  }
  return std::nullopt;
}

// CLI11 messages can span lines; the usage error is one line.
std::string one_line(std::string text) {
  for (char& c : text)
    if (c == '\n') c = ' ';
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

}  // namespace

std::expected<Options, UsageError> parse_options(std::span<const std::string> args) {
  try {
    Options o;
    RawArgs raw;
    CLI::App app{"remora: a GDB remote serial protocol stub", "remora"};
    define_options(app, o, raw);
    std::vector<std::string> mine = split_off_program(app, args, o.program);
    // Help and version win over a missing COMM, as in every GNU tool.
    for (const auto& a : mine) {
      if (a == "--help" || a == "-h") o.print_and_exit = app.help();
      if (a == "--version") o.print_and_exit = version_text();
      if (o.print_and_exit) return o;
    }
    std::reverse(mine.begin(), mine.end());  // CLI11 takes a vector in reverse order
    app.parse(mine);
    if (auto e = convert(raw, o)) return std::unexpected(*e);
    return o;
  } catch (const CLI::ParseError& e) {
    return std::unexpected(UsageError{one_line(e.what())});
  } catch (const std::exception& e) {
    return std::unexpected(UsageError{one_line(e.what())});
  }
}

std::expected<Options, UsageError> parse_options(int argc, const char* const* argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return parse_options(args);
}

std::optional<UsageError> check_supported(const Options& options) {
  if (options.attach)
    return UsageError{"cannot --attach: this remora was built without the ptrace backend"};
  if (!options.program.empty())
    return UsageError{"cannot run '" + options.program.front() +
                      "': this remora was built without the ptrace backend; "
                      "use --target emulated[:FILE] to load an image into the emulated target"};
  return std::nullopt;
}

std::string version_text() {
  return "remora " REMORA_VERSION "\nA GDB remote serial protocol stub. Backends in this build: emulated.\n";
}

}  // namespace remora::stub
