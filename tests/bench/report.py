"""Markdown tables for run_bench.py: medians, remora/gdbserver ratios, goals and floor shares."""
from __future__ import annotations

import os
import platform
import statistics
import time

MIB_TOTAL = 32  # MiB moved by X/m passes and by gdb restore/dump

# (key, label, unit, higher_is_better, goal as a speed-up over gdbserver or None)
ROWS = [
    ("x:adv", "raw `X` write at the stub's PacketSize", "MiB/s", True, 3.0),
    ("x:18431", "raw `X` write at 18,431-byte packets", "MiB/s", True, None),
    ("m:adv", "raw `m` read at the stub's PacketSize", "MiB/s", True, 2.0),
    ("m:18431", "raw `m` read at 18,431-byte packets", "MiB/s", True, None),
    ("step", "single steps (`vCont;s`)", "steps/s", True, 1.8),
    ("bp", "breakpoint cycles (z0, step, Z0, continue)", "cycles/s", True, 1.5),
    ("qc", "`qC` round trip", "µs", False, None),
    ("gdb_restore", "gdb `restore` 32 MiB + `stepi`", "s", False, 1.6),
    ("gdb_dump", "gdb `dump binary memory` 32 MiB", "s", False, None),
    ("gdb_stepi2000", "gdb `stepi 2000`", "s", False, None),
]


def median(samples: dict, target: str, key: str) -> float | None:
    values = samples.get(target, {}).get(key)
    return statistics.median(values) if values else None


def spread(samples: dict, target: str, key: str) -> str:
    values = samples.get(target, {}).get(key)
    if not values or len(values) < 2:
        return ""
    m = statistics.median(values)
    return f" ±{(max(values) - min(values)) / 2 / m * 100:.0f}%" if m else ""


def kernel_cost(floor: dict, key: str, packet: int) -> float | None:
    """The kernel's own cost for one unit of the row, in the unit's time (s per MiB, s per step)."""
    chunk = 18431 if packet == 18431 else 262144
    per_mib = {"x": floor.get(f"pwrite_{chunk}"), "m": floor.get(f"pread_{chunk}")}
    if key.startswith(("x:", "m:")):
        rate = per_mib[key[0]]
        return 1 / rate if rate else None
    return {"step": 1 / floor["step_per_s"], "bp": 1 / floor["bp_cycles_per_s"], "qc": 0.0,
            "gdb_restore": MIB_TOTAL / floor["pwrite_262144"], "gdb_dump": MIB_TOTAL / floor["pread_262144"],
            "gdb_stepi2000": 2000 / floor["step_per_s"]}.get(key)


def floor_value(emu: float | None, kernel: float | None, higher: bool) -> float | None:
    """A stub that adds nothing to the protocol (the emulated target) plus the kernel's cost."""
    if emu is None or kernel is None:
        return None
    if higher:  # rates: add the times per unit
        return 1 / (1 / emu + kernel)
    return emu + kernel  # times: the kernel's seconds on top of the protocol's


def fmt(v: float | None, unit: str) -> str:
    if v is None:
        return "—"
    if unit == "s":
        return f"{v:.3f}"
    if unit == "µs":
        return f"{v:.1f}"
    return f"{v:,.0f}"


def speedup(remora: float | None, gdbserver: float | None, higher: bool) -> float | None:
    if not remora or not gdbserver:
        return None
    return remora / gdbserver if higher else gdbserver / remora


def share(value: float | None, floor: float | None, higher: bool) -> str:
    if not value or not floor:
        return "—"
    return f"{(value / floor if higher else floor / value) * 100:.0f}%"


def main_table(data: dict) -> list[str]:
    s, floor = data["samples"], data["floor"]
    have_ptrace = "remora-ptrace" in s
    lines = ["| measure | unit | gdbserver | remora (ptrace) | speed-up | goal | remora emulated | "
             "floor | remora share of floor | gdbserver share of floor |",
             "|---|---|---:|---:|---:|---|---:|---:|---:|---:|"]
    for key, label, unit, higher, goal in ROWS:
        gs, rp, emu = (median(s, t, key) for t in ("gdbserver", "remora-ptrace", "remora-emulated"))
        fl = floor_value(emu, kernel_cost(floor, key, 18431 if "18431" in key else 0), higher)
        up = speedup(rp, gs, higher)
        if goal is None:
            goal_text = ""
        elif up is None:
            goal_text = f"≥ {goal}× (no ptrace row yet)"
        else:
            goal_text = f"≥ {goal}×: {'met' if up >= goal else '**NOT met**'}"
        lines.append(f"| {label} | {unit} | {fmt(gs, unit)}{spread(s, 'gdbserver', key)} | "
                     f"{fmt(rp, unit)}{spread(s, 'remora-ptrace', key)} | "
                     f"{f'{up:.2f}×' if up else '—'} | {goal_text} | {fmt(emu, unit)}{spread(s, 'remora-emulated', key)} | "
                     f"{fmt(fl, unit)} | {share(rp, fl, higher) if have_ptrace else '—'} | {share(gs, fl, higher)} |")
    return lines


CPU_ROWS = [("x:adv", "`X` at PacketSize", "µs/MiB"), ("x:18431", "`X` at 18,431", "µs/MiB"),
            ("m:adv", "`m` at PacketSize", "µs/MiB"), ("m:18431", "`m` at 18,431", "µs/MiB"),
            ("step", "single step", "µs/step"), ("bp", "breakpoint cycle", "µs/cycle"), ("qc", "`qC`", "µs/packet")]


def cpu_table(data: dict) -> list[str]:
    """The stubs' own on-CPU time per unit of work (schedstat): what load cannot inflate."""
    s = data["samples"]
    lines = ["| stub CPU (user+kernel, from schedstat) | unit | gdbserver | remora (ptrace) | gdbserver/remora | remora emulated |",
             "|---|---|---:|---:|---:|---:|"]
    for key, label, unit in CPU_ROWS:
        gs, rp, emu = (median(s, t, key + "#cpu") for t in ("gdbserver", "remora-ptrace", "remora-emulated"))
        up = speedup(rp, gs, False)
        lines.append(f"| {label} | {unit} | {fmt(gs, 'µs')} | {fmt(rp, 'µs')} | {f'{up:.2f}×' if up else '—'} | {fmt(emu, 'µs')} |")
    return lines


def floor_table(floor: dict) -> list[str]:
    return ["| kernel alone (floor_probe, no protocol) | value |", "|---|---:|",
            f"| PTRACE_SINGLESTEP + waitpid | {floor['step_per_s']:,.0f} /s |",
            f"| breakpoint cycle (poke, step, poke, cont, rewind rip) | {floor['bp_cycles_per_s']:,.0f} /s |",
            *(f"| {op} /proc/PID/mem, {chunk}-byte calls | {floor[f'{op}_{chunk}']:,.0f} MiB/s |"
              for op in ("pwrite", "pread") for chunk in (18431, 262144))]


def sweep_table(sweep: dict) -> list[str]:
    names = sorted(sweep)
    head = "| PacketSize | " + " | ".join(f"{n} X MiB/s | {n} m MiB/s | {n} gdb restore s" for n in names) + " |"
    lines = [head, "|---:|" + "---:|" * (3 * len(names))]
    sizes = sorted({int(k) for n in names for k in sweep[n]})
    for size in sizes:
        cells = []
        for n in names:
            cell = sweep[n].get(size) or sweep[n].get(str(size)) or {}
            for key, unit in (("x:adv", "MiB/s"), ("m:adv", "MiB/s"), ("gdb_restore", "s")):
                values = cell.get(key)
                cells.append(fmt(statistics.median(values), unit) if values else "—")
        lines.append(f"| {size // 1024} KiB | " + " | ".join(cells) + " |")
    return lines


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Linux {platform.release()}"


def render(data: dict) -> str:
    (l1, l5, l15), (a1, a5, a15) = data["load"]
    out = [f"## Results {time.strftime('%Y-%m-%d %H:%M %Z')}", "",
           f"Machine: {machine()}. Load average before {l1:.2f}/{l5:.2f}/{l15:.2f}, after {a1:.2f}/{a5:.2f}/{a15:.2f}. "
           f"{data['reps']} repetitions × {data['seconds']} s per measure, medians (± half the range).", ""]
    for name, info in sorted(data["info"].items()):
        out.append(f"- {name}: PacketSize {info['packet_size']} ({info['packet_size'] // 1024} KiB), "
                   f"no-ack {'on' if info['no_ack'] else 'off'}, vCont {'yes' if info['vcont'] else 'no'}")
    for name, why in data.get("skipped", {}).items():
        out.append(f"- {name}: not measured ({why})")
    out += ["", *main_table(data), "", *cpu_table(data), "", *floor_table(data["floor"]), ""]
    if data.get("sweep"):
        out += ["### remora PacketSize sweep", "", *sweep_table(data["sweep"]), ""]
    return "\n".join(out)
