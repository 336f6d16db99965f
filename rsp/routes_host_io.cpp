// Routes for vFile: host file access, confined by the target's HostIO (targets/hostfs). Every
// handler answers empty when the target has no HostIO. Nothing is advertised: gdb and lldb
// probe vFile by sending it (gdb's remote.c has no qSupported name for it).
#include <array>

#include "rsp/dispatch.hpp"
#include "rsp/handlers/host_io_handlers.hpp"
#include "rsp/route.hpp"

namespace remora::rsp {
namespace {

namespace h = handlers;
namespace p = packets;

constexpr std::array kRoutes = {
    PacketRoute{"vFile:open", route<p::decode_host_open, h::host_open>, false},
    PacketRoute{"vFile:close", route<p::decode_host_fd, h::host_close>, false},
    PacketRoute{"vFile:pread", route<p::decode_host_pread, h::host_pread>, false},
    PacketRoute{"vFile:pwrite", route<p::decode_host_pwrite, h::host_pwrite>, false},
    PacketRoute{"vFile:fstat", route<p::decode_host_fd, h::host_fstat>, false},
    PacketRoute{"vFile:stat", route<p::decode_host_path, h::host_stat>, false},
    PacketRoute{"vFile:lstat", route<p::decode_host_path, h::host_lstat>, false},
    PacketRoute{"vFile:readlink", route<p::decode_host_path, h::host_readlink>, false},
    PacketRoute{"vFile:unlink", route<p::decode_host_path, h::host_unlink>, false},
    PacketRoute{"vFile:setfs", route<p::decode_host_setfs, h::host_setfs>, false},
    PacketRoute{"vFile:size", route<p::decode_host_path, h::host_size>, false},
    PacketRoute{"vFile:mode", route<p::decode_host_path, h::host_mode>, false},
    PacketRoute{"vFile:exists", route<p::decode_host_path, h::host_exists>, false},
};

}  // namespace

std::span<const PacketRoute> host_io_routes() { return kRoutes; }

void advertise_host_io(SessionState&, std::string&) {}

}  // namespace remora::rsp
