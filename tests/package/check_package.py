#!/usr/bin/env python3
"""Builds remora's .deb with cpack from a configured build tree and checks it: metadata
(`dpkg-deb --info`: name, version, architecture, Depends computed by dpkg-shlibdeps), contents
(`dpkg-deb --contents`: the executable and the gzipped man page, nothing else), and that it runs
once unpacked into a scratch root. As root on a machine where remora is not installed yet (CI's
fresh Debian 12), it also installs the package with `apt-get install ./remora_*.deb`, runs
/usr/bin/remora --version and `man -w remora`, and removes it again, checking nothing is left.

    check_package.py --build-dir DIR --workdir DIR --version X.Y.Z
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path


class Failure(Exception):
    pass


def run(*argv: str, timeout: float = 180, env: dict | None = None) -> str:
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
    if r.returncode != 0:
        raise Failure(f"{' '.join(argv)} exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
    return r.stdout


def check(cond: bool, message: str) -> None:
    if not cond:
        raise Failure(message)


def build_package(build_dir: Path, workdir: Path, version: str) -> Path:
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    run("cpack", "--config", str(build_dir / "CPackConfig.cmake"), "-G", "DEB", "-B", str(workdir))
    debs = sorted(workdir.glob("remora_*.deb"))
    check(len(debs) == 1, f"cpack made {[d.name for d in debs]} in {workdir}")
    check(debs[0].name == f"remora_{version}_amd64.deb", f"package file name {debs[0].name}")
    return debs[0]


def check_metadata(deb: Path, version: str) -> None:
    info = run("dpkg-deb", "--info", str(deb))
    fields = dict(re.findall(r"^ (\w[\w-]*): (.*)$", info, re.M))
    check(fields.get("Package") == "remora", f"Package: {fields.get('Package')}")
    check(fields.get("Version") == version, f"Version: {fields.get('Version')}")
    check(fields.get("Architecture") == "amd64", f"Architecture: {fields.get('Architecture')}")
    depends = fields.get("Depends", "")
    for lib in ("libc6", "libstdc++6", "libgcc-s1"):
        check(re.search(rf"\b{re.escape(lib)} \(>= [\d.~-]+\)", depends) is not None,
              f"Depends lacks a versioned {lib}: {depends!r}")
    check(fields.get("Section") == "devel", f"Section: {fields.get('Section')}")
    print(f"metadata ok: Depends: {depends}")


def check_contents(deb: Path) -> None:
    listing = run("dpkg-deb", "--contents", str(deb))
    files = sorted(line.split()[-1] for line in listing.splitlines() if not line.startswith("d"))
    check(files == ["./usr/bin/remora", "./usr/share/man/man1/remora.1.gz"], f"package files: {files}")
    check(re.search(r"^-rwxr-xr-x root/root .* \./usr/bin/remora$", listing, re.M) is not None,
          f"/usr/bin/remora mode or owner:\n{listing}")
    print("contents ok: " + ", ".join(files))


def check_scratch_root(deb: Path, root: Path, version: str) -> None:
    run("dpkg-deb", "-x", str(deb), str(root))
    out = run(str(root / "usr/bin/remora"), "--version")
    check(out.splitlines()[0] == f"remora {version}", f"unpacked remora --version says {out!r}")
    page = run("gzip", "-dc", str(root / "usr/share/man/man1/remora.1.gz"))
    check(f'"remora {version}"' in page, "the man page carries the version")
    print(f"scratch root ok: {out.splitlines()[0]}")


def check_system_install(deb: Path, version: str) -> None:
    if os.geteuid() != 0:
        print("SKIP system install: not root (apt-get install needs root); the scratch-root check ran")
        return
    if subprocess.run(["dpkg-query", "-W", "remora"], capture_output=True).returncode == 0:
        print("SKIP system install: a remora package is installed already and is left alone")
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run("apt-get", "install", "-y", "-q", "--no-install-recommends", str(deb.resolve()), env=env, timeout=300)
    try:
        check(run("/usr/bin/remora", "--version").splitlines()[0] == f"remora {version}", "installed remora --version")
        check(Path("/usr/share/man/man1/remora.1.gz").exists(), "installed man page")
    finally:
        run("apt-get", "remove", "-y", "-q", "--purge", "remora", env=env, timeout=300)
    left = [p for p in ("/usr/bin/remora", "/usr/share/man/man1/remora.1.gz") if Path(p).exists()]
    check(not left, f"left behind after removal: {left}")
    print("system install ok: apt-get install ./deb, --version, apt-get remove --purge left nothing")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", required=True, type=Path)
    ap.add_argument("--workdir", required=True, type=Path)
    ap.add_argument("--version", required=True)
    args = ap.parse_args()
    for tool in ("cpack", "dpkg-deb", "dpkg-shlibdeps"):
        if shutil.which(tool) is None:
            print(f"FAIL: {tool} not found (cmake/dev.sh test installs cmake and dpkg-dev)")
            return 1
    try:
        deb = build_package(args.build_dir, args.workdir / "out", args.version)
        check_metadata(deb, args.version)
        check_contents(deb)
        check_scratch_root(deb, args.workdir / "root", args.version)
        check_system_install(deb, args.version)
    except (Failure, subprocess.TimeoutExpired) as e:
        print(f"FAIL: {e}")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
