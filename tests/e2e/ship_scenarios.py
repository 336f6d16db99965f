#!/usr/bin/env python3
"""End-to-end tests for a stub a person can see into (issue 9): the readable packet trace,
`monitor trace on|off`, `monitor stats` and `monitor help` through the real gdb, and the
errors a person gets at startup (port in use, ptrace refused, PROG missing / not executable /
32-bit, QEMU not there, lldb-server's command line).

    ship_scenarios.py --remora PATH --workdir DIR SCENARIO [SCENARIO...]
    ship_scenarios.py --list
"""
from __future__ import annotations

import os
import re
import socket
import struct
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.dont_write_bytecode = True
import harness  # noqa: E402
from harness import Scenario, check, expect, indent, reject, wait_until  # noqa: E402
from ptrace_scenarios import run_not_executable, run_on_busy_port  # noqa: E402

DATA = 0x600000  # the emulated target's data region


def free_port() -> int:
    """A port nobody listens on (bound, then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def s_trace_readable(sc: Scenario) -> None:
    """The default trace decodes packets; monitor stats after `x` commands counts the m packets."""
    r = sc.start_remora(trace_format="readable")
    out = sc.gdb_batch(r.port, f"x/4xw {DATA:#x}", f"x/2xg {DATA + 0x100:#x}", f"x/1xb {DATA + 0x200:#x}",
                       "monitor stats", "monitor help", "monitor exit")
    check(wait_until(lambda: r.proc.poll() is not None, 10), "remora exits after `monitor exit`")
    trace = r.trace()
    # gdb reads an `x` one unit at a time: x/4xw is four 4-byte m packets.
    expect(rf"^\S+ -> m addr={DATA:#x} len=4$", trace, "the x/4xw read, decoded")
    expect(rf"^\S+ -> m addr={DATA + 0x108:#x} len=8$", trace, "the x/2xg read, decoded")
    expect(r"^\S+ <- 8 bytes [0-9a-f]{16}$", trace, "a read's reply: its bytes")
    expect(r"^\S+ -> qSupported .*\bmultiprocess\+", trace, "gdb's qSupported features listed")
    expect(r"^\S+ <- features: PacketSize=\S+ ", trace, "remora's features listed")
    expect(r"^\S+ <- T05 \(SIGTRAP\) thread=\S+", trace, "the stop reply decoded")
    expect(r"^\S+ -> qRcmd \(monitor\) \"stats\"$", trace, "the monitor command shown as text")
    reject(r"-> m[0-9a-f]+,", trace, "no raw m packet in the readable trace")
    # monitor stats: the m count includes the three `x` commands; every line a person needs.
    m = expect(r"^packets by kind: (.*)$", out, "monitor stats lists packets by kind")
    kinds = dict((k, int(n)) for k, n in re.findall(r"(\S+) (\d+)", m.group(1)))
    check(kinds.get("m", 0) >= 3, f"m count {kinds.get('m')} after three x commands\n{indent(out)}")
    reads = int(expect(r"^target calls: memory reads (\d+) \(\d+ bytes\)", out, "target calls").group(1))
    check(reads >= 3, f"{reads} target memory reads after three x commands")
    expect(r"^bytes in \d+, out \d+$", out, "bytes moved")
    expect(r"^time: session \S+ m?s; in remora \S+ m?s, in target calls \S+ m?s, target running \S+ m?s, "
           r"waiting for the client \S+ m?s$", out, "where the time went")
    for command in ("help", "exit", "stats", "trace", "cache", "write-uncached", "regions", "fault"):
        expect(rf"^  {command}\b", out, f"monitor help lists {command}")


def s_trace_toggle(sc: Scenario) -> None:
    """Started without --trace: `monitor trace on` writes to stderr, `off` stops it."""
    r = sc.start_remora(trace=False)
    out = sc.gdb_batch(r.port, "monitor trace on", f"x/2xw {DATA:#x}", "monitor trace off",
                       f"x/2xw {DATA + 0x300:#x}", "monitor exit")
    expect(r"^packet trace on$", out, "gdb shows the switch")
    check(wait_until(lambda: r.proc.poll() is not None, 10), "remora exits after `monitor exit`")
    r.stderr.join()
    err = r.stderr.text
    expect(rf"^\S+ -> m addr={DATA + 4:#x} len=4$", err, "the traced read on stderr")
    expect(r"^\S+ <- output \"packet trace off\\n\"$|-> qRcmd \(monitor\) \"trace off\"", err, "the off command traced")
    reject(rf"addr={DATA + 0x300:#x}", err, "nothing traced after `monitor trace off`")
    reject(r"-> qSupported", err, "nothing traced before `monitor trace on`")


def s_raw_trace(sc: Scenario) -> None:
    """--trace-format=raw keeps the exact bytes (what scripts grep)."""
    r = sc.start_remora(trace_format="raw")
    sc.gdb_batch(r.port, f"x/4xw {DATA:#x}", "monitor exit")
    check(wait_until(lambda: r.proc.poll() is not None, 10), "remora exits")
    expect(rf"^\S+ -> m{DATA + 4:x},4\n\S+ <- 00000000$", r.trace(), "the m packet and its reply as sent")


def s_port_in_use(sc: Scenario) -> None:
    port, p = run_on_busy_port(sc)
    expect(rf"^remora: port {port} is held by process {os.getpid()} \(\S+\); stop it or pick another port.*\n"
           r"Can't bind address: Address already in use\.\nExiting$", p.stderr,
           "the process holding the port is named, then gdbserver's words as they are")


def s_prog_errors(sc: Scenario) -> None:
    p = sc.run_remora(":0", "remora-no-such-command")
    check(p.returncode == 1, f"missing PROG: exit {p.returncode}\n{indent(p.stderr)}")
    expect(r"remora-no-such-command: No such file or directory$", p.stderr, "gdbserver-style error kept")
    expect(r"^remora: 'remora-no-such-command' is neither on PATH nor in the current directory", p.stderr,
           "where remora looked")
    not_exec, p = run_not_executable(sc)
    expect(rf"^remora: {re.escape(str(not_exec))} has no execute permission; 'chmod \+x ", p.stderr, "chmod named")
    p = sc.run_remora(":0", str(sc.dir))
    expect(r"is a directory; PROG must be a program file", p.stderr, "a directory for PROG")
    # A 32-bit program: an ELF32 i386 header is all remora looks at before it refuses.
    elf32 = sc.path("prog32")
    header = b"\x7fELF" + bytes([1, 1, 1, 0]) + bytes(8) + struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, 0x8049000, 52, 0,
                                                                            0, 52, 32, 0, 40, 0, 0)
    elf32.write_bytes(header)
    elf32.chmod(0o755)
    p = sc.run_remora(":0", str(elf32))
    check(p.returncode == 1, f"32-bit PROG: exit {p.returncode}\n{indent(p.stderr)}")
    expect(r"prog32: a 32-bit program \(ELF32, i386\); remora debugs 64-bit x86-64 programs only: 32-bit ones are "
           r"not supported$", p.stderr, "32-bit programs refused by name")
    reject(r"Listening on port", p.stderr, "nothing served")


def s_ptrace_refused(sc: Scenario) -> None:
    """Attaching to a process another debugger (here a first remora) already traces."""
    first = sc.start_remora(trace=False, program=["/bin/sleep", "30"])
    pid = int(expect(r"^Process /bin/sleep created; pid = (\d+)$", first.stderr.text, "launched").group(1))
    p = sc.run_remora("--attach", ":0", str(pid))
    check(p.returncode == 1, f"attach to a traced pid: exit {p.returncode}\n{indent(p.stderr)}")
    expect(rf"^Cannot attach to process {pid}: it is already traced by process {first.proc.pid} \(remora\); "
           r"detach that debugger first$", p.stderr, "the tracer is named")
    if not Path("/proc/sys/kernel/yama/ptrace_scope").exists():
        reject(r"ptrace_scope", p.stderr, "Yama named only where it exists")


def s_qemu_unreachable(sc: Scenario) -> None:
    port = free_port()
    p = sc.run_remora("--target", f"qemu:127.0.0.1:{port}", ":0")
    check(p.returncode == 1, f"no QEMU: exit {p.returncode}\n{indent(p.stderr)}")
    expect(rf"cannot connect to QEMU at 127\.0\.0\.1:{port}: ", p.stderr, "the address is named")
    expect(rf"^remora: is QEMU running with its gdbstub there\? start it first with '-S -gdb tcp:127\.0\.0\.1:{port}'",
           p.stderr, "what to start")
    expect(r"^Exiting$", p.stderr, "gdbserver's last word")


def s_lldb_server_args(sc: Scenario) -> None:
    cases = [(["gdbserver", ":1234", "./prog", "arg"], r"try 'remora :1234 \./prog arg'"),
             (["g", ":1234", "--", "./prog"], r"try 'remora :1234 \./prog'"),
             (["g", ":1234", "--attach", "42"], r"try 'remora --attach :1234 42'"),
             (["platform", "--server", "--listen", "*:1234"], r"remora --multi :PORT")]
    for args, suggestion in cases:
        p = sc.run_remora(*args)
        check(p.returncode == 2, f"{args}: exit {p.returncode}\n{indent(p.stderr)}")
        expect(rf"^remora: '{args[0]}' is lldb-server's .*{suggestion}", p.stderr, f"{args[0]}: the right form")
        reject(r"Listening", p.stderr, "nothing served")


SCENARIOS = {
    "ship_trace_readable": s_trace_readable,
    "ship_trace_toggle": s_trace_toggle,
    "ship_raw_trace": s_raw_trace,
    "ship_port_in_use": s_port_in_use,
    "ship_prog_errors": s_prog_errors,
    "ship_ptrace_refused": s_ptrace_refused,
    "ship_qemu_unreachable": s_qemu_unreachable,
    "ship_lldb_server_args": s_lldb_server_args,
}

if __name__ == "__main__":
    sys.exit(harness.scenario_main(__doc__, SCENARIOS))
