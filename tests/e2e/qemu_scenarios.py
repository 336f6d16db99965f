#!/usr/bin/env python3
"""End-to-end tests of the QEMU proxy backend: the real gdb (and a packet-level client) through
remora in front of qemu-x86_64 7.2 (user mode), debugging the static guest in qemu_programs/.

    qemu_scenarios.py --remora PATH --workdir DIR --programs DIR SCENARIO [SCENARIO...]
    qemu_scenarios.py --list

Built on harness.py (processes, logs, budgets, cleanup). A missing qemu-x86_64 is a failure,
never a skip: `bash cmake/dev.sh test` installs qemu-user.
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
from harness import Failure, Remora, Scenario, check, expect, indent, reject, wait_until  # noqa: E402
from hostile_input import escape, expand_rle  # noqa: E402

QEMU = "qemu-x86_64"
GUEST = "qemu_guest"


def guest(sc: Scenario) -> str:
    check(sc.programs is not None, "the QEMU scenarios need --programs DIR")
    path = sc.programs / GUEST
    check(path.exists(), f"test program missing: {path} (build the `remora` target)")
    return str(path)


def start(sc: Scenario, *options: str, trace: bool = True) -> Remora:
    return sc.start_remora("--target", "qemu-user", *options, program=[guest(sc)], trace=trace)


def qemu_pid(r: Remora) -> int:
    return int(expect(r"started qemu-x86_64 \(pid (\d+)\)", r.stderr.text, "remora started QEMU").group(1))


def finished_output(r: Remora, timeout: float = 10) -> str:
    """The guest's whole output, once it printed its last line (its checksum of `big`)."""
    check(wait_until(lambda: "big fnv=" in r.output(), timeout), "the guest ran to its end")
    return r.output()


def no_remote_errors(out: str) -> None:
    reject(r"Remote failure reply|Remote connection closed|Remote communication error|internal-error",
           out, "gdb talks to remora cleanly")


def fnv1a(data: bytes) -> int:
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def s_user_gdb(sc: Scenario) -> None:
    """break, continue, step, registers, print/set var, the crossing write, ^C, reconnect."""
    r = start(sc)
    pid = qemu_pid(r)
    g = sc.gdb_interactive(file=guest(sc))
    out = g.run(f"target remote 127.0.0.1:{r.port}")
    expect(r"in _start", out, "connected at the entry point")
    out = g.run("info registers")
    for reg in ("rax", "rip", "rsp", "eflags", "cs", "fs_base", "k_gs_base", "cr0", "efer"):
        expect(rf"^{reg}\s+0x[0-9a-f]+", out, f"info registers shows {reg} (QEMU's layout)")
    g.run("break checkpoint")
    out = g.run("continue")
    expect(r"Breakpoint 1, checkpoint \(n=1\)", out, "stopped at checkpoint(1)")
    expect(r"^\$1 = 5$", g.run("print counter"), "print a global")
    g.run("set var counter = 4242")
    edge = int(expect(r"\) (0x[0-9a-f]+)", g.run("print edge"), "edge").group(1), 16)
    check(edge % 4096 == 0, f"edge {edge:#x} is a page boundary")
    # 16 bytes from 8 below the unmapped page: QEMU alone would answer E14 with the first page
    # written or not, the client cannot know. Through remora: exactly 8 bytes land.
    out = g.run(f"set {{unsigned char[16]}}{edge - 8:#x} = {{{', '.join(str(i) for i in range(1, 17))}}}")
    expect(rf"Cannot access memory at address {edge - 8:#x}", out, "the crossing write fails")
    out = g.run(f"x/16xb {edge - 16:#x}")
    expect(r":\s+0xaa\s+0xaa\s+0xaa\s+0xaa\s+0xaa\s+0xaa\s+0xaa\s+0xaa\n.*:\s+0x01\s+0x02\s+0x03\s+0x04\s+0x05\s+0x06"
           r"\s+0x07\s+0x08$", out, "prefix written up to the page boundary, bytes before untouched")
    expect(rf"write stopped at {edge:#x} after 8 of 16 bytes", r.trace(), "remora's trace names the boundary")
    out = g.run("stepi")
    expect(r"0x[0-9a-f]+\s+\d+\s|^\d+\s", out, "stepi")
    out = g.run("next")
    expect(r"main \(\) at .*qemu_guest\.c|^\d+\s+printf", out, "next returns to main")
    g.send("continue")
    check(wait_until(lambda: "after1" in r.output(), 10), "the guest ran on after the checkpoint")
    time.sleep(0.3)  # let it reach the spin loop
    g.interrupt()
    g.wait_for(r"Program received signal SIGINT", 10)
    g.run("set var stop_spin = 1")
    out = g.run("continue")
    expect(r"Breakpoint 1, checkpoint \(n=2\)", out, "continued to checkpoint(2) after ^C")
    text = r.output()
    expect(r"^after1 counter=4242$", text, "the guest saw `set var`")
    expect(r"^edge-16:( aa){8} 01 02 03 04 05 06 07 08$", text, "the guest saw exactly the prefix")
    expect(r"^sigint_count=0$", text, "the guest's SIGINT handler never ran for ^C")
    out = g.run("detach")
    expect(r"Detaching|detached", out, "detach")
    check(g.quit() is not None, "gdb quit")
    check(os.path.exists(f"/proc/{pid}"), "QEMU survives the client's detach")
    # A second gdb on the same QEMU: QEMU alone serves one debugger for its whole life.
    out = sc.gdb_batch(r.port, "print counter", "print sigint_count", "continue", file=guest(sc))
    no_remote_errors(out)
    expect(r"^\$1 = 4242$", out, "second gdb reads the first one's write")
    expect(r"exited normally", out, "the guest ran to its end")
    expect(r"^big fnv=[0-9a-f]{8}$", r.output(), "guest finished")
    check(wait_until(lambda: not os.path.exists(f"/proc/{pid}"), 5), "QEMU exited and was reaped")


def s_user_restore_dump(sc: Scenario) -> None:
    """8 MiB restore + dump round trip, byte for byte; the guest's checksum proves it landed."""
    size = 8 << 20
    data = os.urandom(size)
    src, dst = sc.path("in.bin"), sc.path("out.bin")
    src.write_bytes(data)
    r = start(sc, trace=False)  # a trace of 16 MiB of packets would dominate the time
    out = sc.gdb_batch(r.port, "break checkpoint", "continue", f"restore {src} binary &big",
                       f"dump binary memory {dst} &big ((char*)&big)+{size}", "set var stop_spin = 1",
                       "delete", "monitor qemu-stats", "continue", file=guest(sc), timeout=60)
    no_remote_errors(out)
    reject(r"Cannot access memory", out, "restore/dump")
    got = dst.read_bytes() if dst.exists() else b""
    check(len(got) == size, f"dump size {len(got)} != {size}")
    check(got == data, "the dump differs from what was restored")
    expect(rf"^big fnv={fnv1a(data):08x}$", r.output(), "the guest's checksum of the restored bytes")
    check(int(expect(r"^host-bytes-written (\d+)$", out, "qemu-stats").group(1)) >= size, "restore went through the host")
    largest = int(expect(r"largest-request (\d+)", out, "qemu-stats").group(1))
    check(largest <= 4096, f"a request to QEMU of {largest} bytes exceeds its 4 KiB PacketSize")


def s_user_host_memory(sc: Scenario) -> None:
    """Guest memory through /proc/QEMUPID/mem only where QEMU allows it: a page QEMU translated
    code from, and a read-only page, still go to QEMU's gdbstub, which refuses both (7.2 refuses a
    debug write to a page whose translations it has write-protected) -- as gdb straight to QEMU."""
    r = start(sc)
    out = sc.gdb_batch(r.port, "break checkpoint", "continue", "print/x jit[1]", "print/x jit",
                       "set var jit[1] = 9", "print/x jit[1]",
                       "set var *(unsigned char *)&sealed = 77", "print sealed[0]",
                       "set var counter = 31337", "monitor qemu-stats",
                       "set var stop_spin = 1", "delete", "continue", file=guest(sc), timeout=60)
    expect(r"^\$1 = 0x7$", out, "the translated code's immediate")
    jit = int(expect(r"^\$2 = (0x[0-9a-f]+)$", out, "jit").group(1), 16)
    expect(rf"Cannot access memory at address {jit + 1:#x}", out, "the translated page is refused, as by QEMU alone")
    expect(r"^\$3 = 0x7$", out, "the code is untouched")
    expect(r"Cannot access memory at address 0x[0-9a-f]+\n\$4", out, "a read-only page stays read-only")
    expect(r"^\$4 = 1 '\\001'$", out, "sealed untouched")
    expect(r"^host-memory on: /proc/\d+/mem, guest_base 0x[0-9a-f]+$", out, "the host view is in use")
    check(int(expect(r"^host-bytes-written (\d+)$", out, "host writes").group(1)) >= 8, "counter went through the host")
    check(int(expect(r"^host-pages-through-qemu (\d+)$", out, "pages through QEMU").group(1)) >= 2,
          "the code page and the read-only page went through QEMU")
    text = finished_output(r)
    expect(r"^first answer=7$", text, "the code ran (and was translated) before the write")
    expect(r"^after1 counter=31337$", text, "the guest saw the host write")
    expect(r"^answer=7 sealed=1$", text, "code and read-only data unchanged")
    # With a second guest thread, QEMU 7.2 keeps it running while the first is stopped (it could
    # map, unmap or have code translated at any moment): every byte then goes through QEMU.
    r = sc.start_remora("--target", "qemu-user", program=[guest(sc), "threads"])
    out = sc.gdb_batch(r.port, "break checkpoint", "continue", "set var counter = 77", "print counter",
                       "monitor qemu-stats", "set var stop_spin = 1", "delete", "continue", file=guest(sc), timeout=60)
    expect(r"^\$1 = 77$", out, "the write reads back")
    check(int(expect(r"^host-skipped-stops (\d+)$", out, "skipped stops").group(1)) >= 1, "the stop was skipped")
    # (at the entry point, before the thread exists, the host view may serve gdb's reads)
    check(int(expect(r"^host-bytes-written (\d+)$", out, "host writes").group(1)) == 0, "no host write with threads")
    expect(r"^after1 counter=77$", finished_output(r), "the guest saw the write")


class RspClient:
    """A minimal RSP client over TCP (acks until QStartNoAckMode)."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        self.ack = True

    def request(self, payload: bytes) -> bytes:
        frame = b"$" + payload + b"#" + b"%02x" % (sum(payload) & 0xFF)
        self.sock.sendall(frame)
        while True:
            start = self.buf.find(b"$")
            end = self.buf.find(b"#", start)
            if start >= 0 and end >= 0 and len(self.buf) >= end + 3:
                body = expand_rle(self.buf[start + 1:end])
                self.buf = self.buf[end + 3:]
                if self.ack:
                    self.sock.sendall(b"+")
                return body
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise Failure("remora closed the connection")
            self.buf += chunk

    def monitor(self, command: str) -> str:
        reply = self.request(b"qRcmd," + command.encode().hex().encode())
        return bytes.fromhex(reply.decode()).decode() if reply not in (b"OK", b"") else ""


def s_packets(sc: Scenario) -> None:
    """What remora adds over QEMU's stub, seen by a client, with QEMU's side within its limits;
    then the same 64 KiB through the host view: one 1-byte `m` per page and no `M`."""
    packets_through(sc, "gdbstub")
    packets_through(sc, "host")


def packets_through(sc: Scenario, memory: str) -> None:
    r = start(sc, "--qemu-memory", memory)
    c = RspClient(r.port)
    sup = c.request(b"qSupported:swbreak+;xmlRegisters=i386").decode()
    size = int(expect(r"PacketSize=([0-9a-f]+)", sup, "PacketSize").group(1), 16)
    check(size >= 256 * 1024, f"PacketSize {size:#x} < 256 KiB")
    expect(r"QStartNoAckMode\+", sup, "QStartNoAckMode offered")
    check(c.request(b"QStartNoAckMode") == b"OK", "no-ack mode accepted")
    c.ack = False
    xml = c.request(b"qXfer:features:read:target.xml:0,3ffff").decode()
    check(xml.startswith("l") and "xi:include" not in xml and 'name="k_gs_base"' in xml,
          "target.xml arrives whole and flattened (no xi:include)")
    check(len(c.request(b"p10")) == 16, "p reads rip")
    before = c.monitor("qemu-stats")
    # 64 KiB binary write in one X into the bss array, and read back with one m.
    sym = subprocess.run(["nm", guest(sc)], capture_output=True, text=True).stdout
    big = int(expect(r"^([0-9a-f]+) B big$", sym, "address of big").group(1), 16)
    data = os.urandom(65536)
    check(c.request(b"X%x,%x:" % (big, len(data)) + escape(data)) == b"OK", "64 KiB X accepted")
    got = bytes.fromhex(c.request(b"m%x,%x" % (big, len(data))).decode())
    check(got == data, "m reads back what X wrote")
    after = c.monitor("qemu-stats")

    def stat(text: str, key: str) -> int:
        return int(expect(rf"^{key} (\d+)$", text, f"qemu-stats {key}").group(1))
    writes = stat(after, "M") - stat(before, "M")
    reads = stat(after, "m") - stat(before, "m")
    # QEMU's 4 KiB buffer holds at most ~2 KiB of hex data: `M` of 2016 bytes (crossing pages, as
    # gdb's do) and `m` of 2 KiB that stay within a page; 64 KiB touch 16 or 17 pages.
    check(stat(after, "largest-request") <= 4096, "no request to QEMU exceeds its PacketSize")
    c.sock.close()
    if memory == "host":
        # 64 KiB touch 16 or 17 pages: proven readable by QEMU two at a time, the bytes moved outside it.
        check(writes == 0, f"64 KiB through the host made {writes} M requests to QEMU")
        check(8 <= reads <= 9, f"64 KiB through the host made {reads} m requests to QEMU (expected 8..9)")
        check(stat(after, "host-bytes-written") - stat(before, "host-bytes-written") == len(data), "host write")
        check(stat(after, "host-bytes-read") - stat(before, "host-bytes-read") == len(data), "host read")
        return
    check(33 <= writes <= 34, f"64 KiB became {writes} M requests to QEMU (expected 33..34)")
    check(32 <= reads <= 34, f"64 KiB read became {reads} m requests to QEMU (expected 32..34)")
    check(stat(after, "host-bytes-written") == 0, "--qemu-memory gdbstub writes nothing through the host")


def s_connect_and_errors(sc: Scenario) -> None:
    """--target qemu:unix:PATH to a QEMU we started; absent, hung and missing-program QEMUs."""
    bad = sc.run_remora("--target", "qemu:unix:" + str(sc.path("nothing.sock")), "127.0.0.1:0")
    check(bad.returncode == 1, f"absent QEMU: exit {bad.returncode}")
    expect(r"cannot connect to QEMU at unix:.*nothing\.sock", bad.stderr, "absent QEMU named")
    hung_path = str(sc.path("hung.sock"))
    hung = socket.socket(socket.AF_UNIX)
    hung.bind(hung_path)
    hung.listen(1)
    started = time.monotonic()
    res = sc.run_remora("--qemu-timeout", "0.5", "--target", "qemu:unix:" + hung_path, "127.0.0.1:0")
    hung.close()
    check(res.returncode == 1 and time.monotonic() - started < 5, f"hung QEMU: exit {res.returncode}")
    expect(r"did not answer", res.stderr, "a QEMU that never answers is named")
    missing = sc.run_remora("--target", "qemu-user", "127.0.0.1:0", str(sc.path("no-such-prog")))
    check(missing.returncode == 1, f"missing PROG: exit {missing.returncode}")
    expect(r"qemu-x86_64 exited with status", missing.stderr, "missing PROG reported")
    sock = str(sc.path("qemu.sock"))
    q = sc.popen([QEMU, "-g", sock, guest(sc)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    check(wait_until(lambda: os.path.exists(sock), 5), "QEMU created its socket")
    r = sc.start_remora("--target", "qemu:unix:" + sock)
    out = sc.gdb_batch(r.port, "break checkpoint", "continue", "print counter", "print $pc == checkpoint+4",
                       "set var counter = 99", "print counter", "monitor qemu-stats", "kill", file=guest(sc))
    no_remote_errors(out)
    expect(r"^\$1 = 5$", out, "connect mode reads memory")
    expect(r"^\$3 = 99$", out, "connect mode writes memory")
    # The QEMU at the other end of the socket is not remora's child: as root (CI) remora may open
    # its memory; elsewhere Yama may refuse, and every byte goes through QEMU's gdbstub.
    if os.geteuid() == 0:
        expect(r"^host-memory on: /proc/\d+/mem, guest_base 0x0$", out, "the host view of a QEMU remora did not start")
        check(int(expect(r"^host-bytes-written (\d+)$", out, "host writes").group(1)) >= 8, "the write went through it")
    else:
        expect(r"^host-memory (on|off)", out, "qemu-stats says whether the host view is used")
    check(wait_until(lambda: q.poll() is not None, 5), "k through remora ended the QEMU it connected to")


SCENARIOS = {
    "qemu_user_gdb": s_user_gdb,
    "qemu_user_restore_dump": s_user_restore_dump,
    "qemu_packets": s_packets,
    "qemu_user_host_memory": s_user_host_memory,
    "qemu_connect_and_errors": s_connect_and_errors,
}


def main() -> int:
    return harness.scenario_main(__doc__, SCENARIOS, tools=(QEMU, harness.GDB), needs_programs=True)


if __name__ == "__main__":
    sys.exit(main())
