// libFuzzer entry point: the emulated target's inputs from files and the command line. Byte 0
// picks the part under test; the rest is the file or the text:
//   0: load_image (an ELF64 x86-64 file's PT_LOAD segments, or a raw image): an accepted image's
//      segments carry no more file bytes than their region holds and do not wrap;
//   1: parse_region_spec (--region START,SIZE,PERMS[,NAME]): an accepted region does not wrap;
//   2: parse_fault_spec (--fault read|write:ADDR[,LEN]).
// Outcomes are tallied (coverage_sink.hpp) so the corpus replay can demand each was reached.
//
// Also compiled by GCC without libFuzzer into the corpus replay; nothing clang-only here.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string_view>

#include "targets/emulated/emulated_target.hpp"
#include "targets/emulated/loader.hpp"
#include "tests/fuzz/coverage_sink.hpp"

namespace {

using namespace remora;
namespace em = targets::emulated;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "loaders_fuzzer: %s\n", what);
  std::abort();
}

void tally(const char* outcome) { fuzz::outcomes[outcome]++; }

bool wraps(std::uint64_t start, std::uint64_t size) { return size != 0 && start + (size - 1) < start; }

void image(std::span<const std::byte> file) {
  auto loaded = em::load_image(file, 0x400000);
  if (!loaded) {
    tally("image: refused");
    return;
  }
  tally(loaded->elf ? "image: ELF accepted" : "image: raw accepted");
  for (const auto& seg : loaded->segments) {
    if (seg.bytes.size() > seg.spec.size) fail("a segment holds more file bytes than its region");
    if (wraps(seg.spec.start, seg.spec.size)) fail("a segment wraps the address space");
  }
}

void region(std::string_view text) {
  auto spec = em::parse_region_spec(text);
  tally(spec ? "region: accepted" : "region: refused");
  if (spec && (spec->size == 0 || wraps(spec->start, spec->size))) fail("an accepted region is empty or wraps");
}

void fault(std::string_view text) { tally(em::parse_fault_spec(text) ? "fault: accepted" : "fault: refused"); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto* rest = reinterpret_cast<const std::byte*>(data + 1);
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: image({rest, size - 1}); break;
    case 1: region(text); break;
    default: fault(text); break;
  }
  return 0;
}
