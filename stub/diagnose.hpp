// Turning a failure at startup into something a person can act on: who holds the port, why the
// program cannot run, what to try next. Reads /proc and the file system only; no side effects.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace remora::stub {

// The process listening on (or bound to) TCP `port`, as "process 4242 (python3)", from
// /proc/net/tcp{,6} and /proc/*/fd; nullopt when no socket has the port. When the socket is
// found but not its owner (another user's process), says so and names `ss`.
std::optional<std::string> port_holder(std::uint16_t port, const std::string& proc_root = "/proc");

// Lines to print after a failed launch of `program` (each starting "remora: "), or "" when
// there is nothing to add: not on PATH, a directory, no execute bit.
std::string launch_hint(const std::string& program);

}  // namespace remora::stub
