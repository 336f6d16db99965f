/* The program lldb debugs on the ptrace backend (lldb_ptrace_scenarios.py). Every write lldb
 * makes is proved by what this program prints. A second thread exists from the first line of
 * main's work on, so `thread list` sees two. With the argument `spin`, main spins until lldb sets
 * g_quit (the `process interrupt` scenario). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct point {
  int x;
  int y;
  char name[8];
};

int g_counter = 1;
struct point g_origin = {1, 2, "origin"};
volatile int g_quit;
volatile int g_sink;
volatile unsigned long g_spins;
static pthread_barrier_t g_started;

int add(int a, int b) {
  int sum = a + b;
  return sum;
}

void bump(void) { g_counter += 10; }

void report(const char *tag, int local) {
  printf("%s g_counter=%d local=%d\n", tag, g_counter, local);
  fflush(stdout);
}

/* A breakpoint here sees `edge`: 8 writable bytes, then an unmapped page. */
void crossing_ready(unsigned char *edge) {
  g_sink = edge[0]; /* a line of its own: lldb stops here, after the prologue */
}

/* The hole after the page is 64 pages: mmap fills a hole from its top, so the small pages lldb
 * allocates for expressions (_M) land at the far end and the page right after `edge` stays
 * unmapped (a one-page hole would be the first thing lldb's allocation fills). */
static void crossing(void) {
  enum { kPage = 4096, kHole = 64 };
  unsigned char *page = mmap(NULL, (1 + kHole) * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return;
  munmap(page + kPage, kHole * kPage);
  memset(page, 0xaa, kPage);
  unsigned char *edge = page + kPage - 8;
  crossing_ready(edge);
  printf("edge");
  for (int i = 0; i < 8; i++) printf(" %02x", edge[i]);
  printf("\n");
  fflush(stdout);
}

static void *worker(void *arg) {
  (void)arg;
  pthread_barrier_wait(&g_started);
  while (!g_quit) usleep(1000);
  return NULL;
}

int main(int argc, char **argv) {
  pthread_t thread;
  pthread_barrier_init(&g_started, NULL, 2);
  pthread_create(&thread, NULL, worker, NULL);
  pthread_barrier_wait(&g_started);
  if (argc > 1 && strcmp(argv[1], "spin") == 0) {
    printf("spinning\n");
    fflush(stdout);
    while (!g_quit) g_spins++;
  }
  struct point local_pt = {3, 4, "local"};
  int local = add(local_pt.x, local_pt.y);
  report("start", local);
  bump();
  report("after", local);
  crossing();
  g_quit = 1;
  pthread_join(thread, NULL);
  printf("done g_counter=%d\n", g_counter);
  fflush(stdout);
  return g_counter & 0xff;
}
