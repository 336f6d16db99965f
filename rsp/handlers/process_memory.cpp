// qSearch:memory (gdb's `find`) and qCRC (`compare-sections`), both over the memory the client
// sees (SessionState::memory(): the cache and breakpoint shadow included), read in bounded chunks.
#include <algorithm>
#include <array>
#include <functional>
#include <vector>

#include "rsp/codec.hpp"
#include "rsp/handlers/handlers.hpp"
#include "rsp/handlers/process_handlers.hpp"

namespace remora::rsp::handlers {
namespace {

constexpr std::size_t kChunk = 64 * 1024;

// libiberty's crc32_table: the CRC-32 polynomial 0x04c11db7 processed MSB first.
constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i << 24;
    for (int bit = 0; bit < 8; ++bit) c = (c & 0x80000000u) ? (c << 1) ^ 0x04c11db7u : c << 1;
    table[i] = c;
  }
  return table;
}
constexpr auto kCrcTable = make_crc_table();

Reply unreadable(std::string_view what, targets::Addr at, const targets::Transfer& transfer) {
  std::string text = std::string(what) + ": cannot read memory at " + hex_address(at);
  if (transfer.error) text += ": " + transfer.error.message();
  return Reply::error(ErrorCode::memory_fault, std::move(text));
}

}  // namespace

std::uint32_t gdb_crc32(std::span<const std::byte> bytes, std::uint32_t crc) {
  for (auto b : bytes) crc = (crc << 8) ^ kCrcTable[((crc >> 24) ^ static_cast<std::uint32_t>(b)) & 0xff];
  return crc;
}

Reply search_memory(SessionState& s, const packets::SearchMemory& q) {
  // The window keeps the last pattern-1 bytes of the previous chunk in front of the next one, so
  // a match across a chunk boundary is found and memory stays bounded by chunk + pattern.
  const std::size_t overlap = q.pattern.size() - 1;
  std::vector<std::byte> window(overlap + kChunk);
  const std::boyer_moore_horspool_searcher searcher(q.pattern.begin(), q.pattern.end());
  targets::Addr window_start = q.addr;
  targets::Addr next = q.addr;
  std::uint64_t left = q.length;
  std::size_t kept = 0;
  while (left > 0) {
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, left));
    auto transfer = s.memory().read_virtual(next, std::span(window.data() + kept, want));
    std::size_t got = std::min(transfer.bytes, want);
    auto end = window.begin() + static_cast<std::ptrdiff_t>(kept + got);
    auto hit = std::search(window.begin(), end, searcher);
    if (hit != end) {
      std::string out = "1,";
      append_hex_u64(out, window_start + static_cast<std::uint64_t>(hit - window.begin()));
      return Reply::with(std::move(out));
    }
    // As gdb's own search: an unreadable byte before any match ends the search with an error.
    if (got < want) return unreadable("search halted", next + got, transfer);
    next += want;
    left -= want;
    std::size_t have = kept + got;
    kept = std::min(overlap, have);
    std::copy(window.begin() + static_cast<std::ptrdiff_t>(have - kept), window.begin() + static_cast<std::ptrdiff_t>(have),
              window.begin());
    window_start = next - kept;
  }
  return Reply::with("0");
}

Reply memory_crc(SessionState& s, const packets::MemoryCrc& c) {
  std::vector<std::byte> buffer(static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, c.length)));
  std::uint32_t crc = 0xffffffffu;  // gdb starts xcrc32 at all ones and applies no final xor
  targets::Addr next = c.addr;
  std::uint64_t left = c.length;
  while (left > 0) {
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, left));
    auto transfer = s.memory().read_virtual(next, std::span(buffer.data(), want));
    std::size_t got = std::min(transfer.bytes, want);
    if (got < want) return unreadable("qCRC", next + got, transfer);  // gdbserver: E01
    crc = gdb_crc32(std::span(buffer.data(), want), crc);
    next += want;
    left -= want;
  }
  // gdbserver prints "C%lx": minimal hex digits; gdb reads any number of them.
  std::string out = "C";
  append_hex_u64(out, crc);
  return Reply::with(std::move(out));
}

}  // namespace remora::rsp::handlers
