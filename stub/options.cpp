#include "stub/options.hpp"

#include "stub/comm.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <exception>

namespace remora::stub {
namespace {

constexpr std::size_t min_packet_size = 256;          // room for any reply remora sends unsplit
constexpr std::size_t max_packet_size = 16u << 20;    // bounds the buffers a client can make us hold

}  // namespace

namespace {

// The raw strings CLI11 fills in; converted and checked afterwards so every message is ours.
struct RawArgs {
  std::string comm;
  std::string target;
  std::vector<std::string> regions;
  std::vector<std::string> faults;
  std::string trace;
  std::string trace_format;
  std::string idle_timeout;
  std::string packet_size;
  std::string on_disconnect;
  std::string cache;
  std::string vfile;
  std::string qemu_binary, qemu_timeout, qemu_memory;
  bool disable_randomization = false, no_disable_randomization = false;
  bool startup_with_shell = false, no_startup_with_shell = false;
  bool debug = false, remote_debug = false;
  bool wrapper_seen = false;  // never set: --wrapper is taken out before parsing; listed for --help
  bool help = false;
  bool version = false;
};

// gdbserver's own options, so scripts and IDE configurations work unchanged. --wrapper's words
// (up to `--`) are taken out before CLI11 sees the command line (split_off_program).
void define_gdbserver_options(CLI::App& app, RawArgs& raw) {
  app.add_flag("--wrapper", raw.wrapper_seen, "Start PROG through WRAPPER... (ends at --)")->option_text("WRAPPER... --");
  app.add_flag("--disable-randomization", raw.disable_randomization, "Run PROG with ASLR off (default)")
      ->disable_flag_override();
  app.add_flag("--no-disable-randomization", raw.no_disable_randomization, "Run PROG with ASLR on")
      ->disable_flag_override();
  app.add_flag("--startup-with-shell", raw.startup_with_shell, "Start PROG through /bin/sh -c exec (default)")
      ->disable_flag_override();
  app.add_flag("--no-startup-with-shell", raw.no_startup_with_shell, "Exec PROG directly")
      ->disable_flag_override();
  app.add_flag("--debug", raw.debug, "Same as --trace (remora's notes and packets on stderr)")
      ->disable_flag_override();
  app.add_flag("--remote-debug", raw.remote_debug, "Same as --trace")->disable_flag_override();
}

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
  app.add_option("--target", raw.target,
                 "Backend: emulated[:FILE] (default; an ELF or raw image), qemu:HOST:PORT or qemu:unix:PATH "
                 "(a running QEMU's gdbstub), qemu-user (remora starts QEMU on PROG)")
      ->type_name("KIND");
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
  app.add_option("--trace-format", raw.trace_format,
                 "How --trace shows packets: readable (default: decoded, e.g. 'm addr=0x401000 len=64') "
                 "or raw (the bytes as sent)")
      ->type_name("readable|raw");
  app.add_option("--idle-timeout", raw.idle_timeout, "Close a client silent that long (0: never)")
      ->type_name("SECONDS");
  app.add_option("--packet-size", raw.packet_size, "PacketSize to advertise, in bytes")->type_name("N");
  app.add_option("--on-disconnect", raw.on_disconnect,
                 "When the client leaves without D or k (default keep: wait for the next client; "
                 "at exit a launched PROG is killed, an attached one detached)")
      ->type_name("detach|kill|keep");
  app.add_option("--qemu", raw.qemu_binary, "QEMU user-mode binary for --target qemu-user (default qemu-x86_64)")
      ->type_name("BINARY");
  app.add_option("--qemu-timeout", raw.qemu_timeout, "Seconds to wait for each reply from QEMU (default 5)")
      ->type_name("SECONDS");
  app.add_flag("--qemu-monitor", o.qemu.monitor, "Pass unknown monitor commands to QEMU's monitor (HMP)")
      ->disable_flag_override();
  app.add_option("--qemu-memory", raw.qemu_memory,
                 "How a user-mode QEMU's guest memory moves: host (default: /proc/QEMUPID/mem in pages "
                 "QEMU's gdbstub allows, falling back to it; QEMU started by remora or reached on this "
                 "machine) or gdbstub (every byte through QEMU's gdbstub)")
      ->type_name("host|gdbstub");
  app.add_option("--cache", raw.cache, "The memory cache (default auto: on where it pays)")->type_name("on|off|auto");
  app.add_option("--vfile", raw.vfile,
                 "vFile host file access: confined (default: the program's own files, read-only), open, off")
      ->type_name("confined|open|off");
  define_gdbserver_options(app, raw);
  app.footer(
      "\nremora [OPTIONS] COMM PROG [ARGS...]   launch PROG stopped at its first instruction\n"
      "remora [OPTIONS] --attach COMM PID     debug a running process\n"
      "remora [OPTIONS] --multi COMM          extended-remote server (the client runs programs)\n"
      "remora [OPTIONS] COMM                  the emulated target (--target emulated[:FILE])\n"
      "Options go before COMM; everything after COMM belongs to PROG.\n");
}

// gdbserver stops reading options at COMM: everything after it is PROG and its arguments, even
// words that look like remora options. CLI11 gets only the part before PROG.
// `--wrapper W... --` is gdbserver's too: its words are set aside here (they look like options).
std::vector<std::string> split_off_program(const CLI::App& app, std::span<const std::string> args,
                                           std::vector<std::string>& program, std::vector<std::string>& wrapper) {
  std::vector<std::string> mine;
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-" || !a.starts_with('-')) break;
    if (a == "--wrapper") {
      std::size_t end = i + 1;
      while (end < args.size() && args[end] != "--") ++end;
      if (end == args.size()) throw CLI::ParseError("--wrapper: the wrapper's words must end with --", 1);
      wrapper.assign(args.begin() + static_cast<std::ptrdiff_t>(i + 1), args.begin() + static_cast<std::ptrdiff_t>(end));
      if (wrapper.empty()) throw CLI::ParseError("--wrapper: no wrapper before --", 1);
      i = end;
      continue;
    }
    mine.push_back(a);
    if (a.find('=') != std::string::npos) continue;
    const CLI::Option* opt = app.get_option_no_throw(a);
    if (opt != nullptr && opt->get_expected_max() > 0 && i + 1 < args.size()) mine.push_back(args[++i]);
  }
  if (i < args.size()) mine.push_back(args[i++]);  // COMM
  program.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  return mine;
}

// qemu:HOST:PORT or qemu:unix:PATH: where a running QEMU's gdbstub listens.
std::optional<UsageError> convert_qemu_endpoint(std::string_view where, Options& o) {
  o.target = TargetKind::qemu;
  if (where.starts_with("unix:") && where.size() > 5) {
    o.qemu.unix_path = std::string(where.substr(5));
    return std::nullopt;
  }
  auto colon = where.rfind(':');
  auto port = colon == std::string_view::npos ? std::nullopt : parse_number(where.substr(colon + 1));
  if (!port || *port == 0 || *port > 65535)
    return UsageError{"bad --target qemu:" + std::string(where) + ": expected qemu:HOST:PORT or qemu:unix:PATH"};
  o.qemu.host = colon == 0 ? "127.0.0.1" : std::string(where.substr(0, colon));
  o.qemu.port = static_cast<std::uint16_t>(*port);
  return std::nullopt;
}

// --qemu and --qemu-timeout (seconds, a fraction allowed).
std::optional<UsageError> convert_qemu_options(const RawArgs& raw, Options& o) {
  if (!raw.qemu_binary.empty()) o.qemu.binary = raw.qemu_binary;
  if (!raw.qemu_timeout.empty()) {
    double secs = 0;
    auto [end, ec] = std::from_chars(raw.qemu_timeout.data(), raw.qemu_timeout.data() + raw.qemu_timeout.size(), secs);
    if (ec != std::errc{} || end != raw.qemu_timeout.data() + raw.qemu_timeout.size() || !(secs > 0) || secs > 3600)
      return UsageError{"bad --qemu-timeout '" + raw.qemu_timeout + "': expected seconds (0 < S <= 3600)"};
    o.qemu.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(secs * 1000 + 0.5));
  }
  if (raw.qemu_memory == "gdbstub") {
    o.qemu.host_memory = false;
  } else if (!raw.qemu_memory.empty() && raw.qemu_memory != "host") {
    return UsageError{"bad --qemu-memory '" + raw.qemu_memory + "': expected host or gdbstub"};
  }
  if (!raw.qemu_memory.empty() && o.target != TargetKind::qemu_user && o.target != TargetKind::qemu)
    return UsageError{"--qemu-memory needs --target qemu-user or qemu:..."};
  const bool qemu = o.target == TargetKind::qemu || o.target == TargetKind::qemu_user;
  if (!qemu && (!raw.qemu_binary.empty() || !raw.qemu_timeout.empty() || o.qemu.monitor))
    return UsageError{"--qemu, --qemu-timeout and --qemu-monitor need --target qemu:... or qemu-user"};
  if (!raw.qemu_binary.empty() && o.target != TargetKind::qemu_user)
    return UsageError{"--qemu BINARY needs --target qemu-user"};
  return std::nullopt;
}

std::optional<UsageError> convert_target(const RawArgs& raw, Options& o) {
  if (raw.target.empty()) {
    // gdbserver's three modes all debug a process; only a bare COMM keeps the emulated target.
    if (!o.program.empty() || o.attach || o.multi) o.target = TargetKind::ptrace;
    return std::nullopt;
  }
  if (raw.target == "ptrace") {
    o.target = TargetKind::ptrace;
    return std::nullopt;
  }
  if (raw.target == "emulated") return std::nullopt;
  if (raw.target == "qemu-user") {
    o.target = TargetKind::qemu_user;
    return std::nullopt;
  }
  if (raw.target.starts_with("qemu:")) return convert_qemu_endpoint(raw.target.substr(5), o);
  if (raw.target.starts_with("emulated:") && raw.target.size() > 9) {
    o.emulated.image = raw.target.substr(9);
    return std::nullopt;
  }
  return UsageError{"unknown --target '" + raw.target +
                    "' (expected ptrace, emulated[:FILE], qemu:HOST:PORT, qemu:unix:PATH or qemu-user)"};
}

std::optional<UsageError> convert_launch(const RawArgs& raw, Options& o) {
  if (raw.disable_randomization && raw.no_disable_randomization)
    return UsageError{"--disable-randomization and --no-disable-randomization contradict each other"};
  if (raw.startup_with_shell && raw.no_startup_with_shell)
    return UsageError{"--startup-with-shell and --no-startup-with-shell contradict each other"};
  if (raw.disable_randomization) o.launch.disable_randomization = true;
  if (raw.no_disable_randomization) o.launch.disable_randomization = false;
  if (raw.startup_with_shell) o.launch.startup_with_shell = true;
  if (raw.no_startup_with_shell) o.launch.startup_with_shell = false;
  if (o.attach) {
    if (o.program.size() != 1) return UsageError{"--attach needs exactly one PID after COMM"};
    auto pid = parse_number(o.program.front());
    if (!pid || *pid == 0 || *pid > 0x7fffffff) return UsageError{"bad PID '" + o.program.front() + "' for --attach"};
    o.attach_pid = static_cast<std::int64_t>(*pid);
    o.program.clear();
  }
  if (o.attach && o.multi) return UsageError{"--attach and --multi cannot be combined"};
  if (!o.program.empty() || o.multi || o.attach || raw.target == "ptrace") return std::nullopt;
  if (!o.launch.wrapper.empty() || raw.disable_randomization || raw.no_disable_randomization ||
      raw.startup_with_shell || raw.no_startup_with_shell)
    return UsageError{"--wrapper and the startup options need PROG or --multi"};
  return std::nullopt;
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
  if (auto e = convert_launch(raw, o)) return e;
  if (auto e = convert_target(raw, o)) return e;
  if (auto e = convert_qemu_options(raw, o)) return e;
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
  if (!raw.trace.empty()) {
    o.trace = raw.trace == "-" ? std::string() : raw.trace;
  } else if (raw.debug || raw.remote_debug) {
    o.trace = std::string();
  }
  if (raw.trace_format == "raw") {
    o.trace_raw = true;
  } else if (!raw.trace_format.empty() && raw.trace_format != "readable") {
    return UsageError{"bad --trace-format '" + raw.trace_format + "': expected readable or raw"};
  }
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
  if (raw.cache == "on") {
    o.cache = CacheMode::on;
  } else if (raw.cache == "off") {
    o.cache = CacheMode::off;
  } else if (!raw.cache.empty() && raw.cache != "auto") {
    return UsageError{"bad --cache '" + raw.cache + "': expected on, off or auto"};
  }
  if (raw.vfile == "open") {
    o.vfile = VfileMode::open;
  } else if (raw.vfile == "off") {
    o.vfile = VfileMode::off;
  } else if (!raw.vfile.empty() && raw.vfile != "confined") {
    return UsageError{"bad --vfile '" + raw.vfile + "': expected confined, open or off"};
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
  if (auto e = lldb_server_form(args)) return std::unexpected(*e);
  try {
    Options o;
    RawArgs raw;
    CLI::App app{"remora: a GDB remote serial protocol stub", "remora"};
    define_options(app, o, raw);
    std::vector<std::string> mine = split_off_program(app, args, o.program, o.launch.wrapper);
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

std::size_t advertised_packet_size(const Options& options) {
  if (options.packet_size != 0) return options.packet_size;
  const bool qemu = options.target == TargetKind::qemu || options.target == TargetKind::qemu_user;
  return qemu ? std::size_t{256} << 10 : std::size_t{128} << 10;
}

std::optional<UsageError> check_supported(const Options& options) {
  if (options.target == TargetKind::qemu || options.target == TargetKind::qemu_user) {
    const bool user = options.target == TargetKind::qemu_user;
    if (options.attach || options.multi) return UsageError{"--attach and --multi do not apply to the QEMU backends"};
    if (user && options.program.empty()) return UsageError{"--target qemu-user needs PROG after COMM"};
    if (!user && !options.program.empty())
      return UsageError{"--target qemu:... debugs the QEMU it connects to; use --target qemu-user to run PROG"};
#ifndef REMORA_HAVE_QEMU
    return UsageError{"this remora was built without the QEMU backend"};
#else
    return std::nullopt;
#endif
  }
  if (options.target == TargetKind::emulated) {
    if (options.attach) return UsageError{"--attach needs the ptrace backend, not --target emulated"};
    if (!options.program.empty())
      return UsageError{"cannot run '" + options.program.front() +
                        "' on --target emulated; use --target emulated:FILE to load an image"};
    return std::nullopt;
  }
#ifndef REMORA_HAVE_PTRACE
  return UsageError{"this remora was built without the ptrace backend (PROG, --attach, --multi)"};
#else
  return std::nullopt;
#endif
}

std::string version_text() {
  std::string backends;
#ifdef REMORA_HAVE_PTRACE
  backends += "ptrace, ";
#endif
#ifdef REMORA_HAVE_QEMU
  backends += "qemu, qemu-user, ";
#endif
  backends += "emulated";
  // Two lines like gdbserver's first and last (`GNU gdbserver ... 13.1`, `configured as "..."`).
  return std::string("remora " REMORA_VERSION "\nA GDB remote serial protocol stub with gdbserver's command line.\n"
                     "This remora was configured as \"x86_64-linux-gnu\"; backends: ") +
         backends + ".\n";
}

}  // namespace remora::stub
