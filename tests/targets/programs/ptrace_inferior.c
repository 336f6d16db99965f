/* The program the ptrace backend tests debug. argv[1] picks a scenario. Each scenario first
 * executes an int3 with the addresses the test needs in registers (rax: the start of an
 * unmapped page that follows a mapped one, rbx: remora_break_here, rcx: &remora_counter), so
 * the test needs no symbol lookup. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

volatile long remora_counter;
static volatile sig_atomic_t got_usr1;
static pthread_barrier_t barrier;

__attribute__((noinline)) void remora_break_here(long value) {
  remora_counter += value;
  __asm__ volatile("" ::: "memory");
}

static void announce(void) {
  char* page = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) exit(99);
  memset(page, 0x5a, 4096);
  munmap(page + 4096, 4096);
  __asm__ volatile("int3" ::"a"(page + 4096), "b"(&remora_break_here), "c"(&remora_counter) : "memory");
}

static void on_usr1(int sig) {
  (void)sig;
  got_usr1 = 1;
}

static void* worker(void* arg) {
  pthread_barrier_wait(&barrier);  /* every worker exists before any hits the breakpoint */
  for (int i = 0; i < 3; ++i) remora_break_here((long)arg);
  return NULL;
}

static int run_threads(void) {
  pthread_t threads[4];
  pthread_barrier_init(&barrier, NULL, 4);
  for (long i = 0; i < 4; ++i) pthread_create(&threads[i], NULL, worker, (void*)(i + 1));
  for (int i = 0; i < 4; ++i) pthread_join(threads[i], NULL);
  /* A joined thread may not have been reaped by the tracer yet; exiting at once would make its
   * exit event moot (the process exit is the news). */
  usleep(50 * 1000);
  return 0;
}

/* fork: the child calls remora_break_here(1) and exits 5; the parent then calls it too and
 * exits with 10 + the child's status. vfork: the child only exits (6). */
static int run_fork(int use_vfork) {
  pid_t child = use_vfork ? vfork() : fork();
  if (child == 0) {
    if (!use_vfork) remora_break_here(1);
    _exit(use_vfork ? 6 : 5);
  }
  int status = 0;
  if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status)) return 1;
  remora_break_here(2);
  return 10 + WEXITSTATUS(status);
}

/* The leader leaves with pthread_exit; the worker, still running, hits the breakpoint. */
static void* leader_exit_worker(void* arg) {
  (void)arg;
  usleep(100 * 1000); /* the leader is a zombie by now */
  for (int i = 0; i < 3; ++i) remora_break_here(1);
  exit(9);
}

static void* spin_worker(void* arg) {
  (void)arg;
  for (;;) __atomic_add_fetch(&remora_counter, 1, __ATOMIC_RELAXED);
  return NULL;
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "basic";
  if (strcmp(mode, "idle") == 0) /* for attach: no int3, as nobody may be tracing it yet */
    for (;;) ++remora_counter;
  announce();
  if (strcmp(mode, "basic") == 0) {
    for (int i = 0; i < 3; ++i) remora_break_here(i);
    return 42;
  }
  if (strcmp(mode, "threads") == 0) return run_threads();
  if (strcmp(mode, "signal") == 0) {
    signal(SIGUSR1, on_usr1);
    raise(SIGUSR1);
    return got_usr1 ? 7 : 1;
  }
  if (strcmp(mode, "fork") == 0) return run_fork(0);
  if (strcmp(mode, "vfork") == 0) return run_fork(1);
  if (strcmp(mode, "exec") == 0) {
    execl("/proc/self/exe", argv[0], "basic", (char*)NULL);
    return 1;
  }
  if (strcmp(mode, "syscall") == 0) return syscall(SYS_getppid) > 0 && syscall(SYS_getpid) > 0 ? 4 : 1;
  if (strcmp(mode, "leader_exit") == 0) {
    pthread_t worker;
    pthread_create(&worker, NULL, leader_exit_worker, NULL);
    pthread_exit(NULL);
  }
  if (strcmp(mode, "calls") == 0) /* for timing breakpoint cycles */
    for (;;) remora_break_here(1);
  if (strcmp(mode, "spin") == 0)
    for (;;) ++remora_counter;
  if (strcmp(mode, "spin_threads") == 0) { /* non-stop: two workers that never block */
    pthread_t spinners[2];
    for (int i = 0; i < 2; ++i) pthread_create(&spinners[i], NULL, spin_worker, NULL);
    pthread_join(spinners[0], NULL);
  }
  return 3;
}
