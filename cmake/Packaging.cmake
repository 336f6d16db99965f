# `cpack` (or `cmake --build --preset release --target package`) builds remora_VERSION_ARCH.deb
# from the install rules. dpkg-shlibdeps computes Depends from the binary, so `apt install
# ./remora_*.deb` pulls exactly the libraries remora links against.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME remora)
set(CPACK_PACKAGE_VENDOR "remora developers")
set(CPACK_PACKAGE_CONTACT "remora developers <remora-dev@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "GDB remote serial protocol stub for gdb, lldb and IDEs")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "GDB remote serial protocol stub for gdb, lldb and IDEs\n"
    " remora debugs Linux programs through ptrace like gdbserver (same command line),\n"
    " serves lldb's gdb-remote dialect, proxies QEMU's gdbstub and emulates a target\n"
    " with injected memory faults. Partial memory writes are reported exactly.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "gdb | lldb-16, qemu-user")
set(CPACK_STRIP_FILES ON)
# Only the executable and its man page: the test programs have no install rules.
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
include(CPack)
