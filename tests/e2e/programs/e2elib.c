/* The shared library the dlopen test loads after start: gdb's `break func_in_lib` is pending
 * until then. */
int lib_calls;

int func_in_lib(int v) {
  lib_calls++;
  return v * 3;
}
