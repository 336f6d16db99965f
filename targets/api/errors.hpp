// remora's own error codes, carried in std::error_code across the target seam.
#pragma once
#include <system_error>

namespace remora::targets {

enum class errc {
  ok = 0,
  unmapped,          // no memory at this address
  read_protected,    // memory exists but may not be read
  write_protected,   // memory exists but may not be written
  injected_fault,    // a fault injected on purpose (emulated target)
  not_supported,     // the backend has no such operation
  no_such_thread,
  no_such_register,
  register_unavailable,
  target_running,    // the operation needs a stopped target
  no_process,        // nothing is being debugged
  process_exited,    // the process died underneath the request
  backend_io,        // the backend's transport failed (QEMU link, ptrace)
  timeout,
  invalid_argument,
  resource_exhausted,
};

const std::error_category& remora_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), remora_category()};
}

}  // namespace remora::targets

template <>
struct std::is_error_code_enum<remora::targets::errc> : std::true_type {};
