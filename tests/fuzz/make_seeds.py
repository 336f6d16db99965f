#!/usr/bin/env python3
"""Writes the hand-made seed corpora of tests/fuzz/ (see README.md).

corpus/session/seed-*:  byte 0 is the session fuzzer's mode byte (bit 0: no-ack, bits 1-3:
                        chunking, bit 4: extended mode, bit 5: memory map, bits 6-7: disconnect
                        action), the rest is what the client sends.
corpus/decoders/seed-*: packet arguments, handed to every decoder as they are.

Every route of rsp/dispatch.cpp gets valid and malformed forms; the replay (replay_corpus.cpp)
fails if a route, a decode failure or a DecodeError kind is never reached, so a new route needs
a line in ROUTES below. Files the fuzzer added (named by their SHA-1) are left alone; seed-* files
are rewritten.

usage: make_seeds.py [CORPUS_DIR]   (default: the corpus/ beside this script)
"""
import pathlib
import sys

# The fuzz layout (session_fuzzer.cpp): text r-x at 0x400000, data rw- at 0x600000 with a write
# fault at 0x608000..0x608100, rom r-- at 0x700000, jit rwx at 0x800000; unmapped in between.
TEXT, DATA, FAULT, ROM, JIT, GAP = 0x400000, 0x600000, 0x608000, 0x700000, 0x800000, 0x500000
REGS_BYTES = 560  # amd64 with the linux and segment-base registers: the `g` block


def h(n):
    return "%x" % n


def hexs(text):
    return text.encode().hex()


def le64(n):
    return n.to_bytes(8, "little").hex()


# route name -> (valid forms, malformed forms). Malformed forms between them produce every
# DecodeError kind (named in the comments).
ROUTES = {
    "?": (["?"], ["?x"]),  # trailing_garbage
    "!": (["!"], ["!x"]),
    "m": ([f"m{h(TEXT)},10", f"m{h(DATA + 0xfff0)},40", f"m{h(ROM)},1000", f"m{h(GAP)},4", f"m{h(DATA)},0",
           f"m{h(DATA)},ffffffff", f"m{h(JIT + 0xff8)},100"],
          ["m,4",                       # empty_field
           "mzz,4",                     # bad_hex
           "m11112222333344445,1",      # overflow
           "m1000",                     # missing_field
           "mffffffffffffffff,2"]),     # address_wrap
    "x": ([f"x{h(TEXT)},10", "x0,0", f"x{h(DATA)},800", f"x{h(GAP)},1"], ["x1000", "x1000,"]),
    "M": ([f"M{h(DATA)},4:01020304", f"M{h(FAULT - 2)},4:aabbccdd", f"M{h(ROM)},1:00", f"M{h(GAP)},1:00",
           f"M{h(JIT)},2:ebfe", f"M{h(DATA)},0:"],
          [f"M{h(DATA)},4:00",               # length_mismatch
           f"M{h(DATA)},1:0",                # odd_hex_length
           f"M{h(DATA)},1:zz",               # bad_hex
           "M0,8000000000000000:",           # too_long
           f"M{h(DATA)},1"]),                # missing_field
    "X": ([f"X{h(DATA)},4:ab}}]c", "X0,0:", f"X{h(FAULT)},1:a", f"X{h(ROM)},1:a"],
          [f"X{h(DATA)},1:}}",                # bad_escape
           f"X{h(DATA)},2:a"]),              # length_mismatch
    "g": (["g", "g;thread:1;", "g;thread:p1.1;"], ["gx", "g;thread:", "g;foo:1"]),  # bad_thread_id
    "G": (["G" + "00" * REGS_BYTES, "G0011", "G"], ["G1", "Gzz", "G00;thread:zz;"]),
    "p": (["p0", "p10", "p11", "p100", "p10;thread:1;"], ["p", "pzz", "p10000"]),
    "P": (["P10=" + le64(TEXT + 4), "P0=1122334455667788", "P11=00", "P10=" + le64(TEXT) + ";thread:1;"],
          ["P10", "P10=", "P10=0", "Pz=00", "P10000=00"]),
    "c": (["c", f"c{h(TEXT + 0x10)}", f"c{h(GAP)}"], ["cz", "c11112222333344445"]),
    "C": (["C05", f"C0b;{h(TEXT)}"], ["C", "C100", "C05;", "C05;zz"]),  # empty_field, overflow
    "s": (["s", f"s{h(TEXT + 4)}"], ["sz"]),
    "S": (["S05", f"S05;{h(TEXT)}"], ["S", "Szz"]),
    "H": (["Hg0", "Hg-1", "Hgp1.1", "Hc-1", "Hg2", "Hgp-1.-1", "Hgp1"], ["H", "Hx1", "Hg", "Hgzz", "Hgp1.zz"]),
    "T": (["T1", "Tp1.1", "T2"], ["T", "Tzz", "Tp8000000000000000"]),
    "Z": ([f"Z0,{h(TEXT + 0x20)},1", f"Z1,{h(TEXT + 0x30)},1", f"Z2,{h(DATA)},4", f"Z3,{h(DATA)},8",
           f"Z4,{h(DATA)},1", f"Z0,{h(GAP)},1"],
          ["Z9,1000,1",                   # unknown_action
           "Z0,1000,20000",               # bad_value
           "Z0,ffffffffffffffff,2",       # address_wrap
           "Z0,1000", "Z0"]),
    "z": ([f"z0,{h(TEXT + 0x20)},1", f"z1,{h(TEXT + 0x30)},1", f"z2,{h(DATA)},4"], ["z", "z0,1000,zz"]),
    "D": (["D", "D;1", "D;2"], ["D1", "D;", "D;zz"]),
    "k": (["k"], ["kx"]),
    "vKill": (["vKill;1", "vKill;2"], ["vKill", "vKill;", "vKill;8000000000000000", "vKill:1"]),
    "vCont?": (["vCont?"], ["vCont?;c"]),
    "vCont": (["vCont;c", "vCont;s:1", "vCont;t", f"vCont;r{h(TEXT)},{h(TEXT + 0x10)}", "vCont;C05:p1.1;c",
               "vCont;s:2;c", "vCont;S0b"],
              ["vCont", "vCont;", "vCont;q", "vCont;cx", "vCont;C100", "vCont;r10", "vCont;c:zz"]),
    "qSupported": (["qSupported", "qSupported:multiprocess+;swbreak+;hwbreak+;error-message+;xmlRegisters=i386"],
                   ["qSupported;x", "qSupported:" + ";".join(["f%d+" % i for i in range(300)])]),  # too_long
    "QStartNoAckMode": (["QStartNoAckMode"], ["QStartNoAckMode:1"]),
    "qAttached": (["qAttached", "qAttached:1", "qAttached:2"], ["qAttached:", "qAttached;1", "qAttached:zz"]),
    "qXfer": (["qXfer:features:read:target.xml:0,fff", "qXfer:features:read:target.xml:100,10",
               "qXfer:features:read:64bit-sse.xml:0,80", "qXfer:features:read:target.xml:100000,10",
               "qXfer:features:read:nope.xml:0,10", "qXfer:memory-map:read::0,fff", "qXfer:memory-map:read:x:0,10",
               "qXfer:auxv:read::0,100"],
              ["qXfer", "qXfer:", "qXfer:features:write:target.xml:0,1", "qXfer:features:read:target.xml",
               "qXfer:features:read:target.xml:0", "qXfer:features:read:target.xml:zz,1"]),
    "qC": (["qC"], ["qC:1"]),
    "qfThreadInfo": (["qfThreadInfo"], ["qfThreadInfo;"]),
    "qsThreadInfo": (["qsThreadInfo"], ["qsThreadInfo:1"]),
    "qRcmd": (["qRcmd," + hexs(c) for c in ["help", "stats", "regions", f"fault write {h(DATA)},10",
                                          f"fault read {h(ROM)}", "fault clear", "fault bogus", "fault write zz",
                                          "fault read 1", "nosuch", "  "]] + ["qRcmd,"],
              ["qRcmd", "qRcmd,7", "qRcmd,zz"]),
    "QThreadSuffixSupported": (["QThreadSuffixSupported"], ["QThreadSuffixSupported:1"]),
    "QListThreadsInStopReply": (["QListThreadsInStopReply"], ["QListThreadsInStopReply;"]),
    "QEnableErrorStrings": (["QEnableErrorStrings"], ["QEnableErrorStrings,1"]),
    # routes_process.cpp (issue 4): the emulated target has no ProcessControl/SignalControl/XferObjects,
    # so valid forms mostly get the empty reply; they still reach the decoders and handlers' gates.
    "vRun": ([f"vRun;{hexs('/bin/true')};{hexs('a')};", "vRun;"], ["vRun", "vRun;zz", "vRun;616", "vRun;6100"]),
    "vAttach": (["vAttach;1"], ["vAttach", "vAttach;zz"]),
    "R": (["R0", "R"], ["Rx"]),
    "QEnvironmentHexEncoded": ([f"QEnvironmentHexEncoded:{hexs('A=1=2')}"],
                               [f"QEnvironmentHexEncoded:{hexs('A')}", "QEnvironmentHexEncoded"]),
    "QEnvironmentUnset": ([f"QEnvironmentUnset:{hexs('A')}"], ["QEnvironmentUnset:", "QEnvironmentUnset"]),
    "QEnvironmentReset": (["QEnvironmentReset"], ["QEnvironmentReset:1"]),
    "QSetWorkingDir": ([f"QSetWorkingDir:{hexs('/tmp')}", "QSetWorkingDir:"], ["QSetWorkingDir", "QSetWorkingDir:2f00"]),
    "QDisableRandomization": (["QDisableRandomization:1", "QDisableRandomization:0"],
                              ["QDisableRandomization:2", "QDisableRandomization:"]),
    "QStartupWithShell": (["QStartupWithShell:1"], ["QStartupWithShell"]),
    "QPassSignals": (["QPassSignals:e;14;", "QPassSignals:"], ["QPassSignals:100", "QPassSignals:;"]),
    "QProgramSignals": (["QProgramSignals:2;9;"], ["QProgramSignals"]),
    "QCatchSyscalls": (["QCatchSyscalls:1", "QCatchSyscalls:1;1;3c", "QCatchSyscalls:0"],
                       ["QCatchSyscalls:0;1", "QCatchSyscalls:2"]),
    "QThreadEvents": (["QThreadEvents:1", "QThreadEvents:0"], ["QThreadEvents:x"]),
    # Non-stop (routes_non_stop.cpp): refused by the emulated target, which has no non-stop mode.
    "QNonStop": (["QNonStop:1", "QNonStop:0"], ["QNonStop:2", "QNonStop"]),
    "vStopped": (["vStopped"], ["vStopped:1"]),
    "vCtrlC": (["vCtrlC"], ["vCtrlC;1"]),
    "qThreadExtraInfo": (["qThreadExtraInfo,1", "qThreadExtraInfo,p1.1", "qThreadExtraInfo,2"],
                         ["qThreadExtraInfo", "qThreadExtraInfo,zz"]),
    "qSearch:memory": ([f"qSearch:memory:{h(TEXT)};100;\x90\x90", f"qSearch:memory:{h(DATA)};10000;a}}]",
                        f"qSearch:memory:{h(ROM)};100000;xyz"],
                       ["qSearch:memory:0;1;", "qSearch:memory:ffffffffffffffff;2;a", "qSearch:memory:1000"]),
    "qCRC": ([f"qCRC:{h(TEXT)},100", f"qCRC:{h(ROM)},100000", "qCRC:0,0"], ["qCRC:1000", "qCRC:ffffffffffffffff,2"]),
    "qXfer:auxv": (["qXfer:auxv:read::0,100"], ["qXfer:auxv:read::0", "qXfer:auxv:erase::0,1"]),
    "qXfer:exec-file": (["qXfer:exec-file:read:1:0,100"], ["qXfer:exec-file:read"]),
    "qXfer:libraries": (["qXfer:libraries:read::0,100"], ["qXfer:libraries:read::zz,1"]),
    "qXfer:libraries-svr4": (["qXfer:libraries-svr4:read::0,100"], ["qXfer:libraries-svr4:write::0"]),
    "qXfer:osdata": (["qXfer:osdata:read:processes:0,100"], ["qXfer:osdata:read::0,"]),
    "qXfer:siginfo": (["qXfer:siginfo:read::0,80", "qXfer:siginfo:write::0:abc"],
                      ["qXfer:siginfo:write::0:a}", "qXfer:siginfo:write:0"]),
    "qXfer:threads": (["qXfer:threads:read::0,fff", "qXfer:threads:read::10,10", "qXfer:threads:read:x:0,10"],
                      ["qXfer:threads:read::0", "qXfer:threads:write:0"]),
    # routes_lldb.cpp: the emulated target has memory regions and an allocator (first block at
    # 0x10000000), so _M / _m / qMemoryRegionInfo reach their targets' work, not just the gate.
    "qHostInfo": (["qHostInfo"], ["qHostInfo:1"]),
    "qProcessInfo": (["qProcessInfo"], ["qProcessInfo;"]),
    "qRegisterInfo": (["qRegisterInfo0", "qRegisterInfo10", "qRegisterInfo11", "qRegisterInfo1000"],
                      ["qRegisterInfo",                # empty_field
                       "qRegisterInfozz",              # bad_hex
                       "qRegisterInfo10000"]),         # overflow
    "qGetWorkingDir": (["qGetWorkingDir"], ["qGetWorkingDir:2f"]),
    "qWatchpointSupportInfo": (["qWatchpointSupportInfo:", "qWatchpointSupportInfo"], ["qWatchpointSupportInfo:1"]),
    "jThreadsInfo": (["jThreadsInfo"], ["jThreadsInfo:"]),
    "qThreadStopInfo": (["qThreadStopInfo1", "qThreadStopInfop1.1", "qThreadStopInfo2"],
                        ["qThreadStopInfo", "qThreadStopInfozz", "qThreadStopInfop1.zz"]),
    "qMemoryRegionInfo": ([f"qMemoryRegionInfo:{h(TEXT)}", f"qMemoryRegionInfo:{h(GAP)}", "qMemoryRegionInfo:0",
                           f"qMemoryRegionInfo:{h(JIT + 0x10)}", "qMemoryRegionInfo:ffffffffffffffff"],
                          ["qMemoryRegionInfo",            # missing_field
                           "qMemoryRegionInfo:",           # empty_field
                           "qMemoryRegionInfo:zz"]),
    "_M": (["_M1000,rw", "_M2001,rwx", "_M1,", "_M200000000,r"],
           ["_M1000",                       # missing_field
            "_M0,r",                        # bad_value (size 0)
            "_M1000,rr", "_M1000,q", "_Mzz,r"]),
    "_m": (["_m10000000", f"_m{h(TEXT)}"], ["_m", "_mzz", "_m11112222333344445"]),
    "QSaveRegisterState": (["QSaveRegisterState", "QSaveRegisterState;thread:1;", "QSaveRegisterState;thread:2;"],
                           ["QSaveRegisterState:1", "QSaveRegisterState;thread:zz;"]),
    "QRestoreRegisterState": (["QRestoreRegisterState:1", "QRestoreRegisterState:1;thread:1;"],
                              ["QRestoreRegisterState", "QRestoreRegisterState:", "QRestoreRegisterState:x",
                               "QRestoreRegisterState:4294967296", "QRestoreRegisterState:1;thread:zz;"]),
    # routes_host_io.cpp: the emulated target has no HostIO, so valid forms get the empty reply;
    # decoding (and its failures) happens before that gate. 2f62696e2f7368 is "/bin/sh".
    "vFile:open": (["vFile:open:2f62696e2f7368,0,1ed", "vFile:open:2f746d702f78,e01,1a4"],
                   ["vFile:open:2f62696e2f7368,3,0",      # bad_value (O_WRONLY|O_RDWR)
                    "vFile:open:2f62696e2f7368,0",        # missing_field
                    "vFile:open:,0,0",                    # empty_field
                    "vFile:open:2f6,0,0",                 # odd_hex_length
                    "vFile:open:2f00,0,0",                # bad_value (NUL in the path)
                    "vFile:open:2f,0,100000000"]),        # overflow (mode)
    "vFile:close": (["vFile:close:3"], ["vFile:close", "vFile:close:zz", "vFile:close:80000000"]),
    "vFile:pread": (["vFile:pread:3,1000,0"], ["vFile:pread:3,10", "vFile:pread:3,zz,0"]),
    "vFile:pwrite": (["vFile:pwrite:3,0,a,b}]"], ["vFile:pwrite:3,0,}", "vFile:pwrite:3"]),
    "vFile:fstat": (["vFile:fstat:3"], ["vFile:fstat:"]),
    "vFile:stat": (["vFile:stat:2f62696e2f7368"], ["vFile:stat:2f7"]),
    "vFile:lstat": (["vFile:lstat:2f62696e2f7368"], ["vFile:lstat:zz"]),
    "vFile:readlink": (["vFile:readlink:2f70726f632f312f657865"], ["vFile:readlink"]),
    "vFile:unlink": (["vFile:unlink:2f746d702f78"], ["vFile:unlink:"]),
    "vFile:setfs": (["vFile:setfs:0"], ["vFile:setfs:-1", "vFile:setfs:80000000"]),
    "vFile:size": (["vFile:size:2f62696e2f7368"], ["vFile:size:2f0"]),
    "vFile:mode": (["vFile:mode:2f62696e2f7368"], ["vFile:mode"]),
    "vFile:exists": (["vFile:exists:2f62696e2f7368"], ["vFile:exists:xx"]),
    # QEMU's own packets, forwarded by the QEMU proxy (empty elsewhere); bs/bc reverse execution.
    "qqemu.": (["qqemu.sstep", "qqemu.Supported"], ["qqemu.", "qqemu.a b", "qqemu." + "s" * 300]),  # empty_field, bad_value, too_long
    "Qqemu.": (["Qqemu.PhyMemMode:1", "Qqemu.sstep=0x5"], ["Qqemu.", "Qqemu.x\ty"]),
    "b": (["bs", "bc"], ["b", "bx", "bss"]),  # missing_field, unknown_action, trailing_garbage
}

# Packets no route takes (a name must end at a separator unless its route takes any suffix).
UNKNOWN = ["qFoo", "vMustReplyEmpty", "qTStatus", "qAttachedX", "vContX", "qHostInfoX", "jThreadsInfoX", "_X1000",
           "vFile:MD5:2f62696e2f7368", "vFile:fchmod:3,1ed"]

CLOSING = {"D", "k", "vKill"}  # these end the connection (the fuzzer then reconnects)


def frame(payload, bad_checksum=False):
    data = payload.encode("latin-1") if isinstance(payload, str) else payload
    cs = sum(data) & 0xFF
    if bad_checksum:
        cs ^= 0x55
    return b"$" + data + b"#" + b"%02x" % cs


def conversation(payloads, acks=True):
    """The client's bytes: each packet, then its ack of the reply (as gdb sends in ack mode)."""
    out = b""
    for p in payloads:
        out += frame(p)
        if acks:
            out += b"+"
    return out


def mode(no_ack=False, chunking=0, extended=False, memory_map=False, disconnect=2):
    return bytes([(1 if no_ack else 0) | (chunking << 1) | (0x10 if extended else 0) |
                  (0x20 if memory_map else 0) | (disconnect << 6)])


# The first packets of a real gdb and a real lldb connection.
GDB_HELLO = ["qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;vfork-events+;exec-events+;"
             "vContSupported+;QThreadEvents+;no-resumed+;memory-tagging+;error-message+",
             "vMustReplyEmpty", "QStartNoAckMode", "Hgp0.0", "qXfer:features:read:target.xml:0,ffb", "qTStatus",
             "?", "qfThreadInfo", "qsThreadInfo", "qAttached:1", "Hc-1", "qC", "g", f"m{h(TEXT)},40"]
LLDB_HELLO = ["QStartNoAckMode", "qSupported:xmlRegisters=i386,arm,mips", "QThreadSuffixSupported",
              "QListThreadsInStopReply", "qHostInfo", "vCont?", "qVAttachOrWaitSupported", "QEnableErrorStrings",
              "qProcessInfo", "qC", "qRegisterInfo0", "qRegisterInfo1", "qGetWorkingDir", "?", "qThreadStopInfo1",
              "x0,0", "p10;thread:1;", f"x{h(TEXT)},200", "jThreadsInfo", "qWatchpointSupportInfo:",
              f"qMemoryRegionInfo:{h(TEXT)}"]
# lldb's expression evaluation: save registers, allocate and write code, restore, free.
LLDB_EXPRESSION = ["QSaveRegisterState;thread:1;", "_M1000,rwx", "qMemoryRegionInfo:10000000",
                   "M10000000,2:ebfe", "P10=" + le64(0x10000000) + ";thread:1;", "m10000000,4",
                   "QRestoreRegisterState:1;thread:1;", "QRestoreRegisterState:1", "p10;thread:1;", "_m10000000",
                   "_m10000000", "qMemoryRegionInfo:10000000", "m10000000,4"]


def session_seeds():
    seeds = {}
    for name, (valid, malformed) in ROUTES.items():
        slug = {"?": "query", "!": "bang"}.get(name, name)
        before = ["QEnableErrorStrings"] if name != "QEnableErrorStrings" else []
        # Valid forms; closing packets go last so the rest is still served by the first session.
        ordered = [v for v in valid if name not in CLOSING] + [v for v in valid if name in CLOSING]
        extended = name in ("!", "D", "k", "vKill")
        seeds[f"route-{slug}-valid"] = mode(extended=extended, memory_map=True) + conversation(ordered)
        seeds[f"route-{slug}-valid-noack"] = mode(no_ack=True, chunking=6) + conversation(ordered, acks=False)
        seeds[f"route-{slug}-malformed"] = mode(chunking=1) + conversation(before + malformed)
        for i, v in enumerate(valid[:1]):  # one packet alone: a small input the fuzzer mutates well
            seeds[f"route-{slug}-one-{i}"] = mode(chunking=i % 8) + frame(v)
    seeds["hello-gdb"] = mode() + conversation(GDB_HELLO)
    seeds["hello-gdb-split"] = mode(chunking=3) + conversation(GDB_HELLO)
    seeds["hello-lldb"] = mode(no_ack=True) + conversation(LLDB_HELLO, acks=False)
    seeds["lldb-expression"] = mode(no_ack=True) + conversation(LLDB_EXPRESSION, acks=False)
    seeds["lldb-save-limit"] = mode(no_ack=True) + conversation(["QSaveRegisterState"] * 66, acks=False)
    seeds["unknown"] = mode() + conversation(UNKNOWN)
    # Framing: NACKs, bad checksums (with and without acks), oversized frames, interrupts, junk.
    seeds["frame-nack"] = mode() + frame("g") + b"-" + b"-" + frame("?") + b"+-"
    seeds["frame-bad-checksum"] = mode() + frame("g", bad_checksum=True) + frame("g") + b"+"
    seeds["frame-bad-checksum-noack"] = mode(no_ack=True) + frame("m400000,4", bad_checksum=True)
    seeds["frame-bad-checksum-digits"] = mode() + b"$g#zz$?#3f+"
    seeds["frame-oversized"] = mode() + frame("M600000,1000:" + "00" * 0x1000) + frame("?") + b"+"
    seeds["frame-oversized-split"] = mode(chunking=5) + frame("X600000,900:" + "a" * 0x1100)
    seeds["frame-notification-garbage"] = mode() + b"%Stop:T05#xx" + b"garbage\x00\xff" + frame("?") + b"+"
    seeds["frame-restart"] = mode() + b"$m4000" + frame("g") + b"+" + b"$?#3"
    seeds["frame-rle"] = mode() + b"$m400000,4* #00" + frame("qC")
    seeds["frame-interrupt-stopped"] = mode() + b"\x03" + frame("?") + b"+\x03"
    # Running: spin on `jmp .` in the rwx page until an interrupt; packets meanwhile get busy.
    spin = [f"M{h(JIT)},2:ebfe", "P10=" + le64(JIT), "c"]
    seeds["run-spin-interrupt"] = mode() + conversation(spin) + frame("g") + b"\x03" + b"+" + frame("?") + b"+"
    seeds["run-spin-split"] = mode(chunking=1) + conversation(spin) + b"\x03+"
    seeds["run-spin-vcont"] = mode(no_ack=True) + conversation([f"M{h(JIT)},2:ebfe", "P10=" + le64(JIT),
                                                               "vCont;c:p1.1"], acks=False) + b"\x03" + frame("s")
    seeds["run-spin-kill"] = mode(chunking=6, disconnect=1) + conversation(spin) + b"\x03" + frame("k") + frame("?") + b"+"
    seeds["run-spin-detach"] = mode(disconnect=0) + conversation(spin) + frame("D") + frame("?")
    seeds["run-breakpoint"] = mode() + conversation([f"Z0,{h(TEXT + 0x20)},1", "c", "g", "s", "c", "?"])
    seeds["run-hw-watch"] = mode() + conversation([f"Z1,{h(TEXT + 8)},1", "c", f"z1,{h(TEXT + 8)},1",
                                                  f"vCont;r{h(TEXT)},{h(TEXT + 0x40)}", "vCont;t:2"])
    seeds["run-int3"] = mode() + conversation([f"M{h(JIT)},1:cc", "P10=" + le64(JIT), "c", "c"])
    seeds["run-off-end"] = mode() + conversation(["P10=" + le64(TEXT + 0xfffe), "c", "?", "s"])
    seeds["run-busy"] = mode(chunking=0) + frame("c") + frame("g") + frame("m400000,4")
    # Reconnects: after k / D / monitor exit the next bytes come from a new client (the fuzzer
    # reconnects at a chunk boundary, so these are cut into small chunks).
    seeds["reconnect-kill"] = mode(chunking=4, disconnect=1) + conversation(["k", "?", "g", "m400000,4", "qfThreadInfo",
                                                                "qAttached", "vKill;1", "c", "D"])
    seeds["reconnect-detach"] = mode(chunking=1, disconnect=0) + conversation(["D", "?", "p10", "T1", "Hg1", "vCont;c", "k"])
    seeds["reconnect-exit"] = mode(chunking=2) + conversation(["qRcmd," + hexs("exit"), "?"])
    seeds["extended-kill-run"] = mode(chunking=3, extended=True) + conversation(["!", "k", "?", "c", "D", "g"])
    seeds["errors-gdb-text"] = mode() + conversation(["qSupported:error-message+", "m500000,4", "Z9,0,1", "M700000,1:00"])
    seeds["errors-lldb-text"] = mode(no_ack=True) + conversation(["QEnableErrorStrings", "m500000,4", "p1000"],
                                                                 acks=False)
    return seeds


def decoder_seeds():
    texts = [
        "", "1", "10", "zz", "123", "-1", "0", "p1.1", "p-1.-1", "p1", "p1.", "pzz.1", "p8000000000000000.1",
        "11112222333344445", "ffffffffffffffff,2", "1000,4", "1000,", ",4", "1000,4:00112233", "1000,4:00",
        "1000,1:zz", "1000,1:0", "0,8000000000000000:", "1000,2:}]}}", "1000,1:}", "1000", "0,1000,1", "9,1000,1",
        "0,1000,20000", "2,ffffffffffffffff,2", ";1", ";", ";zz", ":1", ":zz", ";8000000000000000", ",68656c70",
        ",7", ":features:read:target.xml:0,fff", ":features:write:target.xml:0,1", ":features", "::read::0,1",
        ":memory-map:read::0,10", ":multiprocess+;swbreak+;;hwbreak+", ":" + ";".join("f%d" % i for i in range(300)),
        ";c", ";c;s:1;t:p1.1;C05;S0b:-1;r10,20", ";q", ";cx", ";C100", ";r10", ";c:zz", ";:1", "05", "05;1000", "05;",
        "100", "g1", "c-1", "gp1.1", "x1", "g", "10;thread:1;", ";thread:p1.1;", ";foo", "10=0011", "10=", "10=0",
        "10000=00", "=00", "0011;thread:zz", "}", "ab}]c}\x03", "$#*}", "AbCdEf", "deadbeef", "0x10", " 1", "1 ",
        "18446744073709551615", "18446744073709551616", "12a",
        ":413d31", ":41", ":read::0,10", ":write::0:a}]", ":1000;4;ab", ":1000,4", ";2f62696e;6162",
        "10000", ":400000", "1000,rw", "1000,rwx", "1000,", "0,r", "1000,rr", "1000,q", ";thread:1;", ":1;thread:1;",
        ":4294967296", ":1;thread:zz;",
        ":2f62696e,0,1ed", ":2f62696e,3,0", ":3,100,0", ":3,0,a,b}]", ":2f62696e", ":2f00", ":80000000",
        "s", "c", "PhyMemMode:1",
    ]
    return {f"{i:03d}": t.encode("latin-1") for i, t in enumerate(texts)}


def write(directory, seeds):
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("seed-*"):
        old.unlink()
    for name, data in seeds.items():
        (directory / f"seed-{name}").write_bytes(data)
    print(f"{directory}: {len(seeds)} seeds, {sum(len(d) for d in seeds.values())} bytes")


def write_dict(path):
    """A libFuzzer dictionary (-dict=rsp.dict): packet names and the pieces of their arguments."""
    tokens = sorted(set(ROUTES) | set(UNKNOWN) | {"$", "#", "+", "-", "\x03", "}", "*", ";thread:", "p1.1", "-1",
                                                  "read:", "features", "memory-map", "target.xml", ",", ":", ";",
                                                  "=", "multiprocess+", "swbreak+", "error-message+"})
    lines = ['"%s"' % t.replace("\\", "\\\\").replace('"', '\\"') if t != "\x03" else '"\\x03"' for t in tokens]
    path.write_text("# Generated by make_seeds.py.\n" + "\n".join(lines) + "\n")


def main():
    root = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent / "corpus"
    write(root / "session", session_seeds())
    write(root / "decoders", decoder_seeds())
    write_dict(root.parent / "rsp.dict")


if __name__ == "__main__":
    main()
