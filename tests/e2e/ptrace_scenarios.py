"""End-to-end scenarios on the ptrace backend: the real gdb debugging the C programs in
programs/ (built by CMake into the directory given as --programs). Registered by harness.py.

Every write gdb makes is proved by what the program prints afterwards (remora's stdout, which
the launched program inherits, is logged: `Remora.output()`).
"""
from __future__ import annotations

import re
import socket
import subprocess
import time
from pathlib import Path
from typing import Callable

from harness import (Failure, Remora, Scenario, check, expect, indent, reject,  # noqa: F401
                     wait_until, x_words)

SOURCES = Path(__file__).resolve().parent / "programs"


def prog(sc: Scenario, name: str) -> str:
    check(sc.programs is not None, "the ptrace scenarios need --programs DIR")
    path = sc.programs / name
    check(path.exists(), f"test program missing: {path} (build the `remora` target)")
    return str(path)


def line_of(source: str, marker: str) -> int:
    for number, text in enumerate((SOURCES / source).read_text().splitlines(), 1):
        if marker in text:
            return number
    raise Failure(f"marker {marker} not in {source}")


def launch(sc: Scenario, name: str, *args: str, options: tuple[str, ...] = ()) -> Remora:
    return sc.start_remora(*options, program=[prog(sc, name), *args])


def gdb(sc: Scenario, r: Remora, name: str, *commands: str, timeout: float = 30) -> str:
    return sc.gdb_batch(r.port, *commands, file=prog(sc, name), timeout=timeout)


def no_remote_errors(out: str) -> None:
    reject(r"Remote failure reply|Remote connection closed|Remote communication error|internal-error",
           out, "gdb talks to remora cleanly")


def remora_exits(r: Remora, within: float = 10) -> None:
    rc = r.wait_exit(within)
    check(rc is not None, f"remora still running {within}s after its process ended\n{indent(r.stderr.text)}")
    check(rc == 0, f"remora exited {rc}, expected 0\n{indent(r.stderr.text)}")


def run_not_executable(sc: Scenario) -> tuple[Path, subprocess.CompletedProcess]:
    """remora given a PROG without execute permission: it must exit 1 before it listens.
    Returns the file and the run (the callers check the words)."""
    not_exec = sc.path("not-executable")
    not_exec.write_text("#!/bin/sh\n")
    not_exec.chmod(0o644)
    p = sc.run_remora(":0", str(not_exec))
    check(p.returncode == 1, f"non-executable PROG: exit {p.returncode}\n{indent(p.stderr)}")
    return not_exec, p


def run_on_busy_port(sc: Scenario, *program: str) -> tuple[int, subprocess.CompletedProcess]:
    """remora told to listen on a port another socket holds (bound, listening): it must exit 1, as
    gdbserver does. Returns the port and the run (the callers check the words)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        p = sc.run_remora(f"127.0.0.1:{port}", *program)
    check(p.returncode == 1, f"busy port: exit {p.returncode}\n{indent(p.stderr)}")
    return port, p


def pid_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


# --- scenarios -----------------------------------------------------------------------------

def s_launch_lines(sc: Scenario) -> None:
    path = prog(sc, "basics")
    r = launch(sc, "basics")
    m = expect(r"^Process (\S+) created; pid = (\d+)\nListening on port (\d+)$", r.stderr.text,
               "gdbserver's first two lines, in order")
    check(m.group(1) == path, f"PROG as given: {m.group(1)}")
    pid = int(m.group(2))
    check(pid_alive(pid), "the launched process exists")
    out = gdb(sc, r, "basics", "info inferiors", "continue")
    no_remote_errors(out)
    expect(rf"process {pid}\b", out, "gdb sees the launched pid")
    # counter: 1, then bump() adds 10 -> exit status 11 (gdb prints it in octal).
    expect(rf"^\[Inferior 1 \(process {pid}\) exited with code 013\]$", out, "the exit code reaches gdb")
    remora_exits(r)
    err = r.stderr.text
    expect(r"^Remote debugging from host 127\.0\.0\.1, port \d+$", err, "gdbserver's connect line")
    expect(r"\n\nChild exited with status 11\n", err, "gdbserver's exit line (after an empty line)")
    expect(r"^start counter=1 origin=1,2,origin local=5$", r.output(), "the program ran to the end")
    check(not pid_alive(pid), "the process is gone")

    # --wrapper, --no-startup-with-shell, --no-disable-randomization: the wrapper's environment.
    r2 = launch(sc, "basics", options=("--wrapper", "/usr/bin/env", "E2E_WRAPPED=yes", "--",
                                       "--no-startup-with-shell", "--no-disable-randomization"))
    m = expect(r"^Process \S+ created; pid = (\d+)$", r2.stderr.text, "launched through the wrapper")
    environ = Path(f"/proc/{m.group(1)}/environ").read_bytes().split(b"\0")
    check(b"E2E_WRAPPED=yes" in environ, "the wrapper ran and exec'd the program")
    out = gdb(sc, r2, "basics", "kill")
    remora_exits(r2)
    reject(r"Child exited", r2.stderr.text, "gdb's kill is not an exit")


def s_disconnect(sc: Scenario) -> None:
    """A client leaving without D/k keeps the process; --once then kills it, as gdbserver does."""
    r = launch(sc, "basics")
    pid = int(expect(r"pid = (\d+)$", r.stderr.text, "launched").group(1))
    out = gdb(sc, r, "basics", "break report", "continue", "disconnect")
    expect(r"^Breakpoint 1, report ", out, "ran to report()")
    check(wait_until(lambda: "will reopen" in r.stderr.text, 10), "remora did not notice the disconnect")
    expect(r"^Remote side has terminated connection\.  GDBserver will reopen the connection\.\n"
           r"Listening on port \d+$", r.stderr.text, "gdbserver's reopen lines")
    check(r.alive() and pid_alive(pid), "the process and remora stay")
    out = gdb(sc, r, "basics", "bt 1", "kill")
    expect(r"^#0  report \(tag=", out, "the second client finds it where the first left it")
    remora_exits(r)

    r = launch(sc, "basics", options=("--once",))
    pid = int(expect(r"pid = (\d+)$", r.stderr.text, "launched").group(1))
    gdb(sc, r, "basics", "disconnect")
    remora_exits(r)
    expect(rf"^Killing process\(es\): {pid}$", r.stderr.text, "gdbserver's --once exit line")
    check(wait_until(lambda: not pid_alive(pid), 5), "the launched process is gone")


def s_break_step(sc: Scenario) -> None:
    r = launch(sc, "basics")
    start, add_call = line_of("basics.c", "LINE_START"), line_of("basics.c", "LINE_ADD_CALL")
    add_body = line_of("basics.c", "LINE_ADD_BODY")
    out = gdb(sc, r, "basics", "break main", "continue", "next", "next", "step", "p $pc",
              "stepi", "p $pc", "bt 1", "next", "next", "next", "continue")
    no_remote_errors(out)
    expect(rf"^Breakpoint 1, main \(\) at .*basics\.c:{start - 1}$", out, "break main / continue")
    expect(rf"^{start}\t.*LINE_START", out, "next went to the next line")
    expect(rf"^{add_call}\t.*LINE_ADD_CALL", out, "next reached the add() call")
    expect(rf"^add \(a=5, b=2\) at .*basics\.c:{add_body}$", out, "step entered add()")
    pcs = [int(v, 16) for v in re.findall(r"^\$\d+ = \(void \(\*\)\(\)\) (0x[0-9a-f]+) <add", out, re.M)]
    check(len(pcs) == 2 and pcs[1] > pcs[0], f"stepi moved the pc forward inside add: {pcs}")
    expect(r"^#0  (0x[0-9a-f]+ in )?add \(a=5, b=2\)", out, "still in add after stepi")
    expect(r"^main \(\) at .*basics\.c:\d+$", out, "next returned to main")
    expect(r"exited with code 013\]", out, "ran to the end")
    # The program's own output proves `next` ran report("start") before the step.
    expect(r"^start counter=1 .*\nmiddle counter=1 origin=1,2,origin local=7$", r.output(), "program output")
    remora_exits(r)


def s_finish_until_advance(sc: Scenario) -> None:
    r = launch(sc, "basics")
    loop, middle, after, ret = (line_of("basics.c", m) for m in ("LINE_LOOP", "LINE_MIDDLE", "LINE_AFTER",
                                                                 "LINE_RETURN"))
    out = gdb(sc, r, "basics", "break add", "continue", "finish", "next", "next", "echo @@UNTIL@@\\n",
              "until", "until", "echo @@ADVANCE@@\\n", f"advance {after}", "p counter", "echo @@OUTPUT1@@\\n",
              f"until {ret}", "p counter", "kill")
    no_remote_errors(out)
    expect(r"^0x[0-9a-f]+ in main \(\) at .*basics\.c:\d+\n\d+\t.*LINE_ADD_CALL", out, "finish returned to main")
    expect(r"^Value returned is \$1 = 7$", out, "finish shows the return value")
    until = out.split("@@UNTIL@@")[1].split("@@ADVANCE@@")[0]
    expect(rf"^{loop}\t.*\n{middle}\t", until, "until: back to the loop line, then past the loop")
    advance = out.split("@@ADVANCE@@")[1]
    expect(rf"^main \(\) at .*basics\.c:{after}\n.*\n\$2 = 11$", advance, "advance LINE: bump() ran, stopped")
    expect(rf"^main \(\) at .*basics\.c:{ret}\n.*\n\$3 = 11$", advance, "until LINE")
    reject(r"exited", out, "the program never ran off the end")
    expect(r"^middle counter=1 origin=1,2,origin local=7\nafter counter=11 .*\nedge .*\nhaystack ", r.output(),
           "the program ran up to its return")
    remora_exits(r)


def s_call_print_set(sc: Scenario) -> None:
    r = launch(sc, "basics")
    middle = line_of("basics.c", "LINE_MIDDLE")
    out = gdb(sc, r, "basics",
              # A register write: report()'s second argument, in rsi at its first instruction.
              "break *report", "continue", "set var $rsi = 1234", "delete",
              f"break basics.c:{middle}", "continue",
              "print counter", "print origin", "print local", "print haystack",
              "call square(3)", "print add(20, 22)",
              "set var counter = 40", "set var origin.y = -9", "set var origin.name[0] = 'O'", "set var local = 99",
              "print counter", "print origin", "print local", "continue")
    no_remote_errors(out)
    expect(r"^\$1 = 1$", out, "print a global")
    expect(r'^\$2 = \{x = 1, y = 2, name = "origin(?:\\000)*"\}$', out, "print a struct")
    expect(r"^\$3 = 7$", out, "print a local")
    expect(r'^\$4 = "hay hay hay NEEDLE-7f3a hay"', out, "print a char array")
    expect(r"^\$5 = 9$", out, "call square(3)")
    expect(r"^\$6 = 42$", out, "print add(20, 22) (an inferior call)")
    expect(r"^\$7 = 40$", out, "the global reads back")
    expect(r'^\$8 = \{x = 1, y = -9, name = "Origin', out, "the struct members read back")
    expect(r"^\$9 = 99$", out, "the local reads back")
    # counter 40 + bump()'s 10 = 50 = 062 octal.
    expect(r"exited with code 062\]", out, "the exit code carries the written global")
    text = r.output()
    expect(r"^start counter=1 origin=1,2,origin local=1234$", text, "the register write landed")
    expect(r"^middle counter=40 origin=1,-9,Origin local=99$", text, "every memory write landed")
    expect(r"^after counter=50 ", text, "the program went on with them")
    remora_exits(r)


def s_crossing_write(sc: Scenario) -> None:
    r = launch(sc, "basics")
    out = gdb(sc, r, "basics", "break crossing_ready", "continue", "p/x edge",
              "echo @@SET@@\\n",
              "set {unsigned char[16]}edge = {0x11,0x12,0x13,0x14,0x15,0x16,0x17,0x18,"
              "0x19,0x1a,0x1b,0x1c,0x1d,0x1e,0x1f,0x20}",
              "echo @@READ@@\\n", "x/8xb edge", "echo @@PAST@@\\n", "x/1xb edge + 8", "echo @@END@@\\n",
              "continue")
    no_remote_errors(out)
    edge = int(expect(r"^\$1 = (0x[0-9a-f]+)$", out, "the edge address").group(1), 16)
    check(edge % 4096 == 4096 - 8, f"edge {edge:#x} is 8 bytes before a page end")
    part = dict(re.findall(r"@@(\w+)@@\n(.*?)(?=@@\w+@@|\Z)", out, re.S))
    expect(rf"^Cannot access memory at address {edge:#x}$", part["SET"], "the crossing write fails")
    check(x_words(part["READ"]) == list(range(0x11, 0x19)), f"the 8-byte prefix stayed written:\n{part['READ']}")
    expect(rf"Cannot access memory at address {edge + 8:#x}", part["PAST"], "the next page is unmapped")
    expect(r"^edge 11 12 13 14 15 16 17 18$", r.output(), "the program sees the prefix")
    expect(rf"<- E.*{edge + 8:#x}|remora: .*{edge + 8:#x}", r.trace(), "remora names the fault boundary")
    remora_exits(r)


def s_threads(sc: Scenario) -> None:
    r = launch(sc, "threads")
    out = gdb(sc, r, "threads", "break all_started", "continue", "info threads", "thread 3", "bt", "thread 1",
              "continue")
    no_remote_errors(out)
    expect(r"^Thread 1 \"threads\" hit Breakpoint 1, all_started \(\)", out, "stopped with all threads started")
    rows = re.findall(r"^[* ] +(\d+) +Thread (\d+)\.(\d+) ", out, re.M)
    check([int(n) for n, _, _ in rows] == [1, 2, 3, 4], f"info threads lists 4 threads:\n{indent(out)}")
    check(len({lwp for _, _, lwp in rows}) == 4 and rows[0][1] == rows[0][2], "four lwps, the leader first")
    expect(r"^\* 1 +Thread \S+ .*all_started", out, "thread 1 is current, in all_started")
    expect(r"^\[Switching to thread 3 \(Thread \d+\.\d+\)\]", out, "thread 3")
    expect(r"^#\d+ +0x[0-9a-f]+ in worker \(arg=0x2\)", out, "thread 3 is the second worker")
    expect(r"exited normally\]", out, "ran to the end")
    expect(r"^worker_sum 6$", r.output(), "every worker ran")
    remora_exits(r)


def s_signals_pass(sc: Scenario) -> None:
    r = launch(sc, "signals", "usr1")
    out = gdb(sc, r, "signals", "handle SIGUSR1 nostop noprint pass", "continue")
    no_remote_errors(out)
    reject(r"SIGUSR1, User defined signal 1\.\n.*received", out, "no stop for SIGUSR1")
    expect(r"exited normally\]", out, "ran to the end without stopping")
    expect(r"^usr1_count 3$", r.output(), "the handler saw every SIGUSR1")
    expect(r"-> QPassSignals:(?:[0-9a-f]+;)*1e\b", r.trace(), "gdb told remora to pass SIGUSR1 (gdb 30)")
    remora_exits(r)


def s_exit_codes(sc: Scenario) -> None:
    r = launch(sc, "signals", "exit", "3")
    out = gdb(sc, r, "signals", "continue")
    expect(r"^\[Inferior 1 \(process \d+\) exited with code 03\]$", out, "exit code 3")
    remora_exits(r)
    expect(r"^Child exited with status 3$", r.stderr.text, "remora's exit line")

    r = launch(sc, "signals", "segv")
    out = gdb(sc, r, "signals", "continue", "continue")
    expect(r"^Program received signal SIGSEGV, Segmentation fault\.$", out, "the fault stops the program")
    expect(r"^Program terminated with signal SIGSEGV, Segmentation fault\.$", out, "then kills it")
    remora_exits(r)
    expect(r"\n\nChild terminated with signal = 0xb \(SIGSEGV\)\n", r.stderr.text, "remora's signal line")


def _ticks(r_or_path) -> int:
    text = r_or_path.output() if isinstance(r_or_path, Remora) else Path(r_or_path).read_text(errors="replace")
    ticks = re.findall(r"^tick (\d+)$", text, re.M)
    return int(ticks[-1]) if ticks else 0


def s_interrupt(sc: Scenario) -> None:
    r = launch(sc, "spin")
    g = sc.gdb_interactive(file=prog(sc, "spin"))
    g.run(f"target remote 127.0.0.1:{r.port}")
    g.send("continue")
    g.wait_for(r"Continuing\.", 10)
    check(wait_until(lambda: _ticks(r) >= 5, 10), "the program never ran")
    g.interrupt()
    g.wait_for(r"received signal SIGINT", 10)
    frozen = _ticks(r)
    time.sleep(0.3)
    check(_ticks(r) <= frozen + 1, f"the program still runs after ^C: {frozen} -> {_ticks(r)}")
    out = g.run("p ticks")
    got = int(expect(r"^\$1 = (\d+)$", out, "p ticks").group(1))
    check(abs(got - _ticks(r)) <= 1, f"ticks in memory {got} vs printed {_ticks(r)}")
    g.send("continue")
    g.wait_for(r"Continuing\.", 10)
    check(wait_until(lambda: _ticks(r) >= frozen + 5, 10), "the program did not run again")
    g.interrupt()
    g.wait_for(r"received signal SIGINT", 10)
    out = g.run("kill")
    expect(r"\[Inferior 1 \(process \d+\) killed\]", out, "killed")
    check(g.quit() is not None, "gdb did not quit")
    remora_exits(r)


def s_attach_detach(sc: Scenario) -> None:
    log = sc.path("spin.out")
    with open(log, "wb") as out_file:
        spin = sc.popen([prog(sc, "spin")], stdin=subprocess.DEVNULL, stdout=out_file)
    check(wait_until(lambda: _ticks(log) >= 3, 10), "spin did not start")
    r = sc.start_remora("--attach", program=[str(spin.pid)])
    expect(rf"^Attached; pid = {spin.pid}\nListening on port \d+$", r.stderr.text, "gdbserver's attach lines")
    frozen = _ticks(log)
    time.sleep(0.2)
    check(_ticks(log) <= frozen + 1, "the attached process is stopped")
    out = gdb(sc, r, "spin", "info threads", "p ticks > 0", "detach")
    no_remote_errors(out)
    expect(r"^\$1 = 1$", out, "reads the attached process")
    expect(rf"^\[Inferior 1 \(process {spin.pid}\) detached\]$", out, "gdb detached")
    remora_exits(r)
    expect(rf"^Detaching from process {spin.pid}$", r.stderr.text, "gdbserver's detach line")
    after = _ticks(log)
    check(wait_until(lambda: _ticks(log) >= after + 5, 10), "the process does not run after the detach")
    status = Path(f"/proc/{spin.pid}/status").read_text()
    expect(r"^TracerPid:\s+0$", status, "nothing traces it any more")
    spin.kill()
    spin.wait(5)


def s_bad_program(sc: Scenario) -> None:
    p = sc.run_remora(":0", str(sc.path("no-such-program")))
    check(p.returncode == 1, f"missing PROG: exit {p.returncode}, expected 1 (gdbserver's)\n{indent(p.stderr)}")
    expect(r"no-such-program: No such file or directory$", p.stderr, "missing PROG is named")
    expect(r"^Exiting$", p.stderr, "gdbserver's last word")
    reject(r"Listening on port", p.stderr, "no listening without a process")
    _, p = run_not_executable(sc)
    expect(r"not-executable: Permission denied$", p.stderr, "non-executable PROG")
    p = sc.run_remora("--attach", ":0", "999999999")
    check(p.returncode in (1, 2), f"--attach to no process: exit {p.returncode}\n{indent(p.stderr)}")
    p = sc.run_remora("--attach", ":0", "4194303")
    check(p.returncode == 1, f"--attach to a missing pid: exit {p.returncode}\n{indent(p.stderr)}")
    expect(r"^Cannot attach to process 4194303: ", p.stderr, "gdbserver's attach error")
    p = sc.run_remora("--attach", ":0", "notapid")
    check(p.returncode == 2, f"--attach notapid: exit {p.returncode}")
    # A busy port fails before anything is launched, as with gdbserver.
    _, p = run_on_busy_port(sc, prog(sc, "spin"))
    expect(r"^Can't bind address: Address already in use\.\nExiting$", p.stderr, "gdbserver's bind error")
    reject(r"created; pid", p.stderr, "nothing launched")


SCENARIOS: dict[str, Callable[[Scenario], None]] = {
    "pt_launch_lines": s_launch_lines,
    "pt_disconnect": s_disconnect,
    "pt_break_step": s_break_step,
    "pt_finish_until_advance": s_finish_until_advance,
    "pt_call_print_set": s_call_print_set,
    "pt_crossing_write": s_crossing_write,
    "pt_threads": s_threads,
    "pt_signals_pass": s_signals_pass,
    "pt_exit_codes": s_exit_codes,
    "pt_interrupt": s_interrupt,
    "pt_attach_detach": s_attach_detach,
    "pt_bad_program": s_bad_program,
}
