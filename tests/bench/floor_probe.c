/* floor_probe: what the kernel alone costs for the work a ptrace stub does, with no protocol.
 * It forks a traced child (its own copy of `buffer` and `tick`, at the same addresses) and
 * measures pwrite/pread of /proc/PID/mem in the chunk sizes stubs use, PTRACE_SINGLESTEP round
 * trips, and the minimal breakpoint cycle (restore byte, step, int3 back, continue, rewind rip).
 * Prints one JSON line. Usage: floor_probe [SECONDS] [TOTAL_BYTES] [CHUNK...] */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static unsigned char buffer[64u << 20];
static volatile unsigned long counter;

__attribute__((noinline)) static void tick(void) { counter = counter + 1; }

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

static void wait_trap(pid_t pid) {
  int status;
  if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status)) die("waitpid");
}

/* MiB/s of pread or pwrite over [buffer, buffer+total) in `chunk`-byte calls. */
static double mem_rate(int fd, int write, size_t chunk, size_t total, double seconds) {
  static unsigned char data[16u << 20];
  memset(data, 0x5a, sizeof data);
  double start = now(), bytes = 0;
  do {
    for (size_t at = 0; at < total; at += chunk) {
      size_t n = total - at < chunk ? total - at : chunk;
      off_t addr = (off_t)(uintptr_t)(buffer + at);
      ssize_t r = write ? pwrite(fd, data, n, addr) : pread(fd, data, n, addr);
      if (r != (ssize_t)n) die(write ? "pwrite" : "pread");
    }
    bytes += (double)total;
  } while (now() - start < seconds);
  return bytes / (1 << 20) / (now() - start);
}

static double step_rate(pid_t pid, double seconds) {
  double start = now(), steps = 0;
  do {
    for (int i = 0; i < 100; ++i, ++steps) {
      if (ptrace(PTRACE_SINGLESTEP, pid, 0, 0) != 0) die("singlestep");
      wait_trap(pid);
    }
  } while (now() - start < seconds);
  return steps / (now() - start);
}

static double bp_rate(pid_t pid, double seconds) {
  uintptr_t at = (uintptr_t)&tick;
  long orig = ptrace(PTRACE_PEEKTEXT, pid, (void *)at, 0);
  long trap = (orig & ~0xffL) | 0xcc;
  struct user_regs_struct regs;
  if (ptrace(PTRACE_POKETEXT, pid, (void *)at, (void *)trap) != 0) die("poke");
  if (ptrace(PTRACE_CONT, pid, 0, 0) != 0) die("cont");
  wait_trap(pid);
  double start = now(), cycles = 0;
  do {
    /* The stop: rewind rip over the int3, as every stub does. */
    if (ptrace(PTRACE_GETREGS, pid, 0, &regs) != 0) die("getregs");
    regs.rip -= 1;
    if (ptrace(PTRACE_SETREGS, pid, 0, &regs) != 0) die("setregs");
    if (ptrace(PTRACE_POKETEXT, pid, (void *)at, (void *)orig) != 0) die("poke");
    if (ptrace(PTRACE_SINGLESTEP, pid, 0, 0) != 0) die("step");
    wait_trap(pid);
    if (ptrace(PTRACE_POKETEXT, pid, (void *)at, (void *)trap) != 0) die("poke");
    if (ptrace(PTRACE_CONT, pid, 0, 0) != 0) die("cont");
    wait_trap(pid);
    ++cycles;
  } while (now() - start < seconds);
  return cycles / (now() - start);
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 1.0;
  size_t total = argc > 2 ? strtoull(argv[2], 0, 0) : (32u << 20);
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    raise(SIGSTOP);
    for (;;) tick();
  }
  wait_trap(pid);
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
  int fd = open(path, O_RDWR);
  if (fd < 0) die("open /proc/PID/mem");
  printf("{\"step_per_s\": %.6g, \"bp_cycles_per_s\": %.6g", step_rate(pid, seconds), bp_rate(pid, seconds));
  for (int i = 3; i < argc || i == 3; ++i) {
    size_t chunk = argc > 3 ? strtoull(argv[i], 0, 0) : 18431;
    printf(", \"pwrite_%zu\": %.6g, \"pread_%zu\": %.6g", chunk, mem_rate(fd, 1, chunk, total, seconds), chunk,
           mem_rate(fd, 0, chunk, total, seconds));
  }
  printf("}\n");
  kill(pid, SIGKILL);
  waitpid(pid, 0, 0);
  return 0;
}
