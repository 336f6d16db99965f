// Turns an image file into regions: an ELF64 little-endian x86-64 file's PT_LOAD segments, or any
// other file as one raw r-x region at a chosen base.
#pragma once
#include <cstddef>
#include <expected>
#include <span>
#include <string>
#include <vector>

#include "targets/emulated/emulated_target.hpp"

namespace remora::targets::emulated {

struct Segment {
  RegionSpec spec;               // [p_vaddr, p_vaddr + p_memsz) with p_flags as permissions
  std::vector<std::byte> bytes;  // the p_filesz file bytes; the rest of the region reads as zeros
};

struct LoadedImage {
  std::vector<Segment> segments;
  Addr entry = 0;
  bool elf = false;
};

// `file` is the whole image. Segments are placed at their p_vaddr without relocation.
std::expected<LoadedImage, std::string> load_image(std::span<const std::byte> file, Addr raw_base);
std::expected<LoadedImage, std::string> load_image_file(const std::string& path, Addr raw_base);

}  // namespace remora::targets::emulated
