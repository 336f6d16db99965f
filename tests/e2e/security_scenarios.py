#!/usr/bin/env python3
"""Nothing exposed by default (issue 8): where remora listens, who may use its Unix socket, and
which client requests it refuses without an explicit flag. Also the malformed-input table
(hostile_input.py) in ack and no-ack mode, as CTest scenarios.

    security_scenarios.py --remora PATH --workdir DIR [SCENARIO...]
"""
from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
import hostile_input  # noqa: E402
from harness import Scenario, check, wait_until  # noqa: E402
from hostile_input import Link  # noqa: E402


def listening_addresses(port: int) -> list[str]:
    """The local addresses of LISTEN sockets on `port`, from /proc/net/tcp and tcp6."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in open(table).read().splitlines()[1:]:
            fields = line.split()
            local, state = fields[1], fields[3]
            addr, _, hex_port = local.rpartition(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: TCP_LISTEN
                found.append(addr)
    return found


LOOPBACK = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1, ::1 (as the kernel prints them)


def s_loopback_default(sc: Scenario) -> None:
    """`:PORT` and `localhost:PORT` listen on loopback only; 0.0.0.0 only when written."""
    for comm in (":0", "localhost:0"):
        r = sc.start_remora(comm=comm, trace=False)
        addrs = listening_addresses(r.port)
        check(addrs and all(a in LOOPBACK for a in addrs), f"remora {comm} listens on {addrs}")
        r.proc.kill()
        r.proc.wait(timeout=5)
    r = sc.start_remora(comm="0.0.0.0:0", trace=False)
    check(listening_addresses(r.port) == ["00000000"], "0.0.0.0 written explicitly listens on all")


def s_unix_socket_mode(sc: Scenario) -> None:
    """A Unix socket is created mode 0600, and serves its owner."""
    path = sc.path("remora.sock")
    proc = sc.popen([sc.remora_path, f"unix:{path}"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL)
    check(wait_until(lambda: path.exists(), 10), "the socket appears")
    mode = stat.S_IMODE(os.stat(path).st_mode)
    check(mode == 0o600, f"socket mode {mode:o}, expected 600")
    s = socket.socket(socket.AF_UNIX)
    s.connect(str(path))
    s.settimeout(5)
    s.sendall(hostile_input.frame(b"m600000,4"))
    got = b""
    while b"#" not in got:
        chunk = s.recv(4096)
        check(bool(chunk), "remora answered over the Unix socket")
        got += chunk
    s.close()
    proc.kill()


def s_refusals(sc: Scenario) -> None:
    """No shell command for a client, no vRun without --multi, no QEMU monitor without the flag."""
    r = sc.start_remora(trace=False)
    link = Link(r.port)
    link.request(b"qSupported:multiprocess+")
    shell = link.request(b"qPlatform_shell:" + b"touch /tmp/remora-was-here".hex().encode() + b",a")
    check(shell == b"", f"qPlatform_shell answered {shell!r}")
    run = link.request(b"vRun;" + b"/bin/true".hex().encode())
    check(run is not None and (run == b"" or run.startswith(b"E")), f"vRun without --multi answered {run!r}")
    check(link.request(b"!") == b"", "extended mode refused without --multi")
    link.sock.close()


def table(ack: bool):
    def run(sc: Scenario) -> None:
        r = sc.start_remora(trace=False)
        rows = hostile_input.run_table("127.0.0.1", r.port, ack, strict=True)
        text = "\n".join(f"{name}: {got}{' FAIL ' + failure if failure else ''}" for name, got, failure in rows)
        sc.path("table.txt").write_text(text + "\n")
        failures = [f"{name}: {failure}" for name, _, failure in rows if failure]
        check(not failures, "malformed-input table:\n" + "\n".join(failures))
        check(r.proc.poll() is None, "remora still runs after the table")
    return run


SCENARIOS = {
    "security_loopback_default": s_loopback_default,
    "security_unix_socket_mode": s_unix_socket_mode,
    "security_refusals": s_refusals,
    "hostile_input_ack": table(True),
    "hostile_input_noack": table(False),
}


def main() -> int:
    return harness.scenario_main(__doc__, SCENARIOS, tools=())


if __name__ == "__main__":
    sys.exit(main())
