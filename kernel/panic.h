/*
 * For the impossible: print what happened and where, a backtrace, and end
 * the VM with EXIT_PANIC. Stays on in every build.
 */
#ifndef KERNEL_PANIC_H
#define KERNEL_PANIC_H

#include <stdint.h>

__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);

#define assert(expr)                                                                   \
	((expr) ? (void)0                                                              \
		: panic("assertion failed at %s:%d in %s(): %s", __FILE__, __LINE__, \
			__func__, #expr))

/* Mixes seed into the stack protector's guard; called once, early. */
void panic_init_canary(uint64_t seed);

/* Prints the call chain that starts at (rip, rbp), symbolized. */
void panic_backtrace(uintptr_t rip, uintptr_t rbp, uintptr_t sp);

/*
 * Guards against a report that faults: returns 0 the first time, and ends the
 * VM with status at once on any later call.
 */
int panic_enter(int status);

#endif
