#!/usr/bin/env python3
"""End-to-end scenarios for the bad situations of the ptrace backend (issue 4): the inferior
killed from outside, a thread that exits while gdb steps it, and remora itself stopped by
SIGTERM/SIGINT — after which nothing may be left traced or stopped.

    ptrace_robust.py --remora PATH --workdir DIR --programs DIR [SCENARIO...]
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import Scenario, check, expect, indent, reject, wait_until  # noqa: E402
from ptrace_scenarios import _ticks, gdb, launch, no_remote_errors, pid_alive, prog, remora_exits  # noqa: E402


def launched_pid(r: harness.Remora) -> int:
    return int(expect(r"pid = (\d+)$", r.stderr.text, "launched").group(1))


def proc_state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "gone"


def tracer_of(pid: int) -> int:
    m = re.search(r"^TracerPid:\s+(\d+)$", Path(f"/proc/{pid}/status").read_text(), re.M)
    return int(m.group(1)) if m else -1


def s_killed_from_outside(sc: Scenario) -> None:
    """SIGKILL from outside while running (gdb waits in `continue`) and while stopped."""
    r = launch(sc, "spin")
    pid = launched_pid(r)
    g = sc.gdb_interactive(file=prog(sc, "spin"))
    g.run(f"target remote 127.0.0.1:{r.port}")
    g.send("continue")
    g.wait_for(r"Continuing\.", 10)
    check(wait_until(lambda: _ticks(r) >= 3, 10), "the program never ran")
    os.kill(pid, signal.SIGKILL)
    g.wait_for(r"Program terminated with signal SIGKILL, Killed\.", 10)
    check(g.quit() is not None, "gdb did not quit")
    remora_exits(r)
    expect(r"Child terminated with signal = 0x9 \(SIGKILL\)", r.stderr.text, "remora's signal line")

    r = launch(sc, "spin")
    pid = launched_pid(r)
    out = gdb(sc, r, "spin", "break tick", "continue", "shell kill -9 " + str(pid), "continue", "info inferiors")
    expect(r"^Breakpoint 1, tick \(\)", out, "stopped at tick")
    expect(r"^Program terminated with signal SIGKILL, Killed\.$", out, "the kill reported at the next resume")
    no_remote_errors(out)
    remora_exits(r)
    check(not pid_alive(pid), "the process is gone")


def s_thread_exit_mid_step(sc: Scenario) -> None:
    """A worker stopped at its `exit` syscall is single-stepped alone (scheduler-locking on): the
    thread is gone before the step ends and nothing else runs. gdb gets a stop of a live thread,
    the exited one is no longer listed, and the program runs to the end."""
    r = launch(sc, "threads")
    out = gdb(sc, r, "threads", "catch syscall exit", "continue", "delete", "set scheduler-locking on",
              "echo @@STEP@@\\n", "stepi", "echo @@AFTER@@\\n", "info threads", "set scheduler-locking off",
              "continue", timeout=40)
    no_remote_errors(out)
    m = expect(r"^\[Switching to Thread \d+\.(\d+)\]\n\nThread \d+ \"threads\" hit Catchpoint 1 "
               r"\(call to syscall exit\)", out, "a worker at exit()")
    stepped = m.group(1)
    step = out.split("@@STEP@@")[1].split("@@AFTER@@")[0]
    expect(r"^Thread \d+ \"threads\" stopped\.$", step, "the step ended in a stop of a live thread")
    after = out.split("@@AFTER@@")[1]
    rows = re.findall(r"^[* ] +\d+ +Thread \d+\.(\d+) ", after, re.M)
    check(len(rows) >= 1 and stepped not in rows, f"the exited thread {stepped} is not listed: {rows}")
    expect(r"exited normally\]", after, "the program ran to the end")
    expect(r"^worker_sum 6$", r.output(), "every worker ran")
    expect(rf"-> vCont;s:p[0-9a-f]+\.{int(stepped):x}\n\S+ <- T00", r.trace(), "the lone step answered with a stop")
    remora_exits(r)


def _signal_remora_launched(sc: Scenario, signo: int) -> None:
    r = launch(sc, "spin")
    pid = launched_pid(r)
    g = sc.gdb_interactive(file=prog(sc, "spin"))
    g.run(f"target remote 127.0.0.1:{r.port}")
    out = g.run("break tick")
    out = g.run("continue")
    expect(r"Breakpoint 1, tick \(\)", out, "stopped at a breakpoint")
    r.proc.send_signal(signo)
    rc = r.wait_exit(10)
    check(rc is not None, f"remora still runs 10 s after signal {signo}\n{indent(r.stderr.text)}")
    check(wait_until(lambda: not pid_alive(pid), 5), f"the launched process outlived remora: {proc_state(pid)}")
    g.quit()


def _signal_remora_attached(sc: Scenario, signo: int) -> None:
    log = sc.path(f"spin-{signo}.out")
    with open(log, "wb") as out_file:
        spin = sc.popen([prog(sc, "spin")], stdin=subprocess.DEVNULL, stdout=out_file)
    check(wait_until(lambda: _ticks(log) >= 3, 10), "spin did not start")
    r = sc.start_remora("--attach", program=[str(spin.pid)])
    g = sc.gdb_interactive(file=prog(sc, "spin"))
    g.run(f"target remote 127.0.0.1:{r.port}")
    out = g.run("break tick")
    out = g.run("continue")
    expect(r"Breakpoint 1, tick \(\)", out, "stopped at a breakpoint (an int3 in its text)")
    check(proc_state(spin.pid) in ("t", "T"), f"stopped under remora: {proc_state(spin.pid)}")
    r.proc.send_signal(signo)
    rc = r.wait_exit(10)
    check(rc is not None, f"remora still runs 10 s after signal {signo}\n{indent(r.stderr.text)}")
    check(wait_until(lambda: tracer_of(spin.pid) == 0, 5), "the attached process is still traced")
    before = _ticks(log)
    # Running on past `tick` proves the int3 was taken out: a left-over one would kill it (SIGTRAP).
    check(wait_until(lambda: _ticks(log) >= before + 5, 10),
          f"the attached process does not run on after remora's exit: {proc_state(spin.pid)}")
    check(spin.poll() is None and proc_state(spin.pid) not in ("t", "T"), "left running, not stopped")
    spin.kill()
    spin.wait(5)
    g.quit()


def s_sigterm_sigint(sc: Scenario) -> None:
    """SIGTERM/SIGINT to remora with gdb connected and the process at a breakpoint: a launched
    process is killed, an attached one detached, running, with its breakpoint removed."""
    for signo in (signal.SIGTERM, signal.SIGINT):
        _signal_remora_launched(sc, signo)
        _signal_remora_attached(sc, signo)
        time.sleep(0.1)


SCENARIOS: dict[str, Callable[[Scenario], None]] = {
    "pt_killed_from_outside": s_killed_from_outside,
    "pt_thread_exit_mid_step": s_thread_exit_mid_step,
    "pt_sigterm_sigint": s_sigterm_sigint,
}


def main() -> int:
    return harness.scenario_main(__doc__, SCENARIOS, needs_programs=True)


if __name__ == "__main__":
    sys.exit(main())
