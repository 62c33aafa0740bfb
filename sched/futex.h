/*
 * Futexes: threads waiting on a 32-bit word of application memory, woken
 * by address (docs/abi.md). One address space, so every futex is private.
 */
#ifndef SCHED_FUTEX_H
#define SCHED_FUTEX_H

#include <stdint.h>

#define FUTEX_BITSET_ANY 0xFFFFFFFFu

/*
 * Wakes up to n waiters on addr whose bitset shares a bit with bitset;
 * returns how many. Any thread; interrupts on or off.
 */
int futex_wake(const void *addr, int n, uint32_t bitset);

/* The futex() system call. */
long sys_futex(uint32_t *addr, int op, uint32_t val, const void *timeout, uint32_t *addr2,
	       uint32_t val3);

#endif
