#!/usr/bin/env python3
"""Resource bounds (issue 8): 1,000 connect/disconnect cycles leak nothing, and a client that
stalls halfway through a packet cannot wedge remora (SIGTERM and --idle-timeout still work).

    reliability_scenarios.py --remora PATH --workdir DIR [SCENARIO...]
"""
from __future__ import annotations

import os
import re
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
from harness import Scenario, check, expect, wait_until  # noqa: E402
from hostile_input import Link  # noqa: E402

CYCLES = 1000


def resources(pid: int) -> dict[str, int]:
    status = open(f"/proc/{pid}/status").read()
    children = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        children += len(open(f"/proc/{pid}/task/{task}/children").read().split())
    return {
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
        "threads": int(expect(r"^Threads:\s+(\d+)", status, "Threads").group(1)),
        "rss_kib": int(expect(r"^VmRSS:\s+(\d+) kB", status, "VmRSS").group(1)),
        "children": children,
    }


def one_session(port: int, memory: bool) -> None:
    link = Link(port)
    check(link.request(b"qSupported:multiprocess+;swbreak+") is not None, "qSupported answered")
    check(link.request(b"?") is not None, "? answered")
    check(link.request(b"qfThreadInfo") is not None, "qfThreadInfo answered")
    reply = link.request(b"m600000,40")
    if memory:
        check(reply is not None and re.fullmatch(rb"[0-9a-f]+", reply) is not None, f"m answered {reply!r}")
    else:  # --multi before any process: an error, but an answer
        check(reply is not None and reply.startswith(b"E"), f"m without a process answered {reply!r}")
    link.sock.close()


def cycles(sc: Scenario, *options: str, memory: bool) -> None:
    r = sc.start_remora(*options, trace=False)
    pid = r.proc.pid
    for _ in range(50):  # warm-up: buffers reach their working size
        one_session(r.port, memory)
    time.sleep(0.2)
    before = resources(pid)
    started = time.monotonic()
    for _ in range(CYCLES):
        one_session(r.port, memory)
    elapsed = time.monotonic() - started
    time.sleep(0.2)  # the last disconnect is processed
    after = resources(pid)
    sc.path("resources.txt").write_text(f"before {before}\nafter {after}\n{CYCLES} cycles in {elapsed:.1f}s\n")
    print(f"{CYCLES} cycles in {elapsed:.1f}s; before {before}; after {after}")
    for key in ("fds", "threads", "children"):
        check(after[key] == before[key], f"{key}: {before[key]} before, {after[key]} after {CYCLES} cycles")
    check(after["rss_kib"] - before["rss_kib"] < 1024, f"RSS grew {after['rss_kib'] - before['rss_kib']} KiB")
    check(r.proc.poll() is None, "remora still serves")


def s_connect_cycles_multi(sc: Scenario) -> None:
    """1,000 sequential clients in --multi mode: no fd, thread, child or memory growth."""
    cycles(sc, "--multi", memory=False)


def s_connect_cycles_emulated(sc: Scenario) -> None:
    """1,000 sequential clients reading the emulated target's memory: nothing grows."""
    cycles(sc, memory=True)


def s_stalled_client_idle_timeout(sc: Scenario) -> None:
    """Half a packet and silence: --idle-timeout closes that client and the next one is served."""
    r = sc.start_remora("--idle-timeout", "1", trace=False)
    stalled = Link(r.port)
    stalled.send(b"$m600000,")
    started = time.monotonic()
    stalled.take_reply(timeout=10)
    check(stalled.closed, "the stalled client was disconnected")
    waited = time.monotonic() - started
    check(0.5 < waited < 8, f"disconnected after {waited:.1f}s with --idle-timeout 1")
    one_session(r.port, memory=True)


def s_stalled_client_sigterm(sc: Scenario) -> None:
    """Half a packet and silence: SIGTERM still ends remora promptly and cleanly."""
    r = sc.start_remora(trace=False)
    stalled = Link(r.port)
    stalled.send(b"$M600000,4:01")
    time.sleep(0.3)
    r.proc.send_signal(signal.SIGTERM)
    check(wait_until(lambda: r.proc.poll() is not None, 10), "remora exited after SIGTERM")
    check(r.proc.returncode == 0, f"exit status {r.proc.returncode}")
    expect(r"received SIGTERM", r.stderr.text, "remora says why it exits")
    stalled.sock.close()


SCENARIOS = {
    "reliability_connect_cycles_multi": s_connect_cycles_multi,
    "reliability_connect_cycles_emulated": s_connect_cycles_emulated,
    "reliability_stalled_idle_timeout": s_stalled_client_idle_timeout,
    "reliability_stalled_sigterm": s_stalled_client_sigterm,
}


def main() -> int:
    return harness.scenario_main(__doc__, SCENARIOS, tools=())


if __name__ == "__main__":
    sys.exit(main())
