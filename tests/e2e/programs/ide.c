/* The IDE program (mi_scenarios.py, dap_scenarios.py): every write an IDE makes through gdb/MI or
 * DAP is proved by what this program prints. Lines are found by their LINE_* markers.
 * It ends by waiting (bounded) for a debugger to set `release_flag`, so that the tests can
 * interrupt/pause it while it runs and then let it finish. */
#include <stdio.h>
#include <time.h>

#include "page_crossing.h"

int counter = 1;
volatile int release_flag; /* set by the debugger while the program waits in wait_for_release */
volatile int sink;

int add(int a, int b) {
  int sum = a + b; /* LINE_ADD_BODY */
  return sum;
}

/* Bounded (30 s) so that a test that fails to release it leaves no process spinning forever. */
static void wait_for_release(void) {
  struct timespec pause = {0, 10 * 1000 * 1000};
  printf("waiting\n");
  fflush(stdout);
  for (int i = 0; i < 3000 && !release_flag; i++) nanosleep(&pause, NULL);
  printf("released %d\n", release_flag); /* LINE_RELEASED */
  fflush(stdout);
  /* Linger before exiting: lldb-vscode-16 leaves its request loop as soon as it has sent
   * `terminated`, and if the exit beats its return from `continue` it never reads the client's
   * `disconnect` and aborts on a joinable event thread (an adapter bug, seen in CI). */
  struct timespec linger = {0, 300 * 1000 * 1000};
  if (release_flag) nanosleep(&linger, NULL);
}

int main(void) {
  int local = 5;
  local = add(local, 2);                              /* LINE_CALL */
  printf("local=%d counter=%d\n", local, counter);    /* LINE_PRINT */
  fflush(stdout);
  crossing();
  wait_for_release();
  return release_flag ? 0 : 3; /* LINE_RETURN */
}
