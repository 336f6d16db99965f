// The register file of the emulated thread: one byte array laid out by the target description.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>
#include <vector>

#include "targets/api/registers.hpp"

namespace remora::targets::emulated {

class RegisterFile {
 public:
  explicit RegisterFile(const TargetDescription& desc);

  // `out` / `value` must be exactly the register's size (errc::invalid_argument otherwise).
  std::error_code read(unsigned regnum, std::span<std::byte> out) const;
  std::error_code write(unsigned regnum, std::span<const std::byte> value);

  // Little-endian integer views for registers up to 8 bytes (the execution model uses rip).
  std::uint64_t get(unsigned regnum) const;
  void set(unsigned regnum, std::uint64_t value);

 private:
  const TargetDescription& desc_;
  std::vector<std::size_t> offsets_;  // by regnum
  std::vector<std::byte> bytes_;
};

// The initial values of the amd64 emulated thread.
void reset_amd64(RegisterFile& regs, const TargetDescription& desc, std::uint64_t rip, std::uint64_t rsp);

}  // namespace remora::targets::emulated
