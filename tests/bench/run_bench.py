#!/usr/bin/env python3
"""remora vs gdbserver, measured in the same run (see README.md). Standard library only.

    run_bench.py --remora PATH --client PATH --inferior PATH --floor PATH [--reps 5] [--seconds 1]
                 [--sweep] [--no-gdb] [--out FILE]
    run_bench.py --smoke --remora PATH --client PATH        (CTest bench_smoke)

Every measurement runs interleaved across the stubs (rep 1: A B C, rep 2: B C A, ...), each on a
fresh stub and debuggee, and is reported as the median of the repetitions. Stubs: remora's
emulated target (the protocol with no target work: the memory "floor"), remora on the real
process (`remora :0 PROG`, shown when this build's remora accepts PROG) and `gdbserver :0 PROG`.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

MIB = 1 << 20
TOTAL = 32 * MIB
GDBSERVER_PACKET = 18431
EMU_BUFFER, EMU_BREAKPOINT = 0x600000, 0x40FFF0  # default layout: 32 MiB data; `jmp .` in text
GROUPS = [["x:adv", "x:18431"], ["m:adv", "m:18431"], ["qc", "bp", "step"]]
SWEEP = [65536, 131072, 262144, 524288, 1048576]


def set_subreaper() -> None:
    # A debuggee whose stub died is re-parented to us, so cleanup() can find and kill it.
    try:
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except Exception:
        pass


def cleanup_orphans() -> None:
    me = os.getpid()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == me:
            pid = int(stat.parent.name)
            try:
                cmd = (stat.parent / "comm").read_text().strip()
            except OSError:
                continue
            if cmd not in ("python3", "rsp_bench", "gdb"):
                os.kill(pid, signal.SIGKILL)
                try:
                    os.waitpid(pid, 0)
                except ChildProcessError:
                    pass


class Stub:
    """One stub process: started on an ephemeral port, stopped (and its debuggee) at the end."""

    def __init__(self, argv: list[str]):
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self.port: int | None = None
        ready = threading.Event()

        def drain() -> None:
            for line in self.proc.stderr:
                self.lines.append(line)
                m = re.search(r"Listening on port (\d+)", line)
                if m:
                    self.port = int(m.group(1))
                    ready.set()
            ready.set()

        threading.Thread(target=drain, daemon=True).start()
        ready.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.wait(2)  # the client's `k` makes gdbserver and `--once` remora exit
            except subprocess.TimeoutExpired:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(3)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        cleanup_orphans()

    def __enter__(self) -> "Stub":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class Target:
    def __init__(self, name: str, argv: list[str], buffer: int, breakpoint: int, program: str | None):
        self.name, self.argv, self.buffer, self.breakpoint, self.program = name, argv, buffer, breakpoint, program

    def start(self, extra: list[str] = ()) -> Stub:
        argv = self.argv[:1] + list(extra) + self.argv[1:]
        stub = Stub(argv)
        if stub.port is None:
            stub.stop()
            raise RuntimeError(f"{self.name}: no 'Listening on port' from {' '.join(argv)}: "
                               + "".join(stub.lines).strip()[-300:])
        return stub


def run_client(args, target: Target, measures: list[str], extra: list[str] = ()) -> dict:
    with target.start(extra) as stub:
        argv = [args.client, "--port", str(stub.port), "--buffer", hex(target.buffer), "--total", str(args.total),
                "--breakpoint", hex(target.breakpoint), "--stub-pid", str(stub.proc.pid), "--seconds", str(args.seconds), "--measure",
                ",".join(measures)]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60 + 10 * args.seconds * len(measures))
        if done.returncode != 0:
            raise RuntimeError(f"{target.name}: rsp_bench failed: {done.stderr.strip()} {done.stdout.strip()}")
        return json.loads(done.stdout)


def gdb_times(args, target: Target, blob: Path, workdir: Path, extra: list[str] = (),
              parts: tuple[str, ...] = ("restore", "dump", "stepi2000")) -> dict:
    """Wall times inside gdb: restore+stepi (so a flush counts), dump, stepi 2000."""
    end = target.buffer + TOTAL
    timed = [("restore", [f"restore {blob} binary {target.buffer:#x}", "stepi"]),
             ("dump", [f"dump binary memory {workdir / 'dump.bin'} {target.buffer:#x} {end:#x}"]),
             ("stepi2000", ["stepi 2000"])]
    timed = [t for t in timed if t[0] in parts]
    with target.start(extra) as stub:
        cmds = ["set pagination off", "set confirm off", f"target remote 127.0.0.1:{stub.port}"]
        for name, body in timed:
            cmds += ["python import time; _t0 = time.perf_counter()", *body,
                     f"python print('BENCH {name} %.6f' % (time.perf_counter() - _t0))"]
        cmds.append("kill")
        argv = [args.gdb, "-nx", "-batch", "-q"]
        argv += [target.program] if target.program else ["-ex", "set architecture i386:x86-64"]
        for c in cmds:
            argv += ["-ex", c]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    out = dict((m.group(1), float(m.group(2))) for m in re.finditer(r"^BENCH (\w+) ([\d.]+)$", done.stdout, re.M))
    if len(out) != len(timed):
        raise RuntimeError(f"{target.name}: gdb run incomplete:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return out


def nm_address(program: str, symbol: str) -> int:
    out = subprocess.run(["nm", program], capture_output=True, text=True, check=True).stdout
    m = re.search(rf"^([0-9a-f]+) \w {re.escape(symbol)}$", out, re.M)
    if not m:
        raise RuntimeError(f"{symbol} not in {program}")
    return int(m.group(1), 16)


def make_targets(args) -> tuple[list[Target], dict[str, str]]:
    emu = Target("remora-emulated", [args.remora, "--once", "127.0.0.1:0"], EMU_BUFFER, EMU_BREAKPOINT, None)
    targets, skipped = [emu], {}
    if args.smoke:
        return targets, skipped
    buf, tick = nm_address(args.inferior, "bench_buffer"), nm_address(args.inferior, "bench_tick")
    candidates = [Target("remora-ptrace", [args.remora, "--once", "127.0.0.1:0", args.inferior], buf, tick, args.inferior),
                  Target("gdbserver", [args.gdbserver, "127.0.0.1:0", args.inferior], buf, tick, args.inferior)]
    for t in candidates:
        try:  # the row appears once this remora can debug a real process
            run_client(args, t, ["qc"])
            targets.append(t)
        except (RuntimeError, json.JSONDecodeError, subprocess.TimeoutExpired) as e:
            skipped[t.name] = str(e).splitlines()[0][:200]
    return targets, skipped


def rotate(items: list, k: int) -> list:
    k %= max(1, len(items))
    return items[k:] + items[:k]


def collect(args, targets: list[Target], blob: Path, workdir: Path) -> dict:
    """samples[target][measure] = list of values, one per repetition."""
    samples: dict[str, dict[str, list[float]]] = {t.name: {} for t in targets}
    info: dict[str, dict] = {}
    for rep in range(args.reps):
        for group in GROUPS:
            for t in rotate(targets, rep):
                res = run_client(args, t, group)
                info[t.name] = {k: res[k] for k in ("packet_size", "no_ack", "vcont")}
                for k, v in res["results"].items():
                    samples[t.name].setdefault(k, []).append(v["value"])
                    samples[t.name].setdefault(k + "#cpu", []).append(v["cpu_us_per_unit"])
        if not args.no_gdb:
            for t in rotate(targets, rep):
                for k, v in gdb_times(args, t, blob, workdir).items():
                    samples[t.name].setdefault("gdb_" + k, []).append(v)
        print(f"rep {rep + 1}/{args.reps} done", file=sys.stderr)
    return {"samples": samples, "info": info}


def sweep(args, targets: list[Target], blob: Path, workdir: Path) -> dict:
    """PacketSize choice: X/m at each advertised size, and gdb restore, per remora target."""
    out: dict[str, dict[int, dict[str, list[float]]]] = {}
    remoras = [t for t in targets if t.name.startswith("remora")]
    for rep in range(args.sweep_reps):
        for size in rotate(SWEEP, rep):
            for t in remoras:
                extra = ["--packet-size", str(size)]
                cell = out.setdefault(t.name, {}).setdefault(size, {})
                res = run_client(args, t, ["x:adv", "m:adv"], extra)
                for k, v in res["results"].items():
                    cell.setdefault(k, []).append(v["value"])
                if not args.no_gdb:
                    cell.setdefault("gdb_restore", []).append(gdb_times(args, t, blob, workdir, extra, ("restore",))["restore"])
        print(f"sweep rep {rep + 1}/{args.sweep_reps} done", file=sys.stderr)
    return out


def floor_probe(args) -> dict:
    runs = [json.loads(subprocess.run([args.floor, str(args.seconds), str(TOTAL), str(GDBSERVER_PACKET), "262144"],
                                      capture_output=True, text=True, check=True, timeout=120).stdout)
            for _ in range(args.reps)]
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def smoke(args) -> int:
    targets, _ = make_targets(args)
    args.seconds, args.total = 0.3, 4 * MIB  # small enough for a loaded CI machine
    res = run_client(args, targets[0], ["x:adv", "m:18431", "qc", "bp", "step"])
    print(json.dumps(res))
    bad = [k for k, v in res["results"].items() if not (v["value"] > 0 and v["count"] > 0)]
    if len(res["results"]) != 5 or bad or res["packet_size"] < 256:
        print(f"bench_smoke: missing or empty results: {bad or res}", file=sys.stderr)
        return 1
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--remora", required=True)
    ap.add_argument("--client", required=True, help="rsp_bench")
    ap.add_argument("--inferior", help="bench_inferior")
    ap.add_argument("--floor", help="floor_probe")
    ap.add_argument("--gdbserver", default=shutil.which("gdbserver") or "gdbserver")
    ap.add_argument("--gdb", default=shutil.which("gdb") or "gdb")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--total", type=int, default=TOTAL, help="bytes per X/m pass (gdb restore/dump: 32 MiB)")
    ap.add_argument("--sweep", action="store_true", help="also measure remora's PacketSize choice")
    ap.add_argument("--sweep-reps", type=int, default=2)
    ap.add_argument("--no-gdb", action="store_true", help="skip the end-to-end gdb timings")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--out", help="also write the Markdown report here")
    ap.add_argument("--json", help="also write the raw samples here")
    args = ap.parse_args()
    set_subreaper()
    if args.smoke:
        return smoke(args)
    if not (args.inferior and args.floor):
        ap.error("--inferior and --floor are required for a full run")
    from report import render  # the Markdown tables live apart from the measuring
    workdir = Path(tempfile.mkdtemp(prefix="remora-bench-"))
    try:
        blob = workdir / "blob.bin"
        blob.write_bytes(os.urandom(TOTAL))
        load_before = os.getloadavg()
        targets, skipped = make_targets(args)
        data = collect(args, targets, blob, workdir)
        data["floor"] = floor_probe(args)
        if args.sweep:
            data["sweep"] = sweep(args, targets, blob, workdir)
        data.update(skipped=skipped, load=(load_before, os.getloadavg()), reps=args.reps, seconds=args.seconds)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        cleanup_orphans()
    text = render(data)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    if args.json:
        Path(args.json).write_text(json.dumps(data, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
