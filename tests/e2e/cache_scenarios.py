#!/usr/bin/env python3
"""End-to-end scenarios for the memory cache (issue 5): the real gdb on the ptrace backend with
`--cache=on`, debugging programs/basics.c. Every claim is proved by what the program prints or by
reading /proc/PID/mem from gdb's embedded Python while remora still holds the process stopped.

    cache_scenarios.py --remora PATH --workdir DIR --programs DIR [SCENARIO...]

A write is held back only when gdb writes bytes already written in the same stop (`counter` is in
.data: a private file-backed mapping, `after_proof`), so each scenario writes twice.
"""
from __future__ import annotations

import sys
from typing import Callable

import harness
from harness import Scenario, check, expect, reject
from ptrace_scenarios import gdb, launch, line_of, no_remote_errors, remora_exits

CACHE = ("--cache=on",)

# Prints the 4 bytes at &counter straight from the kernel, as "raw counter N".
RAW_COUNTER = ("python import gdb; f = open('/proc/%d/mem' % gdb.selected_inferior().pid, 'rb'); "
               "f.seek(int(gdb.parse_and_eval('(long)&counter'))); "
               "print('raw counter', int.from_bytes(f.read(4), 'little')); f.close()")


def s_set_var_continue(sc: Scenario) -> None:
    """`set var` then `continue`: the flush on resume; then `x` after the program changed memory."""
    r = launch(sc, "basics", options=CACHE)
    middle, after = line_of("basics.c", "LINE_MIDDLE"), line_of("basics.c", "LINE_AFTER")
    out = gdb(sc, r, "basics", f"break {middle}", f"break {after}", "continue",
              "x/wx &counter", "set var counter = 500", "set var counter = 700", RAW_COUNTER,
              "echo @@CONT@@\\n", "continue",
              # bump() added 10 while running: `x` must show the fresh 710, not the cached 700.
              "x/wx &counter", "p counter", "monitor cache stats", "kill")
    no_remote_errors(out)
    before, cont = out.split("@@CONT@@")
    expect(r"^raw counter 500$", before, "the second write was held back (the process still has 500)")
    expect(r"^middle counter=700 ", r.output(), "the program saw the held-back write after continue")
    expect(r":\s+0x000002c6$", cont, "x after the program changed memory shows its bytes (710)")
    expect(r"^\$1 = 710$", cont, "print shows them too")
    expect(r"^memory cache on$", cont, "monitor cache stats answers")
    expect(r"^writes held back [1-9]", cont, "the stats count the held-back write")
    remora_exits(r)


def s_write_stepi(sc: Scenario) -> None:
    """A write while the cache holds the line, then `stepi`: the target sees it at once."""
    r = launch(sc, "basics", options=CACHE)
    middle = line_of("basics.c", "LINE_MIDDLE")
    out = gdb(sc, r, "basics", f"break {middle}", "continue", "x/16xb &counter",
              "set var counter = 1234", "set var counter = 4321", RAW_COUNTER, "echo @@STEP@@\\n",
              "stepi", RAW_COUNTER, "kill")
    no_remote_errors(out)
    before, after = out.split("@@STEP@@")
    expect(r"^raw counter 1234$", before, "held back until the target runs")
    expect(r"^raw counter 4321$", after, "stepi flushed it before the instruction ran")
    remora_exits(r)


def s_disconnect_after_write(sc: Scenario) -> None:
    """Disconnect right after a write: remora flushes, detaches, and the program sees the write."""
    r = launch(sc, "basics", options=CACHE + ("--on-disconnect", "detach"))
    middle = line_of("basics.c", "LINE_MIDDLE")
    out = gdb(sc, r, "basics", f"break {middle}", "continue", "set var counter = 60", "set var counter = 90",
              RAW_COUNTER, "disconnect")
    no_remote_errors(out)
    expect(r"^raw counter 60$", out, "the last write was still held back at disconnect")
    ok = harness.wait_until(lambda: "after counter=" in r.output(), 10)
    check(ok, f"the detached program ran on:\n{harness.indent(r.output())}")
    expect(r"^middle counter=90 .*\nafter counter=100 ", r.output(), "the program saw the flushed write")
    reject(r"could not reach the target", r.stderr.text, "the flush succeeded")


SCENARIOS: dict[str, Callable[[Scenario], None]] = {
    "cache_set_var_continue": s_set_var_continue,
    "cache_write_stepi": s_write_stepi,
    "cache_disconnect_after_write": s_disconnect_after_write,
}


def main() -> int:
    return harness.scenario_main(__doc__, SCENARIOS, needs_programs=True)


if __name__ == "__main__":
    sys.exit(main())
