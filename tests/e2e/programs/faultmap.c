/* The fault scenarios' inferior (fault_scenarios.py).
 * `faultmap FILE`: maps FILE (24 MiB, MAP_SHARED) and prints "map 0xADDR", so that what a client
 *   wrote into that range is in the file even after the process is SIGKILLed; then stops itself
 *   (SIGTRAP) for the client, and sleeps.
 * `faultmap`: the same without the file; `long_sleep` blocks in one nanosleep syscall for a minute,
 *   so a single-step of that `syscall` instruction is still in progress when the test kills it. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MAP_BYTES (24u << 20)

void long_sleep(void) {
  struct timespec minute = {60, 0};
  nanosleep(&minute, NULL);
}

int main(int argc, char **argv) {
  printf("pid %d\n", (int)getpid());
  if (argc > 1) {
    int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ftruncate(fd, MAP_BYTES) != 0) {
      perror(argv[1]);
      return 1;
    }
    void *map = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
      perror("mmap");
      return 1;
    }
    printf("map %p\n", map);
  }
  fflush(stdout);
  raise(SIGTRAP);
  for (;;) long_sleep();
}
