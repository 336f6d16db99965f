#!/usr/bin/env python3
"""End-to-end tests for non-stop mode (issue #10): the real gdb 13 with `set non-stop on`, on the
CLI and on MI as Eclipse CDT drives it, debugging programs/nonstop.c (four named counting workers).

    nonstop_scenarios.py --remora PATH --workdir DIR --programs DIR [--stub gdbserver] [SCENARIO...]
    nonstop_scenarios.py --list

The scenarios were written and debugged against gdbserver 13 first, so they encode what gdb really
sends and expects; `--stub gdbserver` runs them against gdbserver (with --remote-debug: its packet
log is its stderr) for comparison by hand; all pass there but ns_worker_exits_process, where
gdbserver 13 itself is wrong (see that scenario). CTest runs them against remora only.
Helpers (the stub, gdb's CLI and MI sessions, the counters) are in nonstop_support.py.
Asynchronous output (stops of other threads) may land anywhere in gdb's transcript, so events are
awaited in the whole transcript from a mark taken before the command that causes them.
Built on harness.py; gdb missing is a failure, never a skip.
"""
from __future__ import annotations

import re
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
import nonstop_support  # noqa: E402
from harness import Remora, Scenario, check, expect, indent, wait_until  # noqa: E402
from hostile_input import Link  # noqa: E402
from nonstop_support import ALL, CdtMi, Cli, counters_moved, sample, start_stub, stub_exits  # noqa: E402
from ptrace_scenarios import prog  # noqa: E402


def s_ns_cli(sc: Scenario, *remora_options: str) -> None:
    """`continue -a &`, one thread at a breakpoint while the others count; `set var` while they
    run; `interrupt -a`; `thread apply all bt`; one thread resumed while the others stay stopped."""
    r = start_stub(sc, *remora_options)
    cli = Cli(sc, r)
    cli.run("break hit_me")
    start = cli.mark()
    cli.run("continue -a &")
    hit = int(cli.event(r'^Thread (\d+) "worker0" hit Breakpoint 1, hit_me \(\)', start, 20).group(1))
    out = cli.run(f"thread {hit}")
    expect(rf"^\[Switching to thread {hit} \(Thread \d+\.\d+\)\]\n#0  hit_me \(\)", out, "the stopped thread")
    sample(cli, running={1, 2, 3})
    # A write through the stopped thread while the others run; worker1 prints what it sees.
    cli.run("set var message = 42")
    check(wait_until(lambda: "message 42\n" in r.output(), 5), f"the program never saw message = 42:\n"
                                                                 f"{indent(r.output())}")
    start = cli.mark()
    cli.run("interrupt -a")
    ids = cli.all_stopped(ALL)
    for name in ALL:
        if name != "worker0":
            cli.event(rf'^Thread {ids[name]} "{name}" stopped\.', start, 5)
    sample(cli, running=set())
    bt = cli.run("thread apply all bt")
    for name, n in ids.items():
        block = expect(rf'^Thread {n} \(Thread \d+\.\d+ "{name}"\):\n((?:#\d+ .*\n)+)', bt,
                       f"thread apply all bt shows {name}").group(1)
        if name == "nonstop":
            expect(r" in main \(\) at ", block, "main's backtrace reaches main")
        else:
            expect(rf" worker \(arg=0x{name[-1]}\) at ", block, f"{name}'s backtrace reaches worker")
    # One thread resumed on its own: only its counter moves.
    cli.run(f"thread {ids['worker1']}")
    cli.run("continue &")
    sample(cli, running={1})
    state = cli.threads()
    check(state["worker1"][1] and not any(run for name, (_, run) in state.items() if name != "worker1"),
          f"only worker1 runs: {state}")
    start = cli.mark()
    cli.run("interrupt")
    cli.event(rf'^Thread {ids["worker1"]} "worker1" stopped\.', start, 10)
    cli.all_stopped(ALL)
    out = cli.run("kill")
    expect(r"^\[Inferior 1 \(process \d+\) killed\]$", out, "kill")
    cli.quit()
    stub_exits(r)


def s_ns_cli_cache_on(sc: Scenario) -> None:
    """ns_cli with remora's memory cache on: memory read while some threads run must never come
    from the cache (issue #10), whether all or only some threads run. (gdbserver: no cache.)"""
    s_ns_cli(sc, "--cache=on")


def s_ns_two_hits_exits(sc: Scenario) -> None:
    """One breakpoint hit by two threads at once (both stops reported), then a thread exiting and
    the process exiting while the other threads are stopped."""
    r = start_stub(sc)
    cli = Cli(sc, r)
    cli.run("set var both_go = 1")  # static data is mapped at the entry stop already
    cli.run("break both_hit")
    pattern = r'^Thread (\d+) "worker([12])" hit Breakpoint 1, both_hit \(id=([12])\)'
    # Three rounds: the 2nd and 3rd also step both threads over the breakpoint (gdb moves a thread
    # off a breakpoint while others run) before they meet at the barrier again.
    for round in range(3):
        start = cli.mark()
        cli.run("continue -a &")
        check(wait_until(lambda: len(cli.events(pattern, start)) >= 2, 20),
              f"round {round}: two threads at both_hit expected:\n{indent(cli.g.out.text[start:])}")
        time.sleep(0.1)  # a third report (a stop reported twice) would come now
        hits = cli.events(pattern, start)
        check(sorted(m.group(2) for m in hits) == ["1", "2"] and all(m.group(2) == m.group(3) for m in hits),
              f"round {round}: worker1 and worker2 each reported once: {[m.group(0) for m in hits]}")
    cli.run("delete")
    state = cli.threads()
    check(not state["worker1"][1] and not state["worker2"][1], f"both stay stopped: {state}")
    check(state["worker0"][1] and state["worker3"][1], f"the other workers run: {state}")
    cli.run("set var both_go = 0")
    cli.run("interrupt -a")
    ids = cli.all_stopped(ALL)
    # worker3 exits while every other thread is stopped.
    cli.run("set var exit_thread = 1")
    cli.run(f"thread {ids['worker3']}")
    cli.run("continue &")
    check(wait_until(lambda: "worker3 exiting\n" in r.output(), 10), f"worker3 never ran:\n{indent(r.output())}")
    survivors = ("nonstop", "worker0", "worker1", "worker2")
    check(wait_until(lambda: set(cli.threads()) == set(survivors), 10), "worker3 still listed after it exited")
    cli.all_stopped(survivors)
    sample(cli, running=set())
    # The whole process exits from main (the leader) while the workers are stopped.
    process_exits_from(cli, r, ids["nonstop"], "main")


def process_exits_from(cli: Cli, r: Remora, thread: int, name: str) -> None:
    """Every thread is stopped; `thread` alone is resumed and calls exit(0): gdb must see the
    process exit although the other threads never ran again."""
    cli.run("set var exit_process = 1")
    cli.run(f"thread {thread}")
    start = cli.mark()
    cli.run("continue &")
    cli.event(r"^\[Inferior 1 \(process \d+\) exited normally\]$", start, 15)
    check(f"exit from {name}\n" in r.output(), f"{name} called exit:\n{indent(r.output())}")
    out = cli.run("info threads")
    expect(r"^No threads\.$", out, "no thread left after the exit")
    cli.quit()
    stub_exits(r)


def s_ns_worker_exits_process(sc: Scenario) -> None:
    """The process exits from a worker (not the leader) while main and the other workers are
    stopped. gdbserver 13 fails this one: it answers the exit with `%Stop:N` (no resumed threads)
    instead of `W00`, and gdb keeps listing the dead threads ("Cannot access memory")."""
    r = start_stub(sc)
    cli = Cli(sc, r)
    cli.run("continue -a &")
    check(wait_until(lambda: all(c > 0 for c in cli.counters()), 15), "the workers never ran")
    cli.run("interrupt -a")
    ids = cli.all_stopped(ALL)
    process_exits_from(cli, r, ids["worker2"], "worker2")


def s_ns_reconnect(sc: Scenario) -> None:
    """A new client sees what the last one left: gdb disconnects with worker0 at a breakpoint, a
    second gdb finds it stopped and the others running; it interrupts worker1 and disconnects;
    then a packet client's `?` + vStopped list exactly those two stopped threads. (gdb 13.1 itself
    cannot connect to two stopped threads: remote.c:8351 internal-error, with gdbserver 13 too.)"""
    r = start_stub(sc)
    cli = Cli(sc, r)
    cli.run("break hit_me")
    start = cli.mark()
    cli.run("continue -a &")
    cli.event(r'^Thread \d+ "worker0" hit Breakpoint 1, hit_me \(\)', start, 20)
    check(wait_until(lambda: set(cli.threads()) == set(ALL), 10), f"five threads: {cli.threads()}")
    expect(r"^Ending remote debugging\.$", cli.run("disconnect"), "disconnected")
    cli.quit()
    cli = Cli(sc, r, at_entry=False)
    cli.event(r'^Thread \d+ "worker0" stopped\.\nhit_me \(\)', 0, 10)
    state = cli.threads()
    check(set(state) == set(ALL) and [n for n, (_, run) in state.items() if not run] == ["worker0"],
          f"worker0 stopped, the others running: {state}")
    sample(cli, running={1, 2, 3})
    w1 = state["worker1"][0]
    cli.run(f"thread {w1}")
    start = cli.mark()
    cli.run("interrupt")
    cli.event(rf'^Thread {w1} "worker1" stopped\.', start, 10)
    rows = re.findall(r'Thread (\d+)\.(\d+) "(\w+)"', cli.run("info threads"))  # decimal PID.LWP
    lwps = {name: int(lwp) for _, lwp, name in rows}
    expect(r"^Ending remote debugging\.$", cli.run("disconnect"), "disconnected")
    cli.quit()
    link = Link(r.port)
    check(link.request(b"QNonStop:1") == b"OK", "QNonStop:1")
    stops = [link.request(b"?")]
    while stops[-1] not in (b"OK", None) and len(stops) < 8:
        stops.append(link.request(b"vStopped"))
    # thread:pPID.LWP with multiprocess+, thread:LWP without (this client did not ask for it)
    threads = [int(m.group(1), 16) for m in
               (re.search(rb"thread:(?:p[0-9a-f]+\.)?([0-9a-f]+);", stop or b"") for stop in stops[:-1]) if m]
    check(stops[-1] == b"OK" and sorted(threads) == sorted([lwps["worker0"], lwps["worker1"]]),
          f"? and vStopped list worker0 ({lwps['worker0']}) and worker1 ({lwps['worker1']}): {stops}")
    check(link.request(f"vKill;{int(rows[0][0]):x}".encode()) == b"OK", "vKill")
    link.sock.close()
    stub_exits(r)


# --- MI, as Eclipse CDT drives it ------------------------------------------------------------

def mi_connect_to_breakpoint(sc: Scenario, r: Remora, mi: CdtMi) -> dict[str, str]:
    """CDT's set-up, -exec-continue --all, worker0 alone stopped at hit_me: {name: thread id}."""
    mi.cmd('-interpreter-exec console "maint set internal-error corefile no"')  # no 50 MB core on a crash
    mi.cmd("-gdb-set mi-async on")
    mi.cmd("-gdb-set non-stop on")
    mi.cmd(f"-file-exec-and-symbols {prog(sc, 'nonstop')}")
    start = mi.mark()
    mi.cmd(f"-target-select remote 127.0.0.1:{r.port}", "connected", timeout=30)
    mi.stopped("1", start, "signal-received", 5)
    bp = mi.cmd("-break-insert hit_me").data["bkpt"]
    check(bp.get("func") == "hit_me", f"-break-insert hit_me: {bp}")
    start = mi.mark()
    mi.cmd("-exec-continue --all", "running")
    hit = mi.wait(lambda x: x.kind == "*" and x.cls == "stopped", 20, start, "*stopped at hit_me")
    check(hit.data.get("reason") == "breakpoint-hit" and hit.data.get("frame", {}).get("func") == "hit_me",
          f"the first stop is the breakpoint: {hit.line}")
    t0 = hit.data["thread-id"]
    check(hit.data.get("stopped-threads") == [t0], f"only the hitting thread stopped: {hit.line}")
    check(wait_until(lambda: len(mi.threads()) == 5, 10), f"five threads: {mi.threads()}")
    ids = {name: n for name, (n, _) in mi.threads().items()}
    check(ids.get("worker0") == t0, f"worker0 hit hit_me: {ids}")
    for name, n in ids.items():  # every thread was announced running on its own
        mi.running(n, start, 5)
    states = {name: state for name, (_, state) in mi.threads().items()}
    check(states == {name: "stopped" if name == "worker0" else "running" for name in ALL}, f"states: {states}")
    return ids


def continue_worker0_alone(mi: CdtMi, t0: str, reader: str) -> None:
    """-exec-continue --thread for worker0: it alone runs (its counter moves, the others' do not)."""
    start = mi.mark()
    mi.cmd(f"-exec-continue --thread {t0}", "running")
    mi.running(t0, start)
    counters_moved(lambda: mi.counters(reader), running={0})


def s_ns_mi_cdt(sc: Scenario) -> None:
    """CDT's non-stop session: mi-async + non-stop, -exec-continue --all, a breakpoint stop of one
    thread, -exec-interrupt/-exec-continue --thread N on others, *running/*stopped per thread,
    a breakpoint inserted while a thread runs."""
    r = start_stub(sc)
    mi = CdtMi(sc)
    ids = mi_connect_to_breakpoint(sc, r, mi)
    t0, w1 = ids["worker0"], ids["worker1"]
    # Pause and resume one thread while the others keep running.
    start = mi.mark()
    mi.cmd(f"-exec-interrupt --thread {w1}")
    mi.stopped(w1, start, "signal-received")
    check(len(mi.async_records("stopped", start)) == 1, f"only {w1} stopped:\n{indent(mi.transcript(start))}")
    frames = mi.cmd(f"-stack-list-frames --thread {w1}").data["stack"]
    check("worker" in [f.get("func") for f in frames], f"worker1's stack reaches worker: {frames}")
    second = counters_moved(lambda: mi.counters(t0), running={2, 3})
    start = mi.mark()
    mi.cmd(f"-exec-continue --thread {w1}", "running")
    mi.running(w1, start)
    time.sleep(0.3)
    check([x.data.get("thread-id") for x in mi.async_records("running", start)] == [w1],
          f"only {w1} resumed:\n{indent(mi.transcript(start))}")
    counters_moved(lambda: mi.counters(t0), running={1, 2, 3}, before=second, pause=0)
    # Everything stopped, then the breakpoint thread resumed alone and interrupted again.
    start = mi.mark()
    mi.cmd("-exec-interrupt --all")
    for name in ALL:
        if name != "worker0":
            mi.stopped(ids[name], start, "signal-received")
    check(all(state == "stopped" for _, state in mi.threads().values()), f"all stopped: {mi.threads()}")
    mi.cmd("-break-delete")
    continue_worker0_alone(mi, t0, w1)
    # A breakpoint inserted while worker0 runs (and the others are stopped) is hit by it.
    start = mi.mark()
    mi.cmd("-break-insert hit_me")
    rec = mi.stopped(t0, start, "breakpoint-hit")
    check(rec.data.get("frame", {}).get("func") == "hit_me", f"worker0 stopped in hit_me: {rec.line}")
    mi.cmd("-break-delete")
    continue_worker0_alone(mi, t0, w1)
    start = mi.mark()
    mi.cmd(f"-exec-interrupt --thread {t0}")
    mi.stopped(t0, start, "signal-received")
    check(mi.quit() is not None, "gdb did not exit after -gdb-exit")
    bad = [x.line for x in mi.records if x.kind == "&" and re.search(r"Remote|internal-error", x.text)]
    check(not bad, "gdb logged remote errors:\n" + indent("\n".join(bad)))
    stub_exits(r)


SCENARIOS = {
    "ns_cli": s_ns_cli,
    "ns_cli_cache_on": s_ns_cli_cache_on,
    "ns_reconnect": s_ns_reconnect,
    "ns_mi_cdt": s_ns_mi_cdt,
    "ns_two_hits_exits": s_ns_two_hits_exits,
    "ns_worker_exits_process": s_ns_worker_exits_process,
}


def main() -> int:
    argv = sys.argv
    for i, arg in enumerate(argv):  # --stub NAME / --stub=NAME, taken out before scenario_main
        if arg == "--stub" and i + 1 < len(argv):
            nonstop_support.STUB = argv[i + 1]
            del argv[i:i + 2]
            break
        if arg.startswith("--stub="):
            nonstop_support.STUB = arg.split("=", 1)[1]
            del argv[i]
            break
    if nonstop_support.STUB not in ("remora", "gdbserver"):
        print(f"FATAL: --stub must be remora or gdbserver, not {nonstop_support.STUB!r}")
        return 2
    tools = (harness.GDB,) + (("gdbserver",) if nonstop_support.STUB == "gdbserver" else ())
    return harness.scenario_main(__doc__, SCENARIOS, tools=tools, needs_programs=True)


if __name__ == "__main__":
    sys.exit(main())
