#!/usr/bin/env python3
"""End-to-end tests: lldb-16 `gdb-remote` through remora in front of qemu-x86_64 7.2 (user mode,
`--target qemu-user`), debugging the static guest in qemu_programs/. QEMU's own stub speaks none
of lldb's packets; everything lldb needs comes from remora (qHostInfo, qProcessInfo,
qRegisterInfo and target.xml from QEMU's flattened description, QEnableErrorStrings,
qMemoryRegionInfo by page probing, `x`, no-ack mode).

    qemu_lldb_scenarios.py --remora PATH --workdir DIR --programs DIR SCENARIO [SCENARIO...]
    qemu_lldb_scenarios.py --list

Built on harness.py, lldb_scenarios.py (lldb_batch) and qemu_scenarios.py (the guest). Missing
lldb-16 or qemu-x86_64 is a failure, never a skip: `bash cmake/dev.sh test` installs them.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
from harness import Scenario, check, expect, reject, wait_until  # noqa: E402
from lldb_scenarios import (LLDB, REGISTER_COMMANDS, error_text, expect_register_sets, lldb_batch,  # noqa: E402
                            memory_bytes, section)
from qemu_scenarios import QEMU, finished_output, guest, qemu_pid, start  # noqa: E402


def symbols(sc: Scenario) -> dict[str, int]:
    """Run-time addresses of the guest's symbols (static, non-PIE)."""
    out = subprocess.run(["nm", guest(sc)], capture_output=True, text=True, check=True).stdout
    return {m.group(2): int(m.group(1), 16) for m in re.finditer(r"^([0-9a-f]+) \w (\w+)$", out, re.M)}


def entry_point(sc: Scenario) -> int:
    out = subprocess.run(["readelf", "-h", guest(sc)], capture_output=True, text=True, check=True).stdout
    return int(expect(r"Entry point address:\s+(0x[0-9a-f]+)", out, "the guest's entry point").group(1), 16)


def s_registers(sc: Scenario) -> None:
    """Registers from QEMU's target.xml (flattened by remora), read and written through p/P."""
    r = start(sc)
    out, packets = lldb_batch(sc, r.port, *REGISTER_COMMANDS, "process plugin packet send qRegisterInfo0",
                              "process plugin packet send qRegisterInfo10", "register read rax", timeout=40)
    reject(r"^error:", out, "no command failed")
    # rip at the guest's entry point.
    every = expect_register_sets(out, rip=f"0x{entry_point(sc):016x}", rsp="0x[0-9a-f]{16}", xmm_byte="0x[0-9a-f]{2}")
    expect(r"^\s+cs = 0x00000033$", section(out, "register read"), "cs of a 64-bit user process")
    expect(r"^System Registers:$", every, "QEMU's system registers in a set of their own")
    expect(r"^\s+k_gs_base = 0x[0-9a-f]{16}$", every, "k_gs_base (QEMU's layout)")
    expect(r"^\s+efer = 0x[0-9a-f]+$", every, "efer")
    # qRegisterInfo answers from the same description (lldb's fallback without qXfer).
    expect(r"^response: name:rax;bitsize:64;offset:0;encoding:uint;format:hex;set:General Purpose Registers;"
           r"gcc:0;ehframe:0;dwarf:0;", section(out, "process plugin packet send qRegisterInfo0"), "qRegisterInfo0 is rax")
    expect(r"^response: name:rip;(?:alt-name:pc;)?bitsize:64;.*generic:pc;", section(out, "process plugin packet send qRegisterInfo10"),
           "qRegisterInfo10 is rip, lldb's pc")
    for packet, reply in (("qHostInfo", r"triple:[0-9a-f]+;.*ptrsize:8;"), ("qProcessInfo", r"pid:1;.*ptrsize:8;"),
                          ("QEnableErrorStrings", r"OK$"), ("QStartNoAckMode", r"OK$")):
        expect(rf"^send {packet}\nread {reply}", packets, f"remora answers lldb's {packet}")
    reject(r"qXfer:features:read:[\w-]+\.xml:", packets.replace("target.xml:", ""), "no included documents fetched")
    expect(r"^send P0=3412000000000000;thread:[0-9a-f]+;\nread OK$", packets, "the rax write went as P with the suffix")
    expect(r"-> P0,|-> P0=3412000000000000|-> G", r.trace(), "remora wrote rax to QEMU")


def s_break_step_memory(sc: Scenario) -> None:
    """Breakpoint, step, memory read/write/region; the guest's output proves each write landed;
    a second lldb after `process detach` finds the guest where the first left it."""
    sym = symbols(sc)
    r = start(sc)
    pid = qemu_pid(r)
    cp = sym["checkpoint"]
    out, _ = lldb_batch(sc, r.port, f"breakpoint set -a {cp:#x}", "continue", "thread step-inst", "register read rip",
                        f"memory read -s 8 -f x -c 1 {sym['edge']:#x}", f"memory read -c 8 {sym['counter']:#x}",
                        "process detach", timeout=40)
    reject(r"^error:", out, "no command failed")
    expect(r"stop reason = breakpoint 1\.1", section(out, "continue"), "stopped at the breakpoint")
    expect(rf"^->  {cp:#x}", section(out, "continue"), "at checkpoint")
    expect(r"stop reason = instruction step into", section(out, "thread step-inst"), "stepped one instruction")
    expect(rf"rip = 0x{cp + 1:016x}$", section(out, "register read rip"), "past checkpoint's 1-byte push")
    edge = int(expect(r"^0x[0-9a-f]+: (0x[0-9a-f]{16})$", section(out, f"memory read -s 8 -f x -c 1 {sym['edge']:#x}"),
                      "the guest's edge pointer").group(1), 16)
    check(edge % 4096 == 0 and edge > 0, f"edge {edge:#x} is a page boundary")
    check(memory_bytes(section(out, f"memory read -c 8 {sym['counter']:#x}")) == [5] + [0] * 7, "counter is 5")
    expect(r"^Process 1 detached$", section(out, "process detach"), "detached")
    check(os.path.exists(f"/proc/{pid}"), "QEMU survives lldb's detach")

    pre = edge - 16
    crossing = f"memory write {edge - 8:#x} " + " ".join(f"{i:#x}" for i in range(1, 17))
    out, packets = lldb_batch(
        sc, r.port, "register read rip", f"memory write -s 8 {sym['counter']:#x} 0x1092",
        f"memory write -s 4 {sym['stop_spin']:#x} 0x1", f"memory read -c 8 {sym['counter']:#x}", crossing,
        f"memory read -c 16 {pre:#x}", f"memory region {sym['counter']:#x}", f"memory region {cp:#x}",
        f"memory region {edge:#x}", f"breakpoint set -a {cp:#x}", "continue", "continue", timeout=40)
    expect(rf"rip = 0x{cp + 1:016x}$", section(out, "register read rip"), "the second lldb finds the guest where it was")
    check(memory_bytes(section(out, f"memory read -c 8 {sym['counter']:#x}")) == [0x92, 0x10] + [0] * 6,
          "counter reads back 4242")
    expect(rf"^error: Memory write to {edge - 8:#x} failed", section(out, crossing), "the crossing write fails")
    check(memory_bytes(section(out, f"memory read -c 16 {pre:#x}")) == [0xaa] * 8 + list(range(1, 9)),
          "prefix written up to the page boundary, bytes before it untouched")
    m = expect(rf"^send M{edge - 8:x},10:0102030405060708090a0b0c0d0e0f10\nread E0e;([0-9a-f]+)$", packets,
               "remora's Exx;HEX reply to the crossing write")
    text = error_text(m.group(1))
    check(f"stopped at {edge:#x} after 8 of 16 bytes" in text, f"the error text names the boundary: {text!r}")
    data = section(out, f"memory region {sym['counter']:#x}")
    lo, hi = (int(x, 16) for x in expect(r"^\[(0x[0-9a-f]+)-(0x[0-9a-f]+)\) rw-$", data, "counter's page is rw-").groups())
    check(lo <= sym["counter"] < hi and lo % 4096 == 0 and hi % 4096 == 0, f"the region [{lo:#x},{hi:#x}) holds counter")
    text_region = section(out, f"memory region {cp:#x}")
    lo, hi = (int(x, 16) for x in expect(r"^\[(0x[0-9a-f]+)-(0x[0-9a-f]+)\) r-x$", text_region, "text is r-x").groups())
    check(lo <= cp < hi, "the text region holds checkpoint")
    gap = section(out, f"memory region {edge:#x}")
    expect(rf"^\[0x0*{edge:x}-0x[0-9a-f]+\) ---$", gap, "the page after the writable one is unmapped")
    expect(r"stop reason = breakpoint 1\.1", section(out, "continue"), "checkpoint(2) after the spin loop ended")
    expect(r"^Process 1 exited with status = 0 \(0x00000000\)", out, "the guest ran to its end")
    expect(r"qMemoryRegionInfo:[0-9a-f]+\n\S+ <- start:[0-9a-f]+;size:[0-9a-f]+;permissions:rw;", r.trace(),
           "remora answered qMemoryRegionInfo")
    text = finished_output(r, 5)
    expect(r"^after1 counter=4242$", text, "the guest saw lldb's counter write")
    expect(r"^edge-16:( aa){8} 01 02 03 04 05 06 07 08$", text, "the guest saw exactly the prefix")
    expect(r"^sigint_count=0$", text, "the spin loop ended through lldb's stop_spin write")
    check(wait_until(lambda: not os.path.exists(f"/proc/{pid}"), 5), "QEMU exited and was reaped")


SCENARIOS = {
    "qemu_lldb_registers": s_registers,
    "qemu_lldb_break_step_memory": s_break_step_memory,
}


def main() -> int:
    return harness.scenario_main(__doc__, SCENARIOS, tools=(QEMU, LLDB), needs_programs=True)


if __name__ == "__main__":
    sys.exit(main())
