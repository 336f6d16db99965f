#include "targets/emulated/layout.hpp"

#include <vector>

#include "targets/emulated/loader.hpp"

namespace remora::targets::emulated {
namespace {

std::expected<void, std::string> add_default_program(AddressSpace& space) {
  using namespace default_layout;
  std::vector<std::byte> text(text_size, std::byte{0x90});
  text[spin_address - text_start] = std::byte{0xEB};
  text[spin_address - text_start + 1] = std::byte{0xFE};
  if (auto ok = space.add({text_start, text_size, true, false, true, "text"}, text); !ok) return ok;
  return space.add({data_start, data_size, true, true, false, "data"});
}

Addr first_executable(const AddressSpace& space) {
  for (const auto& r : space.regions())
    if (r.spec().executable) return r.start();
  return space.regions().empty() ? 0 : space.regions().front().start();
}

}  // namespace

std::expected<Layout, std::string> build_layout(const EmulatedOptions& options) {
  Layout layout;
  AddressSpace& space = layout.space;
  std::optional<Addr> entry;
  if (options.image) {
    auto image = load_image_file(*options.image, options.raw_image_base);
    if (!image) return std::unexpected(image.error());
    for (auto& seg : image->segments)
      if (auto ok = space.add(seg.spec, seg.bytes); !ok) return std::unexpected("image: " + ok.error());
    entry = image->entry;
  } else if (options.regions.empty()) {
    if (auto ok = add_default_program(space); !ok) return std::unexpected(ok.error());
  }
  for (const auto& spec : options.regions)
    if (auto ok = space.add(spec); !ok) return std::unexpected(ok.error());
  // Explicit regions replace the default stack: the user said exactly what is mapped.
  if (options.regions.empty()) {
    using namespace default_layout;
    if (auto ok = space.add({stack_start, stack_size, true, true, false, "stack"}); !ok)
      return std::unexpected("stack: " + ok.error());
  }
  for (const auto& fault : options.faults)
    if (auto ok = space.add_fault(fault); !ok) return std::unexpected(ok.error());
  layout.entry = entry.value_or(first_executable(space));
  for (const auto& r : space.regions())
    if (r.spec().name == "stack") layout.rsp = r.end() - 8;
  return layout;
}

}  // namespace remora::targets::emulated
