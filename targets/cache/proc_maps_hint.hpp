// Which bytes of a Linux process a cache may hold writes for, from /proc/PID/maps (rule 7 of
// issue 5): only memory no other process can see. MAP_SHARED mappings (files, SysV and POSIX
// shared memory, memfd, shared anonymous), device files and the kernel's special mappings are
// always written through. Private anonymous read-write mappings (heap, stack, anon) are
// `allowed`; other private mappings (file-backed: a page past the end of the file faults;
// read-only text, written through FOLL_FORCE) hold back only bytes already written this stop.
#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "targets/cache/memory_cache.hpp"

namespace remora::targets::cache {

struct MapEntry {
  Addr start = 0;
  Addr end = 0;  // exclusive
  bool readable = false;
  bool writable = false;
  bool shared = false;
  Addr offset = 0;  // into the mapped file
  unsigned long inode = 0;
  std::string path;  // "" for anonymous memory, "[heap]", "/dev/shm/x", "/SYSV00000000 (deleted)"
};

// Lines that do not parse are skipped (the format is the kernel's, but be strict about it).
std::vector<MapEntry> parse_proc_maps(std::string_view text);
WriteBackPolicy write_back_policy(const MapEntry& entry);
// A whole /proc file ("" if it cannot be read).
std::string read_proc_file(const std::string& path);

class ProcMapsHint final : public HintSource {
 public:
  // `pid` names the process at the time of asking (0: none); the maps are read once per stop.
  explicit ProcMapsHint(std::function<int()> pid) : pid_(std::move(pid)) {}
  WritableHint hint(Addr addr, std::size_t length) override;
  void reset() override { loaded_ = false; }

 private:
  void load();
  std::function<int()> pid_;
  bool loaded_ = false;
  std::vector<MapEntry> maps_;  // sorted by start, as the kernel lists them
};

}  // namespace remora::targets::cache
