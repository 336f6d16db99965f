#!/usr/bin/env python3
"""End-to-end tests: the real gdb against `remora` on its emulated target.

    harness.py --remora PATH --workdir DIR SCENARIO [SCENARIO...]
    harness.py --list

Each scenario starts its own remora (on 127.0.0.1, an ephemeral port) and its own gdb, asserts on
their output with regexes, and kills both at the end whatever happened. Logs (remora's stderr,
the --trace file, gdb transcripts) stay in DIR/SCENARIO/ and are printed on failure.
Standard library only. A missing gdb is a failure, never a skip: CI installs gdb.
"""
from __future__ import annotations

import argparse
import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Callable

GDB = "gdb"
SCENARIO_BUDGET = 50  # seconds; CTest's TIMEOUT is the outer bound
ARCH = "set architecture i386:x86-64"


class Failure(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise Failure(message)


def expect(pattern: str, text: str, what: str, flags: int = re.M) -> re.Match:
    m = re.search(pattern, text, flags)
    if not m:
        raise Failure(f"{what}: /{pattern}/ not found in:\n{indent(text)}")
    return m


def reject(pattern: str, text: str, what: str) -> None:
    m = re.search(pattern, text, re.M)
    if m:
        raise Failure(f"{what}: /{pattern}/ unexpectedly matched {m.group(0)!r} in:\n{indent(text)}")


def indent(text: str, limit: int = 12000) -> str:
    if len(text) > limit:
        text = "...\n" + text[-limit:]
    return "".join("    | " + line + "\n" for line in text.splitlines())


def _die_with_parent() -> None:
    # PR_SET_PDEATHSIG(SIGKILL): if this harness is killed (CTest timeout), its children go too.
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    except Exception:
        pass


class Reader:
    """Drains a pipe on a thread into a growing text buffer (and a log file)."""

    def __init__(self, pipe, log_path: Path):
        self._pipe = pipe
        self._chunks: list[str] = []
        self._cond = threading.Condition()
        self._log = open(log_path, "w", encoding="utf-8", errors="replace")
        self.closed = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                data = os.read(self._pipe.fileno(), 65536)
            except OSError:
                data = b""
            text = data.decode("utf-8", errors="replace")
            with self._cond:
                if not data:
                    self.closed = True
                    self._cond.notify_all()
                    break
                self._chunks.append(text)
                self._log.write(text)
                self._log.flush()
                self._cond.notify_all()
        self._log.close()

    @property
    def text(self) -> str:
        with self._cond:
            return "".join(self._chunks)

    def wait_for(self, pattern: str, timeout: float, start: int = 0) -> re.Match | None:
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern, re.M)
        with self._cond:
            while True:
                m = rx.search("".join(self._chunks), start)
                if m or self.closed:
                    return m
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)

    def join(self, timeout: float = 5) -> None:
        self._thread.join(timeout)


class Scenario:
    """Owns every process a scenario starts; `close()` kills what is still alive."""

    def __init__(self, name: str, remora: str, workdir: Path):
        self.name = name
        self.remora_path = remora
        self.dir = workdir / name
        if self.dir.exists():
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True)
        self.procs: list[subprocess.Popen] = []
        self.programs: Path | None = None  # --programs: the C programs the ptrace scenarios debug
        self.logs: list[Path] = []
        self._count = 0

    def path(self, name: str) -> Path:
        return self.dir / name

    def _log(self, stem: str) -> Path:
        self._count += 1
        p = self.dir / f"{self._count:02d}-{stem}.log"
        self.logs.append(p)
        return p

    def popen(self, argv: list[str], **kw) -> subprocess.Popen:
        p = subprocess.Popen(argv, preexec_fn=_die_with_parent, **kw)
        self.procs.append(p)
        return p

    # --- remora -------------------------------------------------------------------------------
    def start_remora(self, *options: str, comm: str = "127.0.0.1:0", trace: bool = True,
                     program: tuple[str, ...] | list[str] = (), trace_format: str = "raw") -> "Remora":
        """Starts remora; `program` (PROG ARGS, or a PID with --attach) follows COMM. A launched
        program inherits remora's stdout, which goes to a log (`Remora.output()`). The trace is
        raw by default: the scenarios match packets by their exact text."""
        argv = [self.remora_path]
        trace_path = None
        if trace:
            trace_path = self._log("trace")
            argv += [f"--trace={trace_path}", f"--trace-format={trace_format}"]
        argv += list(options) + [comm] + list(program)
        log = self._log("remora-stderr")
        out_path = self._log("remora-stdout")
        with open(out_path, "wb") as out:
            proc = self.popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.PIPE)
        r = Remora(proc, Reader(proc.stderr, log), trace_path, argv)
        r.stdout_path = out_path
        m = r.stderr.wait_for(r"^Listening on port (\d+)$", 10)
        if not m:
            proc.kill()
            raise Failure(f"remora did not announce its port: {' '.join(argv)}\n{indent(r.stderr.text)}")
        r.port = int(m.group(1))
        return r

    def run_remora(self, *args: str, timeout: float = 10) -> subprocess.CompletedProcess:
        """Runs remora to completion (command-line errors)."""
        try:
            return subprocess.run([self.remora_path, *args], stdin=subprocess.DEVNULL, capture_output=True,
                                  text=True, timeout=timeout, preexec_fn=_die_with_parent)
        except subprocess.TimeoutExpired as e:
            raise Failure(f"remora {' '.join(args)} did not exit within {timeout}s") from e

    # --- gdb ----------------------------------------------------------------------------------
    def gdb_batch(self, port: int | None, *commands: str, timeout: float = 30, connect: bool = True,
                  file: str | None = None) -> str:
        """`gdb -nx -batch -ex ...`: connects (unless told not to), runs the commands, exits.
        `file`: the program whose symbols gdb loads (the ptrace scenarios)."""
        argv = [GDB, "-nx", "-batch", "-ex", "set pagination off", "-ex", "set confirm off", "-ex", ARCH]
        if file:
            argv += ["-ex", f"file {file}"]
        if connect:
            argv += ["-ex", f"target remote 127.0.0.1:{port}"]
        for c in commands:
            argv += ["-ex", c]
        log = self._log("gdb")
        proc = self.popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          cwd=self.dir)
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate(timeout=5)
            text = out.decode("utf-8", errors="replace")
            log.write_text(text)
            raise Failure(f"gdb did not finish within {timeout}s:\n{indent(text)}")
        text = out.decode("utf-8", errors="replace")
        log.write_text(" ".join(repr(a) for a in argv) + "\n" + text)
        return text

    def gdb_interactive(self, file: str | None = None) -> "GdbSession":
        """A gdb reading commands from a pipe, so that SIGINT can interrupt a `continue`."""
        argv = [GDB, "-nx", "-q", "-ex", "set pagination off", "-ex", "set confirm off", "-ex", "set height 0",
                "-ex", ARCH]
        if file:
            argv += ["-ex", f"file {file}"]
        log = self._log("gdb-interactive")
        proc = self.popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          cwd=self.dir)
        return GdbSession(proc, Reader(proc.stdout, log))

    def close(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                try:
                    p.kill()
                except ProcessLookupError:
                    pass
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                print(f"warning: pid {p.pid} survived SIGKILL for 5 s", file=sys.stderr)
            for stream in (p.stdin, p.stdout, p.stderr):
                if stream:
                    try:
                        stream.close()
                    except OSError:
                        pass

    def dump_logs(self) -> None:
        for log in self.logs:
            if log.exists():
                text = log.read_text(errors="replace")
                print(f"--- {log} ({len(text)} chars)")
                print(indent(text, 6000), end="")


class Remora:
    def __init__(self, proc: subprocess.Popen, stderr: Reader, trace: Path | None, argv: list[str]):
        self.proc = proc
        self.stderr = stderr
        self.trace_path = trace
        self.argv = argv
        self.port = 0
        self.stdout_path: Path | None = None

    def output(self) -> str:
        """What a launched program printed (remora's stdout)."""
        return self.stdout_path.read_text(errors="replace") if self.stdout_path else ""

    def trace(self) -> str:
        return self.trace_path.read_text(errors="replace") if self.trace_path else ""

    def wait_exit(self, timeout: float) -> int | None:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def alive(self) -> bool:
        return self.proc.poll() is None


class GdbSession:
    """Drives an interactive gdb: each command is followed by an `echo` marker to wait for."""

    def __init__(self, proc: subprocess.Popen, out: Reader):
        self.proc = proc
        self.out = out
        self._mark = 0
        self._pos = 0

    def send(self, line: str) -> None:
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()

    def run(self, command: str, timeout: float = 15) -> str:
        """Runs a command; returns what gdb printed for it (up to the marker)."""
        self._mark += 1
        mark = f"@@E2E-MARK-{self._mark}@@"
        self.send(command)
        self.send(f"echo {mark}\\n")
        m = self.out.wait_for(re.escape(mark), timeout, self._pos)
        if not m:
            raise Failure(f"gdb did not finish `{command}` within {timeout}s:\n{indent(self.out.text[self._pos:])}")
        text = self.out.text[self._pos:m.start()]
        self._pos = m.end()
        # With stdin a pipe gdb still prints its prompt before each command's output.
        return re.sub(r"^(?:\(gdb\) )+", "", text, flags=re.M)

    def wait_for(self, pattern: str, timeout: float) -> re.Match:
        m = self.out.wait_for(pattern, timeout, self._pos)
        if not m:
            raise Failure(f"gdb never printed /{pattern}/ within {timeout}s:\n{indent(self.out.text[self._pos:])}")
        return m

    def interrupt(self) -> None:
        self.proc.send_signal(signal.SIGINT)

    def quit(self, timeout: float = 10) -> int | None:
        return quit_interactive(self.proc, lambda: self.send("quit"), timeout)


def quit_interactive(proc: subprocess.Popen, send_quit: Callable[[], object], timeout: float) -> int | None:
    """Ends a gdb driven through its stdin (CLI or MI): `send_quit` writes its quit command, stdin
    is closed (a gdb already gone is fine), then its exit status, or None if it still runs after
    `timeout` (the scenario's process cleanup kills it then)."""
    try:
        send_quit()
        proc.stdin.close()
    except (BrokenPipeError, OSError):
        pass
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return None


def wait_until(predicate: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def x_words(text: str) -> list[int]:
    """The values of `x/...x` output lines ("0x600100:\t0x11223344\t0x...")."""
    values = []
    for line in text.splitlines():
        m = re.match(r"^0x[0-9a-f]+(?: <[^>]*>)?:\s+(.*)$", line.strip())
        if m:
            values += [int(v, 16) for v in re.findall(r"0x[0-9a-f]+", m.group(1))]
    return values


def region_end(monitor_regions: str, name: str) -> tuple[int, int]:
    m = expect(rf"^(?:0x)?([0-9a-f]+)-(?:0x)?([0-9a-f]+) \S+ {name}$", monitor_regions, f"`monitor regions` lists {name}")
    return int(m.group(1), 16), int(m.group(2), 16)


# ============================================================================================
# Scenarios. Each takes a Scenario and raises Failure (or any exception) to fail.
# ============================================================================================

def s01_registers(sc: Scenario) -> None:
    r = sc.start_remora()
    out = sc.gdb_batch(r.port, "info registers", "set $rax = 0x1234", "p/x $rax", "p $pc", "p/x $rsp")
    # qAttached:PID and vKill;PID (multiprocess+) once drew E16 / "Can't kill process" at exit.
    reject(r"Remote failure reply|warning: Remote|Remote connection closed|Can't kill", out, "gdb runs cleanly")
    for reg in ("rip", "rsp", "eflags"):
        expect(rf"^{reg}\s+0x[0-9a-f]+", out, f"info registers shows {reg}")
    expect(r"^eflags\s+0x[0-9a-f]+\s+\[.*\]", out, "eflags decoded as flags")
    expect(r"^\$1 = 0x1234$", out, "p/x $rax after set")
    m = expect(r"^\$2 = \(void \(\*\)\(\)\) (0x[0-9a-f]+)", out, "p $pc")
    rip = expect(r"^rip\s+(0x[0-9a-f]+)", out, "rip").group(1)
    check(int(m.group(1), 16) == int(rip, 16), f"$pc {m.group(1)} != rip {rip}")
    # The register write reached remora as P (or G) carrying 0x1234 little-endian.
    expect(r"-> (P0=3412000000000000|G3412000000000000)", r.trace(), "trace shows the rax write")


def s02_memory_words(sc: Scenario) -> None:
    r = sc.start_remora()
    out = sc.gdb_batch(r.port,
                       "set {int}0x600100 = 0x11223344", "x/wx 0x600100",
                       "set var *(unsigned char *)0x600101 = 0xab", "x/wx 0x600100",
                       "p/x *(unsigned char *)0x600101", "x/4xb 0x600100")
    reject(r"Cannot access memory", out, "no memory errors")
    lines = [l for l in out.splitlines() if l.startswith("0x600100:")]
    check(len(lines) == 3, f"three x outputs expected:\n{indent(out)}")
    check(x_words(lines[0]) == [0x11223344], f"first read: {lines[0]}")
    check(x_words(lines[1]) == [0x1122AB44], f"after byte write: {lines[1]}")
    expect(r"^\$1 = 0xab$", out, "byte read back")
    check(x_words(lines[2]) == [0x44, 0xAB, 0x22, 0x11], f"bytes: {lines[2]}")
    expect(r"-> [MX]600100,4[:,]", r.trace(), "trace shows the 4-byte write")
    expect(r"-> [MX]600101,1[:,]", r.trace(), "trace shows the 1-byte write")


def s03_restore_dump_1mib(sc: Scenario) -> None:
    size = 1 << 20
    data = os.urandom(size)
    src, dst = sc.path("in.bin"), sc.path("out.bin")
    src.write_bytes(data)
    r = sc.start_remora()
    out = sc.gdb_batch(r.port, f"restore {src} binary 0x600000",
                       f"dump binary memory {dst} 0x600000 {0x600000 + size:#x}", timeout=45)
    reject(r"Cannot access memory|error|Error", out, "restore/dump")
    expect(r"Restoring binary file .* into memory \(0x600000 to 0x700000\)", out, "restore ran")
    check(dst.exists(), "dump wrote no file")
    got = dst.read_bytes()
    check(len(got) == size, f"dump size {len(got)} != {size}")
    if got != data:
        first = next(i for i in range(size) if got[i] != data[i])
        raise Failure(f"round trip differs first at offset {first:#x}")


def _crossing_write(sc: Scenario, r: Remora, start: int, boundary: int, *, unmapped: bool) -> None:
    """Writes 16 bytes at `start` whose write stops at `boundary` (= start + 8), twice: with
    `set {unsigned char[16]}` (an error naming the start) and with `restore` (a warning)."""
    check(boundary == start + 8, "test set-up")
    first = bytes(range(0x11, 0x21))
    second = bytes(range(0x41, 0x51))
    blob = sc.path(f"cross-{start:x}.bin")
    blob.write_bytes(second)
    pre = start - 16
    fill = "0xaaaaaaaaaaaaaaaa"
    out = sc.gdb_batch(
        r.port,
        # Known bytes before, at and (if mapped) after the write: 0xAA.
        f"set {{unsigned long long[3]}}{pre:#x} = {{{fill}, {fill}, {fill}}}",
        "echo @@BEFORE@@\\n",
        f"x/16xb {boundary:#x}",
        "echo @@SET@@\\n",
        f"set {{unsigned char[16]}}{start:#x} = {{{', '.join(hex(b) for b in first)}}}",
        "echo @@READ1@@\\n",
        f"x/24xb {pre:#x}",
        "echo @@RESTORE@@\\n",
        f"restore {blob} binary {start:#x}",
        "echo @@READ2@@\\n",
        f"x/24xb {pre:#x}",
        "echo @@AFTER@@\\n",
        f"x/16xb {boundary:#x}",
    )
    parts = dict(re.findall(r"@@(\w+)@@\n(.*?)(?=@@\w+@@\n|\Z)", out, re.S))
    check(set(parts) == {"BEFORE", "SET", "READ1", "RESTORE", "READ2", "AFTER"}, f"gdb output incomplete:\n{indent(out)}")
    # gdb names the START of the failed write, not remora's boundary (it has no way to learn it).
    expect(rf"^Cannot access memory at address {start:#x}$", parts["SET"], "gdb reports the failed write")
    # `restore` only warns, with no address (gdb 13: "memory write failed (...)").
    expect(r"restore: memory write failed", parts["RESTORE"], "gdb reports the failed restore")
    for part, pattern in (("READ1", first), ("READ2", second)):
        reject(r"Cannot access memory", parts[part], "the mapped bytes read back")
        got = bytes(x_words(parts[part]))
        want = b"\xaa" * (start - pre) + pattern[:8]
        check(got == want, f"{part}: read back {got.hex()} != {want.hex()} (the 8-byte prefix written, "
                           f"nothing else)")
    if unmapped:
        expect(rf"Cannot access memory at address {boundary:#x}\b", parts["AFTER"], "the boundary is unmapped")
    else:
        before = bytes(x_words(parts["BEFORE"]))
        check(len(before) == 16 and bytes(x_words(parts["AFTER"])) == before,
              f"bytes from the fault on are unchanged:\n{indent(parts['BEFORE'] + parts['AFTER'])}")
    trace = r.trace()
    # Both crossing packets reached remora (X binary, or M hex) ...
    sent = re.findall(rf"^\S+ -> [XM]{start:x},10[:,]", trace, re.M)
    check(len(sent) == 2, f"{len(sent)} crossing write packets in the trace, expected 2")
    # ... and were answered with an error, the reply (E.text when negotiated) or note naming E.
    replies = re.findall(rf"^\S+ -> [XM]{start:x},10[:,].*\n(?:\S+ remora: .*\n)*\S+ <- (E.*)$", trace, re.M)
    check(len(replies) == 2, f"the crossing writes were not both answered with an error: {replies}")
    notes = re.findall(rf"^\S+ (?:<- E.*|remora: .*){boundary:#x}\b", trace, re.M)
    check(len(notes) >= 2, f"the reply or note names the boundary {boundary:#x}: {notes}")


def s04_crossing_write(sc: Scenario) -> None:
    r = sc.start_remora()
    regions = sc.gdb_batch(r.port, "monitor regions", "disconnect")
    _, end = region_end(regions, "data")
    _crossing_write(sc, r, end - 8, end, unmapped=True)

    # The same with an injected write fault inside a mapped region.
    fault_at = 0x600108
    r2 = sc.start_remora(f"--fault=write:{fault_at:#x},0x10")
    regions = sc.gdb_batch(r2.port, "monitor regions", "disconnect")
    expect(rf"^fault write +(?:0x)?0*{fault_at:x}-", regions, "monitor regions lists the fault")
    _crossing_write(sc, r2, fault_at - 8, fault_at, unmapped=False)


def s05_interrupt_and_breakpoint(sc: Scenario) -> None:
    r = sc.start_remora()
    regions = sc.gdb_batch(r.port, "monitor regions", "disconnect")
    text_start, text_end = region_end(regions, "text")
    # Find the spin loop: the emulated CPU spins on `EB FE`; the default text is a NOP sled before it.
    g = sc.gdb_interactive()
    out = g.run(f"target remote 127.0.0.1:{r.port}")
    expect(r"0x[0-9a-f]+ in \?\? \(\)", out, "connected")
    out = g.run(f"find /b {text_start:#x}, {text_end - 1:#x}, 0xeb, 0xfe")
    spin = int(expect(r"^(0x[0-9a-f]+)$", out, "find jmp .").group(1), 16)
    g.run(f"set $pc = {text_start:#x}")

    # ^C of a continued target: SIGINT to gdb while `continue` waits, as a terminal would send.
    g.send("continue")
    g.wait_for(r"Continuing\.", 10)
    check(wait_until(lambda: re.search(r"-> (vCont;c\b|c$)", r.trace(), re.M) is not None, 10),
          "the resume packet never reached remora")
    time.sleep(0.3)  # let it spin
    check(g.proc.poll() is None, "gdb died")
    g.interrupt()
    g.wait_for(r"received signal SIGINT", 10)
    out = g.run("p/x $pc")
    expect(rf"^\$\d+ = {spin:#x}$", out, "stopped on the spin loop")
    # The interrupt byte is not a packet; the stop it caused is: T02 (SIGINT) after the resume.
    expect(r"-> vCont;c\S*\n(?:.*\n)*?\S+ <- T02", r.trace(), "remora answered the interrupt with T02")

    # A breakpoint in the NOP sled.
    bp = text_start + 0x100
    g.run(f"set $pc = {text_start:#x}")
    out = g.run(f"break *{bp:#x}")
    expect(rf"Breakpoint 1 at {bp:#x}", out, "breakpoint set")
    out = g.run("continue", timeout=15)
    expect(rf"Breakpoint 1, {bp:#018x} in \?\? \(\)", out, "stopped at the breakpoint")
    out = g.run("p/x $pc")
    expect(rf"^\$\d+ = {bp:#x}$", out, "pc at the breakpoint")
    # Continuing from it steps off and reaches the spin loop; interrupt again.
    g.run("delete")
    g.send("continue")
    g.wait_for(r"Continuing\.", 10)
    time.sleep(0.5)
    g.interrupt()
    g.wait_for(r"received signal SIGINT", 10)
    out = g.run("p/x $pc")
    expect(rf"^\$\d+ = {spin:#x}$", out, "stopped on the spin loop again")
    g.run("kill")
    check(g.quit() is not None, "gdb did not quit")


def s06_stepi_threads(sc: Scenario) -> None:
    r = sc.start_remora()
    out = sc.gdb_batch(r.port, "p/x $pc", "stepi", "p/x $pc", "stepi 3", "p/x $pc", "info threads")
    pcs = [int(v, 16) for v in re.findall(r"^\$\d+ = (0x[0-9a-f]+)$", out, re.M)]
    check(len(pcs) == 3, f"three pcs expected:\n{indent(out)}")
    check(pcs[1] == pcs[0] + 1, f"stepi: {pcs[0]:#x} -> {pcs[1]:#x}")
    check(pcs[2] == pcs[0] + 4, f"stepi 3: {pcs[0]:#x} -> {pcs[2]:#x}")
    threads = re.findall(r"^[* ] +\d+ +Thread ", out, re.M)
    check(len(threads) == 1, f"info threads lists {len(threads)} threads:\n{indent(out)}")
    # gdb shows the thread's name (qXfer:threads:read) between the id and the frame.
    expect(r"^\* 1 +Thread \S+(?: \"[^\"]*\")? +0x[0-9a-f]+ in \?\? \(\)", out, "the current thread")


def s07_reconnect(sc: Scenario) -> None:
    r = sc.start_remora()
    out = sc.gdb_batch(
        r.port, "set $rax = 0x5eed", "set $rbx = 0xfeedface", "set {int}0x600200 = 0xdeadbeef", "stepi",
        "p/x $pc", "disconnect",
        f"target remote 127.0.0.1:{r.port}", "p/x $rax", "p/x $rbx", "x/wx 0x600200", "p/x $pc", "disconnect")
    vals = re.findall(r"^\$\d+ = (0x[0-9a-f]+)$", out, re.M)
    check(len(vals) == 4, f"four values expected:\n{indent(out)}")
    pc = vals[0]
    check(vals[1:] == ["0x5eed", "0xfeedface", pc], f"after reconnect: {vals}")
    expect(r"^0x600200:\s+0xdeadbeef$", out, "memory after reconnect")
    check(r.alive(), "remora exited after a disconnect without --once")
    # A second gdb sees the same state.
    out = sc.gdb_batch(r.port, "p/x $rax", "x/wx 0x600200", "p/x $pc", "disconnect")
    vals = re.findall(r"^\$\d+ = (0x[0-9a-f]+)$", out, re.M)
    check(vals == ["0x5eed", pc], f"second gdb: {vals}\n{indent(out)}")
    expect(r"^0x600200:\s+0xdeadbeef$", out, "memory seen by a second gdb")
    # gdbserver's words, verbatim, then the port again.
    expect(r"^Remote side has terminated connection\.  GDBserver will reopen the connection\.\nListening on port ",
           r.stderr.text, "remora waits again")
    check(r.alive(), "remora still serves")


def s08_monitor(sc: Scenario) -> None:
    r = sc.start_remora()
    out = sc.gdb_batch(r.port, "monitor help", "monitor regions", "monitor stats", "monitor exit")
    for command in ("help", "exit", "stats", "regions", "fault"):
        expect(rf"^  {command}\s+\S", out, f"monitor help lists {command}")
    expect(r"^(?:0x)?0*400000-(?:0x)?0*410000 r-x text$", out, "monitor regions")
    expect(r"^packets in \d+, out \d+$", out, "monitor stats")
    rc = r.wait_exit(10)
    check(rc is not None, "remora still running 10 s after `monitor exit`")
    check(rc == 0, f"remora exited {rc} after `monitor exit`, expected 0\n{indent(r.stderr.text)}")


def s09_bad_command_line(sc: Scenario) -> None:
    p = sc.run_remora("--bogus", "127.0.0.1:0")
    check(p.returncode == 2, f"--bogus: exit {p.returncode}, expected 2\n{indent(p.stderr)}")
    expect(r"^remora: .*--bogus", p.stderr, "--bogus names the option")
    expect(r"Try 'remora --help'", p.stderr, "--bogus points at --help")
    check(p.stdout == "", f"nothing on stdout: {p.stdout!r}")
    p = sc.run_remora()
    check(p.returncode == 2, f"no COMM: exit {p.returncode}, expected 2\n{indent(p.stderr)}")
    expect(r"COMM", p.stderr, "missing COMM is named")

    # A port in use.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        p = sc.run_remora(f":{port}")
        check(p.returncode != 0, f"port in use: exit 0\n{indent(p.stderr)}")
        expect(r"^Can't bind address: Address already in use\.$", p.stderr, "port in use")

    # A second client while one is connected is refused; the first keeps working.
    r = sc.start_remora()
    g = sc.gdb_interactive()
    out = g.run(f"target remote 127.0.0.1:{r.port}")
    expect(r"0x[0-9a-f]+ in \?\? \(\)", out, "first gdb connected")
    g.run("set $rax = 0x77")
    second = sc.gdb_batch(r.port, "p/x $rax", timeout=20)
    expect(r"Remote connection closed|Connection reset by peer|Remote communication error|"
           r"Ignoring packet error|Connection timed out", second, "the second gdb is refused")
    reject(r"^\$1 = ", second, "the second gdb got no registers")
    expect(r"refused a second client from 127\.0\.0\.1:\d+", r.stderr.text, "remora says why")
    out = g.run("p/x $rax")
    expect(r"^\$\d+ = 0x77$", out, "the first gdb keeps working")
    out = g.run("stepi")
    reject(r"Remote connection closed|error", out, "first gdb can still step")
    g.run("kill")
    check(g.quit() is not None, "gdb did not quit")


def s10_once(sc: Scenario) -> None:
    r = sc.start_remora("--once")
    out = sc.gdb_batch(r.port, "p/x $rsp", "disconnect")
    expect(r"^\$1 = 0x[0-9a-f]+$", out, "connected")
    rc = r.wait_exit(10)
    check(rc is not None, "--once: remora still running 10 s after the client disconnected")
    check(rc == 0, f"--once: exit {rc}, expected 0\n{indent(r.stderr.text)}")


SCENARIOS: dict[str, Callable[[Scenario], None]] = {
    "registers": s01_registers,
    "memory_words": s02_memory_words,
    "restore_dump_1mib": s03_restore_dump_1mib,
    "crossing_write": s04_crossing_write,
    "interrupt_breakpoint": s05_interrupt_and_breakpoint,
    "stepi_threads": s06_stepi_threads,
    "reconnect": s07_reconnect,
    "monitor": s08_monitor,
    "bad_command_line": s09_bad_command_line,
    "once": s10_once,
}


class BudgetExceeded(Exception):
    pass


def run_one(name: str, remora: str, workdir: Path, programs: str | None = None) -> bool:
    sc = Scenario(name, remora, workdir)
    sc.programs = Path(programs).resolve() if programs else None

    def on_alarm(signum, frame):
        raise BudgetExceeded(f"scenario exceeded its {SCENARIO_BUDGET}s budget")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(SCENARIO_BUDGET)
    started = time.monotonic()
    ok = False
    try:
        SCENARIOS[name](sc)
        ok = True
    except Failure as e:
        print(f"FAIL {name}: {e}")
    except BaseException:  # noqa: BLE001 - report anything, then clean up
        print(f"FAIL {name}: unexpected exception\n{traceback.format_exc()}")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        sc.close()
    if not ok:
        sc.dump_logs()
    print(f"{'PASS' if ok else 'FAIL'} {name} ({time.monotonic() - started:.1f}s; logs in {sc.dir})")
    return ok


def scenario_main(doc: str, scenarios: dict, tools: tuple[str, ...] = (GDB,),
                  needs_programs: bool = False) -> int:
    """The command line every scenario script shares: --remora, --workdir, --programs, --list and
    scenario names. A missing client tool is a failure (CI installs them), never a skip."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--remora", help="path to the remora executable")
    ap.add_argument("--workdir", help="directory for logs and scratch files")
    ap.add_argument("--programs", help="directory of the built test programs")
    ap.add_argument("--list", action="store_true", help="list the scenarios")
    ap.add_argument("scenarios", nargs="*", help="scenario names (default: all)")
    args = ap.parse_args()
    if args.list:
        print("\n".join(scenarios))
        return 0
    if not args.remora or not args.workdir or (needs_programs and not args.programs):
        ap.error("--remora and --workdir are required" + (" (and --programs)" if needs_programs else ""))
    unknown = [s for s in args.scenarios if s not in scenarios]
    if unknown:
        ap.error(f"unknown scenario(s): {', '.join(unknown)}; try --list")
    for tool in tools:
        if shutil.which(tool) is None:
            print(f"FATAL: {tool} not found on PATH: these tests need the real program (cmake/dev.sh test installs it)")
            return 1
    if not os.access(args.remora, os.X_OK):
        print(f"FATAL: remora executable not found: {args.remora}")
        return 1
    SCENARIOS.update(scenarios)  # run_one looks scenarios up in this module's table
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    results = [run_one(name, os.path.abspath(args.remora), workdir, args.programs)
               for name in (args.scenarios or scenarios)]
    return 0 if all(results) else 1


def main() -> int:
    # The ptrace scenarios live in their own modules, which import this one by name.
    sys.dont_write_bytecode = True  # no __pycache__ in the source tree
    sys.modules.setdefault("harness", sys.modules[__name__])
    import ptrace_features  # noqa: E402 - after the alias above
    import ptrace_scenarios  # noqa: E402
    scenarios = dict(SCENARIOS)
    scenarios.update(ptrace_scenarios.SCENARIOS)
    scenarios.update(ptrace_features.SCENARIOS)
    return scenario_main(__doc__, scenarios)


if __name__ == "__main__":
    sys.exit(main())
