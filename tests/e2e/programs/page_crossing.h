/* The page-crossing fixture of basics.c and ide.c (each program is one translation unit, so the
 * definitions live here): crossing() maps two pages, unmaps the second, and stops in
 * crossing_ready() with `edge` 8 writable bytes before the unmapped page; then it prints those
 * 8 bytes, which proves what a debugger's crossing write left. The includer defines `sink`. */
#ifndef REMORA_E2E_PAGE_CROSSING_H
#define REMORA_E2E_PAGE_CROSSING_H
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

extern volatile int sink;

/* A breakpoint here sees `edge`: 8 writable bytes, then an unmapped page. */
void crossing_ready(unsigned char *edge) { sink = edge[0]; }

static void crossing(void) {
  unsigned char *page = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return;
  munmap(page + 4096, 4096);
  memset(page, 0xaa, 4096);
  unsigned char *edge = page + 4096 - 8;
  crossing_ready(edge);
  printf("edge");
  for (int i = 0; i < 8; i++) printf(" %02x", edge[i]);
  printf("\n");
  fflush(stdout);
}

#endif
