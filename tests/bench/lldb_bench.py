#!/usr/bin/env python3
"""lldb-16 against remora (ptrace) and against lldb-server-16, measured in the same run (#7).

    lldb_bench.py --remora PATH --inferior PATH [--reps 5] [--inner 5] [--steps 200] [--out FILE]

Rows: `memory read` of 1 MiB (binary, to a file, so lldb formats nothing) and `register read --all`,
each right after an untimed `thread step-inst` (a stop empties lldb's own caches; for registers,
what the stop reply did not expedite must be fetched), and a loop of `thread step-inst`. Timed inside lldb with its embedded
Python (`time.perf_counter()` around each command), so lldb's start-up and symbol loading are
not counted. Each repetition starts a fresh stub and debuggee per stub, the stubs interleaved
(rep 1: A B, rep 2: B A, ...); a row is the median of every sample of a stub. One more session
per stub, with lldb's packet log on, counts the packets each row costs. Standard library only.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_bench import cleanup_orphans, nm_address, rotate, set_subreaper  # noqa: E402

MIB = 1 << 20
ROWS = [("memread", "`memory read` 1 MiB (binary, to a file)", "ms"),
        ("regall", "`register read --all` after a step", "ms"),
        ("steps", "`thread step-inst` loop", "ms per step")]


class Stub:
    """remora --once or lldb-server gdbserver on an ephemeral port, stopped at the end."""

    def __init__(self, kind: str, args, workdir: Path):
        self.kind = kind
        if kind == "remora":
            argv = [args.remora, "--once", "127.0.0.1:0", args.inferior]
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.PIPE)
            self.port = self._read_port(self.proc.stderr.fileno(), rb"Listening on port (\d+)\n")
        else:
            rfd, wfd = os.pipe()
            argv = [args.lldb_server, "gdbserver", "--pipe", str(wfd), "127.0.0.1:0", "--", args.inferior]
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, pass_fds=(wfd,))
            os.close(wfd)
            self.port = self._read_port(rfd, rb"^(\d+)\0")
            os.close(rfd)
        if self.port is None:
            self.stop()
            raise RuntimeError(f"{kind}: no port from {' '.join(argv)}")

    @staticmethod
    def _read_port(fd: int, pattern: bytes, timeout: float = 10) -> int | None:
        data, deadline = b"", time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(fd, 256) if ready else b""
            if not chunk:
                return None
            data += chunk
            m = re.search(pattern, data, re.M)
            if m:
                return int(m.group(1))
        return None

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.wait(3)  # lldb's `kill` ends both stubs
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()
        cleanup_orphans()


def marker(name: str) -> str:
    # An unknown packet: both stubs answer it empty; in the packet log it delimits a row.
    return f"process plugin packet send qBenchMark{name}"


def lldb_commands(args, buffer: int, workdir: Path, count: bool) -> list[str]:
    c = ["settings set stop-disassembly-display never", "settings set stop-line-count-before 0",
         "settings set stop-line-count-after 0", "script import time"]

    def timed(name: str, body: list[str]) -> None:
        if count:
            c.append(marker(name))
        c.append("script _t0 = time.perf_counter()")
        c.extend(body)
        c.append(f"script print('BENCH {name} %.6f' % (time.perf_counter() - _t0))")

    def untimed_step() -> None:
        # A stop empties lldb's caches: without it lldb serves a repeated 1 MiB read from its own
        # memory cache and sends no packet at all.
        if count:
            c.append(marker("untimed"))
        c.append("thread step-inst")

    for _ in range(args.inner):
        untimed_step()
        timed("memread", [f"memory read --force --binary -o {workdir / 'read.bin'} -c {MIB} {buffer:#x}"])
    for _ in range(args.inner):
        untimed_step()
        timed("regall", ["register read --all"])
    timed("steps", ["thread step-inst"] * args.steps)
    if count:
        c.append(marker("end"))
    return c + ["kill"]


def run_lldb(args, stub: Stub, buffer: int, workdir: Path, count: bool = False) -> tuple[dict, str]:
    script = workdir / "commands.txt"
    script.write_text("\n".join(lldb_commands(args, buffer, workdir, count)) + "\n")
    packets = workdir / f"packets-{stub.kind}.log"
    argv = [args.lldb, "--no-lldbinit", "-b"]
    if count:
        argv += ["-o", f"log enable -f {packets} gdb-remote packets"]
    argv += ["-o", f"gdb-remote 127.0.0.1:{stub.port}", "-o", f"command source -e {'false' if count else 'true'} -c false {script}"]
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
    samples: dict[str, list[float]] = {}
    for m in re.finditer(r"^BENCH (\w+) ([\d.]+)$", done.stdout, re.M):
        samples.setdefault(m.group(1), []).append(float(m.group(2)))
    want = {"memread": args.inner, "regall": args.inner, "steps": 1}
    if {k: len(v) for k, v in samples.items()} != want or re.search(r"^error: (?!UNIMPLEMENTED$)", done.stdout, re.M):
        raise RuntimeError(f"{stub.kind}: lldb run incomplete or failed:\n{done.stdout[-3000:]}\n{done.stderr[-1000:]}")
    samples["steps"] = [v / args.steps for v in samples["steps"]]
    return samples, packets.read_text(errors="replace") if count else ""


def count_packets(log: str) -> dict[str, dict[str, int]]:
    """Packets lldb sent per row, by kind (first letters), between the markers."""
    out: dict[str, dict[str, int]] = {}
    row = None
    for m in re.finditer(r"send packet: \$(.*?)#[0-9a-f]{2}$", log, re.M):
        payload = m.group(1)
        mk = re.match(r"qBenchMark(\w+)", payload)
        if mk:
            row = None if mk.group(1) == "end" else mk.group(1)
            continue
        if row and row != "untimed":
            kind = re.match(r"vCont;[a-zA-Z]|[mMxXpPgGzZ](?=[0-9a-f,])|[A-Za-z_]+", payload)
            key = kind.group(0) if kind else payload[:4]
            out.setdefault(row, {}).setdefault(key, 0)
            out[row][key] += 1
    return out


def render(data: dict) -> str:
    s = data["samples"]
    lines = [f"{data['reps']} repetitions × {data['inner']} samples (memory read, register read), "
             f"{data['steps']} steps per loop; load average before {data['load'][0]}, after {data['load'][1]}.",
             "", "| row | unit | lldb-server-16 | remora (ptrace) | lldb-server / remora | goal ≥ 1.0× "
             "| best of each: lldb-server / remora |", "|---|---|---:|---:|---:|---|---:|"]
    for key, label, unit in ROWS:
        ref, rem = (statistics.median(s[k][key]) for k in ("lldb-server", "remora"))
        sp = {k: (max(s[k][key]) - min(s[k][key])) / 2 / statistics.median(s[k][key]) * 100 for k in s}
        ratio = ref / rem
        # The fastest sample is the one a loaded machine disturbed least.
        best_ref, best_rem = (min(s[k][key]) for k in ("lldb-server", "remora"))
        lines.append(f"| {label} | {unit} | {ref * 1000:.3f} ±{sp['lldb-server']:.0f}% | {rem * 1000:.3f} "
                     f"±{sp['remora']:.0f}% | {ratio:.2f}× | {'met' if ratio >= 1.0 else '**NOT met**'} "
                     f"| {best_ref * 1000:.3f} / {best_rem * 1000:.3f} = {best_ref / best_rem:.2f}× |")
    per_read = {k: data.get("packets", {}).get(k, {}).get("regall", {}).get("p", 0) / data["inner"] for k in s}
    # Only while both stubs need about as many `p` per read: once remora sends every register with
    # the stop (after the client's first full read) the per-packet figure means nothing.
    if all(per_read.values()) and per_read["remora"] >= per_read["lldb-server"] / 2:
        # The two stubs do not offer the same registers (remora also shows the AVX-512 state of
        # this CPU), so `register read --all` costs a different number of `p` round trips.
        ref, rem = (statistics.median(s[k]["regall"]) / per_read[k] for k in ("lldb-server", "remora"))
        lines.append(f"| `register read --all`, per register fetched ({per_read['lldb-server']:.0f} vs "
                     f"{per_read['remora']:.0f} `p` packets per read) | ms | {ref * 1000:.3f} | {rem * 1000:.3f} "
                     f"| {ref / rem:.2f}× | {'met' if ref >= rem else '**NOT met**'} | |")
    if data.get("packets"):
        lines += ["", "Packets lldb sent per row (one counting session per stub; memory read and register read: "
                  "all samples of that session together):", "", "| row | lldb-server-16 | remora |", "|---|---|---|"]
        for key, label, _ in ROWS:
            cells = [", ".join(f"`{k}` {v}" for k, v in sorted(data["packets"][stub].get(key, {}).items())) or "none"
                     for stub in ("lldb-server", "remora")]
            lines.append(f"| {label} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--remora", required=True)
    ap.add_argument("--inferior", required=True, help="bench_inferior (static, non-PIE)")
    ap.add_argument("--lldb", default="lldb-16")
    ap.add_argument("--lldb-server", default="lldb-server-16")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--inner", type=int, default=5, help="memory/register reads per session")
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--out")
    ap.add_argument("--json")
    args = ap.parse_args()
    for tool in (args.lldb, args.lldb_server):
        if shutil.which(tool) is None:
            ap.error(f"{tool} not found")
    set_subreaper()
    buffer = nm_address(args.inferior, "bench_buffer")
    workdir = Path(tempfile.mkdtemp(prefix="remora-lldb-bench-"))
    samples: dict[str, dict[str, list[float]]] = {"lldb-server": {}, "remora": {}}
    packets: dict[str, dict] = {}
    load_before = os.getloadavg()
    try:
        for rep in range(args.reps):
            for kind in rotate(list(samples), rep):
                stub = Stub(kind, args, workdir)
                try:
                    got, _ = run_lldb(args, stub, buffer, workdir)
                finally:
                    stub.stop()
                for k, v in got.items():
                    samples[kind].setdefault(k, []).extend(v)
            print(f"rep {rep + 1}/{args.reps} done", file=sys.stderr)
        for kind in samples:
            stub = Stub(kind, args, workdir)
            try:
                packets[kind] = count_packets(run_lldb(args, stub, buffer, workdir, count=True)[1])
            finally:
                stub.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        cleanup_orphans()
    data = {"samples": samples, "packets": packets, "reps": args.reps, "inner": args.inner, "steps": args.steps,
            "load": (tuple(round(x, 2) for x in load_before), tuple(round(x, 2) for x in os.getloadavg()))}
    text = render(data)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    if args.json:
        Path(args.json).write_text(json.dumps(data, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
