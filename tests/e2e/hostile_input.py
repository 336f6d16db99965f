#!/usr/bin/env python3
"""The malformed-input table (issue 8): each class of bad client input, sent over a real socket,
followed by a valid packet that must still work. Run against remora's emulated target in ack mode
and in no-ack mode; every class must get its expected answer (an error reply, or `-` in ack mode)
and the session must go on. Prints the table as Markdown.

    hostile_input.py --remora PATH [--mode ack|noack|both]
    hostile_input.py --against HOST:PORT [--mode ack]     # any other stub, by hand (gdbserver...)

Against another stub the run never fails: it records what that stub did (answered, kept quiet,
closed the connection) for the comparison table in the README. Standard library only.
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Callable

DATA = 0x600000  # writable memory: the emulated target's data region (--data for other stubs)
QUIET = 0.3  # seconds of silence after which nothing more is expected


def frame(payload: bytes) -> bytes:
    return b"$" + payload + b"#" + b"%02x" % (sum(payload) & 0xFF)


def escape(data: bytes) -> bytes:
    out = bytearray()
    for b in data:
        if b in (0x23, 0x24, 0x7D, 0x2A):
            out += bytes([0x7D, b ^ 0x20])
        else:
            out.append(b)
    return bytes(out)


def expand_rle(body: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(body):
        if body[i] == 0x2A and out and i + 1 < len(body):  # `X*n`: n - 29 more copies of X
            out += bytes([out[-1]]) * (body[i + 1] - 29)
            i += 2
        else:
            out.append(body[i])
            i += 1
    return bytes(out)


class Link:
    """A raw RSP connection that reports everything the stub sent, acks and frames apart."""

    def __init__(self, port: int, host: str = "127.0.0.1"):
        self.host, self.port = host, port
        self.sock = socket.create_connection((host, port), timeout=5)
        # Each request follows an ack: without this, Nagle's algorithm holds it for the ack's ACK.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.ack = True
        self.closed = False

    def send(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError:
            self.closed = True

    def _recv(self, timeout: float) -> bool:
        self.sock.settimeout(timeout)
        try:
            chunk = self.sock.recv(1 << 20)
        except socket.timeout:
            return False
        except OSError:
            chunk = b""
        if not chunk:
            self.closed = True
            return False
        self.buf += chunk
        return True

    def take_reply(self, timeout: float = 5) -> tuple[bytes, bytes | None]:
        """Returns (the acks before the next frame, its payload), or (acks, None) when no whole
        frame arrives within `timeout` or the connection closes."""
        deadline = time.monotonic() + timeout
        while True:
            start = self.buf.find(b"$")
            end = self.buf.find(b"#", start) if start >= 0 else -1
            if start >= 0 and end >= 0 and len(self.buf) >= end + 3:
                acks, body = self.buf[:start], expand_rle(self.buf[start + 1:end])
                self.buf = self.buf[end + 3:]
                if self.ack:
                    self.send(b"+")
                return acks, body
            left = deadline - time.monotonic()
            if left <= 0 or self.closed:
                acks = self.buf if start < 0 else self.buf[:start]
                self.buf = b"" if start < 0 else self.buf[start:]
                return acks, None
            self._recv(left)

    def request(self, payload: bytes, timeout: float = 5) -> bytes | None:
        self.send(frame(payload))
        return self.take_reply(timeout)[1]

    def drain(self) -> bytes:
        while self._recv(QUIET):
            pass
        data, self.buf = self.buf, b""
        return data


@dataclass
class Case:
    name: str
    send: Callable[[Link], None]
    # What the answer must be: "error" (an E reply), "nack" (`-`, ack mode) or "nack-or-error"
    # (`-` in ack mode, an error in no-ack mode), "ok" (OK reply), "data" (a non-error reply).
    expect: str
    check: Callable[[Link], str | None] | None = None  # extra proof; returns a failure or None


def raw(data: bytes) -> Callable[[Link], None]:
    return lambda link: link.send(data)


def packet(payload: bytes) -> Callable[[Link], None]:
    return lambda link: link.send(frame(payload))


def addr(offset: int = 0) -> bytes:
    return b"%x" % (DATA + offset)


def bad_checksum(link: Link) -> None:
    link.send(b"$m" + addr() + b",4#00")


def oversized(link: Link) -> None:
    link.send(frame(b"M" + addr() + b",4:" + b"00" * (1 << 20)))  # 2 MiB of hex: past any PacketSize


NACKS = 200


def nack_storm(link: Link) -> None:
    link.send(frame(b"m" + addr() + b",4"))
    link.send(b"-" * NACKS)


def garbage(link: Link) -> None:
    rng = bytes(os.urandom(4096))
    # No frame inside, and no '-': outside a frame that is a NACK, which rightly gets a resend.
    link.send(rng.replace(b"$", b"%").replace(b"#", b"%").replace(b"-", b"%"))


def x_with_raw_nul_and_ctrl_c(link: Link) -> None:
    link.send(frame(b"X" + addr(0x20) + b",6:" + escape(b"\x00\x03\x00\x03\x7d\x24")))


def verify_x_bytes(link: Link) -> str | None:
    got = link.request(b"m" + addr(0x20) + b",6")
    return None if got == b"000300037d24" else f"read {got!r} back after X with NUL/0x03"


def cases() -> list[Case]:
    a = addr()
    return [
        Case("bad checksum", bad_checksum, "nack-or-error"),
        Case("bad hex digit in an address", packet(b"m60g000,4"), "error"),
        Case("odd-length hex data", packet(b"M" + a + b",2:abc"), "error"),
        # An error, not a NACK, even in ack mode: a NACK would make the client resend it forever.
        Case("packet longer than PacketSize", oversized, "error"),
        Case("frame cut off, then a new frame", raw(b"$m" + a + b","), "silent"),
        Case("m with absurd length", packet(b"m0,ffffffffffffffff"), "error-or-data"),
        Case("m that wraps the address space", packet(b"mfffffffffffffff0,100"), "error"),
        Case("M with absurd length", packet(b"M" + a + b",ffffffffffffffff:00"), "error"),
        Case("X with absurd length", packet(b"X" + a + b",ffffffffffffffff:\x00"), "error"),
        Case("number that overflows 64 bits", packet(b"m1ffffffffffffffff0,4"), "error"),
        Case("unknown vCont action", packet(b"vCont;z"), "error"),
        Case("bad thread id", packet(b"Hgzz"), "error"),
        Case("thread id that overflows", packet(b"Hgp123456789abcdef01.1"), "error"),
        Case("bad escape at the end of X data", packet(b"X" + a + b",1:}"), "error"),
        Case("RLE in a client packet", packet(b"m" + a + b",4* "), "error"),
        Case("'$' inside a packet", raw(b"$m6000$"), "silent"),
        Case("NUL byte in a hex-only packet", packet(b"m" + a + b"\x00,4"), "error"),
        Case("0x03 in a hex-only packet", packet(b"m6000\x0300,4"), "error"),
        Case("NACK storm", nack_storm, "data"),
        Case("binary garbage", garbage, "silent"),
        Case("raw NUL and 0x03 as X data", x_with_raw_nul_and_ctrl_c, "ok", verify_x_bytes),
        Case("empty packet", packet(b""), "empty"),
        Case("unknown packet", packet(b"qRemoraNoSuchThing"), "empty"),
    ]


def classify(acks: bytes, body: bytes | None) -> str:
    kinds = []
    if b"-" in acks:
        kinds.append("nack")
    if body is None:
        kinds.append("silent" if not kinds else "")
    elif body == b"":
        kinds.append("empty")
    elif body == b"OK":
        kinds.append("ok")
    elif re.fullmatch(rb"E[0-9a-fA-F]{2}(;[0-9a-fA-F]*)?|E\..*", body, re.S):
        kinds.append("error")
    else:
        kinds.append("data")
    return "+".join(k for k in kinds if k)


def matches(expected: str, got: str, ack: bool) -> bool:
    if expected == "nack-or-error":
        return got.startswith("nack") if ack else got == "error" or got == "silent"
    if expected == "error-or-data":
        return got in ("error", "data")
    if expected == "data":
        return got in ("data", "nack+data") or got.endswith("data")
    return got == expected


def probe(link: Link) -> str | None:
    """The valid packet after every class: a memory read the emulated target answers."""
    if link.closed:
        return "connection closed"
    reply = link.request(b"m" + addr() + b",4")
    if reply is None:
        return "no reply to the valid packet" + (" (connection closed)" if link.closed else "")
    if not re.fullmatch(rb"[0-9a-f]{8}", reply):
        return f"valid packet answered {reply!r}"
    return None


def run_case(link: Link, case: Case) -> tuple[str, str | None]:
    case.send(link)
    if case.name == "NACK storm":
        acks, body = link.take_reply()
        if link.ack:  # every NACK asks for the reply again: take all 200 copies, however slow
            for _ in range(NACKS):
                if link.take_reply(timeout=5)[1] is None:
                    break
        link.drain()
        got = classify(acks, body)
    else:
        acks, body = link.take_reply(timeout=5 if case.expect != "silent" else QUIET * 2)
        got = classify(acks, body)
    failure = None
    if not matches(case.expect, got, link.ack):
        failure = f"expected {case.expect}, got {got} ({body!r:.80})"
    elif case.check:
        failure = case.check(link)
    problem = probe(link)
    if problem:
        failure = (failure + "; " if failure else "") + problem
    return got, failure


def start_remora(remora: str) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([remora, "127.0.0.1:0"], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        m = re.search(r"Listening on port (\d+)", line)
        if m:
            return proc, int(m.group(1))
        if not line:
            break
    proc.kill()
    raise RuntimeError("remora did not start")


def run_table(host: str, port: int, ack: bool, strict: bool) -> list[tuple[str, str, str | None]]:
    link = Link(port, host)
    rows = []
    if not ack:
        sup = link.request(b"qSupported:multiprocess+;swbreak+")
        if sup is None or b"QStartNoAckMode+" not in sup or link.request(b"QStartNoAckMode") != b"OK":
            return [("QStartNoAckMode", "refused", "this stub has no no-ack mode" if strict else None)]
        link.ack = False
    else:
        link.request(b"qSupported:multiprocess+;swbreak+")
    link.request(b"?")  # gdbserver serves memory only once a thread is current
    for case in cases():
        if link.closed:
            rows.append((case.name, "not tried", "the connection was closed earlier"))
            continue
        if not strict:
            link.drain()  # a stub that answered twice must not shift the rest of the table
        got, failure = run_case(link, case)
        rows.append((case.name, got, failure))
    link.sock.close()
    rows.append(("frame cut off, then the connection dropped", "closed", cut_and_drop(host, port)))
    return rows


def cut_and_drop(host: str, port: int) -> str | None:
    """Half a frame and a dropped connection: the next client must be served as usual."""
    try:
        cut = Link(port, host)
    except OSError as e:
        return f"not accepting clients: {e}"
    cut.send(b"$M" + addr() + b",4:0102")
    cut.sock.close()
    # remora serves one client at a time and turns away a second one: until it has seen the first
    # one's EOF, a new connection may be refused (closed at once). Retry, bounded.
    deadline = time.monotonic() + 5
    while True:
        try:
            again = Link(port, host)
            if again.request(b"qSupported:multiprocess+;swbreak+", timeout=2) is not None:
                break
            again.sock.close()
        except OSError:
            pass
        if time.monotonic() > deadline:
            return "no second client served within 5 s"
        time.sleep(0.1)
    try:
        problem = probe(again)
        if problem is None and again.request(b"m" + addr() + b",4") == b"01020000":
            problem = "the cut-off M was run"
        return problem
    finally:
        again.sock.close()


def main() -> int:
    global DATA
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--remora", help="path to remora (started on its emulated target)")
    ap.add_argument("--against", help="HOST:PORT of another stub, already listening (by hand)")
    ap.add_argument("--mode", choices=("ack", "noack", "both"), default="both")
    ap.add_argument("--data", type=lambda v: int(v, 0), default=0x600000,
                    help="address of 64+ writable bytes in the other stub's target (default 0x600000)")
    args = ap.parse_args()
    DATA = args.data
    if bool(args.remora) == bool(args.against):
        ap.error("give exactly one of --remora and --against")
    modes = [m == "ack" for m in (("ack", "noack") if args.mode == "both" else (args.mode,))]
    failures = 0
    for ack in modes:
        proc = None
        if args.remora:
            proc, port = start_remora(args.remora)
            host = "127.0.0.1"
        else:
            host, _, p = args.against.rpartition(":")
            port = int(p)
        try:
            rows = run_table(host, port, ack, strict=bool(args.remora))
        finally:
            if proc:
                alive = proc.poll() is None
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                if not alive:
                    rows.append(("remora still running", "exited", "remora died during the table"))
        print(f"\n| class ({'ack' if ack else 'no-ack'} mode) | answer | then a valid packet |")
        print("|---|---|---|")
        for name, got, failure in rows:
            print(f"| {name} | {got} | {'FAIL: ' + failure if failure else 'works'} |")
            failures += failure is not None
    if args.against:
        return 0
    print(f"\n{'PASS' if failures == 0 else 'FAIL'}: {failures} failing row(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
