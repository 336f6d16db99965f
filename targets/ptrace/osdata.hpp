// qXfer:osdata documents for gdb's `info os` (the XML gdbserver's linux-osdata.cc produces):
// the empty annex lists the types; `processes` lists every process.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace remora::targets::ptrace {

// nullopt for an annex remora does not know.
std::optional<std::string> osdata_document(std::string_view annex);

}  // namespace remora::targets::ptrace
