#!/usr/bin/env bash
# The README's two quick-start commands: `start` (install, build, run remora on its default
# emulated target) and `test` (install, build, run the whole suite). Runs as root on Debian 12.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"

build_deps=(cmake ninja-build g++ libasio-dev libcli11-dev doctest-dev)
# The end-to-end tests drive the real clients (and qemu-x86_64 / qemu-system-i386 for the QEMU
# proxy backend; qemu-system-x86 pulls ~170 packages without --no-install-recommends); dpkg-dev
# and groff-base for the package and man page tests.
test_deps=(gdb gdbserver lldb-16 python3 procps qemu-user qemu-system-x86 dpkg-dev groff-base)

install_missing() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    echo "remora: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

jobs=$(nproc 2>/dev/null || echo 2)


case "${1:-}" in
  start)
    shift
    install_missing "${build_deps[@]}"
    cmake --preset release >/dev/null
    cmake --build --preset release -j "$jobs" --target remora
    exec build/release/stub/remora "${@:-:2345}"
    ;;
  test)
    install_missing "${build_deps[@]}" "${test_deps[@]}"
    # Unit and fuzz-corpus tests under ASan+UBSan first (only the programs they run are built), then the whole suite; the run ends with
    # CTest's summary line of the whole suite.
    cmake --preset asan >/dev/null
    cmake --build --preset asan -j "$jobs" --target unit_test_programs
    ctest --preset asan -L 'unit|fuzz' --timeout 300
    cmake --preset debug >/dev/null
    cmake --build --preset debug -j "$jobs"
    ctest --preset debug --timeout 300
    ;;
  *)
    echo "usage: cmake/dev.sh start [COMM]   install, build and run remora (default :2345)" >&2
    echo "       cmake/dev.sh test           install, build and run the whole test suite" >&2
    exit 2
    ;;
esac
