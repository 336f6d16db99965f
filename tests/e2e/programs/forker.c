/* fork: the child execs argv[1] (or exits 7); the parent waits and prints the child's status. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

void in_child(void) {}

int main(int argc, char **argv) {
  pid_t child = fork();
  if (child == 0) {
    in_child();
    if (argc > 1) execl(argv[1], argv[1], "exit", "5", (char *)NULL);
    _exit(7);
  }
  int status = 0;
  waitpid(child, &status, 0);
  printf("child status %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  fflush(stdout);
  return 0;
}
