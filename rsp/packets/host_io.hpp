// vFile: host file I/O (gdb's File-I/O remote protocol extension; lldb's size/mode/exists).
// Decoders take the text after "vFile:NAME" (starting with ':').
#pragma once
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "rsp/codec.hpp"
#include "targets/api/host_io.hpp"

namespace remora::rsp::packets {

struct HostOpen {  // vFile:open:hexpath,flags,mode (flags and mode in gdb's File-I/O values)
  std::string path;
  targets::OpenFlags flags;
  std::uint32_t mode = 0;
};
struct HostFd {  // vFile:close:fd, vFile:fstat:fd
  int fd = 0;
};
struct HostPread {  // vFile:pread:fd,count,offset
  int fd = 0;
  std::uint64_t count = 0;
  std::uint64_t offset = 0;
};
struct HostPwrite {  // vFile:pwrite:fd,offset,data (binary, escaped)
  int fd = 0;
  std::uint64_t offset = 0;
  std::vector<std::byte> data;
};
struct HostPath {  // vFile:unlink/readlink/stat/lstat/size/mode/exists:hexpath
  std::string path;
};
struct HostSetFs {  // vFile:setfs:pid
  std::int64_t pid = 0;
};

// gdb's File-I/O open flags (the GDB manual, "Open Flags"); any other bit is bad_value.
inline constexpr std::uint64_t kFioRdonly = 0x0, kFioWronly = 0x1, kFioRdwr = 0x2, kFioAppend = 0x8,
                               kFioCreat = 0x200, kFioTrunc = 0x400, kFioExcl = 0x800;

std::expected<HostOpen, DecodeError> decode_host_open(std::string_view args);
std::expected<HostFd, DecodeError> decode_host_fd(std::string_view args);
std::expected<HostPread, DecodeError> decode_host_pread(std::string_view args);
std::expected<HostPwrite, DecodeError> decode_host_pwrite(std::string_view args);
std::expected<HostPath, DecodeError> decode_host_path(std::string_view args);
std::expected<HostSetFs, DecodeError> decode_host_setfs(std::string_view args);

}  // namespace remora::rsp::packets
