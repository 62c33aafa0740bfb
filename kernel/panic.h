/*
 * For the impossible: print what happened and where, a backtrace, and end
 * the VM with EXIT_PANIC. assert() (<assert.h>) ends here too, and stays on
 * in every kernel build.
 */
#ifndef KERNEL_PANIC_H
#define KERNEL_PANIC_H

#include <stdbool.h>
#include <stdint.h>

__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);

/* Mixes seed into the stack protector's guard; called once, early. */
void panic_init_canary(uint64_t seed);

/*
 * Prints the call chain that starts at (rip, rbp), symbolized. sp_is_return
 * says the word at sp is a return address for certain (a call whose target
 * faulted on fetch).
 */
void panic_backtrace(uintptr_t rip, uintptr_t rbp, uintptr_t sp, bool sp_is_return);

/*
 * Guards against a report that faults: returns the first time, and ends the
 * VM with status at once on any later call.
 */
void panic_enter(int status);

#endif
