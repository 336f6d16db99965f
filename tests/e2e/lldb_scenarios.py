#!/usr/bin/env python3
"""End-to-end tests: the real lldb-16 against `remora` on its emulated target.

    lldb_scenarios.py --remora PATH --workdir DIR SCENARIO [SCENARIO...]
    lldb_scenarios.py --list

Built on harness.py (processes, logs, budgets, cleanup). lldb runs in batch mode; the commands
after `gdb-remote` go through `command source -e false` so that one failing command (the
crossing write) does not end the batch. lldb's own packet log is kept next to remora's trace.
A missing lldb-16 is a failure, never a skip: CI installs it.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
from harness import Failure, Scenario, check, expect, indent, reject  # noqa: E402

LLDB = "lldb-16"
DATA_START = 0x600000


def lldb_batch(sc: Scenario, port: int, *commands: str, timeout: float = 30, target: str | None = None,
               stopped: str = r"^Process 1 stopped$") -> tuple[str, str]:
    """Connects lldb to remora, runs `commands`, quits (lldb kills the process at exit unless
    detached). Returns (lldb's output, lldb's gdb-remote packet log)."""
    n = len(sc.logs) + 1
    script = sc.path(f"lldb-commands-{n}.txt")
    script.write_text("".join(c + "\n" for c in commands))
    packets = sc.path(f"lldb-packets-{n}.log")
    argv = [LLDB, "--no-lldbinit", "-b",
            "-o", f"log enable -f {packets} gdb-remote packets"]
    if target:  # `target create PROG` first: lldb reads the symbols from the local file
        argv += ["-o", f"target create {target}"]
    argv += ["-o", f"gdb-remote 127.0.0.1:{port}", "-o", f"command source -e false -c false {script}"]
    log = sc._log("lldb")
    proc = sc.popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=sc.dir)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate(timeout=5)
        log.write_text(out.decode("utf-8", errors="replace"))
        raise Failure(f"lldb did not finish within {timeout}s:\n{indent(out.decode('utf-8', errors='replace'))}")
    text = out.decode("utf-8", errors="replace")
    log.write_text(" ".join(repr(a) for a in argv) + "\n" + text)
    sc.logs.append(packets)
    reject(r"error: (?:failed to get reply|Process \d+ is currently being debugged|connect)", text, "lldb connected")
    expect(stopped, text, "lldb attached to the process")
    return text, packet_lines(packets.read_text(errors="replace")) if packets.exists() else ""


def section(text: str, command: str) -> str:
    """What lldb printed for one command (from its echo up to the next prompt)."""
    m = re.search(r"^\(lldb\) " + re.escape(command) + r"\n(.*?)(?=^\(lldb\) |\Z)", text, re.M | re.S)
    if not m:
        raise Failure(f"no output for `{command}` in:\n{indent(text)}")
    return m.group(1)


def memory_bytes(text: str) -> list[int]:
    """The bytes of `memory read` lines ("0x025ffff8: 00 01 ...  ........")."""
    out: list[int] = []
    for line in text.splitlines():
        m = re.match(r"^0x[0-9a-f]+: ((?:[0-9a-f]{2} )+)", line)
        if m:
            out += [int(b, 16) for b in m.group(1).split()]
    return out


def expand_rle(payload: str) -> str:
    """lldb logs packets as they came, run-length encoded: `X*N` is X repeated ord(N)-29 more times."""
    out: list[str] = []
    i = 0
    while i < len(payload):
        if payload[i] == "*" and out and i + 1 < len(payload):
            out.append(out[-1] * (ord(payload[i + 1]) - 29))
            i += 2
            continue
        out.append(payload[i])
        i += 1
    return "".join(out)


def packet_lines(log: str) -> str:
    """lldb's packet log as `send PAYLOAD` / `read PAYLOAD` lines, run-length encoding expanded."""
    lines = []
    for m in re.finditer(r"(send|read) packet: \$(.*?)#[0-9a-f]{2}$", log, re.M):
        lines.append(f"{m.group(1)} {expand_rle(m.group(2))}")
    return "\n".join(lines) + "\n"


def error_text(reply_hex: str) -> str:
    return bytes.fromhex(reply_hex).decode("utf-8", errors="replace")


# The register commands both lldb register scenarios (here and qemu_lldb_scenarios.py) start with.
REGISTER_COMMANDS = ("register read", "register write rax 0x1234", "register read rax", "register read --all")


def expect_register_sets(out: str, *, rip: str, rsp: str, xmm_byte: str) -> str:
    """lldb's output for REGISTER_COMMANDS: the general set named from the target.xml, rip/rsp
    matching the given patterns, rax as written, the FPU/SSE set with xmm15 made of `xmm_byte`s.
    Returns the `register read --all` section for the target's own sets."""
    gpr = section(out, "register read")
    expect(r"^General Purpose Registers:$", gpr, "lldb's register set name (from the target.xml)")
    expect(rf"^\s+rip = {rip}$", gpr, f"rip = {rip}")
    expect(rf"^\s+rsp = {rsp}$", gpr, f"rsp = {rsp}")
    expect(r"^\s+eflags = 0x00000202$", gpr, "eflags")
    expect(r"^\s+rax = 0x0000000000001234$", section(out, "register read rax"), "rax after the write")
    every = section(out, "register read --all")
    expect(r"^Floating Point Registers:$", every, "the FPU/SSE set")
    expect(rf"^\s+xmm15 = \{{(?:{xmm_byte} ){{15}}{xmm_byte}\}}$", every, "xmm15")
    return every


# ============================================================================================

def s_registers(sc: Scenario) -> None:
    r = sc.start_remora()
    out, packets = lldb_batch(sc, r.port, *REGISTER_COMMANDS)
    # rip at the entry, rsp below the top of the stack, the FPU state zeroed.
    expect_register_sets(out, rip="0x0000000000400000", rsp="0x00007fffffffeff8", xmm_byte="0x00")
    reject(r"^error:", out, "no command failed")
    # lldb took lldb's target.xml (no xi:include fetches), the write went as P with the suffix.
    expect(r"qXfer:features:read:target\.xml", packets, "lldb read target.xml")
    reject(r"qXfer:features:read:64bit-core\.xml", packets, "no feature documents fetched")
    expect(r"-> P0=3412000000000000;thread:0*1;$", r.trace(), "trace shows the rax write")


def s_memory(sc: Scenario) -> None:
    r = sc.start_remora()
    out, _ = lldb_batch(sc, r.port,
                        "memory write 0x600100 0x11 0x22 0x33 0x44", "memory read -c 4 0x600100",
                        "memory write -s 4 0x600104 0xdeadbeef", "memory read -c 8 0x600100",
                        "memory region 0x600000", "memory region 0x500000", "memory region 0x400000",
                        "process plugin packet send _M1000,rw", "memory region 0x10000000",
                        "memory write 0x10000000 0x5a", "memory read -c 1 0x10000000")
    reject(r"^error:", out, "no command failed")
    check(memory_bytes(section(out, "memory read -c 4 0x600100")) == [0x11, 0x22, 0x33, 0x44], "byte write read back")
    check(memory_bytes(section(out, "memory read -c 8 0x600100")) == [0x11, 0x22, 0x33, 0x44, 0xef, 0xbe, 0xad, 0xde],
          "word write read back")
    expect(r"^\[0x0000000000600000-0x0000000002600000\) rw- data$", section(out, "memory region 0x600000"), "data region")
    expect(r"^\[0x0000000000410000-0x0000000000600000\) ---$", section(out, "memory region 0x500000"), "the gap")
    expect(r"^\[0x0000000000400000-0x0000000000410000\) r-x text$", section(out, "memory region 0x400000"), "text")
    expect(r"^response: 10000000$", section(out, "process plugin packet send _M1000,rw"), "_M returned an address")
    expect(r"^\[0x0000000010000000-0x0000000010001000\) rw- allocated$", section(out, "memory region 0x10000000"),
           "the allocation is a region")
    check(memory_bytes(section(out, "memory read -c 1 0x10000000")) == [0x5a], "the allocation is writable")
    expect(r"-> x0,0$", r.trace(), "lldb probed x")
    expect(r"-> M600100,4:11223344$", r.trace(), "trace shows lldb's M")


def _crossing(sc: Scenario, r: harness.Remora, start: int, boundary: int, *, unmapped: bool) -> None:
    """An 8-byte `memory write` at `start` that stops at `boundary` (start + 4)."""
    pre = start - 8
    out, packets = lldb_batch(sc, r.port,
                              f"memory write {pre:#x} " + " ".join(["0xaa"] * 8),
                              f"memory read -c 4 {boundary:#x}",
                              f"memory write {start:#x} 1 2 3 4 5 6 7 8",
                              f"memory read -c 12 {pre:#x}",
                              f"memory read --count 4 {boundary:#x}")
    # lldb-16 prints its own words with the start address; remora's text is in the packet log.
    expect(rf"^error: Memory write to {start:#x} failed", section(out, f"memory write {start:#x} 1 2 3 4 5 6 7 8"),
           "lldb reports the failed write")
    check(memory_bytes(section(out, f"memory read -c 12 {pre:#x}")) == [0xaa] * 8 + [1, 2, 3, 4],
          "the prefix up to the boundary is written, nothing before it changed")
    before = section(out, f"memory read -c 4 {boundary:#x}")
    after = section(out, f"memory read --count 4 {boundary:#x}")
    if unmapped:
        expect(r"^error: ", before + after, "the boundary is unmapped")
    else:
        check(len(memory_bytes(before)) == 4 and memory_bytes(after) == memory_bytes(before),
              f"bytes from the fault on are untouched:\n{indent(before + after)}")
    m = expect(rf"^send M{start:x},8:0102030405060708\nread E0e;([0-9a-f]+)$", packets,
               "lldb's packet log shows remora's Exx;HEX reply")
    text = error_text(m.group(1))
    check(f"stopped at {boundary:#x} after 4 of 8 bytes from {start:#x}" in text, f"the text names the boundary: {text!r}")
    trace = r.trace()
    expect(rf"-> M{start:x},8:0102030405060708\n(?:\S+ remora: .*\n)*\S+ <- E0e;", trace, "--trace shows E0e;HEX")
    expect(rf"remora: memory write stopped at {boundary:#x} after 4 of 8 bytes", trace, "--trace names the boundary")


def s_crossing_write(sc: Scenario) -> None:
    r = sc.start_remora()
    out, _ = lldb_batch(sc, r.port, "memory region 0x600000")
    end = int(expect(r"^\[0x[0-9a-f]+-(0x[0-9a-f]+)\) rw- data$", out, "data region").group(1), 16)
    r = sc.start_remora()  # a fresh machine: lldb killed the first one when it quit
    _crossing(sc, r, end - 4, end, unmapped=True)
    # Inside a mapped region: an injected write fault; the bytes after it must stay 0xaa/0x00.
    fault_at = 0x600108
    r2 = sc.start_remora(f"--fault=write:{fault_at:#x},0x10")
    _crossing(sc, r2, fault_at - 4, fault_at, unmapped=False)


def s_run_control(sc: Scenario) -> None:
    r = sc.start_remora()
    out, packets = lldb_batch(sc, r.port, "breakpoint set -a 0x400100", "continue", "thread step-inst",
                              "register read rip", "thread list", "process detach")
    expect(r"stop reason = breakpoint 1\.1", section(out, "continue"), "stopped at the breakpoint")
    expect(r"^->  0x400100: nop", section(out, "continue"), "at 0x400100")
    expect(r"stop reason = instruction step into", section(out, "thread step-inst"), "stepped")
    expect(r"rip = 0x0000000000400101$", section(out, "register read rip"), "one instruction on")
    expect(r"^\* thread #1: tid = 1, 0x0000000000400101, name = 'emulated'", section(out, "thread list"), "thread list")
    expect(r"^Process 1 detached$", section(out, "process detach"), "detached")
    trace = r.trace()
    expect(r"-> vCont;c:p1\.-1$", trace, "lldb's vCont continue")
    expect(r"-> vCont;s:p1\.1$", trace, "lldb's vCont step")
    # The stop reply carries all general registers (rip, 0x10, among them), reason, threads, pcs.
    expect(r"^read T05thread:p1\.1;00:0{16};.*;10:0001400000000000;.*reason:breakpoint;threads:1;thread-pcs:400100;$",
           packets, "lldb's stop reply")
    expect(r"-> D;0*1$", trace, "D;pid (lldb pads the pid to 16 digits)")
    # The machine outlives the detach: a second lldb finds it where the first left it, and kills it.
    out, _ = lldb_batch(sc, r.port, "register read rip", "kill")
    expect(r"rip = 0x0000000000400101$", out, "state kept across the detach")
    expect(r"^Process 1 exited with status = 9 \(0x00000009\)", section(out, "kill"), "lldb's kill reports the exit")
    expect(r"-> k\n\S+ <- X09;process:1$", r.trace(), "k answered with X09")


SCENARIOS = {
    "lldb_registers": s_registers,
    "lldb_memory": s_memory,
    "lldb_crossing_write": s_crossing_write,
    "lldb_run_control": s_run_control,
}


def main() -> int:
    return harness.scenario_main(__doc__, SCENARIOS, tools=(LLDB,))


if __name__ == "__main__":
    sys.exit(main())
