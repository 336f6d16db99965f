#include "targets/ptrace/proc_memory.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "targets/api/errors.hpp"

namespace remora::targets::ptrace {
namespace {

constexpr Addr kPage = 4096;

// EIO/EFAULT from /proc/PID/mem mean "nothing mapped (or accessible) here"; offsets beyond
// off_t (kernel half) are refused with EINVAL, which is the same thing for a client. A transfer
// of nothing (err 0: pread/pwrite returned 0) is the kernel's answer once the process has no
// address space any more — killed, exiting — where an unmapped page gives EIO (mem_rw()).
std::error_code fault_code(int err) {
  if (err == 0 || err == ESRCH) return errc::process_exited;
  if (err == EIO || err == EFAULT || err == EINVAL) return errc::unmapped;
  return {err, std::system_category()};
}

bool offset_ok(Addr addr) { return addr <= static_cast<Addr>(INT64_MAX); }

}  // namespace

ProcMemory::~ProcMemory() { close(); }

std::error_code ProcMemory::open(pid_t pid) {
  close();
  const std::string path = "/proc/" + std::to_string(pid) + "/mem";
  fd_ = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd_ < 0) return {errno, std::system_category()};
  return {};
}

void ProcMemory::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Transfer ProcMemory::read(Addr addr, std::span<std::byte> out) const {
  if (fd_ < 0) return {0, errc::no_process};
  std::size_t done = 0;
  while (done < out.size()) {
    if (!offset_ok(addr + done)) return {done, errc::unmapped};
    const ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(addr + done));
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    const int err = n < 0 ? errno : 0;
    // The kernel fails the whole call when its first page faults, even if part of the
    // request was readable before a later page: narrow down to find the exact prefix.
    auto rest = read_exact_prefix(addr + done, out.subspan(done));
    done += rest.bytes;
    return {done, done < out.size() ? (rest.error ? rest.error : fault_code(err)) : std::error_code{}};
  }
  return {done, {}};
}

// Called where a pread returned nothing: the first page there is unreadable unless the read
// spanned pages, in which case it proceeds a page at a time.
Transfer ProcMemory::read_exact_prefix(Addr addr, std::span<std::byte> out) const {
  std::size_t done = 0;
  while (done < out.size()) {
    const Addr at = addr + done;
    const std::size_t chunk = std::min<std::size_t>(out.size() - done, kPage - (at % kPage));
    if (!offset_ok(at)) return {done, errc::unmapped};
    const ssize_t n = ::pread(fd_, out.data() + done, chunk, static_cast<off_t>(at));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return {done, fault_code(n < 0 ? errno : 0)};
    done += static_cast<std::size_t>(n);
    if (static_cast<std::size_t>(n) < chunk) return {done, errc::unmapped};
  }
  return {done, {}};
}

Transfer ProcMemory::write(Addr addr, std::span<const std::byte> data) const {
  if (fd_ < 0) return {0, errc::no_process};
  std::size_t done = 0;
  while (done < data.size()) {
    if (!offset_ok(addr + done)) return {done, errc::unmapped};
    const ssize_t n = ::pwrite(fd_, data.data() + done, data.size() - done, static_cast<off_t>(addr + done));
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return {done, fault_code(n < 0 ? errno : 0)};
  }
  return {done, {}};
}

}  // namespace remora::targets::ptrace
