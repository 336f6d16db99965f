// QEMU's target description, read over qXfer:features and made whole for remora's clients:
// every xi:include is fetched and inlined (lldb built without libxml2 cannot follow them), and
// the registers (names, bit sizes, numbers, feature) are parsed out of the flat document.
// QEMU 7.2's x86-64 layout is not gdbserver's: i386-64bit.xml holds rax..gs, fs_base, gs_base,
// k_gs_base, cr0/2/3/4/8, efer, then st0-7, the x87 control registers, xmm0-15 and mxcsr, all in
// one `org.gnu.gdb.i386.core` feature (no orig_rax, no osabi).
#pragma once
#include <expected>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>

#include "targets/api/registers.hpp"

namespace remora::targets::qemu {

// Returns the whole annex `name` (the caller does the qXfer slicing), or an error.
using FetchAnnex = std::function<std::expected<std::string, std::string>(std::string_view name)>;

// target.xml with every include (recursively, at most 8 deep) replaced by the included
// document's root element. The error is for a person.
std::expected<std::string, std::string> flatten_includes(std::string_view root, const FetchAnnex& fetch);

// Registers in document order; a <reg> without `regnum` follows the previous one. Comments
// (QEMU comments out ss_base..es_base) are skipped. The numbers must be dense from 0.
std::expected<TargetDescription, std::string> parse_description(std::string_view flat_xml);

// Adds what QEMU's XML does not say (lldb's generic roles, DWARF numbers, encodings, sets) from
// remora's amd64 table, by register name. Registers it does not know keep the defaults.
void enrich_from_amd64(TargetDescription& desc);

}  // namespace remora::targets::qemu
