/* Multiboot entry of the system-mode test kernel: QEMU's -kernel loader enters here in 32-bit
 * protected mode, paging off, with a flat segment setup. A stack, then kmain (kernel.c). */
    .set MB_MAGIC, 0x1BADB002
    .set MB_FLAGS, 0            /* ELF kernel: QEMU takes the load addresses from the program headers */

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .section .bss
    .align 16
stack_bottom:
    .skip 16384
stack_top:

    .section .text
    .global _start
    .type _start, @function
_start:
    movl $stack_top, %esp
    call kmain
1:  hlt
    jmp 1b
    .section .note.GNU-stack, "", @progbits
