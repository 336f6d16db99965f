#include "rsp/packets/host_io.hpp"

namespace remora::rsp::packets {
namespace {

constexpr std::size_t kMaxPath = 4096;  // PATH_MAX: longer is ENAMETOOLONG on the host anyway

std::expected<std::string_view, DecodeError> after_colon(std::string_view args) {
  if (args.empty() || args.front() != ':') return std::unexpected(DecodeError::missing_field);
  return args.substr(1);
}

std::expected<std::string, DecodeError> hex_path(std::string_view hex) {
  if (hex.empty()) return std::unexpected(DecodeError::empty_field);
  if (hex.size() > 2 * kMaxPath) return std::unexpected(DecodeError::too_long);
  auto path = hex_to_text(hex);
  if (!path) return std::unexpected(path.error());
  // A NUL would silently cut the path short at the host's open(): refuse it here.
  if (path->find('\0') != std::string::npos) return std::unexpected(DecodeError::bad_value);
  return path;
}

std::expected<int, DecodeError> hex_fd(std::string_view field) {
  auto v = parse_hex_u64(field);
  if (!v) return std::unexpected(v.error());
  if (*v > 0x7fffffff) return std::unexpected(DecodeError::overflow);
  return static_cast<int>(*v);
}

std::expected<targets::OpenFlags, DecodeError> open_flags(std::uint64_t v) {
  constexpr std::uint64_t known = kFioWronly | kFioRdwr | kFioAppend | kFioCreat | kFioTrunc | kFioExcl;
  if ((v & ~known) != 0 || (v & 3) == 3) return std::unexpected(DecodeError::bad_value);
  targets::OpenFlags f;
  f.access = (v & 3) == kFioWronly ? targets::OpenFlags::Access::write
             : (v & 3) == kFioRdwr ? targets::OpenFlags::Access::read_write
                                   : targets::OpenFlags::Access::read;
  f.append = v & kFioAppend;
  f.create = v & kFioCreat;
  f.truncate = v & kFioTrunc;
  f.exclusive = v & kFioExcl;
  return f;
}

}  // namespace

std::expected<HostOpen, DecodeError> decode_host_open(std::string_view args) {
  auto rest = after_colon(args);
  if (!rest) return std::unexpected(rest.error());
  auto path_rest = split_once(*rest, ',');
  auto flags_mode = split_once(path_rest.tail, ',');
  if (!path_rest.found || !flags_mode.found) return std::unexpected(DecodeError::missing_field);
  auto path = hex_path(path_rest.head);
  if (!path) return std::unexpected(path.error());
  auto flags = parse_hex_u64(flags_mode.head);
  if (!flags) return std::unexpected(flags.error());
  auto mode = parse_hex_u64(flags_mode.tail);
  if (!mode) return std::unexpected(mode.error());
  if (*mode > 0xffffffff) return std::unexpected(DecodeError::overflow);
  auto decoded = open_flags(*flags);
  if (!decoded) return std::unexpected(decoded.error());
  return HostOpen{std::move(*path), *decoded, static_cast<std::uint32_t>(*mode)};
}

std::expected<HostFd, DecodeError> decode_host_fd(std::string_view args) {
  auto rest = after_colon(args);
  if (!rest) return std::unexpected(rest.error());
  auto fd = hex_fd(*rest);
  if (!fd) return std::unexpected(fd.error());
  return HostFd{*fd};
}

std::expected<HostPread, DecodeError> decode_host_pread(std::string_view args) {
  auto rest = after_colon(args);
  if (!rest) return std::unexpected(rest.error());
  auto fd_rest = split_once(*rest, ',');
  auto count_offset = split_once(fd_rest.tail, ',');
  if (!fd_rest.found || !count_offset.found) return std::unexpected(DecodeError::missing_field);
  auto fd = hex_fd(fd_rest.head);
  if (!fd) return std::unexpected(fd.error());
  auto count = parse_hex_u64(count_offset.head);
  if (!count) return std::unexpected(count.error());
  auto offset = parse_hex_u64(count_offset.tail);
  if (!offset) return std::unexpected(offset.error());
  return HostPread{*fd, *count, *offset};
}

std::expected<HostPwrite, DecodeError> decode_host_pwrite(std::string_view args) {
  auto rest = after_colon(args);
  if (!rest) return std::unexpected(rest.error());
  // The data is binary and may hold ',': only the first two separators count.
  auto fd_rest = split_once(*rest, ',');
  auto offset_data = split_once(fd_rest.tail, ',');
  if (!fd_rest.found || !offset_data.found) return std::unexpected(DecodeError::missing_field);
  auto fd = hex_fd(fd_rest.head);
  if (!fd) return std::unexpected(fd.error());
  auto offset = parse_hex_u64(offset_data.head);
  if (!offset) return std::unexpected(offset.error());
  auto data = unescape_binary(offset_data.tail);
  if (!data) return std::unexpected(data.error());
  return HostPwrite{*fd, *offset, std::move(*data)};
}

std::expected<HostPath, DecodeError> decode_host_path(std::string_view args) {
  auto rest = after_colon(args);
  if (!rest) return std::unexpected(rest.error());
  auto path = hex_path(*rest);
  if (!path) return std::unexpected(path.error());
  return HostPath{std::move(*path)};
}

std::expected<HostSetFs, DecodeError> decode_host_setfs(std::string_view args) {
  auto rest = after_colon(args);
  if (!rest) return std::unexpected(rest.error());
  auto pid = parse_hex_u64(*rest);
  if (!pid) return std::unexpected(pid.error());
  if (*pid > 0x7fffffff) return std::unexpected(DecodeError::overflow);
  return HostSetFs{static_cast<std::int64_t>(*pid)};
}

}  // namespace remora::rsp::packets
