#!/usr/bin/env python3
"""Faults with nothing lost (issue 8): the inferior SIGKILLed during a large write and during a
single-step, the client vanishing mid-packet and while the target runs (per --on-disconnect),
SIGHUP to remora with a client connected, and QEMU dying under the proxy. ptrace_robust.py has
the kill during `continue`, a thread exiting mid-step and SIGTERM/SIGINT.

    fault_scenarios.py --remora PATH --workdir DIR --programs DIR [SCENARIO...]

The QEMU guest is taken from DIR/../qemu_programs, where CMake builds it.
"""
from __future__ import annotations

import os
import random
import re
import shutil
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import Scenario, check, expect, indent, wait_until  # noqa: E402
from hostile_input import Link  # noqa: E402
from ptrace_robust import _signal_remora_attached, _signal_remora_launched, launched_pid, proc_state, tracer_of  # noqa: E402
from ptrace_scenarios import _ticks, pid_alive, prog, remora_exits  # noqa: E402

CHUNK = 64 << 10      # bytes of data per X packet (escaped, within remora's 128 KiB PacketSize)
TOTAL = 16 << 20      # the whole write
KILL_AFTER = 40       # OKs before the inferior is killed


def escape(data: bytes) -> bytes:
    # `}` first: the later replacements add `}`s that must stay escapes.
    for b in (b"}", b"#", b"$", b"*"):
        data = data.replace(b, b"}" + bytes([b[0] ^ 0x20]))
    return data


def gone(pid: int) -> bool:
    """Not alive, and not a zombie left unreaped by a tracer either."""
    return not Path(f"/proc/{pid}").exists() or proc_state(pid) == "gone"


def stop_at_trap(link: Link) -> None:
    check(link.request(b"qSupported:multiprocess+;swbreak+") is not None, "qSupported answered")
    check(link.request(b"?") is not None, "? answered")
    link.request(b"QEnableErrorStrings")  # errors with their text, where remora has one
    reply = link.request(b"vCont;c", timeout=10)
    check(reply is not None and reply.startswith(b"T05"), f"the program stopped itself (SIGTRAP): {reply!r}")


def _large_write(sc: Scenario, multi: bool) -> None:
    backing = sc.path("shared.map")
    options = ("--multi",) if multi else ()
    r = sc.start_remora(*options, trace=False, program=[prog(sc, "faultmap"), str(backing)])
    pid = launched_pid(r)
    link = Link(r.port)
    stop_at_trap(link)
    base = int(expect(r"^map (0x[0-9a-f]+)$", r.output(), "the program mapped its file").group(1), 16)
    rng = random.Random(8)
    chunks = [rng.randbytes(CHUNK) for _ in range(TOTAL // CHUNK)]
    acked: list[int] = []
    replies: list[bytes | None] = []
    killer: threading.Timer | None = None
    for i, data in enumerate(chunks):
        reply = link.request(b"X%x,%x:" % (base + i * CHUNK, CHUNK) + escape(data), timeout=10)
        replies.append(reply)
        if reply != b"OK":
            break
        acked.append(i)
        if len(acked) == KILL_AFTER:  # the kill lands while the next X is on its way
            killer = threading.Timer(0.0, os.kill, (pid, signal.SIGKILL))
            killer.start()
    if killer:
        killer.join()
    last = replies[-1]
    check(len(acked) >= KILL_AFTER, f"only {len(acked)} writes answered OK before the kill: {last!r}")
    check(len(acked) < len(chunks), "every write answered OK after the process was killed")
    m = re.fullmatch(rb"E[0-9a-f]{2};([0-9a-f]+)", last or b"")
    why = bytes.fromhex(m.group(1).decode()).decode(errors="replace") if m else ""
    check(re.search(r"no process|process exited", why) is not None,
          f"the write after the kill is refused with a clear error, got {last!r} ({why})")
    # Every write answered OK is in the file, whole; the killed process wrote nothing after.
    content = backing.read_bytes()
    for i in acked:
        check(content[i * CHUNK:(i + 1) * CHUNK] == chunks[i], f"chunk {i}, answered OK, is not in the file")
    print(f"{len(acked)} of {len(chunks)} writes ({len(acked) * CHUNK >> 20} MiB) answered OK, all in the file; "
          f"then {last[:3]!r}: {why}")
    # The death is reported to the client as an exit stop, and nothing is left traced.
    resume = link.request(b"vCont;c", timeout=10)
    print(f"next resume: {resume!r}")
    check(resume is not None and re.match(rb"X09", resume) is not None, f"the death reported at the next resume: {resume!r}")
    check(wait_until(lambda: gone(pid), 5), f"the killed process is still there: {proc_state(pid)}")
    link.sock.close()
    if multi:
        check(r.alive(), f"--multi: remora still serves after the death\n{indent(r.stderr.text)}")
        again = Link(r.port)
        check(again.request(b"qSupported:multiprocess+") is not None, "--multi: the next client is served")
        run = again.request(b"vRun;" + prog(sc, "faultmap").encode().hex().encode(), timeout=10)
        check(run is not None and run.startswith(b"T"), f"--multi: a new process runs: {run!r}")
        again.sock.close()
        r.proc.send_signal(signal.SIGTERM)  # remora kills and reaps the new process itself
        remora_exits(r)
    else:
        remora_exits(r)
    expect(r"Child terminated with signal = 0x9 \(SIGKILL\)", r.stderr.text, "remora's line about the death")


def s_kill_during_large_write(sc: Scenario) -> None:
    """16 MiB of X in 64 KiB pieces into a MAP_SHARED file mapping; SIGKILL after 40 OKs."""
    _large_write(sc, multi=True)
    sc.path("shared.map").unlink()
    _large_write(sc, multi=False)


def s_kill_during_step(sc: Scenario) -> None:
    """stepi of a `syscall` blocked in nanosleep(60 s), the process SIGKILLed meanwhile: gdb
    reports the death, remora exits cleanly, nothing is left."""
    r = sc.start_remora(program=[prog(sc, "faultmap")])
    pid = launched_pid(r)
    g = sc.gdb_interactive(file=prog(sc, "faultmap"))
    g.run(f"target remote 127.0.0.1:{r.port}")
    g.run("catch syscall nanosleep clock_nanosleep")
    out = g.run("continue")
    expect(r"SIGTRAP", out, "the program stopped itself")
    out = g.run("continue")
    expect(r"Catchpoint 1 \(call to syscall", out, "at the nanosleep syscall")
    g.run("delete")
    g.send("stepi")
    time.sleep(0.5)
    check(proc_state(pid) == "S", f"the step is in progress (asleep in the syscall): {proc_state(pid)}")
    os.kill(pid, signal.SIGKILL)
    g.wait_for(r"Program terminated with signal SIGKILL, Killed\.", 10)
    check(g.quit() is not None, "gdb did not quit")
    remora_exits(r)
    expect(r"Child terminated with signal = 0x9 \(SIGKILL\)", r.stderr.text, "remora's line about the death")
    check(wait_until(lambda: gone(pid), 5), "the process is gone")


def _disconnect(sc: Scenario, action: str, running: bool) -> None:
    r = sc.start_remora("--on-disconnect", action, trace=False, program=[prog(sc, "spin")])
    pid = launched_pid(r)
    link = Link(r.port)
    check(link.request(b"qSupported:multiprocess+;swbreak+") is not None, "qSupported answered")
    check(link.request(b"?") is not None, "? answered")
    if running:
        link.send(b"$c#63")  # `c`, no reply awaited
        check(wait_until(lambda: _ticks(r) >= 3, 10), "the program runs")
    else:
        link.send(b"$m40000")  # half a frame, and gone
    link.sock.close()
    what = f"--on-disconnect {action}, client gone {'while running' if running else 'mid-packet'}"
    if action == "kill":
        check(wait_until(lambda: gone(pid), 10), f"{what}: the process is still there: {proc_state(pid)}")
        remora_exits(r)
        return
    if action == "detach":
        check(wait_until(lambda: tracer_of(pid) == 0 if not gone(pid) else False, 10),
              f"{what}: the process is still traced or gone: {proc_state(pid)}")
        before = _ticks(r)
        check(wait_until(lambda: _ticks(r) >= before + 5, 10), f"{what}: it does not run: {proc_state(pid)}")
        remora_exits(r)
        os.kill(pid, signal.SIGKILL)
        return
    # keep: the next client gets the same process, still traced by remora.
    time.sleep(0.3)
    check(r.alive() and pid_alive(pid) and tracer_of(pid) == r.proc.pid, f"{what}: the process is kept")
    again = Link(r.port)
    check(again.request(b"qSupported:multiprocess+;swbreak+") is not None, f"{what}: next client served")
    stop = again.request(b"?", timeout=10)
    check(proc_state(pid) in ("t", "T"), f"{what}: stopped for the next client: {proc_state(pid)}")
    if running:  # interrupted when its client left, as gdbserver's `?` stops it
        check(stop is not None and stop.startswith(b"T02"), f"{what}: stopped by SIGINT: {stop!r}")
        before = _ticks(r)
        time.sleep(0.2)
        check(_ticks(r) == before, f"{what}: the process does not run on")
    check(stop is not None and stop.startswith(b"T"), f"{what}: a stop reply for the kept process: {stop!r}")
    current = again.request(b"qC")
    check(current is not None and f"p{pid:x}.".encode() in current, f"{what}: the same process: {current!r}")
    check(again.request(b"vKill;%x" % pid) == b"OK", f"{what}: the next client can kill it")
    again.sock.close()
    check(wait_until(lambda: gone(pid), 5), f"{what}: killed by the next client")
    remora_exits(r)


def s_client_gone(sc: Scenario) -> None:
    """The client vanishes mid-packet and after `vCont;c`, for each --on-disconnect action."""
    for action in ("keep", "kill", "detach"):
        for running in (False, True):
            _disconnect(sc, action, running)


def s_sighup(sc: Scenario) -> None:
    """SIGHUP to remora with gdb connected at a breakpoint: a launched process is killed, an
    attached one detached and running; remora exits with a message naming the signal."""
    _signal_remora_launched(sc, signal.SIGHUP)
    _signal_remora_attached(sc, signal.SIGHUP)
    # The exit status and the message, with a raw client connected and the process stopped.
    r = sc.start_remora(trace=False, program=[prog(sc, "spin")])
    pid = launched_pid(r)
    link = Link(r.port)
    check(link.request(b"?") is not None, "? answered")
    r.proc.send_signal(signal.SIGHUP)
    remora_exits(r)
    expect(r"received SIGHUP", r.stderr.text, "remora says why it exits")
    check(wait_until(lambda: gone(pid), 5), f"the launched process outlived remora: {proc_state(pid)}")
    link.sock.close()


def qemu_guest(sc: Scenario) -> str:
    # CMake builds the QEMU guest beside the ptrace programs (tests/e2e/CMakeLists.txt).
    path = sc.programs.parent / "qemu_programs" / "qemu_guest"
    check(path.exists(), f"QEMU guest missing: {path} (build the `remora` target)")
    return str(path)


def _qemu_dies(sc: Scenario, running: bool) -> None:
    check(shutil.which("qemu-x86_64") is not None, "qemu-x86_64 not found (CI installs qemu-user)")
    guest = qemu_guest(sc)
    r = sc.start_remora("--target", "qemu-user", program=[guest])
    qpid = int(expect(r"started qemu-x86_64 \(pid (\d+)\)", r.stderr.text, "remora started QEMU").group(1))
    g = sc.gdb_interactive(file=guest)
    g.run(f"target remote 127.0.0.1:{r.port}")
    g.run("break checkpoint")
    expect(r"Breakpoint 1, checkpoint \(n=1\)", g.run("continue"), "stopped at checkpoint(1)")
    if running:  # gdb waits in `continue` while the guest spins
        g.run("delete")
        g.send("continue")
        g.wait_for(r"Continuing\.", 10)
        check(wait_until(lambda: "after1" in r.output(), 10), "the guest runs on")
        os.kill(qpid, signal.SIGKILL)
    else:  # stopped: the next resume finds QEMU gone
        os.kill(qpid, signal.SIGKILL)
        check(wait_until(lambda: proc_state(qpid) in ("Z", "gone"), 5), "QEMU died (a zombie until reaped)")
        g.send("stepi")
    g.wait_for(r"Program terminated with signal SIGKILL, Killed\.", 15)
    check(g.quit() is not None, "gdb quits")
    remora_exits(r, within=10)
    expect(rf"^remora: lost QEMU \(pid {qpid}\): (QEMU closed the connection|writing to QEMU failed: .*|"
           r"reading from QEMU failed: .*); nothing left to debug, exiting$",
           r.stderr.text, "remora's message names QEMU's death")
    expect(r"<- X09", r.trace(), "the client got an exit stop reply")
    print(f"QEMU killed while {'running' if running else 'stopped'}: "
          f"{re.search(r'^remora: lost QEMU.*$', r.stderr.text, re.M).group(0)}")


def s_qemu_dies(sc: Scenario) -> None:
    """qemu-x86_64 SIGKILLed under the proxy with gdb stopped, and with gdb waiting in `continue`."""
    _qemu_dies(sc, running=False)
    _qemu_dies(sc, running=True)


SCENARIOS: dict[str, Callable[[Scenario], None]] = {
    "fault_kill_during_large_write": s_kill_during_large_write,
    "fault_kill_during_step": s_kill_during_step,
    "fault_client_gone": s_client_gone,
    "fault_sighup": s_sighup,
    "fault_qemu_dies": s_qemu_dies,
}


def main() -> int:
    return harness.scenario_main(__doc__, SCENARIOS, needs_programs=True)


if __name__ == "__main__":
    sys.exit(main())
