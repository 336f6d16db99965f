#include "targets/api/errors.hpp"

#include <string>

namespace remora::targets {
namespace {

class RemoraCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "remora"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::ok: return "success";
      case errc::unmapped: return "no memory mapped at this address";
      case errc::read_protected: return "memory is not readable";
      case errc::write_protected: return "memory is not writable";
      case errc::injected_fault: return "injected fault";
      case errc::not_supported: return "operation not supported by this target";
      case errc::no_such_thread: return "no such thread";
      case errc::no_such_register: return "no such register";
      case errc::register_unavailable: return "register value unavailable";
      case errc::target_running: return "target is running";
      case errc::no_process: return "no process is being debugged";
      case errc::process_exited: return "process exited";
      case errc::backend_io: return "target backend I/O failed";
      case errc::timeout: return "target backend timed out";
      case errc::invalid_argument: return "invalid argument";
      case errc::resource_exhausted: return "out of resources";
    }
    return "unknown remora error";
  }
};

}  // namespace

const std::error_category& remora_category() noexcept {
  static const RemoraCategory category;
  return category;
}

}  // namespace remora::targets
