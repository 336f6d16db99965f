#!/usr/bin/env python3
"""End-to-end tests: gdb/MI as an IDE drives it (VS Code cpptools), against remora on ptrace.

    mi_scenarios.py --remora PATH --workdir DIR --programs DIR SCENARIO [SCENARIO...]
    mi_scenarios.py --list

cpptools cannot be installed here, so a small asynchronous MI client replays what cpptools
(microsoft/MIEngine) sends for a `miDebuggerServerAddress` launch: `-gdb-set target-async on`, the
launch.json `setupCommands` (`-enable-pretty-printing`), `-interpreter-exec console "set pagination
off"`, `-file-exec-and-symbols`, `show architecture`, its entry breakpoint `-break-insert main`,
`-target-select remote ADDR`, then `-exec-continue` (a remote launch is already running, so never
`-exec-run`). The client reads gdb's records on a thread, as an IDE does, so `-exec-interrupt` is
sent while the target runs. Every wait is bounded. The program (programs/ide.c) prints what the
debugger wrote. Built on harness.py; gdb missing is a failure, never a skip.
"""
from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
from harness import Failure, Scenario, check, expect, indent, wait_until  # noqa: E402
from ptrace_scenarios import line_of, prog, remora_exits  # noqa: E402

SOURCE = "ide.c"


# --- MI output syntax (gdb manual, "GDB/MI Output Syntax") ---------------------------------------

def _cstring(text: str, i: int) -> tuple[str, int]:
    """Decodes the C string starting at text[i] == '"'; returns (value, index after it)."""
    out: list[str] = []
    i += 1
    escapes = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "e": "\x1b"}
    while text[i] != '"':
        c = text[i]
        if c == "\\":
            n = text[i + 1]
            if n in "01234567":
                digits = re.match(r"[0-7]{1,3}", text[i + 1:]).group(0)
                out.append(chr(int(digits, 8)))
                i += 1 + len(digits)
                continue
            out.append(escapes.get(n, n))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out), i + 1


def _value(text: str, i: int):
    """value ::= const | tuple | list. Tuples become dicts; lists of results drop the names
    (`stack=[frame={...},frame={...}]` becomes a list of dicts)."""
    if text[i] == '"':
        return _cstring(text, i)
    close = "}" if text[i] == "{" else "]"
    items: list = []
    named: dict = {}
    i += 1
    while text[i] != close:
        m = re.match(r"([\w.-]+)=", text[i:])
        if m:
            v, i = _value(text, i + m.end())
            named[m.group(1)] = v
            items.append(v)
        else:
            v, i = _value(text, i)
            items.append(v)
        if text[i] == ",":
            i += 1
    return (named if close == "}" else items), i + 1


def parse_results(text: str) -> dict:
    """The `,name=value,...` tail of a result or async record."""
    return _value("{" + text.lstrip(",") + "}", 0)[0] if text else {}


class Record:
    def __init__(self, line: str):
        self.line = line
        m = re.match(r"^(\d*)([\^*=~&@])(.*)$", line)
        self.token = m.group(1) if m else ""
        self.kind = m.group(2) if m else ""
        rest = m.group(3) if m else line
        if not m:  # not an MI record (gdb's own stderr, say): keep the line only
            self.cls, self.data, self.text = "", {}, line
        elif self.kind in ("~", "&", "@"):
            self.cls, self.data, self.text = "", {}, _cstring(rest, 0)[0] if rest.startswith('"') else rest
        else:
            cls = re.match(r"^[\w-]*", rest).group(0)
            self.cls, self.data, self.text = cls, parse_results(rest[len(cls):]), ""


class MiSession:
    """gdb --interpreter=mi3 over pipes; a thread collects its records."""

    def __init__(self, sc: Scenario, interpreter: str = "mi3", log_name: str = "gdb-mi"):
        log = sc._log(log_name)
        self.proc = sc.popen([harness.GDB, "-nx", "-q", f"--interpreter={interpreter}"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=sc.dir)
        self.records: list[Record] = []
        self._cond = threading.Condition()
        self._closed = False
        self._log = open(log, "w", encoding="utf-8", errors="replace")
        self._token = 100
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", errors="replace").rstrip()
            with self._cond:
                self._log.write(line + "\n")
                self._log.flush()
                if line == "(gdb)" or not line:
                    continue
                try:
                    rec = Record(line)
                except (IndexError, AttributeError):  # a record this parser cannot read fails the wait
                    rec = Record("&" + f'"unparsable MI record: {line!r}"'.replace("\\", "/"))
                self.records.append(rec)
                self._cond.notify_all()
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._log.close()

    def mark(self) -> int:
        with self._cond:
            return len(self.records)

    def transcript(self, start: int = 0) -> str:
        with self._cond:
            return "\n".join(r.line for r in self.records[start:])

    def wait(self, match, timeout: float, start: int, what: str) -> Record:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for rec in self.records[start:]:
                    if match(rec):
                        return rec
                left = deadline - time.monotonic()
                if self._closed or left <= 0:
                    break
                self._cond.wait(left)
        raise Failure(f"gdb/MI: no {what} within {timeout}s:\n{indent(self.transcript(start))}")

    def send(self, command: str) -> str:
        self._token += 1
        with self._cond:
            self._log.write(f"-> {self._token}{command}\n")
        self.proc.stdin.write(f"{self._token}{command}\n".encode())
        self.proc.stdin.flush()
        return str(self._token)

    def cmd(self, command: str, expect_cls: str | tuple = "done", timeout: float = 15) -> Record:
        """Sends a command, waits for its result record (by token) and checks its class."""
        start = self.mark()
        token = self.send(command)
        rec = self.wait(lambda r: r.kind == "^" and r.token == token, timeout, start, f"result for `{command}`")
        allowed = (expect_cls,) if isinstance(expect_cls, str) else expect_cls
        check(rec.cls in allowed, f"`{command}` answered ^{rec.cls}, expected {allowed}: {rec.line}")
        return rec

    def run(self, command: str, reason: str, timeout: float = 15) -> Record:
        """An execution command: ^running, then the *stopped record (checked against `reason`)."""
        start = self.mark()
        self.cmd(command, "running", timeout)
        rec = self.wait(lambda r: r.kind == "*" and r.cls == "stopped", timeout, start, f"*stopped after `{command}`")
        check(re.fullmatch(reason, rec.data.get("reason", "")) is not None,
              f"`{command}` stopped with reason {rec.data.get('reason')!r}, expected /{reason}/: {rec.line}")
        return rec

    def quit(self, timeout: float = 10) -> int | None:
        return harness.quit_interactive(self.proc, lambda: self.send("-gdb-exit"), timeout)


def cpptools_connect(sc: Scenario, mi: MiSession, port: int, remote: str = "remote") -> None:
    """What MIEngine sends for a launch with miDebuggerServerAddress, in its order."""
    mi.cmd("-gdb-set target-async on")
    mi.cmd("-enable-pretty-printing")
    mi.cmd('-interpreter-exec console "set pagination off"')
    mi.cmd(f"-file-exec-and-symbols {prog(sc, 'ide')}")
    mi.cmd('-interpreter-exec console "show architecture"')
    bp = mi.cmd("-break-insert main").data["bkpt"]
    check(bp["number"] == "1" and bp["func"] == "main", f"entry breakpoint: {bp}")
    mi.cmd(f"-target-select {remote} 127.0.0.1:{port}", "connected", timeout=20)


def frame_of(rec: Record) -> dict:
    return rec.data.get("frame", {})


def check_frame(frame: dict, func: str, line: int | None, what: str) -> None:
    check(frame.get("func") == func and (line is None or frame.get("line") == str(line)),
          f"{what}: expected {func}:{line}, got {frame}")


def no_error_records(mi: MiSession) -> None:
    bad = [r.line for r in mi.records if r.kind == "&" and re.search(r"Remote|internal-error", r.text)]
    check(not bad, "gdb logged remote errors:\n" + indent("\n".join(bad)))


# --- scenarios -----------------------------------------------------------------------------

def s_mi_cpptools_remote(sc: Scenario) -> None:
    """The cpptools launch, then stepping, stack and variables, writes, a crossing write and an
    asynchronous interrupt; the program's output proves every write."""
    r = sc.start_remora(program=[prog(sc, "ide")])
    call, body, printed = (line_of(SOURCE, m) for m in ("LINE_CALL", "LINE_ADD_BODY", "LINE_PRINT"))
    mi = MiSession(sc)
    cpptools_connect(sc, mi, r.port)
    # The IDE's breakpoints are bound after the connection, with -f (pending allowed).
    bp = mi.cmd(f"-break-insert -f {SOURCE}:{call}").data["bkpt"]
    check(bp["line"] == str(call), f"breakpoint on line {call}: {bp}")
    stop = mi.run("-exec-continue", "breakpoint-hit")
    check(stop.data.get("bkptno") == "1", f"the entry breakpoint first: {stop.line}")
    mi.cmd("-break-delete 1")
    stop = mi.run("-exec-continue", "breakpoint-hit")
    check_frame(frame_of(stop), "main", call, "-exec-continue to the line breakpoint")
    check_frame(frame_of(mi.run("-exec-step", "end-stepping-range")), "add", body, "-exec-step into add")
    frames = mi.cmd("-stack-list-frames").data["stack"]
    check([f.get("func") for f in frames] == ["add", "main"], f"-stack-list-frames: {frames}")
    check_frame(frames[1], "main", call, "the caller's frame")
    args = {v["name"]: v["value"] for v in mi.cmd("-stack-list-variables --simple-values").data["variables"]}
    check(args.get("a") == "5" and args.get("b") == "2", f"add's arguments: {args}")
    stop = mi.run("-exec-finish", "function-finished")
    check(stop.data.get("return-value") == "7", f"-exec-finish returns 7: {stop.line}")
    check_frame(frame_of(mi.run("-exec-next", "end-stepping-range")), "main", printed, "-exec-next")
    threads = mi.cmd("-thread-info").data
    check(len(threads["threads"]) == 1 and threads.get("current-thread-id") == "1", f"-thread-info: {threads}")
    t = threads["threads"][0]
    pid = expect(r"created; pid = (\d+)$", r.stderr.text, "the launched pid").group(1)
    check(t["target-id"] == f"Thread {pid}.{pid}" and t["state"] == "stopped", f"-thread-info's thread: {t}")
    check_frame(t["frame"], "main", printed, "-thread-info's frame")
    local = {v["name"]: v["value"] for v in mi.cmd("-stack-list-variables --simple-values").data["variables"]}
    check(local == {"local": "7"}, f"main's locals: {local}")
    # Watch-window edits: a stack slot and a global, written through the var objects.
    check(mi.cmd("-var-create - * local").data["value"] == "7", "var-create local")
    check(mi.cmd("-var-assign var1 42").data["value"] == "42", "var-assign local")
    mi.cmd("-var-create - * counter")
    check(mi.cmd("-var-assign var2 99").data["value"] == "99", "var-assign counter")
    mi.cmd("-break-insert crossing_ready")
    check_frame(frame_of(mi.run("-exec-continue", "breakpoint-hit")), "crossing_ready", None, "crossing_ready")
    check(wait_until(lambda: "local=42 counter=99\n" in r.output(), 5),
          f"the program prints the written values:\n{indent(r.output())}")
    crossing_write(sc, mi, r)
    interrupt_and_release(mi, r)
    check(mi.quit() is not None, "gdb did not exit after -gdb-exit")
    no_error_records(mi)
    remora_exits(r)


def crossing_write(sc: Scenario, mi: MiSession, r: harness.Remora) -> None:
    edge = int(expect(r"^(0x[0-9a-f]+)", mi.cmd("-data-evaluate-expression edge").data["value"], "edge").group(1), 16)
    check(edge % 4096 == 4096 - 8, f"edge {edge:#x} is 8 bytes before a page end")
    mem = mi.cmd(f"-data-read-memory-bytes {edge:#x} 8").data["memory"]
    check(mem[0]["contents"] == "aa" * 8, f"-data-read-memory-bytes before: {mem}")
    data = "".join(f"{b:02x}" for b in range(0x11, 0x21))
    err = mi.cmd(f"-data-write-memory-bytes {edge:#x} {data}", "error").data["msg"]
    # gdb names the start of the failed write; remora wrote the prefix and named the boundary.
    expect(rf"^Cannot access memory at address {edge:#x}$", err, "the crossing write's ^error")
    mem = mi.cmd(f"-data-read-memory-bytes {edge:#x} 8").data["memory"]
    check(mem[0]["contents"] == data[:16], f"the 8-byte prefix stayed written: {mem}")
    mi.cmd(f"-data-read-memory-bytes {edge + 8:#x} 1", "error")
    expect(rf"^\S+ remora: memory write stopped at {edge + 8:#x} after 8 of 16 bytes from {edge:#x}", r.trace(),
           "remora's trace names the fault boundary")


def interrupt_and_release(mi: MiSession, r: harness.Remora) -> None:
    """-exec-interrupt while the program waits (as the IDE's pause button), then release it."""
    mi.cmd("-exec-continue", "running")
    check(wait_until(lambda: "\nwaiting\n" in r.output(), 10), f"the program never waits:\n{indent(r.output())}")
    expect(r"^edge 11 12 13 14 15 16 17 18$", r.output(), "the program sees the written prefix")
    start = mi.mark()
    mi.cmd("-exec-interrupt")
    stop = mi.wait(lambda x: x.kind == "*" and x.cls == "stopped", 10, start, "*stopped after -exec-interrupt")
    check(stop.data.get("reason") == "signal-received" and stop.data.get("signal-name") == "SIGINT",
          f"interrupted by SIGINT: {stop.line}")
    check("released" not in r.output(), "the program was not released yet")
    mi.cmd("-var-create - * release_flag")
    check(mi.cmd("-var-assign var3 1").data["value"] == "1", "var-assign release_flag")
    mi.run("-exec-continue", "exited-normally")
    check(wait_until(lambda: "released 1\n" in r.output(), 5), f"the program was released:\n{indent(r.output())}")


def s_mi_extended_detach(sc: Scenario) -> None:
    """`-target-select extended-remote`, a breakpoint, writes, then -target-detach: the program
    runs on untraced and prints what was written. With --multi, as gdbserver --multi, the link
    stays up after the detach (without it remora answers `!` empty and closes the link after `D`,
    which gdb reports as "warning: cannot close ...: Remote connection closed")."""
    r = sc.start_remora("--multi", program=[prog(sc, "ide")])
    printed = line_of(SOURCE, "LINE_PRINT")
    mi = MiSession(sc)
    cpptools_connect(sc, mi, r.port, remote="extended-remote")
    mi.cmd("-break-delete 1")
    mi.cmd(f"-break-insert -f {SOURCE}:{printed}")
    check_frame(frame_of(mi.run("-exec-continue", "breakpoint-hit")), "main", printed, "breakpoint")
    threads = mi.cmd("-thread-info").data["threads"]
    check(len(threads) == 1 and threads[0]["state"] == "stopped", f"-thread-info: {threads}")
    pid = int(expect(r"^Thread (\d+)\.\d+$", threads[0]["target-id"], "thread's target-id").group(1))
    mi.cmd("-var-create - * counter")
    mi.cmd("-var-assign var1 77")
    mi.cmd("-var-create - * release_flag")
    mi.cmd("-var-assign var2 1")
    mi.cmd("-break-delete")
    mi.cmd("-target-detach")
    check(wait_until(lambda: "released 1\n" in r.output(), 10),
          f"the detached program ran to its end with the written values:\n{indent(r.output())}")
    expect(r"^local=7 counter=77$", r.output(), "the program printed the written counter")
    check(not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
          or "TracerPid:\t0" in Path(f"/proc/{pid}/status").read_text(), "the program is no longer traced")
    # Still connected after the detach: gdb can ask the (now process-less) target things.
    inferiors = mi.cmd("-list-thread-groups").data["groups"]
    check(len(inferiors) == 1 and "pid" not in inferiors[0], f"no process after the detach: {inferiors}")
    check(mi.quit() is not None, "gdb did not exit after -gdb-exit")
    no_error_records(mi)
    check(wait_until(lambda: "GDBserver will reopen the connection" in r.stderr.text, 5) and r.alive(),
          f"remora --multi waits for the next client:\n{indent(r.stderr.text)}")


SCENARIOS = {
    "mi_cpptools_remote": s_mi_cpptools_remote,
    "mi_extended_detach": s_mi_extended_detach,
}


def main() -> int:
    return harness.scenario_main(__doc__, SCENARIOS, tools=(harness.GDB,), needs_programs=True)


if __name__ == "__main__":
    sys.exit(main())
