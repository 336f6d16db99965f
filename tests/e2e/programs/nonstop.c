/* Non-stop mode (issue #10): four named workers ("worker0".."worker3"), each counting in its own
 * loop in counters[i], so a test can see which threads run while others are stopped.
 *   - worker0 calls hit_me() every few milliseconds: the breakpoint site.
 *   - worker1 prints "message N" whenever `message` changes: proves a `set var` made while it runs.
 *   - worker1 and worker2 call both_hit() right after a shared barrier whenever `both_go` is set:
 *     one breakpoint hit by two threads at (nearly) the same time.
 *   - worker3 returns (its thread exits) once `exit_thread` is set.
 *   - any running thread, main or a worker, calls exit(0) once `exit_process` is set, whatever the
 *     others are doing: the process exits while the other threads are stopped.
 * Each loop sleeps 1 ms per round so the counters move without pegging the CPU. main only waits;
 * the process ends by itself (exit code 3) after 60 s, so a lost test never leaves it behind. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <stdlib.h>

#define WORKERS 4

volatile unsigned long counters[WORKERS];
volatile int message;
volatile int both_go;
volatile int exit_thread;
volatile int exit_process;
volatile int hits;
volatile int both_hits;

static pthread_barrier_t pair;

/* noinline: the breakpoint sites must be real calls at -O0 and at any other level. */
__attribute__((noinline)) void hit_me(void) { hits++; }

__attribute__((noinline)) void both_hit(int id) { __atomic_fetch_add(&both_hits, id, __ATOMIC_SEQ_CST); }

static void say(const char *text) {
  /* write(2) rather than stdio: one unbuffered write per line, whatever thread prints it. */
  ssize_t n = write(1, text, strlen(text));
  (void)n;
}

static void nap(long usec) {
  struct timespec pause = {0, usec * 1000};
  nanosleep(&pause, NULL);
}

static void *worker(void *arg) {
  int id = (int)(long)arg;
  char name[16];
  int seen = message;
  snprintf(name, sizeof name, "worker%d", id);
  pthread_setname_np(pthread_self(), name);
  for (unsigned long round = 0;; round++) {
    counters[id]++;
    if (exit_process) {
      say(id == 2 ? "exit from worker2\n" : "exit from another worker\n");
      exit(0);
    }
    if (id == 0 && round % 4 == 0) hit_me();
    if (id == 1 && message != seen) {
      char line[48];
      seen = message;
      snprintf(line, sizeof line, "message %d\n", seen);
      say(line);
    }
    if ((id == 1 || id == 2) && both_go) {
      pthread_barrier_wait(&pair);
      both_hit(id);
    }
    if (id == 3 && exit_thread) {
      say("worker3 exiting\n");
      return NULL;
    }
    nap(1000);
  }
}

int main(void) {
  pthread_t threads[WORKERS];
  pthread_barrier_init(&pair, NULL, 2);
  for (long i = 0; i < WORKERS; i++) pthread_create(&threads[i], NULL, worker, (void *)i);
  say("started\n");
  for (int i = 0; i < 6000; i++) {
    if (exit_process) {
      say("exit from main\n");
      exit(0);
    }
    nap(10 * 1000);
  }
  say("timeout\n");
  return 3;
}
