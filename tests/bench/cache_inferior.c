/* The program the cache benchmark (cache_bench.py) debugs on ptrace: a deep stack of frames
 * with locals (gdb's `bt` and `info locals` read them) and a 1 MiB .bss area for `restore`.
 * At the bottom it spins in at_bottom(), where gdb stops and then single-steps. Static and
 * non-PIE like bench_inferior, so gdb starts fast and addresses are stable. */
#define CACHE_BENCH_DEPTH 200

__attribute__((used)) unsigned char cache_area[1u << 20];

static volatile unsigned long spin;

__attribute__((noinline)) void at_bottom(void) {
  for (;;) spin = spin + 1;
}

/* Three locals of different kinds per frame, so `info locals` has something to print. */
__attribute__((noinline)) long descend(int depth, long seed) {
  long mixed = seed * 31 + depth;
  char label[16] = {(char)('a' + depth % 26), 0};
  double ratio = (double)depth / 7.0;
  if (depth == 0)
    at_bottom();
  else
    mixed += descend(depth - 1, mixed);
  return mixed + label[0] + (long)ratio;
}

int main(void) { return (int)descend(CACHE_BENCH_DEPTH, 1); }
