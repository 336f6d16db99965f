#!/usr/bin/env python3
"""The memory cache on ptrace (#5): gdb workloads against `remora --cache=on` and `--cache=off`,
interleaved in the same run. Standard library only.

    cache_bench.py --remora PATH --inferior PATH [--reps 5] [--iters 10] [--out FILE] [--json FILE]

The debuggee is cache_inferior.c: gdb stops at the bottom of a 200-frame recursion. Rows (each
timed inside gdb with its embedded Python, `time.perf_counter()` around the commands):

- `bt` cold: `stepi` (untimed), then a full `bt` — both gdb's and remora's caches start empty.
- `bt` + `info locals` re-read in one stop: gdb's own caches dropped first (`flushregs`,
  `maint flush dcache`), as an IDE refreshing its views does; remora's cache keeps its blocks.
- `x/4096xb $sp` repeated in one stop (gdb does not cache `x`).
- `info locals` in frames 1..N after a fresh stop (`frame N` + `info locals`).
- `restore` of 1 MiB into .bss **together with the following `stepi`**, so a write-back flush counts.
- 64 small writes (`set var cache_area[i] = ...`) together with the following `stepi`.

Each row's samples from every repetition (a fresh remora and debuggee per repetition and mode) are
reduced to a median. `monitor stats`/`monitor cache stats` between the rows (outside the timed
parts) give per row: gdb's memory packets, the memory calls remora made to the process (cache
on: the reads and writes the cache made; off: one per request) and remora's own time (in remora
+ in target calls), which a loaded machine disturbs far less than the wall clock.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_bench import Stub, cleanup_orphans, rotate, set_subreaper  # noqa: E402

MODES = ["on", "off"]
RESTORE_BYTES = 1 << 20
SMALL_WRITES = 64


def rows(iters: int, blob: Path) -> list[tuple[str, str, list[str], list[str]]]:
    """(key, label, untimed set-up, timed commands), each run `iters` times."""
    small = [f"set var cache_area[{i * 97}] = {i & 0xff}" for i in range(SMALL_WRITES)]
    return [
        ("bt_cold", "`bt` (200 frames) after a `stepi`", ["stepi"], ["bt"]),
        ("bt_locals_same_stop", "`bt` + `info locals` ×3 frames, gdb caches dropped, same stop",
         ["flushregs", "maint flush dcache"], ["bt", "frame 5", "info locals", "frame 100", "info locals",
                                               "frame 190", "info locals", "frame 0"]),
        ("x4096", "`x/4096xb $sp`, same stop", [], ["x/4096xb $sp"]),
        ("locals_cold", "`info locals` in 10 frames after a `stepi`", ["stepi"],
         [c for n in range(1, 11) for c in (f"frame {n * 17}", "info locals")] + ["frame 0"]),
        ("restore", "`restore` 1 MiB + `stepi`", [], [f"restore {blob} binary &cache_area", "stepi"]),
        ("small_writes", f"{SMALL_WRITES} × `set var` + `stepi`", [], small + ["stepi"]),
    ]


def gdb_session(args, stub: Stub, commands: list[str]) -> str:
    argv = [args.gdb, "-nx", "-batch", "-q", args.inferior, "-ex", "set pagination off", "-ex", "set confirm off",
            "-ex", f"target remote 127.0.0.1:{stub.port}", "-ex", "break at_bottom", "-ex", "continue",
            "-ex", "python import time"]
    for c in commands + ["kill"]:
        argv += ["-ex", c]
    # One stream: gdb prints `monitor` output on stderr, and the counting session needs it in
    # order with the `echo` markers on stdout.
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=600)
    if re.search(r"Remote failure reply|Remote connection closed|Cannot access memory", done.stdout):
        raise RuntimeError(f"gdb reported an error:\n{done.stdout[-3000:]}")
    return done.stdout


def timed_commands(args, blob: Path) -> list[str]:
    """Each row: `monitor stats` (+ `cache stats`) before it, then `iters` timed runs; the
    counters once more at the end. The monitor commands are outside the timed regions."""
    out = []
    for key, _, setup, body in rows(args.iters, blob):
        out += [f"echo @@ROW {key}\\n", "monitor stats", "monitor cache stats"]
        for _ in range(args.iters):
            out += setup + ["python _t0 = time.perf_counter()"] + body
            out.append(f"python print('BENCH {key} %.6f' % (time.perf_counter() - _t0))")
    return out + ["echo @@ROW end\\n", "monitor stats", "monitor cache stats"]


def seconds(text: str) -> float:
    value, unit = text.split()
    return float(value) / (1000 if unit == "ms" else 1)


COUNTERS = {
    # "packets by kind: m 40, g 3, vCont 2" (monitor stats)
    "gdb_m": r"^packets by kind:(?:.*,)? m (\d+)", "gdb_x": r"^packets by kind:(?:.*,)? x (\d+)",
    "gdb_M": r"^packets by kind:(?:.*,)? M (\d+)", "gdb_X": r"^packets by kind:(?:.*,)? X (\d+)",
    "target_reads": r"memory reads (\d+)", "target_writes": r"memory writes (\d+)",
    "cache_reads_made": r"target reads (\d+), writes \d+ made", "cache_writes_made": r"target reads \d+, writes (\d+) made",
    # "time: session 3.16 s; in remora 80.1 ms, in target calls 54.5 ms, ..." (monitor stats)
    "in_remora": r"; in remora ([\d.]+ m?s),", "in_target": r", in target calls ([\d.]+ m?s),",
}


def snapshot(text: str) -> dict[str, float]:
    out = {}
    for k, rx in COUNTERS.items():
        m = re.search(rx, text, re.M)
        out[k] = (seconds(m.group(1)) if k.startswith("in_") else int(m.group(1))) if m else 0
    return out


def row_counts(out: str, keys: list[str]) -> dict[str, dict[str, float]]:
    """Per-row differences of the counters between the @@ROW markers."""
    parts = re.split(r"^@@ROW (\w+)$", out, flags=re.M)[1:]
    snaps = [(parts[i], snapshot(parts[i + 1])) for i in range(0, len(parts), 2)]
    if [k for k, _ in snaps] != keys + ["end"]:
        raise RuntimeError(f"counters missing between the rows:\n{out[-3000:]}")
    result = {}
    for (key, before), (_, after) in zip(snaps, snaps[1:]):
        d = {k: after[k] - before[k] for k in COUNTERS}
        # gdb's memory packets, and the memory calls that reached the process: off, every one
        # goes through the session's meter; on, the cache makes them (the meter sees none).
        d["gdb_memory_packets"] = d["gdb_m"] + d["gdb_x"] + d["gdb_M"] + d["gdb_X"]
        d["process_memory_calls"] = (d["target_reads"] + d["target_writes"] + d["cache_reads_made"]
                                     + d["cache_writes_made"])
        d["stub_s"] = d["in_remora"] + d["in_target"]  # remora's own time, the monitor commands' included
        result[key] = d
    return result


def measure(args, mode: str, blob: Path) -> tuple[dict[str, list[float]], dict[str, dict[str, float]]]:
    with Stub([args.remora, f"--cache={mode}", "--once", "127.0.0.1:0", args.inferior]) as stub:
        if stub.port is None:
            raise RuntimeError(f"remora --cache={mode} did not start: {''.join(stub.lines)[-500:]}")
        out = gdb_session(args, stub, timed_commands(args, blob))
    samples: dict[str, list[float]] = {}
    for m in re.finditer(r"^BENCH (\w+) ([\d.]+)$", out, re.M):
        samples.setdefault(m.group(1), []).append(float(m.group(2)))
    keys = [k for k, *_ in rows(args.iters, blob)]
    if any(len(samples.get(k, [])) != args.iters for k in keys):
        raise RuntimeError(f"--cache={mode}: incomplete gdb run:\n{out[-3000:]}")
    return samples, row_counts(out, keys)


def render(data: dict, blob: Path) -> str:
    s, c, it = data["samples"], data["counts"], data["iters"]

    def med(mode: str, key: str, field: str) -> float:
        return statistics.median(r[key][field] for r in c[mode])

    lines = [f"{data['reps']} repetitions × {it} samples per row, medians (± half the range); "
             f"load average before {data['load'][0]}, after {data['load'][1]}.", "",
             "| row | wall off (ms) | wall on (ms) | wall off / on | remora's own time off → on (ms) | "
             "gdb memory packets | process memory calls off → on |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for key, label, *_ in rows(it, blob):
        wall = {m: statistics.median(s[m][key]) for m in MODES}
        sp = {m: (max(s[m][key]) - min(s[m][key])) / 2 / wall[m] * 100 for m in MODES}
        lines.append(f"| {label} | {wall['off'] * 1000:.1f} ±{sp['off']:.0f}% | {wall['on'] * 1000:.1f} "
                     f"±{sp['on']:.0f}% | {wall['off'] / wall['on']:.2f}× | {med('off', key, 'stub_s') * 1000:.1f} → "
                     f"{med('on', key, 'stub_s') * 1000:.1f} | {med('on', key, 'gdb_memory_packets'):.0f} | "
                     f"{med('off', key, 'process_memory_calls'):.0f} → {med('on', key, 'process_memory_calls'):.0f} |")
    lines += ["", f"(wall: one sample = one run of the row's commands; the other columns are per row, all {it} "
              "runs together, medians over the repetitions; off / on > 1 means the cache is faster)"]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--remora", required=True)
    ap.add_argument("--inferior", required=True, help="cache_inferior")
    ap.add_argument("--gdb", default=shutil.which("gdb") or "gdb")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--out")
    ap.add_argument("--json")
    args = ap.parse_args()
    set_subreaper()
    workdir = Path(tempfile.mkdtemp(prefix="remora-cache-bench-"))
    blob = workdir / "blob.bin"
    blob.write_bytes(os.urandom(RESTORE_BYTES))
    load_before = os.getloadavg()
    samples: dict[str, dict[str, list[float]]] = {m: {} for m in MODES}
    counts: dict[str, list[dict]] = {m: [] for m in MODES}
    try:
        for rep in range(args.reps):
            for mode in rotate(MODES, rep):
                got, per_row = measure(args, mode, blob)
                for k, v in got.items():
                    samples[mode].setdefault(k, []).extend(v)
                counts[mode].append(per_row)
            print(f"rep {rep + 1}/{args.reps} done", file=sys.stderr)
        data = {"samples": samples, "counts": counts, "reps": args.reps, "iters": args.iters,
                "load": (tuple(round(x, 2) for x in load_before), tuple(round(x, 2) for x in os.getloadavg()))}
        text = render(data, blob)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        cleanup_orphans()
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    if args.json:
        Path(args.json).write_text(json.dumps(data, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
