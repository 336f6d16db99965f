#!/usr/bin/env python3
"""End-to-end tests of the QEMU proxy backend in system mode: the real gdb through remora in
front of qemu-system-i386 7.2 (TCG, `-S -gdb unix:...`), debugging the multiboot kernel in
qemu_system/ (paging on, one page left unmapped, a tick() loop that reports on the serial port).

    qemu_system_scenarios.py --remora PATH --workdir DIR --programs DIR SCENARIO [SCENARIO...]
    qemu_system_scenarios.py --list

--programs is the directory holding kernel.elf (built with the `remora` target). Built on
harness.py. A missing qemu-system-i386 is a failure, never a skip: `bash cmake/dev.sh test`
installs qemu-system-x86.
"""
from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
from harness import Remora, Scenario, check, expect, reject, wait_until  # noqa: E402

QEMU = "qemu-system-i386"


def kernel(sc: Scenario) -> str:
    check(sc.programs is not None, "the QEMU system scenarios need --programs DIR")
    path = sc.programs / "kernel.elf"
    check(path.exists(), f"kernel missing: {path} (build the `remora` target)")
    return str(path)


class Machine:
    """One QEMU (two vCPUs; the kernel runs on the first, the second waits for a SIPI with paging
    off), remora in front of it and an interactive gdb with the kernel's symbols."""

    def __init__(self, sc: Scenario, *remora_options: str, qemu_args: tuple[str, ...] = ("-smp", "2")):
        self.kernel = kernel(sc)
        self.sock = str(sc.path("qemu-gdb.sock"))
        self.serial = sc.path("serial.txt")
        self.qemu = sc.popen([QEMU, "-kernel", self.kernel, "-S", "-gdb", f"unix:{self.sock},server=on,wait=off",
                              *qemu_args, "-display", "none", "-serial", f"file:{self.serial}", "-nodefaults"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        check(wait_until(lambda: Path(self.sock).exists(), 10), "QEMU created its gdb socket")
        self.remora: Remora = sc.start_remora("--target", "qemu:unix:" + self.sock, *remora_options)
        self.gdb = sc.gdb_interactive()
        # The harness selects x86-64 for its programs; this kernel is i386 (QEMU's target.xml too).
        self.gdb.run("set architecture auto")
        self.gdb.run(f"file {self.kernel}")
        out = self.gdb.run(f"target remote 127.0.0.1:{self.remora.port}")
        expect(r"0x0000fff0 in \?\? \(\)", out, "connected at the reset vector")

    def run(self, command: str, timeout: float = 15) -> str:
        out = self.gdb.run(command, timeout)
        reject(r"Remote failure reply|Remote connection closed|Remote communication error|internal-error",
               out, f"gdb talks to remora cleanly ({command})")
        return out

    def stats(self) -> dict[str, int]:
        out = self.run("monitor qemu-stats")
        return {k: int(v) for k, v in re.findall(r"^([a-z-]+) (\d+)$", out, re.M)}

    def serial_text(self) -> str:
        return self.serial.read_text(errors="replace") if self.serial.exists() else ""

    def break_at_tick(self, n: int) -> None:
        self.run("break tick")
        out = self.run("continue", timeout=30)
        expect(rf"Breakpoint 1, tick \(n={n}\)", out, f"stopped at tick({n})")


def addr_of(m: Machine, symbol: str) -> int:
    return int(expect(r"(0x[0-9a-f]+)", m.run(f"print/x (unsigned)&{symbol}"), f"&{symbol}").group(1), 16)


def s_gdb_basics(sc: Scenario) -> None:
    """registers, break, step/next, print and set var (the kernel's serial output proves the write
    landed), vCPUs as threads, kill."""
    m = Machine(sc)
    out = m.run("info registers")
    for reg, value in (("eip", "0xfff0"), ("cs", "0xf000"), ("cr0", "0x60000010"), ("eflags", "0x2")):
        expect(rf"^{reg}\s+{value}\b", out, f"info registers: {reg} at reset")
    out = m.run("info threads")
    expect(r"Thread 1\.1 .*\n.*Thread 1\.2", out, "two vCPUs, two threads")
    m.break_at_tick(1)
    expect(r"^\$\d+ = 1$", m.run("print paging_on"), "the kernel turned paging on")
    expect(r"^\$\d+ = 0x11223344$", m.run("print/x source"), "print a global")
    m.run("set var source = 0xcafef00d")
    out = m.run("next")
    expect(r"counter = n;", out, "next stepped one line")
    expect(r"^\$\d+ = 0xcafef00d$", m.run("print/x copy"), "the kernel copied the written value")
    eip = m.run("print/x $eip")
    m.run("stepi")
    check(m.run("print/x $eip") != eip, "stepi moved eip")
    out = m.run("continue", timeout=30)
    expect(r"Breakpoint 1, tick \(n=2\)", out, "the breakpoint hit again")
    expect(r"^\$\d+ = 1$", m.run("print counter"), "counter from the first tick")
    check(wait_until(lambda: "tick 00000001 copy cafef00d" in m.serial_text(), 5),
          f"the kernel printed the written value: {m.serial_text()[-300:]!r}")
    m.gdb.run("kill")
    check(wait_until(lambda: m.qemu.poll() is not None, 10), "k through remora ended QEMU")


def s_crossing_write(sc: Scenario) -> None:
    """A write crossing into the unmapped page: the prefix lands, the rest does not (checked
    through QEMU's physical-memory mode), and the cache follows the vCPU and the mode."""
    m = Machine(sc)
    m.break_at_tick(1)
    hole = addr_of(m, "hole")
    check(hole % 4096 == 0, f"hole {hole:#x} is page-aligned")
    out = m.run(f"x/8xb {hole:#x}")
    expect(rf"Cannot access memory at address {hole:#x}", out, "the hole is unmapped for vCPU 1")
    values = ", ".join(str(i) for i in range(1, 17))
    out = m.run(f"set {{unsigned char[16]}}{hole - 8:#x} = {{{values}}}")
    expect(rf"Cannot access memory at address {hole - 8:#x}", out, "the crossing write fails")
    out = m.run(f"x/8xb {hole - 8:#x}")
    expect(r":\s+0x01\s+0x02\s+0x03\s+0x04\s+0x05\s+0x06\s+0x07\s+0x08$", out, "the prefix was written")
    expect(rf"write stopped at {hole:#x} after 8 of 16 bytes", m.remora.trace(), "remora names the boundary")
    # Physical mode (identity-mapped kernel): the hole's page still holds the kernel's 0x55s.
    expect(r'received: "OK"', m.run("maint packet Qqemu.PhyMemMode:1"), "Qqemu.PhyMemMode reaches QEMU")
    expect(r'received: "1"', m.run("maint packet qqemu.PhyMemMode"), "QEMU is in physical mode")
    out = m.run(f"x/16xb {hole:#x}")
    expect(r":\s+(0x55\s+){7}0x55\n.*:\s+(0x55\s+){7}0x55$", out, "nothing landed past the boundary")
    expect(r'received: "OK"', m.run("maint packet Qqemu.PhyMemMode:0"), "back to virtual mode")
    out = m.run(f"x/8xb {hole:#x}")
    expect(rf"Cannot access memory at address {hole:#x}", out, "virtual again: the physical bytes are not served")
    # vCPU 2 never turned paging on: through it the same address is the physical page.
    m.run("thread 2")
    out = m.run(f"x/4xb {hole:#x}")
    expect(r":\s+0x55\s+0x55\s+0x55\s+0x55$", out, "memory through vCPU 2 (paging off)")
    m.run("thread 1")
    out = m.run(f"x/4xb {hole:#x}")
    expect(rf"Cannot access memory at address {hole:#x}", out, "vCPU 1 again: vCPU 2's view is not served")
    m.run("delete")
    m.run("break tick if n == 2")
    m.run("continue", timeout=30)
    check(wait_until(lambda: "edge 0102030405060708" in m.serial_text(), 5),
          f"the kernel sees the written prefix: {m.serial_text()[-200:]!r}")


def s_rom_and_devices(sc: Scenario) -> None:
    """A debug write into the BIOS ROM succeeds as QEMU allows; reads outside known RAM/ROM ask
    QEMU for exactly the bytes asked, reads in RAM fill cache blocks."""
    m = Machine(sc)
    m.break_at_tick(1)
    original = expect(r":\s+(0x[0-9a-f]+)", m.run("x/1xw 0xf0000"), "read the BIOS ROM").group(1)
    m.run("set {unsigned int}0xf0000 = 0x12345678")
    expect(r":\s+0x12345678$", m.run("x/1xw 0xf0000"), "the ROM write reads back")
    m.run(f"set {{unsigned int}}0xf0000 = {original}")
    # The IOAPIC (MMIO at 0xfec00000) is reachable in physical mode only (the kernel maps 4 MiB).
    m.run("maint packet Qqemu.PhyMemMode:1")
    before = m.stats()
    m.run("x/1xw 0xfec00000")
    after = m.stats()
    received = after["bytes-received"] - before["bytes-received"]
    print(f"MMIO x/1xw: {after['m'] - before['m']} m request(s), {received} bytes from QEMU")
    check(after["m"] - before["m"] == 1 and received < 64,
          f"an MMIO read fetched only the 4 bytes asked ({after['m'] - before['m']} m, {received} bytes)")
    before = after
    m.run("x/1xw 0x8000")
    after = m.stats()
    received = after["bytes-received"] - before["bytes-received"]
    print(f"RAM x/1xw: {after['m'] - before['m']} m request(s), {received} bytes from QEMU")
    check(received >= 512, f"a RAM read filled a cache block ({received} bytes)")
    before = after
    m.run("x/1xw 0x8010")
    check(m.stats()["m"] == before["m"], "the next read in that block came from the cache")
    m.run("maint packet Qqemu.PhyMemMode:0")
    before = m.stats()
    m.run("x/1xw &counter")
    after = m.stats()
    check(after["bytes-received"] - before["bytes-received"] >= 512,
          "virtual mode: a RAM page (translated through QEMU's monitor) is read a block at a time")


def s_interrupt(sc: Scenario) -> None:
    """^C while the kernel runs: remora forwards 0x03, which system-mode QEMU reads while running."""
    m = Machine(sc)
    m.break_at_tick(1)
    m.run("delete")
    for round_ in (1, 2):
        m.gdb.send("continue")
        time.sleep(1.0)
        m.gdb.interrupt()
        m.gdb.wait_for(r"received signal SIGINT", 20)
        counter = int(expect(r"^\$\d+ = (\d+)$", m.run("print counter"), "counter").group(1))
        check(counter >= round_, f"the kernel ran between the stops (counter {counter})")
    expect(r"^eip\s+0x[0-9a-f]+", m.run("info registers eip"), "registers after ^C")


def s_qemu_packets(sc: Scenario) -> None:
    """QEMU's own qqemu.* packets pass through remora; bs/bc only where QEMU offers reverse
    execution (here it does not: remora answers empty, as for any unsupported packet, and QEMU,
    which would abort on them, never sees them)."""
    m = Machine(sc)
    expect(r'received: "sstepbits;sstep;PhyMemMode"', m.run("maint packet qqemu.Supported"), "qqemu.Supported")
    expect(r'received: "ENABLE=1,NOIRQ=2,NOTIMER=4"', m.run("maint packet qqemu.sstepbits"), "qqemu.sstepbits")
    expect(r'received: "OK"', m.run("maint packet Qqemu.sstep=0x5"), "Qqemu.sstep")
    expect(r'received: "0x5"', m.run("maint packet qqemu.sstep"), "QEMU kept the step flags")
    # QEMU 7.2 itself aborts on an assertion when sent bs without record/replay: never forwarded.
    expect(r'received: ""', m.run("maint packet bs"), "no reverse step without record/replay")
    expect(r'received: ""', m.run("maint packet bc"), "no reverse continue without record/replay")
    check(m.qemu.poll() is None, "QEMU is still running")
    out = m.run("stepi")
    expect(r"0x[0-9a-f]+ in \?\? \(\)", out, "stepping still works")
    trace = m.remora.trace()
    expect(r"-> qqemu\.Supported\n.*<- sstepbits;sstep;PhyMemMode", trace, "the reply came from QEMU")
    reject(r"ReverseStep\+", trace, "reverse execution not offered")


def s_reverse(sc: Scenario) -> None:
    """bs/bc reach QEMU where it offers reverse execution (replaying an -icount recording) and
    QEMU's answer comes back; the link to QEMU stays in step afterwards."""
    log = sc.path("replay.bin")
    record_serial = sc.path("record-serial.txt")
    icount = "shift=auto,rr={},rrfile=" + str(log)
    rec = sc.popen([QEMU, "-kernel", kernel(sc), "-icount", icount.format("record"), "-display", "none",
                    "-serial", f"file:{record_serial}", "-nodefaults"],
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    check(wait_until(lambda: record_serial.exists() and "tick 00000002" in record_serial.read_text(errors="replace"),
                     20), "the recording ran two ticks")
    rec.terminate()
    check(rec.wait(timeout=10) is not None and log.exists(), "QEMU wrote its replay log")
    m = Machine(sc, qemu_args=("-icount", icount.format("replay")))
    trace = m.remora.trace()
    expect(r"<- PacketSize=[0-9a-f]+;.*ReverseStep\+;ReverseContinue\+", trace, "reverse execution offered")
    before = m.stats()["requests"]
    out = m.run("reverse-stepi")
    after = m.stats()["requests"]
    expect(r"-> bs$", m.remora.trace(), "gdb sent bs")
    expect(r"Program stopped\.", out, "gdb got QEMU's refusal as a stop without a signal, as from QEMU itself")
    check(after - before >= 1, f"bs went to QEMU ({after - before} requests)")
    print(f"reverse-stepi at the start of the log: {out.strip()!r}")
    expect(r"QEMU answered E14", m.remora.stderr.text + m.remora.trace() + out, "QEMU's refusal came back")
    expect(r'received: "sstepbits;sstep;PhyMemMode"', m.run("maint packet qqemu.Supported"), "the link is in step")
    expect(r"0x[0-9a-f]+ in \?\? \(\)", m.run("stepi"), "stepping forward still works")


SCENARIOS = {
    "qsys_gdb_basics": s_gdb_basics,
    "qsys_crossing_write": s_crossing_write,
    "qsys_rom_and_devices": s_rom_and_devices,
    "qsys_interrupt": s_interrupt,
    "qsys_qemu_packets": s_qemu_packets,
    "qsys_reverse": s_reverse,
}


def main() -> int:
    return harness.scenario_main(__doc__, SCENARIOS, tools=(QEMU, harness.GDB), needs_programs=True)


if __name__ == "__main__":
    sys.exit(main())
