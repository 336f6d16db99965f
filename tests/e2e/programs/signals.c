/* `signals usr1`: raises SIGUSR1 three times and counts them in a handler.
 * `signals segv`: dies of SIGSEGV.  `signals exit N`: exits with status N. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t usr1_count;
static void on_usr1(int sig) { (void)sig; usr1_count++; }

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "usr1";
  if (strcmp(mode, "segv") == 0) {
    volatile int *null_pointer = NULL;
    return *null_pointer;
  }
  if (strcmp(mode, "exit") == 0) return argc > 2 ? atoi(argv[2]) : 0;
  signal(SIGUSR1, on_usr1);
  for (int i = 0; i < 3; i++) raise(SIGUSR1);
  printf("usr1_count %d\n", (int)usr1_count);
  fflush(stdout);
  return 0;
}
