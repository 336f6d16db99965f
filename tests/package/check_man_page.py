#!/usr/bin/env python3
"""The man page stays in step with the program: every option `remora --help` lists and every
command `monitor help` lists (on the emulated target) is documented in remora.1, and groff
renders the page without a warning.

    check_man_page.py --remora PATH --man-page PATH/remora.1
"""
from __future__ import annotations

import argparse
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

# The RLE expansion of the tests' raw RSP client (tests/e2e/hostile_input.py).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from hostile_input import expand_rle  # noqa: E402


def fail(message: str) -> int:
    print(f"FAIL: {message}")
    return 1


def help_options(remora: str) -> set[str]:
    out = subprocess.run([remora, "--help"], capture_output=True, text=True, timeout=10).stdout
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", out.split("\n\n\n")[0]))


def rsp_request(sock: socket.socket, payload: bytes) -> bytes:
    sock.sendall(b"$" + payload + b"#" + b"%02x" % (sum(payload) & 0xFF))
    buf = b""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        buf += sock.recv(65536)
        m = re.search(rb"\$([^#]*)#[0-9a-f]{2}", buf)
        if m:
            sock.sendall(b"+")
            return expand_rle(m.group(1))
    raise TimeoutError("no reply from remora")


def monitor_commands(remora: str) -> set[str]:
    proc = subprocess.Popen([remora, "--once", "127.0.0.1:0"], stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        port = int(re.search(r"Listening on port (\d+)", line).group(1))
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            text = bytes.fromhex(rsp_request(sock, b"qRcmd," + b"help".hex().encode()).decode()).decode()
        return set(re.findall(r"^  ([a-z][a-z-]*)", text, re.M))
    finally:
        proc.kill()
        proc.wait(timeout=10)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--remora", required=True)
    ap.add_argument("--man-page", required=True)
    args = ap.parse_args()
    page = open(args.man_page, encoding="utf-8").read()
    text = page.replace("\\-", "-").replace("\\fB", "").replace("\\fR", "").replace("\\fI", "")
    options = help_options(args.remora)
    if len(options) < 20:
        return fail(f"--help lists only {len(options)} options: {sorted(options)}")
    missing = sorted(o for o in options if not re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", text))
    if missing:
        return fail(f"options in --help but not in {args.man_page}: {', '.join(missing)}")
    section = text.split(".SH MONITOR COMMANDS", 1)[-1].split(".SH ", 1)[0]
    commands = monitor_commands(args.remora)
    if "help" not in commands or len(commands) < 5:
        return fail(f"`monitor help` lists {sorted(commands)}")
    undocumented = sorted(c for c in commands if not re.search(rf"^\.BI? {re.escape(c)}(\s|$)", section, re.M))
    if undocumented:
        return fail(f"monitor commands not in the man page: {', '.join(undocumented)}")
    if "@REMORA_VERSION@" in page:
        return fail("the version was not filled in")
    if shutil.which("groff"):
        r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", args.man_page], capture_output=True, text=True)
        if r.returncode != 0 or r.stderr.strip():
            return fail(f"groff warns about the man page:\n{r.stderr}")
    else:
        print("note: groff not installed; the page's rendering was not checked")
    print(f"PASS: {len(options)} options and {len(commands)} monitor commands documented")
    return 0


if __name__ == "__main__":
    sys.exit(main())
