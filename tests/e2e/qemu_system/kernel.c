/* The system-mode test kernel for qemu_system_scenarios.py (qemu-system-i386 -kernel). It turns
 * paging on with the first 4 MiB identity-mapped except one page (`hole`), then loops calling
 * tick(n); tick copies `source` into `copy` and prints both to the serial port (0x3f8), so a
 * debugger's writes show up in the serial log once the kernel runs again. */
#include <stdint.h> /* GCC's own freestanding header: no libc or multilib needed */

#define PAGE 4096u

/* Page-aligned so the test knows where the boundary is: `before_hole` is the last mapped page
 * below `hole` (the linker script keeps them adjacent, in this order). */
__attribute__((section(".pages.0"), aligned(PAGE))) volatile uint8_t before_hole[PAGE];
__attribute__((section(".pages.1"), aligned(PAGE))) volatile uint8_t hole[PAGE];
static uint32_t page_directory[1024] __attribute__((aligned(PAGE)));
static uint32_t page_table[1024] __attribute__((aligned(PAGE)));

volatile uint32_t counter;
volatile uint32_t source = 0x11223344u;
volatile uint32_t copy;
volatile uint32_t paging_on;

static inline void outb(uint16_t port, uint8_t value) { __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) {
  uint8_t v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

static void serial_putc(char c) {
  while (!(inb(0x3f8 + 5) & 0x20)) {
  }
  outb(0x3f8, (uint8_t)c);
}

static void serial_puts(const char* s) {
  while (*s) serial_putc(*s++);
}

static void serial_hex(uint32_t v, int digits) {
  for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) serial_putc("0123456789abcdef"[(v >> shift) & 0xf]);
}

/* Identity-map 0..4 MiB (the BIOS ROM at 0xf0000 included) except `hole`, then turn paging on. */
static void enable_paging(void) {
  for (uint32_t i = 0; i < 1024; ++i) page_table[i] = (i * PAGE) | 3u; /* present, writable */
  page_table[(uint32_t)(uintptr_t)hole / PAGE] = 0;
  page_directory[0] = (uint32_t)(uintptr_t)page_table | 3u;
  __asm__ volatile("movl %0, %%cr3" : : "r"(page_directory) : "memory");
  uint32_t cr0;
  __asm__ volatile("movl %%cr0, %0" : "=r"(cr0));
  __asm__ volatile("movl %0, %%cr0" : : "r"(cr0 | 0x80000000u) : "memory");
  paging_on = 1;
}

/* The function the tests break on. noinline: it must stay a call with its own address. */
__attribute__((noinline)) void tick(uint32_t n) {
  copy = source;
  counter = n;
  serial_puts("tick ");
  serial_hex(n, 8);
  serial_puts(" copy ");
  serial_hex(copy, 8);
  serial_puts(" edge ");
  for (int i = 0; i < 8; ++i) serial_hex(before_hole[PAGE - 8 + i], 2);
  serial_putc('\n');
}

void kmain(void) {
  for (uint32_t i = 0; i < PAGE; ++i) {
    before_hole[i] = 0xaa;
    hole[i] = 0x55; /* what the physical page holds: a write through the unmapped page never lands */
  }
  enable_paging();
  serial_puts("paging on\n");
  for (uint32_t n = 1;; ++n) {
    tick(n);
    for (volatile uint32_t spin = 0; spin < 2000000u; ++spin) {
    }
  }
}
