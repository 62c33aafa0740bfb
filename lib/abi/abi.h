/*
 * What the system-call implementations share, wherever they live: the
 * Linux structures that cross the boundary, and checked ways to move them
 * (docs/abi.md). Kernel code only; applications see musl's headers.
 */
#ifndef LIB_ABI_ABI_H
#define LIB_ABI_ABI_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/time.h"

/* struct timespec and struct timeval as x86_64 Linux has them. */
struct abi_timespec {
	int64_t tv_sec, tv_nsec;
};
struct abi_timeval {
	int64_t tv_sec, tv_usec;
};

/* ns as a struct timeval (microseconds, rounded down). */
static inline struct abi_timeval abi_timeval_of(uint64_t ns)
{
	return (struct abi_timeval){ (int64_t)(ns / 1000000000),
				     (int64_t)(ns % 1000000000 / 1000) };
}

/*
 * A struct timespec from the application as nanoseconds (saturated at
 * UINT64_MAX): 0, -EFAULT, or -EINVAL (negative, or tv_nsec out of range).
 */
int abi_get_timespec(const void *app, uint64_t *ns);
/* ns as a struct timespec into the application: 0 or -EFAULT. */
int abi_put_timespec(void *app, uint64_t ns);

/* The monotonic deadline ns from now, saturated. */
uint64_t abi_deadline_after(uint64_t ns);

/*
 * Sets the application's errno (musl's, in its TLS), for the calls the
 * kernel serves as functions rather than system calls (malloc). Nothing
 * on a thread that has no TLS yet, or in a kernel test.
 */
void abi_set_errno(int err);

/*
 * Starts the application in the calling thread (the main thread): fds 0-2
 * on the console, then musl's _start on a Linux initial stack with argv
 * and envp (or a kernel test's ktest_main). stack_size is the thread's
 * stack, which RLIMIT_STACK reports.
 */
__attribute__((noreturn)) void abi_start(int argc, char **argv, int envc, char **envp,
					 uint64_t stack_size);

/* Logs the system-call counters (for the exit report). */
void abi_report(void);

#endif
