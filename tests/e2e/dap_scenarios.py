#!/usr/bin/env python3
"""End-to-end tests: a DAP session (as VS Code drives lldb-dap / CodeLLDB) through lldb-vscode-16,
attached to remora on ptrace with `gdb-remote 127.0.0.1:PORT`.

    dap_scenarios.py --remora PATH --workdir DIR --programs DIR SCENARIO [SCENARIO...]
    dap_scenarios.py --list

A small DAP client (Content-Length framed JSON over the adapter's stdin/stdout, read on a thread)
sends what VS Code sends: initialize, attach (`program` for symbols, `attachCommands` with
`gdb-remote`), setBreakpoints, configurationDone, then threads, stackTrace, scopes, variables,
setVariable, evaluate, continue, pause, continue to the exit, disconnect. Every wait is bounded.
The program (programs/ide.c) prints what the debugger wrote. Built on harness.py; a missing
lldb-vscode-16 is a failure, never a skip.
"""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
from harness import Failure, Scenario, check, expect, indent, wait_until  # noqa: E402
from ptrace_scenarios import SOURCES, line_of, prog, remora_exits  # noqa: E402

ADAPTER = "lldb-vscode-16"  # LLVM 16's name for lldb-dap
SOURCE = "ide.c"


class DapSession:
    """The adapter over pipes; a thread collects its messages (responses and events)."""

    def __init__(self, sc: Scenario):
        self.log_path = sc._log("dap")
        self.proc = sc.popen([ADAPTER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=open(sc._log("dap-stderr"), "wb"), cwd=sc.dir)
        self.messages: list[dict] = []
        self._cond = threading.Condition()
        self._closed = False
        self._seq = 0
        self._log = open(self.log_path, "w", encoding="utf-8", errors="replace")
        threading.Thread(target=self._read, daemon=True).start()

    def _read_one(self) -> dict | None:
        length = None
        while True:  # headers, up to the blank line
            line = self.proc.stdout.readline()
            if not line:
                return None
            line = line.strip()
            if not line:
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        if length is None:
            return {"type": "garbage", "text": "a DAP message without Content-Length"}
        body = self.proc.stdout.read(length)
        return json.loads(body) if len(body) == length else None

    def _read(self) -> None:
        while True:
            try:
                msg = self._read_one()
            except (OSError, ValueError) as e:
                msg = {"type": "garbage", "text": repr(e)}
            with self._cond:
                if msg is None:
                    self._closed = True
                    self._cond.notify_all()
                    break
                self._log.write("<- " + json.dumps(msg) + "\n")
                self._log.flush()
                self.messages.append(msg)
                self._cond.notify_all()
        self._log.close()

    def mark(self) -> int:
        with self._cond:
            return len(self.messages)

    def transcript(self, start: int = 0) -> str:
        with self._cond:
            return "\n".join(json.dumps(m)[:400] for m in self.messages[start:])

    def wait(self, match, timeout: float, start: int, what: str) -> dict:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for msg in self.messages[start:]:
                    if match(msg):
                        return msg
                left = deadline - time.monotonic()
                if self._closed or left <= 0:
                    break
                self._cond.wait(left)
        raise Failure(f"DAP: no {what} within {timeout}s:\n{indent(self.transcript(start))}")

    def event(self, name: str, start: int, timeout: float = 15) -> dict:
        return self.wait(lambda m: m.get("type") == "event" and m.get("event") == name, timeout, start,
                         f"`{name}` event")

    def send(self, command: str, arguments: dict | None = None) -> int:
        self._seq += 1
        msg = {"seq": self._seq, "type": "request", "command": command}
        if arguments is not None:
            msg["arguments"] = arguments
        body = json.dumps(msg).encode()
        with self._cond:
            self._log.write("-> " + json.dumps(msg) + "\n")
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()
        return self._seq

    def request(self, command: str, arguments: dict | None = None, timeout: float = 15,
                success: bool = True) -> dict:
        """Sends a request and waits for its response; checks `success`; returns its body."""
        start = self.mark()
        seq = self.send(command, arguments)
        resp = self.wait(lambda m: m.get("type") == "response" and m.get("request_seq") == seq, timeout, start,
                         f"response to `{command}`")
        check(resp.get("success") is success,
              f"`{command}` answered success={resp.get('success')}, expected {success}: {json.dumps(resp)[:800]}")
        return resp.get("body") or {}

    def output(self) -> str:
        """The adapter's `output` events (console text: lldb's command output, errors)."""
        with self._cond:
            return "".join(m.get("body", {}).get("output", "") for m in self.messages
                           if m.get("type") == "event" and m.get("event") == "output")

    def wait_exit(self, timeout: float) -> int | None:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None


def variables_of(dap: DapSession, reference: int) -> dict[str, dict]:
    return {v["name"]: v for v in dap.request("variables", {"variablesReference": reference})["variables"]}


def scopes_of(dap: DapSession, frame_id: int) -> dict[str, int]:
    return {s["name"]: s["variablesReference"] for s in dap.request("scopes", {"frameId": frame_id})["scopes"]}


def SYNC_CONNECT(port: int) -> list[str]:
    """lldb-vscode-16 runs attachCommands asynchronously and then polls the process state; until
    its event thread has taken the connect's stop event the state still reads "unloaded", and it
    fails the attach with "process unloaded during launch or attach" (about 3 runs in 8 here, with
    lldb-server-16 as well as with remora). Connecting synchronously closes that window."""
    return ["script lldb.debugger.SetAsync(False)", f"gdb-remote 127.0.0.1:{port}",
            "script lldb.debugger.SetAsync(True)"]


def dap_attach(sc: Scenario, dap: DapSession, port: int) -> None:
    """initialize, then attach the way a CodeLLDB / lldb-dap launch.json does for a gdb-remote
    target: `program` gives the symbols, `attachCommands` connect (lldb-vscode-16 then waits,
    up to `timeout`, for the process to be stopped)."""
    caps = dap.request("initialize", {"clientID": "vscode", "clientName": "Visual Studio Code",
                                      "adapterID": "lldb-vscode", "pathFormat": "path", "linesStartAt1": True,
                                      "columnsStartAt1": True, "supportsVariableType": True,
                                      "supportsRunInTerminalRequest": False, "locale": "en-us"})
    check(caps.get("supportsConfigurationDoneRequest") is True, f"initialize capabilities: {caps}")
    start = dap.mark()
    packets = sc.path("lldb-packets.log")
    sc.logs.append(packets)
    dap.request("attach", {"program": prog(sc, "ide"), "timeout": 20,
                           "initCommands": [f"log enable -f {packets} gdb-remote packets"],
                           "attachCommands": SYNC_CONNECT(port)}, timeout=30)
    dap.event("initialized", start)


def stopped(dap: DapSession, start: int, reason: str, timeout: float = 15) -> dict:
    body = dap.event("stopped", start, timeout)["body"]
    check(body.get("reason") == reason, f"stopped for {body.get('reason')!r}, expected {reason!r}: {body}")
    return body


def s_dap_lldb_vscode(sc: Scenario) -> None:
    r = sc.start_remora(program=[prog(sc, "ide")])
    printed = line_of(SOURCE, "LINE_PRINT")
    dap = DapSession(sc)
    dap_attach(sc, dap, r.port)
    bps = dap.request("setBreakpoints", {"source": {"name": SOURCE, "path": str(SOURCES / SOURCE)},
                                         "breakpoints": [{"line": printed}], "sourceModified": False})["breakpoints"]
    check(len(bps) == 1 and bps[0].get("verified") is True and bps[0].get("line") == printed,
          f"setBreakpoints: {bps}")
    start = dap.mark()
    dap.request("configurationDone")  # not stopOnEntry: the adapter continues the process
    tid = stopped(dap, start, "breakpoint")["threadId"]
    threads = dap.request("threads")["threads"]
    check([t["id"] for t in threads] == [tid], f"threads: {threads}")
    frames = dap.request("stackTrace", {"threadId": tid, "startFrame": 0, "levels": 20})["stackFrames"]
    check(frames[0]["name"].startswith("main") and frames[0]["line"] == printed
          and frames[0].get("source", {}).get("name") == SOURCE, f"top frame: {frames[0]}")
    # lldb found libc through libraries-svr4 (remora leaves out main-lm for lldb, which misreads it).
    check(len(frames) > 1 and "__libc_start_call_main" in frames[1]["name"], f"main's caller is libc's: {frames[:3]}")
    scopes = scopes_of(dap, frames[0]["id"])
    check({"Locals", "Globals", "Registers"} <= set(scopes), f"scopes: {scopes}")
    local = variables_of(dap, scopes["Locals"])
    check(local.get("local", {}).get("value") == "7", f"Locals: {local}")
    rip = variables_of(dap, variables_of(dap, scopes["Registers"])["General Purpose Registers"]["variablesReference"])
    # lldb symbolises register values: "0x0000555555555385 ide`main + 33 at ide.c:48:3".
    expect(rf"^0x[0-9a-f]{{16}} ide`main \+ \d+ at ide\.c:{printed}:", rip.get("rip", {}).get("value", ""),
           "the Registers scope's rip")
    set_to = dap.request("setVariable", {"variablesReference": scopes["Locals"], "name": "local", "value": "42"})
    check(set_to.get("value") == "42", f"setVariable local: {set_to}")
    ev = dap.request("evaluate", {"expression": "local", "frameId": frames[0]["id"], "context": "watch"})
    check(ev.get("result") == "42", f"evaluate local: {ev}")
    ev = dap.request("evaluate", {"expression": "counter * 10 + local", "frameId": frames[0]["id"],
                                  "context": "watch"}, timeout=20)
    check(ev.get("result") == "52", f"evaluate counter * 10 + local: {ev}")
    pause_and_release(dap, r, tid)
    disconnect_after_exit(dap)
    expect(r"^local=42 counter=1$", r.output(), "the program printed the value setVariable wrote")
    remora_exits(r)


# lldb-vscode-16's request loop ends once it has sent `terminated`; when the debuggee's exit is
# reported before the loop comes back from `continue`, it never reads `disconnect` and its exit
# aborts on a still-joinable event thread. That is the adapter's own race (lldb-dap later joins
# its threads first); ide.c lingers after its release to make it rare, and it is named, not hidden.
ADAPTER_EXIT_RACE = "terminate called without an active exception"


def disconnect_after_exit(dap: DapSession) -> None:
    """VS Code's stop button after the program ended: `disconnect`, then the adapter exits."""
    start = dap.mark()
    seq = dap.send("disconnect", {"terminateDebuggee": False})
    try:
        resp = dap.wait(lambda m: m.get("type") == "response" and m.get("request_seq") == seq, 15, start,
                        "response to `disconnect`")
        check(resp.get("success") is True, f"`disconnect` failed: {json.dumps(resp)[:800]}")
    except Failure:
        if ADAPTER_EXIT_RACE not in dap.output():
            raise
        print(f"note: lldb-vscode-16 left its loop before reading `disconnect` ({ADAPTER_EXIT_RACE})")
    check(dap.wait_exit(10) is not None, "lldb-vscode-16 still running 10 s after disconnect")


def pause_and_release(dap: DapSession, r: harness.Remora, tid: int) -> None:
    """continue, pause while the program waits (VS Code's pause button), write `release_flag`
    through the Globals of the program's own frame, continue to the exit."""
    start = dap.mark()
    dap.request("continue", {"threadId": tid})
    check(wait_until(lambda: "\nwaiting\n" in r.output(), 10), f"the program never waits:\n{indent(r.output())}")
    dap.request("pause", {"threadId": tid})
    # lldb-vscode-16 names a stop after the thread's stop reason, never "pause": an interrupt is a
    # signal stop, "exception" (with lldb-server too, whose interrupt is a SIGSTOP).
    body = stopped(dap, start, "exception")
    check(body.get("description") == "signal SIGINT", f"the pause is remora's ^C stop (SIGINT): {body}")
    check("released" not in r.output(), "the program was paused before its release")
    frames = dap.request("stackTrace", {"threadId": tid, "startFrame": 0, "levels": 20})["stackFrames"]
    # The pause lands inside libc (nanosleep): the first frame in ide.c is the program's own.
    own = [f for f in frames if f.get("source", {}).get("name") == SOURCE]
    check(bool(own) and own[0]["name"].split("(")[0].strip() in ("wait_for_release", "main"),
          f"paused with the program's own frames on the stack: {frames}")
    globals_ref = scopes_of(dap, own[0]["id"])["Globals"]
    check(variables_of(dap, globals_ref).get("release_flag", {}).get("value") == "0", "release_flag starts at 0")
    set_to = dap.request("setVariable", {"variablesReference": globals_ref, "name": "release_flag", "value": "1"})
    check(set_to.get("value") == "1", f"setVariable release_flag: {set_to}")
    start = dap.mark()
    dap.request("continue", {"threadId": tid})
    code = dap.event("exited", start)["body"].get("exitCode")
    check(code == 0, f"the program exits 0 once released, got {code}")
    dap.event("terminated", start)
    check(wait_until(lambda: "released 1\n" in r.output(), 5), f"the program was released:\n{indent(r.output())}")


SCENARIOS = {
    "dap_lldb_vscode": s_dap_lldb_vscode,
}


def main() -> int:
    return harness.scenario_main(__doc__, SCENARIOS, tools=(ADAPTER,), needs_programs=True)


if __name__ == "__main__":
    sys.exit(main())
