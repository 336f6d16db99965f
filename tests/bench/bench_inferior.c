/* The program the benchmark debugs (under gdbserver and remora's ptrace backend).
 * A 64 MiB writable buffer for X/m throughput and a loop calling bench_tick() for breakpoint
 * cycles and single steps. Built static and non-PIE so the addresses `nm` prints are the
 * run-time addresses and the first stop is the program's own _start (no dynamic loader). */
#include <stddef.h>

#define BENCH_BUFFER_SIZE (64u << 20)

/* Written through the debugger only; `used` keeps it in the image, in .bss (mapped at exec). */
__attribute__((used)) unsigned char bench_buffer[BENCH_BUFFER_SIZE];

static volatile unsigned long bench_counter;

/* The breakpoint target: one call per loop iteration. noinline so it has its own address. */
__attribute__((noinline)) void bench_tick(void) { bench_counter = bench_counter + 1; }

int main(void) {
  for (;;) bench_tick();
  return 0;
}
