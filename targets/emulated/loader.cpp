#include "targets/emulated/loader.hpp"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>

#include "targets/emulated/numbers.hpp"

namespace remora::targets::emulated {
namespace {

constexpr std::size_t kEhdrSize = 64;
constexpr std::size_t kPhdrSize = 56;
constexpr std::uint16_t kMachineX86_64 = 62;
constexpr std::uint32_t kPtLoad = 1;
constexpr std::uint32_t kPfX = 1, kPfW = 2, kPfR = 4;

// ELF fields are little-endian here whatever the host is.
std::uint64_t le(std::span<const std::byte> file, std::size_t offset, std::size_t width) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < width; ++i)
    v |= static_cast<std::uint64_t>(std::to_integer<std::uint8_t>(file[offset + i])) << (8 * i);
  return v;
}

bool is_elf(std::span<const std::byte> file) {
  static constexpr unsigned char magic[4] = {0x7f, 'E', 'L', 'F'};
  return file.size() >= 4 && std::memcmp(file.data(), magic, 4) == 0;
}

std::expected<Segment, std::string> load_segment(std::span<const std::byte> file, std::size_t ph,
                                                 std::size_t index) {
  const auto flags = static_cast<std::uint32_t>(le(file, ph + 4, 4));
  const auto offset = le(file, ph + 8, 8);
  const auto vaddr = le(file, ph + 16, 8);
  const auto filesz = le(file, ph + 32, 8);
  const auto memsz = le(file, ph + 40, 8);
  const std::string what = "PT_LOAD segment " + std::to_string(index) + " at " + hex(vaddr);
  if (filesz > memsz) return std::unexpected(what + " has p_filesz > p_memsz");
  if (offset > file.size() || filesz > file.size() - offset)
    return std::unexpected(what + " reaches past the end of the file");
  if (memsz > ~Addr{0} - vaddr) return std::unexpected(what + " runs past the end of the address space");
  Segment s;
  s.spec = {vaddr, memsz, (flags & kPfR) != 0, (flags & kPfW) != 0, (flags & kPfX) != 0,
            "load" + std::to_string(index)};
  auto bytes = file.subspan(offset, filesz);
  s.bytes.assign(bytes.begin(), bytes.end());
  return s;
}

std::expected<LoadedImage, std::string> load_elf(std::span<const std::byte> file) {
  if (file.size() < kEhdrSize) return std::unexpected("truncated ELF header");
  const auto cls = std::to_integer<int>(file[4]);
  const auto data = std::to_integer<int>(file[5]);
  if (cls != 2 || data != 1 || le(file, 18, 2) != kMachineX86_64)
    return std::unexpected("not an ELF64 little-endian x86-64 image");
  LoadedImage image;
  image.elf = true;
  image.entry = le(file, 24, 8);
  const auto phoff = le(file, 32, 8);
  const auto phentsize = le(file, 54, 2);
  const auto phnum = le(file, 56, 2);
  if (phentsize < kPhdrSize) return std::unexpected("bad ELF e_phentsize");
  if (phoff > file.size() || phnum * phentsize > file.size() - phoff)
    return std::unexpected("ELF program headers reach past the end of the file");
  for (std::size_t i = 0; i < phnum; ++i) {
    const std::size_t ph = phoff + i * phentsize;
    if (le(file, ph, 4) != kPtLoad || le(file, ph + 40, 8) == 0) continue;
    auto seg = load_segment(file, ph, image.segments.size());
    if (!seg) return std::unexpected(seg.error());
    image.segments.push_back(std::move(*seg));
  }
  if (image.segments.empty()) return std::unexpected("ELF image has no loadable segments");
  return image;
}

}  // namespace

std::expected<LoadedImage, std::string> load_image(std::span<const std::byte> file, Addr raw_base) {
  if (is_elf(file)) return load_elf(file);
  if (file.empty()) return std::unexpected("image is empty");
  if (file.size() > ~Addr{0} - raw_base) return std::unexpected("raw image runs past the end of the address space");
  LoadedImage image;
  image.entry = raw_base;
  Segment s;
  // A raw image is code: readable and executable, not writable (like a text segment).
  s.spec = {raw_base, file.size(), true, false, true, "image"};
  s.bytes.assign(file.begin(), file.end());
  image.segments.push_back(std::move(s));
  return image;
}

std::expected<LoadedImage, std::string> load_image_file(const std::string& path, Addr raw_base) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return std::unexpected("cannot open image '" + path + "': " + std::strerror(errno));
  std::vector<std::byte> bytes;
  std::byte buf[64 * 1024];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0) bytes.insert(bytes.end(), buf, buf + n);
  if (std::ferror(f.get())) return std::unexpected("cannot read image '" + path + "'");
  return load_image(bytes, raw_base);
}

}  // namespace remora::targets::emulated
