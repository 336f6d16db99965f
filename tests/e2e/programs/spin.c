/* Prints its pid, then a tick every 20 ms forever: the interrupt and attach/detach tests watch
 * the ticks to see it run, stop and run again. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

volatile unsigned long ticks;

void tick(void) { ticks++; }

int main(void) {
  printf("pid %d\n", (int)getpid());
  fflush(stdout);
  struct timespec pause = {0, 20 * 1000 * 1000};
  for (;;) {
    tick();
    printf("tick %lu\n", ticks);
    fflush(stdout);
    nanosleep(&pause, NULL);
  }
}
