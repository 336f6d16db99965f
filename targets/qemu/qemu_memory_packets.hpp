// What qemu_memory.cpp and qemu_memory_host.cpp both send to QEMU, and how they read its errors.
#pragma once
#include <cstddef>
#include <span>
#include <string>
#include <system_error>

#include "rsp/codec.hpp"
#include "targets/api/errors.hpp"
#include "targets/api/types.hpp"

namespace remora::targets::qemu::detail {

// "M" + 16 address digits + "," + 16 length digits + ":" leaves this much of QEMU's buffer
// unused; QEMU 7.2 silently drops a packet that fills its 4 KiB line buffer (no reply, no '-').
inline constexpr std::size_t write_header_room = 48;

// Proofs kept per stop; past this many (32 MiB of 4 KiB pages) they start again.
inline constexpr std::size_t max_proven_pages = 8192;

inline bool is_link_error(std::error_code ec) { return ec == errc::backend_io || ec == errc::timeout; }

inline std::string read_packet(Addr addr, std::size_t length) {
  std::string packet = "m";
  rsp::append_hex_u64(packet, addr);
  packet += ',';
  rsp::append_hex_u64(packet, length);
  return packet;
}

inline std::string write_packet(Addr addr, std::span<const std::byte> data) {
  std::string packet = "M";
  rsp::append_hex_u64(packet, addr);
  packet += ',';
  rsp::append_hex_u64(packet, data.size());
  packet += ':';
  rsp::append_hex(packet, data);
  return packet;
}

}  // namespace remora::targets::qemu::detail
