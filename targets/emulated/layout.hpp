// Builds the emulated address space from the options: the default layout, an image, regions,
// the stack, faults; and where the thread starts.
#pragma once
#include <expected>
#include <string>

#include "targets/emulated/address_space.hpp"
#include "targets/emulated/emulated_target.hpp"

namespace remora::targets::emulated {

// The default layout (targets/README.md). The text region is NOPs with a `jmp .` near its end,
// so a plain `continue` from the entry runs into a spin loop and waits for an interrupt.
namespace default_layout {
inline constexpr Addr text_start = 0x400000;
inline constexpr Addr text_size = 0x10000;
inline constexpr Addr spin_address = 0x40fff0;
inline constexpr Addr data_start = 0x600000;
inline constexpr Addr data_size = 32 * 1024 * 1024;
inline constexpr Addr stack_start = 0x7ffffffde000;
inline constexpr Addr stack_size = 0x21000;
}  // namespace default_layout

struct Layout {
  AddressSpace space;
  Addr entry = 0;  // initial rip
  Addr rsp = 0;    // initial rsp: 8 below the end of the region named "stack", else 0
};

std::expected<Layout, std::string> build_layout(const EmulatedOptions& options);

}  // namespace remora::targets::emulated
