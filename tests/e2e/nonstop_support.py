"""Helpers of nonstop_scenarios.py (issue #10): the stub under test (remora, or gdbserver 13 as
the reference), gdb's CLI in non-stop mode with its asynchronous output, gdb/MI on mi2 as Eclipse
CDT starts it, and the counters of programs/nonstop.c read through memory while threads run."""
from __future__ import annotations

import re
import subprocess
import time
from typing import Callable

import harness
from harness import Failure, Reader, Remora, Scenario, check, expect, indent, reject, wait_until
from mi_scenarios import MiSession, Record
from ptrace_scenarios import prog, remora_exits

STUB = "remora"  # or "gdbserver" (--stub): the reference these scenarios were written against
PROGRAM = "nonstop"
WORKERS = ("worker0", "worker1", "worker2", "worker3")
ALL = ("nonstop",) + WORKERS  # gdb lists main under the program's name
LOST = r"Remote connection closed|Remote communication error|internal-error"


class Gdbserver(Remora):
    """gdbserver 13 launching the program; its --remote-debug packet log is its stderr."""

    def trace(self) -> str:
        return self.stderr.text


def start_stub(sc: Scenario, *remora_options: str) -> Remora:
    program = prog(sc, PROGRAM)
    if STUB == "remora":
        return sc.start_remora(*remora_options, program=[program])
    err, out_path = sc._log("gdbserver-stderr"), sc._log("gdbserver-stdout")
    with open(out_path, "wb") as out:
        proc = sc.popen(["gdbserver", "--remote-debug", "127.0.0.1:0", program], stdin=subprocess.DEVNULL,
                        stdout=out, stderr=subprocess.PIPE)
    g = Gdbserver(proc, Reader(proc.stderr, err), None, proc.args)
    g.stdout_path = out_path
    m = g.stderr.wait_for(r"^Listening on port (\d+)$", 10)
    check(m is not None, f"gdbserver did not announce its port:\n{indent(g.stderr.text)}")
    g.port = int(m.group(1))
    return g


def stub_exits(r: Remora) -> None:
    if STUB == "remora":
        remora_exits(r)
    else:
        check(r.wait_exit(10) is not None, "gdbserver still running 10 s after its process ended")


# --- the CLI -----------------------------------------------------------------------------------

class Cli:
    """An interactive gdb in non-stop mode; `mark()` + `event()` find asynchronous output."""

    def __init__(self, sc: Scenario, r: Remora, at_entry: bool = True):
        self.g = sc.gdb_interactive(file=prog(sc, PROGRAM))
        self.run("maint set internal-error corefile no")  # a gdb crash is reported, not a 50 MB core
        self.run("set non-stop on")
        out = self.run(f"target remote 127.0.0.1:{r.port}", timeout=30)
        if at_entry:
            expect(r"^0x[0-9a-f]+ in _start \(\)", out, "connected, stopped at the entry point")
        reject(f"Remote failure reply|{LOST}", out, "clean connection")

    def run(self, command: str, timeout: float = 15) -> str:
        try:
            return self.g.run(command, timeout)
        except Failure as e:
            if self.g.out.closed:  # say so: the default message blames a timeout that never ran out
                raise Failure(f"gdb died during `{command}` (exit {self.g.proc.wait(5)}): {e}") from None
            raise

    def mark(self) -> int:
        return len(self.g.out.text)

    @staticmethod
    def _at_line_start(pattern: str) -> str:
        # gdb prints asynchronous output right after its prompt when stdin is a pipe.
        return re.sub(r"^\^", r"^(?:\\(gdb\\) )*", pattern)

    def event(self, pattern: str, start: int, timeout: float = 15) -> re.Match:
        # A lost link or a gdb crash ends the wait at once (the transcript says which).
        pattern = self._at_line_start(pattern)
        m = self.g.out.wait_for(f"(?:{pattern})|(?P<lost>{LOST})", timeout, start)
        if not m or m.group("lost"):
            what = "lost the stub while waiting for" if m else "never printed"
            raise Failure(f"gdb {what} /{pattern}/ within {timeout}s:\n{indent(self.g.out.text[start:])}")
        return m

    def events(self, pattern: str, start: int) -> list[re.Match]:
        return list(re.finditer(self._at_line_start(pattern), self.g.out.text[start:], re.M))

    def counters(self) -> list[int]:
        out = self.run("print counters")
        m = expect(r"^\$\d+ = \{(\d+), (\d+), (\d+), (\d+)\}$", out, "print counters")
        return [int(v) for v in m.groups()]

    def threads(self) -> dict[str, tuple[int, bool]]:
        """`info threads` as {name: (gdb id, running?)}."""
        out = self.run("info threads")
        rows = re.findall(r'^[* ] +(\d+) +Thread \d+\.\d+ "(\w+)" (\(running\))?', out, re.M)
        return {name: (int(n), bool(running)) for n, name, running in rows}

    def all_stopped(self, names: tuple[str, ...], timeout: float = 10) -> dict[str, int]:
        """Waits until gdb lists exactly these threads (program name for main), none running."""
        seen: dict = {}

        def done() -> bool:
            nonlocal seen
            seen = self.threads()
            return set(seen) == set(names) and not any(running for _, running in seen.values())
        check(wait_until(done, timeout, 0.2), f"not every thread stopped within {timeout}s: {seen}\n"
                                              f"{indent(self.g.out.text[-4000:])}")
        return {name: n for name, (n, _) in seen.items()}

    def quit(self) -> None:
        check(self.g.quit() is not None, "gdb did not quit")
        reject(f"Remote failure reply|{LOST}", self.g.out.text, "gdb talked to the stub cleanly")


def counters_moved(read: Callable[[], list[int]], running: set[int], before: list[int] | None = None,
                   pause: float = 0.3, timeout: float = 5) -> list[int]:
    """Reads the counters (through memory reads) twice or more: every running worker's counter
    must move (read again, up to `timeout`, on a loaded machine), every stopped one's must not."""
    before = read() if before is None else before
    time.sleep(pause)
    deadline = time.monotonic() + timeout
    after = read()
    while not all(after[i] > before[i] for i in running) and time.monotonic() < deadline:
        time.sleep(0.2)
        after = read()
    for i in range(len(WORKERS)):
        if i in running:
            check(after[i] > before[i], f"worker{i} runs but its counter did not move: {before} -> {after}")
        else:
            check(after[i] == before[i], f"worker{i} is stopped but its counter moved: {before} -> {after}")
    return after


def sample(cli: Cli, running: set[int]) -> None:
    counters_moved(cli.counters, running)


# --- MI ------------------------------------------------------------------------------------------

class CdtMi(MiSession):
    """MiSession (mi_scenarios.py) on `--interpreter=mi2`, the interpreter CDT starts gdb with."""

    def __init__(self, sc: Scenario):
        super().__init__(sc, interpreter="mi2", log_name="gdb-mi2")

    def async_records(self, cls: str, start: int) -> list[Record]:
        with self._cond:
            return [r for r in self.records[start:] if r.kind == "*" and r.cls == cls]

    def stopped(self, thread: str, start: int, reason: str, timeout: float = 15) -> Record:
        rec = self.wait(lambda r: r.kind == "*" and r.cls == "stopped" and r.data.get("thread-id") == thread,
                        timeout, start, f"*stopped,thread-id=\"{thread}\"")
        check(rec.data.get("reason") == reason and rec.data.get("stopped-threads") == [thread],
              f"thread {thread} stopped alone, reason {reason}: {rec.line}")
        return rec

    def running(self, thread: str, start: int, timeout: float = 15) -> Record:
        return self.wait(lambda r: r.kind == "*" and r.cls == "running" and r.data.get("thread-id") == thread,
                         timeout, start, f"*running,thread-id=\"{thread}\"")

    def threads(self) -> dict[str, tuple[str, str]]:
        """-thread-info as {name: (id, state)}."""
        return {t.get("name", ""): (t["id"], t["state"]) for t in self.cmd("-thread-info").data["threads"]}

    def counters(self, thread: str) -> list[int]:
        value = self.cmd(f"-data-evaluate-expression --thread {thread} counters").data["value"]
        return [int(v) for v in expect(r"^\{(\d+), (\d+), (\d+), (\d+)\}$", value, "counters").groups()]
