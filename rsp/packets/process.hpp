// Extended mode and launch settings: vRun, vAttach (decode_vkill's shape), R, QEnvironment*,
// QSetWorkingDir and the 0/1 switches (QDisableRandomization, QStartupWithShell, QThreadEvents).
#pragma once
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "rsp/codec.hpp"

namespace remora::rsp::packets {

struct RunProgram {  // vRun;hex(program)[;hex(arg)]...
  std::string program;  // empty: the program of the last run (or the one remora was started with)
  std::vector<std::string> args;
};

struct Restart {};  // R XX (the argument is ignored, as gdbserver does)

struct SetEnvironment {  // QEnvironmentHexEncoded:hex(NAME=VALUE)
  std::string name;
  std::string value;
};

struct HexText {  // QEnvironmentUnset:hex(NAME) / QSetWorkingDir:hex(DIR) (may be empty)
  std::string text;
};

struct Switch {  // QDisableRandomization:0|1, QStartupWithShell:0|1, QThreadEvents:0|1
  bool on = false;
};

std::expected<RunProgram, DecodeError> decode_vrun(std::string_view args);
std::expected<Restart, DecodeError> decode_restart(std::string_view args);
std::expected<SetEnvironment, DecodeError> decode_set_environment(std::string_view args);
// QEnvironmentUnset needs a name; QSetWorkingDir may be empty (meaning remora's own cwd).
std::expected<HexText, DecodeError> decode_unset_environment(std::string_view args);
std::expected<HexText, DecodeError> decode_working_dir(std::string_view args);
std::expected<Switch, DecodeError> decode_switch(std::string_view args);

}  // namespace remora::rsp::packets
