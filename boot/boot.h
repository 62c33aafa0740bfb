/*
 * What boot/entry.asm leaves behind for C: the TSC at the first
 * instruction, the boot stack (its guard page is the page below
 * boot_stack_bottom), and how far its page tables identity map RAM.
 */
#ifndef BOOT_BOOT_H
#define BOOT_BOOT_H

#include <stdint.h>

extern const uint64_t boot_tsc;
/* The boot page tables map [0, boot_map_end) but page 0. */
extern const uint64_t boot_map_end;
extern char boot_stack_bottom[], boot_stack_top[];

#endif
