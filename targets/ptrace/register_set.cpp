// One thread's registers: PTRACE_GETREGS for user_regs_struct, PTRACE_GETREGSET NT_X86_XSTATE
// for x87/SSE/AVX/AVX-512/PKRU, each read on first use and written back by flush().
#include "targets/ptrace/register_set.hpp"

#include <elf.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "targets/api/errors.hpp"
#include "targets/ptrace/xstate.hpp"

namespace remora::targets::ptrace {
namespace {

using xstate::Access;
using xstate::Block;
using xstate::Location;

std::error_code last_error() {
  int e = errno;
  if (e == ESRCH) return errc::no_such_thread;  // gone, or not stopped under us
  return {e, std::system_category()};
}

// glibc's ptrace() is variadic and reads addr/data as pointers: pass integers as such.
void* as_arg(std::uintptr_t value) { return reinterpret_cast<void*>(value); }

constexpr std::uint64_t bit(unsigned component) { return std::uint64_t{1} << component; }

}  // namespace

struct RegisterSet::Snapshot {
  user_regs_struct gpr{};
  std::vector<std::byte> xstate;
};

struct RegisterSet::Impl {
  pid_t tid;
  XstateLayout layout;
  const std::vector<Location>* map;

  user_regs_struct gpr{};
  bool gpr_loaded = false;
  bool gpr_dirty = false;

  // The XSAVE image as the kernel gave it (standard format; its length is the regset's size,
  // which is also the only length PTRACE_SETREGSET accepts), or the fxsave image without XSAVE.
  std::vector<std::byte> xs;
  bool xs_loaded = false;
  bool xs_dirty = false;
  std::uint64_t xs_changed = 0;  // components written: their XSTATE_BV bits must be set

  Impl(pid_t t, const XstateLayout& l) : tid(t), layout(l), map(&xstate::register_map(l)) {}

  bool use_regset() const { return layout.xsave_size > xstate::kFxsaveSize; }

  std::error_code load_gpr() {
    if (gpr_loaded) return {};
    if (::ptrace(PTRACE_GETREGS, tid, nullptr, &gpr) == -1) return last_error();
    gpr_loaded = true;
    return {};
  }

  std::error_code load_xstate() {
    if (xs_loaded) return {};
    if (use_regset()) {
      xs.assign(layout.xsave_size, std::byte{0});
      iovec iov{xs.data(), xs.size()};
      if (::ptrace(PTRACE_GETREGSET, tid, as_arg(NT_X86_XSTATE), &iov) == -1) return last_error();
      xs.resize(iov.iov_len);  // the kernel says how much it filled
    } else {
      xs.assign(xstate::kFxsaveSize, std::byte{0});
      if (::ptrace(PTRACE_GETFPREGS, tid, nullptr, xs.data()) == -1) return last_error();
    }
    xs_loaded = true;
    return {};
  }

  std::expected<const Location*, std::error_code> locate(unsigned regnum, std::size_t size) const {
    if (regnum >= map->size() || (*map)[regnum].reg_bytes == 0)
      return std::unexpected(make_error_code(errc::no_such_register));
    const Location* loc = &(*map)[regnum];
    if (size != loc->reg_bytes) return std::unexpected(make_error_code(errc::invalid_argument));
    return loc;
  }

  // The register's bytes in its (loaded) block.
  std::expected<std::byte*, std::error_code> storage(const Location& loc) {
    if (loc.block == Block::gpr) {
      if (auto ec = load_gpr()) return std::unexpected(ec);
      return reinterpret_cast<std::byte*>(&gpr) + loc.offset;
    }
    auto base = xstate::component_base(layout, loc.component);
    if (!base || (loc.component > xstate::sse && !use_regset()))
      return std::unexpected(make_error_code(errc::register_unavailable));
    if (auto ec = load_xstate()) return std::unexpected(ec);
    std::size_t at = *base + loc.offset;
    if (at + loc.storage_bytes > xs.size())  // the kernel did not hand this component out
      return std::unexpected(make_error_code(errc::register_unavailable));
    return xs.data() + at;
  }

  void mark_dirty(const Location& loc) {
    if (loc.block == Block::gpr) {
      gpr_dirty = true;
    } else {
      xs_dirty = true;
      xs_changed |= bit(loc.component);
    }
  }

  std::error_code flush_xstate() {
    if (use_regset()) {
      // XSTATE_BV (header + 0) says which components the image holds; the kernel loads the
      // others in their init state, so a changed component must have its bit set.
      if (xs.size() >= xstate::kHeaderOffset + 8) {
        std::uint64_t bv = 0;
        std::memcpy(&bv, xs.data() + xstate::kHeaderOffset, sizeof bv);
        bv |= xs_changed;
        std::memcpy(xs.data() + xstate::kHeaderOffset, &bv, sizeof bv);
      }
      iovec iov{xs.data(), xs.size()};
      if (::ptrace(PTRACE_SETREGSET, tid, as_arg(NT_X86_XSTATE), &iov) == -1) return last_error();
    } else if (::ptrace(PTRACE_SETFPREGS, tid, nullptr, xs.data()) == -1) {
      return last_error();
    }
    xs_dirty = false;
    xs_changed = 0;
    return {};
  }
};

RegisterSet::RegisterSet(pid_t tid, const XstateLayout& layout)
    : impl_(std::make_unique<Impl>(tid, layout)) {}
RegisterSet::~RegisterSet() = default;
RegisterSet::RegisterSet(RegisterSet&&) noexcept = default;
RegisterSet& RegisterSet::operator=(RegisterSet&&) noexcept = default;

std::error_code RegisterSet::read(unsigned regnum, std::span<std::byte> out) {
  auto loc = impl_->locate(regnum, out.size());
  if (!loc) return loc.error();
  auto at = impl_->storage(**loc);
  if (!at) return at.error();
  const Location& l = **loc;
  std::ranges::fill(out, std::byte{0});
  switch (l.access) {
    case Access::plain:
      std::memcpy(out.data(), *at, std::min<std::size_t>(l.storage_bytes, l.reg_bytes));
      break;
    case Access::ftag: {
      // Only ftag needs the whole fxsave image (the tags depend on TOP and the registers).
      std::uint16_t tag = xstate::expand_ftag(impl_->xs.data());
      out[0] = std::byte(tag & 0xff);
      out[1] = std::byte(tag >> 8);
      break;
    }
    case Access::fop:  // the last opcode is 11 bits; gdb masks the upper five the same way
      out[0] = (*at)[0];
      out[1] = (*at)[1] & std::byte{0x07};
      break;
  }
  return {};
}

std::error_code RegisterSet::write(unsigned regnum, std::span<const std::byte> value) {
  auto loc = impl_->locate(regnum, value.size());
  if (!loc) return loc.error();
  auto at = impl_->storage(**loc);
  if (!at) return at.error();
  const Location& l = **loc;
  std::byte* dst = *at;
  switch (l.access) {
    case Access::plain: {
      // A 32-bit register in a 64-bit user_regs_struct slot is zero-extended.
      std::size_t n = std::min<std::size_t>(l.storage_bytes, l.reg_bytes);
      std::memcpy(dst, value.data(), n);
      std::fill(dst + n, dst + l.storage_bytes, std::byte{0});
      break;
    }
    case Access::ftag: {
      auto tag = static_cast<std::uint16_t>(std::to_integer<unsigned>(value[0]) |
                                            (std::to_integer<unsigned>(value[1]) << 8));
      dst[0] = std::byte{xstate::abridge_ftag(tag)};
      dst[1] = std::byte{0};  // reserved in fxsave
      break;
    }
    case Access::fop:
      dst[0] = value[0];
      dst[1] = (dst[1] & ~std::byte{0x07}) | (value[1] & std::byte{0x07});
      break;
  }
  impl_->mark_dirty(l);
  return {};
}

std::uint64_t RegisterSet::pc() {
  if (impl_->load_gpr()) return 0;
  return impl_->gpr.rip;
}

std::error_code RegisterSet::set_pc(std::uint64_t pc) {
  if (auto ec = impl_->load_gpr()) return ec;
  impl_->gpr.rip = pc;
  impl_->gpr_dirty = true;
  return {};
}

std::uint64_t RegisterSet::sp() {
  if (impl_->load_gpr()) return 0;
  return impl_->gpr.rsp;
}

std::error_code RegisterSet::flush() {
  if (impl_->gpr_dirty) {
    if (::ptrace(PTRACE_SETREGS, impl_->tid, nullptr, &impl_->gpr) == -1) return last_error();
    impl_->gpr_dirty = false;
  }
  if (impl_->xs_dirty) return impl_->flush_xstate();
  return {};
}

void RegisterSet::invalidate() {
  impl_->gpr_loaded = impl_->gpr_dirty = false;
  impl_->xs_loaded = impl_->xs_dirty = false;
  impl_->xs_changed = 0;
  impl_->xs.clear();
}

std::expected<std::shared_ptr<RegisterSet::Snapshot>, std::error_code> RegisterSet::save() {
  if (auto ec = impl_->load_gpr()) return std::unexpected(ec);
  if (auto ec = impl_->load_xstate()) return std::unexpected(ec);
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->gpr = impl_->gpr;
  snapshot->xstate = impl_->xs;
  return snapshot;
}

std::error_code RegisterSet::restore(const Snapshot& snapshot) {
  impl_->gpr = snapshot.gpr;
  impl_->gpr_loaded = impl_->gpr_dirty = true;
  // The image goes back whole, header included: its XSTATE_BV already names what it holds.
  impl_->xs = snapshot.xstate;
  impl_->xs_loaded = impl_->xs_dirty = true;
  impl_->xs_changed = 0;
  return {};
}

}  // namespace remora::targets::ptrace
