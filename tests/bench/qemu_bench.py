#!/usr/bin/env python3
"""gdb straight to QEMU's gdbstub vs gdb through remora in front of the same QEMU (issue 6).

    qemu_bench.py --remora PATH --inferior PATH [--reps 5] [--mib 8] [--out FILE] [--json FILE]
                  [--baseline PATH]   # a second remora build (e.g. before a change) as a third side
                  [--floor]           # gdb against remora's ptrace backend on the same program (no QEMU)

Same run, same program (bench_inferior, static, under qemu-x86_64), same gdb 13. Each repetition
starts a fresh QEMU (and remora) per side, alternating which side goes first. gdb reaches both
through a Unix socket, so the transport is the same: direct is `qemu-x86_64 -g DIR/q.sock`
(QEMU 7.2's `-g PORT` would bind every interface), through remora is `remora --target qemu-user
DIR/r.sock bench_inferior` (remora starts QEMU on a private socket of its own).

Timed inside gdb (its Python `time.perf_counter()`), one session per side and repetition:
  restore_stepi  `restore` of MIB MiB of random bytes into bench_buffer, then one `stepi` (so a
                 write-back flush would count)
  dump           `dump binary memory` of the same MIB MiB (checked byte for byte afterwards)
  x4096          `x/4096xb &bench_buffer`, --x-repeats times (gdb does not cache it: the stub's
                 cache does, through remora)
  stepi          `stepi --steps` in the bench_tick loop
  cycles         `continue --cycles` with a breakpoint on bench_tick (gdb's z0/step/Z0/c cycle)
Prints a Markdown table of medians and ratios (direct / remora: above 1 means remora is faster),
and gdb's own CPU time per workload (its Python `time.process_time()`), which no stub can remove.
Run by hand; it is not a CTest test (a run takes a minute or more).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QEMU = "qemu-x86_64"
GDB = "gdb"
WORKLOADS = ("restore_stepi", "dump", "x4096", "stepi", "cycles")
GOALS = {"restore_stepi": ">= 1.3", "dump": ">= 1.3", "x4096": ">= 5", "stepi": ">= 0.9", "cycles": "(report)"}

GDB_SCRIPT = r'''
import gdb, json, os, time
E = os.environ
size, xrep = int(E["QB_SIZE"]), int(E["QB_XREP"])
def run(c):
    gdb.execute(c, to_string=True)
res = {}
def timed(name, cmds):
    t, cpu = time.perf_counter(), time.process_time()
    for c in cmds:
        run(c)
    res[name] = time.perf_counter() - t
    res[name + "_gdb_cpu"] = time.process_time() - cpu
run("tbreak bench_tick")
run("continue")
timed("restore_stepi", ["restore %s binary &bench_buffer" % E["QB_SRC"], "stepi"])
timed("dump", ["dump binary memory %s &bench_buffer ((char*)&bench_buffer)+%d" % (E["QB_DST"], size)])
timed("x4096", ["x/4096xb &bench_buffer"] * xrep)
timed("stepi", ["stepi %s" % E["QB_STEPS"]])
run("break bench_tick")
run("continue")
timed("cycles", ["continue %s" % E["QB_CYCLES"]])
print("BENCH-JSON " + json.dumps(res))
run("kill")
'''


def die_with_parent() -> None:
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def wait_for_path(path: Path, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited ({proc.returncode}) before creating {path}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path} did not appear within {timeout}s")
        time.sleep(0.02)


def session(side: str, args, work: Path, src: Path) -> dict:
    """One gdb session against a fresh QEMU (direct) or remora+QEMU; the timings gdb measured."""
    for name in ("q.sock", "r.sock", "out.bin"):
        (work / name).unlink(missing_ok=True)
    if side == "floor":
        # No QEMU: remora's ptrace backend on the same program, whose memory and steps cost a
        # system call each. What gdb takes there is (close to) what any stub can reach.
        sock = work / "r.sock"
        server = subprocess.Popen([args.remora, f"unix:{sock}", args.inferior], stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=open(work / "remora.log", "ab"),
                                  preexec_fn=die_with_parent)
    elif side == "direct":
        sock = work / "q.sock"
        server = subprocess.Popen([QEMU, "-g", str(sock), args.inferior], stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=die_with_parent)
    else:
        sock = work / "r.sock"
        binary = args.baseline if side == "baseline" else args.remora
        argv = [binary, *args.remora_arg, "--target", "qemu-user", f"unix:{sock}", args.inferior]
        server = subprocess.Popen(argv,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=open(work / "remora.log", "ab"), preexec_fn=die_with_parent)
    try:
        wait_for_path(sock, server, 10)
        env = dict(os.environ, QB_SRC=str(src), QB_DST=str(work / "out.bin"), QB_SIZE=str(args.mib << 20),
                   QB_XREP=str(args.x_repeats), QB_STEPS=str(args.steps), QB_CYCLES=str(args.cycles))
        argv = [GDB, "-nx", "-batch", "-ex", "set pagination off", "-ex", "set confirm off",
                "-ex", f"file {args.inferior}", "-ex", f"target remote {sock}", "-ex", f"source {work / 'bench.py'}"]
        out = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, timeout=args.timeout, preexec_fn=die_with_parent).stdout
        line = next((l for l in out.splitlines() if l.startswith("BENCH-JSON ")), None)
        if line is None:
            log = (work / "remora.log").read_text(errors="replace")[-2000:] if side != "direct" else ""
            raise RuntimeError(f"{side}: gdb printed no timings:\n{out[-3000:]}\n{log}")
        if (work / "out.bin").read_bytes() != src.read_bytes():
            raise RuntimeError(f"{side}: the dump differs from what was restored")
        return json.loads(line[len("BENCH-JSON "):])
    finally:
        if server.poll() is None:
            server.kill()
        server.wait(timeout=10)


def table(samples: dict, args) -> str:
    others = [side for side in ("remora", "baseline", "floor") if side in samples]
    head = "| workload | direct (median s) | " + " | ".join(
        f"{side} (median s) | ratio direct/{side}" for side in others) + " | goal |"
    rows = [head, "|---|---|" + "---|---|" * len(others) + "---|"]
    for w in WORKLOADS:
        d = statistics.median(s[w] for s in samples["direct"])
        cells = []
        for side in others:
            r = statistics.median(s[w] for s in samples[side])
            cells.append(f"{r:.3f} | {d / r:.2f}x")
        rows.append(f"| {w} | {d:.3f} | " + " | ".join(cells) + f" | {GOALS[w]} |")
    # gdb's own CPU time per workload and side: a stub cannot make gdb faster than this.
    rows += ["", "| workload | " + " | ".join(f"gdb CPU s, {side}" for side in ["direct", *others]) +
             " | direct wall / gdb CPU " + others[0] + " (the most any stub could reach if gdb ran alone) |",
             "|---|" + "---|" * (len(others) + 2)]
    for w in WORKLOADS:
        cpus = [statistics.median(s[w + "_gdb_cpu"] for s in samples[side]) for side in ["direct", *others]]
        d = statistics.median(s[w] for s in samples["direct"])
        rows.append(f"| {w} | " + " | ".join(f"{c:.3f}" for c in cpus) + f" | {d / cpus[1]:.2f}x |")
    note = (f"{args.reps} repetitions, {args.mib} MiB, x/4096xb x{args.x_repeats}, stepi {args.steps}, "
            f"continue {args.cycles}; per-repetition ratios (same repetition's direct): ")
    per = []
    for side in others:
        for w in WORKLOADS:
            ratios = [d[w] / r[w] for d, r in zip(samples["direct"], samples[side])]
            per.append(f"{side} {w} " + "/".join(f"{x:.2f}" for x in ratios))
    per = [p for p in per if "_gdb_cpu" not in p]
    return "\n".join(rows) + "\n\n" + note + "; ".join(per) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--remora", required=True)
    ap.add_argument("--inferior", required=True, help="bench_inferior (static, non-PIE)")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--mib", type=int, default=8)
    ap.add_argument("--x-repeats", type=int, default=20)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--cycles", type=int, default=200)
    ap.add_argument("--timeout", type=float, default=300, help="seconds per gdb session")
    ap.add_argument("--remora-arg", action="append", default=[],
                    help="an extra remora option, e.g. --remora-arg=--cache=off (repeatable)")
    ap.add_argument("--baseline", help="another remora binary, timed as a third side in the same repetitions")
    ap.add_argument("--floor", action="store_true",
                    help="time gdb against remora's ptrace backend on the same program too (no QEMU): the floor")
    ap.add_argument("--out", help="write the Markdown table here too")
    ap.add_argument("--json", help="write every sample here")
    args = ap.parse_args()
    for tool in (QEMU, GDB):
        if shutil.which(tool) is None:
            print(f"{tool} not found on PATH", file=sys.stderr)
            return 1
    work = Path(tempfile.mkdtemp(prefix="remora-qemu-bench-"))
    try:
        (work / "bench.py").write_text(GDB_SCRIPT)
        src = work / "in.bin"
        src.write_bytes(random.Random(6).randbytes(args.mib << 20))
        sides = ["direct", "remora"] + (["baseline"] if args.baseline else []) + (["floor"] if args.floor else [])
        samples = {side: [] for side in sides}
        for rep in range(args.reps):
            # Each side goes first, in the middle and last in turn (two sides: they alternate).
            order = sides[rep % len(sides):] + sides[:rep % len(sides)]
            for side in order:
                s = session(side, args, work, src)
                samples[side].append(s)
                print(f"rep {rep + 1} {side}: " + ", ".join(f"{k} {v:.3f}" for k, v in s.items() if "_cpu" not in k),
                      flush=True)
        text = table(samples, args)
        print(text)
        if args.out:
            Path(args.out).write_text(text)
        if args.json:
            Path(args.json).write_text(json.dumps(samples, indent=1))
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
