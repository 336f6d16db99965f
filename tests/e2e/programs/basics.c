/* The e2e basics program: every write gdb makes is proved by what this program prints.
 * Lines are numbered by markers (LINE_*) that the tests find with `info line`/`break FILE:N`. */
#include <stdio.h>
#include <unistd.h>

#include "page_crossing.h"

struct point {
  int x;
  int y;
  char name[16];
};

int counter = 1;
struct point origin = {1, 2, "origin"};
char haystack[64] = "hay hay hay NEEDLE-7f3a hay";
volatile int sink;

int square(int v) { return v * v; }

int add(int a, int b) {
  int sum = a + b; /* LINE_ADD_BODY */
  return sum;
}

void bump(void) { counter += 10; } /* LINE_BUMP */

void report(const char *tag, int local) {
  printf("%s counter=%d origin=%d,%d,%s local=%d\n", tag, counter, origin.x, origin.y, origin.name, local);
  fflush(stdout);
}

int main(void) {
  int local = 5;
  report("start", local); /* LINE_START */
  local = add(local, 2);  /* LINE_ADD_CALL */
  for (int i = 0; i < 3; i++) /* LINE_LOOP */
    sink += i;
  report("middle", local); /* LINE_MIDDLE */
  bump();
  report("after", local); /* LINE_AFTER */
  crossing();
  printf("haystack %s\n", haystack);
  fflush(stdout);
  return counter & 0xff; /* LINE_RETURN */
}
