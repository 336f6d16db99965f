#include "targets/emulated/register_file.hpp"

#include <algorithm>
#include <cstring>

#include "targets/api/errors.hpp"
#include "targets/arch/amd64.hpp"

namespace remora::targets::emulated {

RegisterFile::RegisterFile(const TargetDescription& desc) : desc_(desc) {
  std::size_t total = 0;
  for (const auto& r : desc.registers) {
    offsets_.push_back(total);
    total += r.bytes();
  }
  bytes_.assign(total, std::byte{0});
}

std::error_code RegisterFile::read(unsigned regnum, std::span<std::byte> out) const {
  const RegisterInfo* r = desc_.find(regnum);
  if (r == nullptr) return errc::no_such_register;
  if (out.size() != r->bytes()) return errc::invalid_argument;
  std::memcpy(out.data(), bytes_.data() + offsets_[regnum], out.size());
  return {};
}

std::error_code RegisterFile::write(unsigned regnum, std::span<const std::byte> value) {
  const RegisterInfo* r = desc_.find(regnum);
  if (r == nullptr) return errc::no_such_register;
  if (value.size() != r->bytes()) return errc::invalid_argument;
  std::memcpy(bytes_.data() + offsets_[regnum], value.data(), value.size());
  return {};
}

std::uint64_t RegisterFile::get(unsigned regnum) const {
  const RegisterInfo* r = desc_.find(regnum);
  if (r == nullptr) return 0;
  std::uint64_t v = 0;
  const std::size_t n = std::min<std::size_t>(r->bytes(), 8);
  for (std::size_t i = 0; i < n; ++i)
    v |= static_cast<std::uint64_t>(std::to_integer<std::uint8_t>(bytes_[offsets_[regnum] + i])) << (8 * i);
  return v;
}

void RegisterFile::set(unsigned regnum, std::uint64_t value) {
  const RegisterInfo* r = desc_.find(regnum);
  if (r == nullptr) return;
  const std::size_t n = r->bytes();
  for (std::size_t i = 0; i < n; ++i)
    bytes_[offsets_[regnum] + i] = i < 8 ? static_cast<std::byte>(value >> (8 * i)) : std::byte{0};
}

void reset_amd64(RegisterFile& regs, const TargetDescription& desc, std::uint64_t rip, std::uint64_t rsp) {
  for (const auto& r : desc.registers) regs.set(r.regnum, 0);
  regs.set(amd64::rip, rip);
  regs.set(amd64::rsp, rsp);
  regs.set(amd64::eflags, 0x202);  // IF and the always-one bit 1, as a fresh Linux process has
  regs.set(amd64::cs, 0x33);       // Linux user code and stack selectors
  regs.set(amd64::ss, 0x2b);
  regs.set(amd64::fctrl, 0x37f);   // FNINIT / ABI defaults
  regs.set(amd64::mxcsr, 0x1f80);
}

}  // namespace remora::targets::emulated
