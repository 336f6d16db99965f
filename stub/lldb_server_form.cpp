// lldb-server's command line given to remora: the suggestion of remora's own form.
#include <string>
#include <vector>

#include "stub/options.hpp"

namespace remora::stub {

// lldb-server's command line (`lldb-server gdbserver :1234 -- prog`, `lldb-server platform ...`)
// given to remora: say what remora's own form of the same thing is, instead of "bad COMM 'g'".
std::optional<UsageError> lldb_server_form(std::span<const std::string> args) {
  if (args.empty()) return std::nullopt;
  const std::string& mode = args.front();
  if (mode == "platform" || mode == "p")
    return UsageError{"'" + mode + "' is lldb-server's platform mode, which remora does not have; "
                      "for lldb's 'platform connect' run 'remora --multi :PORT' and in lldb "
                      "'gdb-remote PORT' (then 'process launch' or 'attach')"};
  if (mode != "gdbserver" && mode != "g") return std::nullopt;
  std::string suggestion = "remora";
  std::string comm, attach_pid;
  std::vector<std::string> rest;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if ((a == "--attach" || a == "-a") && i + 1 < args.size()) {
      attach_pid = args[++i];
    } else if (comm.empty() && (a.find(':') != std::string::npos || a == "-")) {
      comm = a;
    } else if (a != "--") {
      rest.push_back(a);
    }
  }
  if (!attach_pid.empty()) suggestion += " --attach";
  suggestion += " " + (comm.empty() ? std::string(":PORT") : comm);
  if (!attach_pid.empty()) suggestion += " " + attach_pid;
  for (const auto& word : rest) suggestion += " " + word;
  if (attach_pid.empty() && rest.empty()) suggestion += " PROG [ARGS...]";
  return UsageError{"'" + mode + "' is lldb-server's syntax; remora takes gdbserver's (options, then COMM, then "
                    "PROG): try '" + suggestion + "'"};
}

}  // namespace remora::stub
