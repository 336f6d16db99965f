// The emulated-memory target: memory regions with permissions, injectable faults, an x86-64
// register file and a tiny execution model. The default target, and the workhorse of tests.
#pragma once
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "targets/api/target.hpp"

namespace remora::targets::emulated {

struct RegionSpec {
  Addr start = 0;
  Addr size = 0;
  bool readable = true;
  bool writable = true;
  bool executable = false;
  std::string name;
};

enum class FaultKind { read, write };

// "Accesses of `kind` fail from `address` on" (up to the end of the region that holds it, or
// `length` bytes when non-zero).
struct FaultSpec {
  FaultKind kind = FaultKind::write;
  Addr address = 0;
  Addr length = 0;
};

struct EmulatedOptions {
  std::vector<RegionSpec> regions;   // empty: the default layout (see targets/README.md)
  std::optional<std::string> image;  // an ELF file (loadable segments) or a raw image
  Addr raw_image_base = 0x400000;    // where a raw (non-ELF) image is placed
  std::vector<FaultSpec> faults;
};

// Parses "START,SIZE,PERMS[,NAME]" (numbers in C syntax, PERMS from r/w/x/-) as --region takes.
std::expected<RegionSpec, std::string> parse_region_spec(std::string_view text);
// Parses "read:ADDR[,LEN]" or "write:ADDR[,LEN]" as --fault takes.
std::expected<FaultSpec, std::string> parse_fault_spec(std::string_view text);

// Builds the target; the error string is a message for a person (bad image, overlapping regions).
std::expected<std::unique_ptr<Target>, std::string> make_emulated_target(const EmulatedOptions& options,
                                                                         Post post);

}  // namespace remora::targets::emulated
