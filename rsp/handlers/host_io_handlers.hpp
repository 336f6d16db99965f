// vFile handlers (host_io.cpp). Each answers the empty reply when the target has no HostIO
// (no vFile at all: --vfile=off, or a backend without files), so gdb says "not supported".
#pragma once
#include "rsp/packets/host_io.hpp"
#include "rsp/reply.hpp"
#include "rsp/session_state.hpp"

namespace remora::rsp::handlers {

Reply host_open(SessionState& s, const packets::HostOpen& r);
Reply host_close(SessionState& s, const packets::HostFd& r);
Reply host_pread(SessionState& s, const packets::HostPread& r);
Reply host_pwrite(SessionState& s, const packets::HostPwrite& r);
Reply host_fstat(SessionState& s, const packets::HostFd& r);
Reply host_stat(SessionState& s, const packets::HostPath& r);
Reply host_lstat(SessionState& s, const packets::HostPath& r);
Reply host_readlink(SessionState& s, const packets::HostPath& r);
Reply host_unlink(SessionState& s, const packets::HostPath& r);
Reply host_setfs(SessionState& s, const packets::HostSetFs& r);
// lldb's flavour.
Reply host_size(SessionState& s, const packets::HostPath& r);
Reply host_mode(SessionState& s, const packets::HostPath& r);
Reply host_exists(SessionState& s, const packets::HostPath& r);

// gdb's File-I/O errno number for a Linux errno (EUNKNOWN, 9999, for one it lacks).
int fileio_errno(int linux_errno);

}  // namespace remora::rsp::handlers
