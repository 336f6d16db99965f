#!/usr/bin/env python3
"""End-to-end tests: the real lldb-16 against `remora` on the ptrace backend, debugging
programs/lldb_target.c (built by CMake into the --programs directory).

    lldb_ptrace_scenarios.py --remora PATH --workdir DIR --programs DIR SCENARIO [SCENARIO...]
    lldb_ptrace_scenarios.py --list

lldb runs in batch mode (`target create PROG`, `gdb-remote`, then the commands through
`command source -e false` so that one failing command does not end the batch), with its packet
log kept next to remora's trace. Every write lldb makes is proved by what the program prints
(remora's stdout, which the launched program inherits). A missing lldb-16 is a failure.

Not here, because lldb-16 itself cannot do it over `gdb-remote`: launching (`process launch`:
`A`/`vRun`) and `process attach` (vAttach) from lldb. lldb-16 connected to a stub that has no
process yet (remora --multi, and lldb-server-16 gdbserver alike) waits forever after its
qfThreadInfo/`?`; lldb launches and attaches through its platform mode (`lldb-server platform`),
which remora does not offer. `remora --attach` (the stub attaches) is covered instead.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import Failure, Scenario, check, expect, indent, reject, wait_until  # noqa: E402
from lldb_scenarios import LLDB, error_text, lldb_batch, memory_bytes, section  # noqa: E402

PROGRAM = "lldb_target"


def program(sc: Scenario) -> str:
    check(sc.programs is not None, "these scenarios need --programs DIR")
    path = sc.programs / PROGRAM
    check(path.exists(), f"test program missing: {path} (build the `remora` target)")
    return str(path)


def launch(sc: Scenario, *args: str) -> harness.Remora:
    return sc.start_remora(program=[program(sc), *args])


def lldb(sc: Scenario, port: int, *commands: str, timeout: float = 25) -> tuple[str, str]:
    """`target create PROG`, `gdb-remote`, the commands; lldb kills a process still attached when
    it quits. Returns (lldb's output, its packet log as `send X` / `read Y` lines)."""
    return lldb_batch(sc, port, *commands, timeout=timeout, target=program(sc), stopped=r"^Process \d+ stopped$")


def exits_with(out: str, status: int) -> None:
    expect(rf"^Process \d+ exited with status = {status} \({status:#010x}\)$", out,
           f"lldb reports the exit status {status}")


def printed(r: harness.Remora, pattern: str, what: str, within: float = 5) -> None:
    """The program printed `pattern` (it may still be writing: wait, bounded)."""
    wait_until(lambda: re.search(pattern, r.output(), re.M) is not None, within)
    expect(pattern, r.output(), what)


# ============================================================================================

def s_break_step(sc: Scenario) -> None:
    """Breakpoint by name, continue, thread list, bt, frame variable, a variable written by
    `expr` (the program prints it), step over, and the exit status."""
    r = launch(sc)
    out, packets = lldb(sc, r.port, "breakpoint set -n report", "continue", "thread list", "bt", "frame variable",
                        "expr g_counter = 7", "thread step-over", "breakpoint delete 1", "continue")
    reject(r"^error:", out, "no command failed")
    expect(r"^Breakpoint 1: where = lldb_target`report \+ \d+ at lldb_target\.c:\d+", out, "breakpoint by name")
    expect(r"stop reason = breakpoint 1\.1\n\s+frame #0: 0x[0-9a-f]+ lldb_target`report\(tag=\"start\", local=7\)",
           section(out, "continue"), "stopped in report()")
    threads = section(out, "thread list")
    expect(r"^\* thread #1: tid = \d+, .*report\(.*stop reason = breakpoint 1\.1$", threads, "the stopped thread")
    expect(r"^  thread #2: tid = \d+, ", threads, "the second thread")
    bt = section(out, "bt")
    expect(r"frame #0: .*lldb_target`report\(tag=\"start\", local=7\) at lldb_target\.c", bt, "frame 0")
    expect(r"frame #1: .*lldb_target`main\(argc=1, argv=0x[0-9a-f]+\) at lldb_target\.c", bt, "frame 1 (unwound)")
    fv = section(out, "frame variable")
    expect(r"^\(const char \*\) tag = 0x[0-9a-f]+ \"start\"$", fv, "the string argument")
    expect(r"^\(int\) local = 7$", fv, "the int argument")
    expect(r"^\(int\) \$0 = 7$", section(out, "expr g_counter = 7"), "the expression's value")
    expect(r"stop reason = step over\n.*\n(?:.*\n)*-> \d+\s+fflush\(stdout\);", section(out, "thread step-over"),
           "stepped over the printf")
    exits_with(out, 17)
    printed(r, r"^start g_counter=7 local=7$", "the program saw the written value")
    printed(r, r"^after g_counter=17 local=7$", "and went on from it")
    printed(r, r"^done g_counter=17$", "ran to the end")
    expect(r"^send vCont;c:p[0-9a-f]+\.-1$", packets, "lldb continues with vCont")
    expect(r"^read T05thread:p[0-9a-f]+\.[0-9a-f]+;.*reason:breakpoint;threads:[0-9a-f]+,[0-9a-f]+;", packets,
           "the stop reply lists both threads")


def s_expr_alloc(sc: Scenario) -> None:
    """`expr add(2,3)`: lldb gets its JIT memory from remora's _M (an mmap run in the stopped
    program), not from an inferior mmap call of its own."""
    r = launch(sc)
    # _M/_m sent by hand too (lldb's SB allocations are served from its own cache of earlier _M
    # blocks), with lldb's region queries between.
    send = ("script ci = lldb.debugger.GetCommandInterpreter(); send = lambda p: (lambda ro: (ci.HandleCommand("
            "'process plugin packet send ' + p, ro), ro.GetOutput())[1])(lldb.SBCommandReturnObject())"
            ".split('response: ')[1].split()[0]")
    region = ("script r = lldb.SBMemoryRegionInfo(); lldb.process.GetMemoryRegionInfo(a, r); "
              "print('region', hex(r.GetRegionBase()), hex(r.GetRegionEnd()), r.IsMapped(), r.IsReadable(), "
              "r.IsWritable(), r.IsExecutable())")
    out, packets = lldb(sc, r.port, "breakpoint set -n report", "continue", "expr add(2,3)", "expr g_origin.y", send,
                        "script a = int(send('_M3000,rx'), 16); print('alloc', hex(a))", region,
                        "script print('dealloc', send('_m%x' % a))", region, "breakpoint delete 1", "continue")
    reject(r"^error:", out, "no command failed")
    expect(r"^\(int\) \$0 = 5$", section(out, "expr add(2,3)"), "the call's result")
    expect(r"^\(int\) \$1 = 2$", section(out, "expr g_origin.y"), "a struct member")
    allocations = [(int(size, 16), int(addr, 16))
                   for size, addr in re.findall(r"^send _M([0-9a-f]+),r?w?x?\nread ([0-9a-f]+)$", packets, re.M)]
    check(bool(allocations), f"_M answered with an address:\n{indent(packets[-3000:])}")
    trace = r.trace()
    for size, addr in allocations:
        check(addr != 0 and addr % 4096 == 0, f"a page-aligned allocation: {addr:#x}")
        expect(rf"remora: allocated {size} bytes at {addr:#x}", trace, "--trace notes the allocation")
    # The call ran in the program with lldb's code and data in the allocations.
    writes = [int(a, 16) for a in re.findall(r"^send [MX]([0-9a-f]+),", packets, re.M)]
    check(any(addr <= w < addr + size for w in writes for size, addr in allocations),
          "lldb wrote into the memory remora allocated")
    reject(r"^send _M[^\n]*\nread (?:E|$)", packets, "no allocation refused")
    # The allocation by hand: an r-x region while it lives (kernel may merge it with a neighbour
    # of the same permissions), unmapped after _m.
    addr = int(expect(r"^alloc (0x[0-9a-f]+)$", out, "_M by hand").group(1), 16)
    m = expect(r"^region (0x[0-9a-f]+) (0x[0-9a-f]+) True True False True$", out, "the allocation is an r-x region")
    check(int(m.group(1), 16) <= addr and int(m.group(2), 16) >= addr + 0x3000, "the region holds the allocation")
    expect(r"^dealloc OK$", out, "_m by hand")
    expect(r"^region 0x[0-9a-f]+ 0x[0-9a-f]+ False False False False$", out, "unmapped after _m")
    exits_with(out, 11)
    printed(r, r"^done g_counter=11$", "the program ran on unharmed")


def s_crossing_write(sc: Scenario) -> None:
    """`memory write` of 8 bytes whose last 4 are in an unmapped page: the prefix lands, the
    packet log shows remora's Exx;HEX text naming the boundary, the program prints the prefix."""
    r = launch(sc)
    out, packets = lldb(sc, r.port, "breakpoint set -n crossing_ready", "continue", "register read rdi",
                        "memory write `edge+4` 1 2 3 4 5 6 7 8", "memory read -c 8 `edge`", "breakpoint delete 1",
                        "continue")
    edge = int(expect(r"rdi = (0x[0-9a-f]+)", section(out, "register read rdi"), "edge").group(1), 16)
    start, boundary = edge + 4, edge + 8
    check(boundary % 4096 == 0, f"edge + 8 is the page boundary: {boundary:#x}")
    expect(rf"^error: Memory write to {start:#x} failed", section(out, "memory write `edge+4` 1 2 3 4 5 6 7 8"),
           "lldb reports the failed write")
    check(memory_bytes(section(out, "memory read -c 8 `edge`")) == [0xaa] * 4 + [1, 2, 3, 4],
          "the prefix up to the boundary is written, nothing before it")
    m = expect(rf"^send M{start:x},8:0102030405060708\nread E0e;([0-9a-f]+)$", packets,
               "lldb's packet log shows remora's Exx;HEX reply")
    text = error_text(m.group(1))
    check(f"stopped at {boundary:#x} after 4 of 8 bytes from {start:#x}" in text, f"the text names the boundary: {text!r}")
    exits_with(out, 11)
    printed(r, r"^edge aa aa aa aa 01 02 03 04$", "the program sees exactly the prefix")


def s_watchpoint(sc: Scenario) -> None:
    """`watchpoint set variable`: it fires where debug registers trap; where they never do (this
    VM, CI) remora answers qWatchpointSupportInfo num:0 and lldb refuses cleanly."""
    r = launch(sc)
    out, packets = lldb(sc, r.port, "settings set auto-confirm true", "breakpoint set -n main", "continue",
                        "watchpoint set variable g_counter", "process continue", "watchpoint delete", "c")
    exits_with(out, 11)
    printed(r, r"^done g_counter=11$", "the program ran to the end")
    watch = section(out, "watchpoint set variable g_counter")
    if "raises no debug-register traps" in r.stderr.text:
        expect(r"^read num:0;$", packets, "no watchpoint slots offered")
        expect(r"^error: Watchpoint creation failed", watch, "lldb refuses the watchpoint")
        reject(r"^send Z2", packets, "no Z2 sent for a watchpoint that cannot work")
        return
    expect(r"^Watchpoint created: Watchpoint 1: addr = 0x[0-9a-f]+ size = 4 state = enabled type = w", watch,
           "watchpoint set")
    hit = section(out, "process continue")
    expect(r"stop reason = watchpoint 1", hit, "the watchpoint fired")
    expect(r"new value: 11", hit, "with the new value")


def s_interrupt(sc: Scenario) -> None:
    """`process interrupt` of a spinning program (lldb in async mode for the continue), then a
    write that lets it leave the loop."""
    r = launch(sc, "spin")
    # lldb's own stops on the way (the dynamic loader's breakpoint) must be over before the ^C:
    # lldb's Python waits (bounded) for the program's "spinning" in remora's stdout.
    wait = ("import time, pathlib\nt = time.time()\n"
            f"while 'spinning' not in pathlib.Path({str(r.stdout_path)!r}).read_text() and time.time() - t < 15:"
            " time.sleep(0.05)\ntime.sleep(0.2)")
    out, packets = lldb(sc, r.port, "script lldb.debugger.SetAsync(True)", "continue", f"script exec({wait!r})",
                        "process interrupt", "script import time; time.sleep(1.0)",
                        "script lldb.debugger.SetAsync(False)", "thread list", "expr g_quit = 1", "continue")
    printed(r, r"^spinning$", "the program was spinning")
    expect(r"stop reason = signal SIGINT\n\s+frame #0: 0x[0-9a-f]+ lldb_target`main\(argc=2", out,
           "interrupted in the spin loop")
    expect(r"^\* thread #1: .*stop reason = signal SIGINT$", section(out, "thread list"), "the interrupted thread")
    raw = sorted(sc.dir.glob("lldb-packets-*.log"))[-1].read_text(errors="replace")
    expect(r"sent packet: \\x03$", raw, "lldb interrupted with ^C")
    expect(r"^read T02thread:", packets, "remora's stop reply: SIGINT")
    exits_with(out, 11)
    printed(r, r"^done g_counter=11$", "the program left the loop and ran to the end")


def s_detach(sc: Scenario) -> None:
    """`process detach` at a breakpoint: the breakpoint is removed and the program runs on alone."""
    r = launch(sc)
    out, packets = lldb(sc, r.port, "breakpoint set -n bump", "continue", "process detach")
    reject(r"^error:", out, "no command failed")
    expect(r"stop reason = breakpoint 1\.1", section(out, "continue"), "stopped in bump()")
    expect(r"^Process \d+ detached$", section(out, "process detach"), "detached")
    expect(r"^send D;[0-9a-f]+$", packets, "lldb's D;pid")
    printed(r, r"^done g_counter=11$", "the program ran to the end on its own, without the int3")
    check(r.wait_exit(10) == 0, "remora exits once its process is detached")
    expect(r"^Detaching from process \d+$", r.stderr.text, "gdbserver's line")


def s_attach(sc: Scenario) -> None:
    """`remora --attach PID` to a program that is already running; lldb stops it, frees it from
    its loop and detaches; the program finishes by itself."""
    out_path = sc.path("attached-program.out")
    with open(out_path, "wb") as sink:
        prog = sc.popen([program(sc), "spin"], stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT)
    check(wait_until(lambda: "spinning" in out_path.read_text(errors="replace"), 5), "the program started spinning")
    r = sc.start_remora("--attach", program=[str(prog.pid)])
    expect(rf"^Attached; pid = {prog.pid}$", r.stderr.text, "remora attached")
    out, _ = lldb(sc, r.port, "thread list", "expr g_quit = 1", "process detach")
    reject(r"^error:", out, "no command failed")
    expect(rf"^Process {prog.pid} stopped$", out, "lldb sees the attached process")
    check(len(re.findall(r"^[* ] thread #\d+: tid = \d+", section(out, "thread list"), re.M)) == 2, "both threads")
    expect(r"^Process \d+ detached$", section(out, "process detach"), "detached")
    try:
        rc = prog.wait(timeout=10)
    except subprocess.TimeoutExpired:
        raise Failure("the detached program did not finish") from None
    check(rc == 11, f"the program left its loop and exited 11, not {rc}")
    expect(r"^done g_counter=11$", out_path.read_text(errors="replace"), "and printed its last line")


SCENARIOS = {
    "lldbpt_break_step": s_break_step,
    "lldbpt_expr_alloc": s_expr_alloc,
    "lldbpt_crossing_write": s_crossing_write,
    "lldbpt_watchpoint": s_watchpoint,
    "lldbpt_interrupt": s_interrupt,
    "lldbpt_detach": s_detach,
    "lldbpt_attach": s_attach,
}


def main() -> int:
    return harness.scenario_main(__doc__, SCENARIOS, tools=(LLDB,), needs_programs=True)


if __name__ == "__main__":
    sys.exit(main())
