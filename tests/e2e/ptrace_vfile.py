#!/usr/bin/env python3
"""End-to-end scenarios for vFile host I/O on the ptrace backend (issue 4): the real gdb reading
files through remora with `remote get` and with `set sysroot target:`, in each `--vfile` mode.

    ptrace_vfile.py --remora PATH --workdir DIR --programs DIR [SCENARIO...]

Confined (the default) serves only the debugged process's own files read-only; `--vfile=open`
serves any path; `--vfile=off` answers vFile empty, and gdb must fall back to its own files.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import Scenario, check, expect, reject  # noqa: E402
from ptrace_scenarios import launch, no_remote_errors, prog  # noqa: E402


def s_vfile_remote_get(sc: Scenario) -> None:
    """`remote get` of the debugged program (byte for byte) and of a library it maps; a file
    outside the confinement is refused; the session goes on."""
    path = prog(sc, "threads")
    r = launch(sc, "threads")
    copy, shadow = sc.path("threads.copy"), sc.path("shadow.copy")
    out = sc.gdb_batch(r.port, f"remote get {path} {copy}", "echo @@SHADOW@@\\n",
                       f"remote get /etc/shadow {shadow}", "echo @@AFTER@@\\n", "info threads", "kill",
                       file=path)
    no_remote_errors(out)
    check(copy.exists() and copy.read_bytes() == Path(path).read_bytes(),
          "remote get: the copy differs from the program (or is missing)")
    shadow_part = out.split("@@SHADOW@@")[1].split("@@AFTER@@")[0]
    expect(r"Permission denied", shadow_part, "/etc/shadow refused in confined mode")
    check(not shadow.exists() or shadow.stat().st_size == 0, "nothing of /etc/shadow reached gdb")
    expect(r"-> vFile:open:2f6574632f736861646f77,0,0\n\S+ <- F-1,d$", r.trace(), "answered EACCES (File-I/O 13)")
    expect(r"^\* 1 +Thread ", out.split("@@AFTER@@")[1], "the session goes on after the refusal")


def s_vfile_sysroot_target(sc: Scenario) -> None:
    """gdb with no local file and `sysroot target:` reads the program and its libraries through
    vFile, resolves `info sharedlibrary` and debugs to the end."""
    r = launch(sc, "threads")
    out = _gdb_target_sysroot(sc, r.port, "break all_started", "continue", "info sharedlibrary", "bt 1", "delete",
                              "continue")
    no_remote_errors(out)
    path = prog(sc, "threads")
    expect(rf"Reading {re.escape(path)} from remote target", out, "the program read through vFile")
    expect(r"Reading /\S*libc\.so\.6 from remote target", out, "libc read through vFile")
    expect(r"^0x[0-9a-f]+ +0x[0-9a-f]+ +Yes(?: \(\*\))? +target:/\S*libc\.so\.6$", out,
           "info sharedlibrary resolves libc on target:")
    expect(r"^Thread 1 \"threads\" hit Breakpoint 1, all_started \(\)", out, "symbols from the fetched program")
    expect(r"exited normally\]", out, "ran to the end")
    trace = r.trace()
    check(len(re.findall(r"-> vFile:pread:", trace)) > 0, "gdb read with vFile:pread")
    # Refusals are expected for paths gdb only probes (separate debug files); never for these.
    for needed in (path, "/lib/x86_64-linux-gnu/libc.so.6"):
        opened = re.findall(rf"-> vFile:open:{needed.encode().hex()},0,0\n\S+ <- (F\S*)", trace)
        check(opened and all(not a.startswith("F-1") for a in opened), f"{needed} opened: {opened}")
    expect(r"^worker_sum 6$", r.output(), "every worker ran")


def _gdb_target_sysroot(sc: Scenario, port: int, *commands: str) -> str:
    # No `file`: gdb learns the program from qXfer:exec-file and fetches it as target:PATH.
    return sc.gdb_batch(None, "set sysroot target:", f"target remote 127.0.0.1:{port}", *commands,
                        connect=False, timeout=40)


def s_vfile_open(sc: Scenario) -> None:
    """--vfile=open serves a file outside the confinement, which confined mode refuses."""
    secret = sc.path("outside.txt")
    secret.write_bytes(b"outside the debugged program's files\n" * 100)
    got = sc.path("outside.copy")
    r = launch(sc, "basics")
    out = sc.gdb_batch(r.port, f"remote get {secret} {got}", "kill", file=prog(sc, "basics"))
    expect(r"Permission denied", out, "confined: a file outside is refused")
    check(not got.exists() or got.stat().st_size == 0, "confined: nothing fetched")
    r = launch(sc, "basics", options=("--vfile=open",))
    out = sc.gdb_batch(r.port, f"remote get {secret} {got}", "kill", file=prog(sc, "basics"))
    no_remote_errors(out)
    reject(r"Remote I/O error", out, "--vfile=open: no refusal")
    check(got.read_bytes() == secret.read_bytes(), "--vfile=open: the copy matches")


def s_vfile_off(sc: Scenario) -> None:
    """--vfile=off: gdb is told there is no file transfer, reads its local files and debugs on."""
    r = launch(sc, "threads", options=("--vfile=off",))
    out = _gdb_target_sysroot(sc, r.port, "break all_started", "continue", "info sharedlibrary", "delete",
                              "continue")
    no_remote_errors(out)
    expect(r"warning: remote target does not support file transfer, attempting to access files from local "
           r"filesystem\.", out, "gdb falls back to local files")
    expect(r"^Thread 1 \"threads\" hit Breakpoint 1, all_started \(\)", out, "symbols from the local program")
    expect(r"^0x[0-9a-f]+ +0x[0-9a-f]+ +Yes(?: \(\*\))? +/\S*libc\.so\.6$", out, "libc resolved locally")
    expect(r"exited normally\]", out, "ran to the end")
    reject(r"<- F", r.trace(), "remora answered no vFile packet with data")


SCENARIOS: dict[str, Callable[[Scenario], None]] = {
    "pt_vfile_remote_get": s_vfile_remote_get,
    "pt_vfile_sysroot_target": s_vfile_sysroot_target,
    "pt_vfile_open": s_vfile_open,
    "pt_vfile_off": s_vfile_off,
}


def main() -> int:
    return harness.scenario_main(__doc__, SCENARIOS, needs_programs=True)


if __name__ == "__main__":
    sys.exit(main())
