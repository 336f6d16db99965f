/* The guest the QEMU scenarios debug under qemu-x86_64 (linked statically: qemu-user then needs
 * no guest libraries). Every write gdb makes is proved by what this program prints afterwards. */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

volatile long counter = 5;
volatile int stop_spin = 0;
volatile int sigint_count = 0; /* runs of our own SIGINT handler: ^C through remora keeps it 0 */
volatile unsigned long spins = 0;
unsigned char *volatile edge = 0; /* first byte of an unmapped page; the page before is writable */
unsigned char big[8 << 20];       /* the 8 MiB restore/dump round trip */
const unsigned char sealed[16] = {1, 2, 3}; /* .rodata: read-only for the guest, and for gdb */
/* `mov $7, %eax; ret` run from a writable page: QEMU translates it and write-protects the page on
 * its host side, so a debugger's write to it must go through QEMU, which drops the translation. */
static const unsigned char answer_code[] = {0xb8, 7, 0, 0, 0, 0xc3};
unsigned char *volatile jit = 0;
volatile unsigned long worker_spins = 0; /* `qemu_guest threads`: a second thread that never stops */

static void *worker(void *arg) {
  (void)arg;
  for (;;) worker_spins++;
  return 0;
}

static void on_sigint(int sig) {
  (void)sig;
  sigint_count++;
}

__attribute__((noinline)) void checkpoint(int n) {
  __asm__ volatile("" ::"r"(n) : "memory"); /* keeps the call and its argument */
}

static uint32_t fnv1a(const unsigned char *p, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
  return h;
}

static void print_edge(const char *label) {
  printf("%s", label);
  for (int i = 16; i > 0; i--) printf(" %02x", edge[-i]);
  printf("\n");
}

int main(int argc, char **argv) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigint;
  sigaction(SIGINT, &sa, 0);
  unsigned char *two = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (two == MAP_FAILED) return 2;
  memset(two, 0xaa, 8192);
  munmap(two + 4096, 4096);
  edge = two + 4096;
  pthread_t thread;
  if (argc > 1 && strcmp(argv[1], "threads") == 0 && pthread_create(&thread, 0, worker, 0) != 0) return 4;
  jit = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (jit == MAP_FAILED) return 3;
  memcpy(jit, answer_code, sizeof answer_code);
  int (*answer)(void) = (int (*)(void))jit;
  printf("first answer=%d\n", answer());
  printf("start counter=%ld\n", counter);
  fflush(stdout);
  checkpoint(1);
  printf("after1 counter=%ld\n", counter);
  print_edge("edge-16:");
  printf("answer=%d sealed=%d\n", answer(), sealed[0]);
  fflush(stdout);
  while (!stop_spin) spins++;
  printf("sigint_count=%d\n", sigint_count);
  fflush(stdout);
  checkpoint(2);
  printf("big fnv=%08x\n", fnv1a(big, sizeof big));
  fflush(stdout);
  return 0;
}
