// The image loader: ELF64 x86-64 PT_LOAD segments and raw images, and their errors.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <unistd.h>

#include "targets/emulated/loader.hpp"
#include "tests/targets/emulated_test_support.hpp"

using namespace remora::targets;
using namespace remora::targets::test;
using emulated::load_image;

namespace {

struct Phdr {
  std::uint32_t type = 1;  // PT_LOAD
  std::uint32_t flags = 5;  // R|X
  std::uint64_t offset = 0, vaddr = 0, filesz = 0, memsz = 0;
};

void put(std::vector<std::byte>& f, std::size_t at, std::uint64_t v, std::size_t width) {
  if (f.size() < at + width) f.resize(at + width);
  for (std::size_t i = 0; i < width; ++i) f[at + i] = static_cast<std::byte>(v >> (8 * i));
}

// A minimal ELF64 little-endian x86-64 executable: header, program headers, then the payload.
std::vector<std::byte> make_elf(std::uint64_t entry, const std::vector<Phdr>& phdrs,
                                const std::vector<std::byte>& payload, std::uint16_t machine = 62,
                                unsigned char cls = 2) {
  std::vector<std::byte> f(64);
  const unsigned char ident[] = {0x7f, 'E', 'L', 'F', cls, 1, 1};
  for (std::size_t i = 0; i < sizeof ident; ++i) f[i] = static_cast<std::byte>(ident[i]);
  put(f, 16, 2, 2);  // ET_EXEC
  put(f, 18, machine, 2);
  put(f, 20, 1, 4);
  put(f, 24, entry, 8);
  put(f, 32, 64, 8);  // e_phoff
  put(f, 52, 64, 2);
  put(f, 54, 56, 2);
  put(f, 56, phdrs.size(), 2);
  f.resize(64 + 56 * phdrs.size());
  for (std::size_t i = 0; i < phdrs.size(); ++i) {
    const std::size_t at = 64 + 56 * i;
    put(f, at, phdrs[i].type, 4);
    put(f, at + 4, phdrs[i].flags, 4);
    put(f, at + 8, phdrs[i].offset, 8);
    put(f, at + 16, phdrs[i].vaddr, 8);
    put(f, at + 24, phdrs[i].vaddr, 8);
    put(f, at + 32, phdrs[i].filesz, 8);
    put(f, at + 40, phdrs[i].memsz, 8);
  }
  f.insert(f.end(), payload.begin(), payload.end());
  return f;
}

// text: 16 bytes at 0x401000 r-x (file offset 0x100); data: 4 bytes + bss at 0x403000 rw-.
std::vector<std::byte> sample_elf() {
  std::vector<Phdr> ph = {{1, 5, 0x100, 0x401000, 16, 16}, {4, 4, 0, 0, 0, 0}, {1, 6, 0x110, 0x403000, 4, 0x100}};
  std::vector<std::byte> payload(0x100 - 64 - 56 * ph.size());
  auto text = bytes({0x90, 0x90, 0xCC, 0x90, 0xEB, 0xFE, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90});
  payload.insert(payload.end(), text.begin(), text.end());
  auto data = bytes({1, 2, 3, 4});
  payload.insert(payload.end(), data.begin(), data.end());
  return make_elf(0x401002, ph, payload);
}

struct TempFile {
  std::string path;
  explicit TempFile(const std::vector<std::byte>& contents) {
    char name[] = "/tmp/remora-image-XXXXXX";
    int fd = mkstemp(name);
    REQUIRE(fd >= 0);
    REQUIRE(write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size()));
    close(fd);
    path = name;
  }
  ~TempFile() { std::remove(path.c_str()); }
};

}  // namespace

TEST_CASE("ELF: PT_LOAD segments become regions with p_flags permissions") {
  auto image = load_image(sample_elf(), 0x400000);
  REQUIRE_MESSAGE(image, (image ? std::string() : image.error()));
  CHECK(image->elf);
  CHECK(image->entry == 0x401002);
  REQUIRE(image->segments.size() == 2);  // the PT_NOTE is skipped
  const auto& text = image->segments[0].spec;
  CHECK(text.start == 0x401000);
  CHECK(text.size == 16);
  CHECK((text.readable && !text.writable && text.executable));
  const auto& data = image->segments[1].spec;
  CHECK(data.size == 0x100);
  CHECK((data.readable && data.writable && !data.executable));
  CHECK(image->segments[1].bytes.size() == 4);
}

TEST_CASE("ELF image in a target: contents, zero-filled bss, entry, stack") {
  TempFile file(sample_elf());
  PostQueue loop;
  emulated::EmulatedOptions o;
  o.image = file.path;
  auto t = make_target(loop, o);
  REQUIRE(t);
  auto regions = t->memory_regions()->regions();
  REQUIRE(regions.size() == 3);
  CHECK(regions[2].name == "stack");
  CHECK(read_reg(*t, amd64::rip) == 0x401002);
  CHECK(read_reg(*t, amd64::rsp) == 0x7ffffffff000 - 8);
  std::vector<std::byte> buf(8, std::byte{0xAA});
  CHECK(t->memory().read_virtual(0x403000, buf).bytes == 8);
  CHECK(buf == bytes({1, 2, 3, 4, 0, 0, 0, 0}));
  CHECK(t->memory().write_virtual(0x401000, bytes({0})).error == errc::write_protected);
  // Runs: the entry is an int3.
  StopRecorder rec;
  t->set_stop_listener(&rec);
  auto a = action(ResumeKind::cont);
  REQUIRE_FALSE(t->resume(std::span(&a, 1)));
  loop.drain();
  REQUIRE(rec.stops.size() == 1);
  CHECK(rec.stops[0].signal == gdb_signal::trap);
  CHECK(read_reg(*t, amd64::rip) == 0x401003);
}

TEST_CASE("raw image at raw_image_base") {
  auto raw = bytes({0x90, 0xEB, 0xFE});
  TempFile file(raw);
  PostQueue loop;
  emulated::EmulatedOptions o;
  o.image = file.path;
  o.raw_image_base = 0x10000;
  auto t = make_target(loop, o);
  REQUIRE(t);
  auto regions = t->memory_regions()->regions();
  REQUIRE(regions.size() == 2);
  CHECK(regions[0].start == 0x10000);
  CHECK(regions[0].size == 3);
  CHECK((regions[0].readable && !regions[0].writable && regions[0].executable));
  CHECK(read_reg(*t, amd64::rip) == 0x10000);
  std::vector<std::byte> buf(3);
  CHECK(t->memory().read_virtual(0x10000, buf).bytes == 3);
  CHECK(buf == raw);
}

TEST_CASE("image plus explicit regions; overlaps are refused") {
  TempFile file(sample_elf());
  PostQueue loop;
  emulated::EmulatedOptions o;
  o.image = file.path;
  o.regions = {*emulated::parse_region_spec("0x800000,0x1000,rw-,stack")};
  auto t = make_target(loop, o);
  REQUIRE(t);
  CHECK(t->memory_regions()->regions().size() == 3);
  CHECK(read_reg(*t, amd64::rsp) == 0x801000 - 8);
  o.regions = {*emulated::parse_region_spec("0x401008,0x1000,rw-")};
  auto bad = emulated::make_emulated_target(o, loop.post());
  REQUIRE_FALSE(bad);
  CHECK(bad.error().find("overlaps") != std::string::npos);
}

TEST_CASE("loader errors") {
  CHECK_FALSE(load_image({}, 0x400000));
  auto elf = sample_elf();
  CHECK(load_image(std::span(elf).first(40), 0).error().find("truncated") != std::string::npos);
  CHECK(load_image(make_elf(0, {}, {}, 40), 0).error().find("x86-64") != std::string::npos);
  CHECK(load_image(make_elf(0, {}, {}, 62, 1), 0).error().find("ELF64") != std::string::npos);
  CHECK(load_image(make_elf(0, {}, {}), 0).error().find("no loadable") != std::string::npos);
  CHECK(load_image(make_elf(0, {{1, 5, 0, 0x1000, 0x20, 0x10}}, {}), 0).error().find("p_filesz") !=
        std::string::npos);
  CHECK(load_image(make_elf(0, {{1, 5, 0x1000, 0x1000, 0x10, 0x10}}, {}), 0).error().find("past the end of the file") !=
        std::string::npos);
  CHECK(load_image(make_elf(0, {{1, 5, 0, ~0ull - 4, 0, 0x10}}, {}), 0).error().find("address space") !=
        std::string::npos);
  auto cut = make_elf(0, {{1, 5, 0, 0x1000, 0, 0x10}}, {});
  cut.resize(80);  // program header cut short
  CHECK(load_image(cut, 0).error().find("program headers") != std::string::npos);
  auto bad_phentsize = make_elf(0, {{1, 5, 0, 0x1000, 0, 0x10}}, {});
  put(bad_phentsize, 54, 8, 2);
  CHECK(load_image(bad_phentsize, 0).error().find("phentsize") != std::string::npos);
  CHECK(load_image(bytes({1, 2, 3}), ~0ull - 1).error().find("address space") != std::string::npos);

  PostQueue loop;
  emulated::EmulatedOptions o;
  o.image = "/nonexistent/remora-image";
  auto t = emulated::make_emulated_target(o, loop.post());
  REQUIRE_FALSE(t);
  CHECK(t.error().find("cannot open") != std::string::npos);
  auto overlapping = make_elf(0, {{1, 5, 0, 0x1000, 0, 0x100}, {1, 6, 0, 0x1080, 0, 0x100}}, {});
  TempFile file(overlapping);
  o.image = file.path;
  t = emulated::make_emulated_target(o, loop.post());
  REQUIRE_FALSE(t);
  CHECK(t.error().find("overlaps") != std::string::npos);
}
