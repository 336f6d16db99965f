#!/usr/bin/env python3
"""Writes the hand-made seeds of corpus/loaders and corpus/qemu_replies (seed-* files; the
fuzzers' finds sit beside them, named by SHA-1). Byte 0 of each seed picks the part under test,
as loaders_fuzzer.cpp and qemu_replies_fuzzer.cpp describe.

corpus/qemu_replies/seed-tdesc-qemu72 is not written here: it is QEMU 7.2's own target.xml and
i386-64bit.xml (qemu-x86_64 -g, read with qXfer:features:read), joined by a NUL; the variants
below are made from it.

    python3 tests/fuzz/make_target_seeds.py
"""
from __future__ import annotations

import struct
from pathlib import Path

HERE = Path(__file__).resolve().parent
LOADERS = HERE / "corpus" / "loaders"
QEMU = HERE / "corpus" / "qemu_replies"


def elf(segments: list[tuple[int, int, int, bytes, int]], *, cls: int = 2, machine: int = 62,
        phoff: int | None = None, entry: int = 0x401000) -> bytes:
    """An ELF64 LE executable; segments are (p_type, p_flags, p_vaddr, data, p_memsz)."""
    ehsize, phentsize = 64, 56
    phoff = ehsize if phoff is None else phoff
    data_off = ehsize + phentsize * len(segments)
    header = b"\x7fELF" + bytes([cls, 1, 1, 0]) + bytes(8)
    header += struct.pack("<HHIQQQIHHHHHH", 2, machine, 1, entry, phoff, 0, 0, ehsize, phentsize,
                          len(segments), 64, 0, 0)
    phdrs, blobs, off = b"", b"", data_off
    for p_type, flags, vaddr, data, memsz in segments:
        phdrs += struct.pack("<IIQQQQQQ", p_type, flags, off, vaddr, vaddr, len(data), memsz, 0x1000)
        blobs += data
        off += len(data)
    return header + phdrs + blobs


def loader_seeds() -> dict[str, bytes]:
    text = b"\x90" * 16 + b"\xeb\xfe"
    good = elf([(1, 5, 0x401000, text, 0x1000), (1, 6, 0x600000, b"data", 0x2000)])
    return {
        "image-elf": b"\x00" + good,
        "image-elf-note-and-load": b"\x00" + elf([(4, 4, 0, b"", 0), (1, 7, 0x500000, text, 0x10)]),
        "image-elf32": b"\x00" + elf([(1, 5, 0x401000, text, 0x1000)], cls=1),
        "image-elf-arm": b"\x00" + elf([(1, 5, 0x401000, text, 0x1000)], machine=183),
        "image-elf-truncated": b"\x00" + good[:90],
        "image-elf-filesz-over-memsz": b"\x00" + elf([(1, 5, 0x401000, text, 4)]),
        "image-elf-wraps": b"\x00" + elf([(1, 5, 0xfffffffffffff000, text, 0x2000)]),
        "image-elf-phoff-outside": b"\x00" + elf([(1, 5, 0x401000, text, 0x1000)], phoff=0xfffffff0),
        "image-elf-overlap": b"\x00" + elf([(1, 5, 0x401000, text, 0x1000), (1, 6, 0x401800, b"x", 0x1000)]),
        "image-raw": b"\x00" + text,
        "image-empty": b"\x00",
        "region-ok": b"\x01" + b"0x600000,0x1000,rw-,data",
        "region-named-commas": b"\x01" + b"0x1000,4096,r-x,a,b",
        "region-zero": b"\x01" + b"0,0,rwx",
        "region-wraps": b"\x01" + b"0xffffffffffffff00,0x1000,rw",
        "region-short": b"\x01" + b"1,2",
        "region-bad-perms": b"\x01" + b"1,2,rwq",
        "region-bad-number": b"\x01" + b"0x,08,rw",
        "fault-read": b"\x02" + b"read:0x600000",
        "fault-write-len": b"\x02" + b"write:0x600000,16",
        "fault-kind": b"\x02" + b"exec:0x1",
        "fault-zero-len": b"\x02" + b"write:1,0",
        "fault-bad-addr": b"\x02" + b"read:zz",
    }


def frame(payload: bytes, lead: bytes = b"$") -> bytes:
    return lead + payload + b"#" + b"%02x" % (sum(payload) & 0xFF)


def client_mode(no_ack: bool, chunk: int) -> bytes:
    mode = (chunk << 1) | int(no_ack)
    return bytes([3 * mode])  # byte0 % 3 == 0 selects the client stream; byte0 / 3 is the mode


def qemu_seeds() -> dict[str, bytes]:
    stream = (b"+" + frame(b"PacketSize=1000;qXfer:features:read+") + frame(b"T05thread:01;")
              + frame(b"0* 1234") + frame(b"Stop:T05thread:02;", b"%") + b"-" + frame(b"OK")[:-2] + b"zz"
              + frame(b"E14") + frame(b"W00"))
    oversized = b"$" + b"a" * 5000 + b"#00" + frame(b"OK")
    seeds = {
        "client-whole-ack": client_mode(False, 0) + stream,
        "client-bytewise-ack": client_mode(False, 1) + stream,
        "client-chunks-noack": client_mode(True, 7) + stream,
        "client-oversized": client_mode(False, 0) + oversized,
        "client-garbage": client_mode(True, 3) + bytes(range(256)),
        "thread-p": b"\x02p1.1",
        "thread-plain": b"\x02" + b"9d0",
        "thread-all": b"\x02-1",
        "thread-bad": b"\x02pzz.1",
        "thread-empty": b"\x02",
    }
    captured = (QEMU / "seed-tdesc-qemu72").read_bytes()
    root, core = captured[1:].split(b"\x00", 1)
    seeds["tdesc-missing-include"] = b"\x01" + root.replace(b"i386-64bit.xml", b"gone.missing") + b"\x00" + core
    seeds["tdesc-self-include"] = b"\x01" + root + b"\x00" + root  # includes itself until the depth limit
    seeds["tdesc-truncated"] = b"\x01" + root + b"\x00" + core[: len(core) // 2]
    seeds["tdesc-regnum-gap"] = b"\x01" + root + b"\x00" + core.replace(b'name="rbx"', b'name="rbx" regnum="40"', 1)
    seeds["tdesc-no-registers"] = b"\x01" + b"<target><architecture>i386:x86-64</architecture></target>"
    seeds["tdesc-comment-unclosed"] = b"\x01" + b"<target><!-- <reg name=\"x\" bitsize=\"64\"/></target>"
    return seeds


def main() -> None:
    for directory, seeds in ((LOADERS, loader_seeds()), (QEMU, qemu_seeds())):
        directory.mkdir(parents=True, exist_ok=True)
        for name, data in seeds.items():
            (directory / f"seed-{name}").write_bytes(data)
        print(f"{directory}: {len(seeds)} seeds")


if __name__ == "__main__":
    main()
