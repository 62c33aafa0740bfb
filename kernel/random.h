/*
 * Random bytes for getrandom() and AT_RANDOM: the CPU's RDRAND where it
 * has one; otherwise a generator seeded from the clocks, which is not
 * cryptographically strong (said once, when first used).
 */
#ifndef KERNEL_RANDOM_H
#define KERNEL_RANDOM_H

#include <stddef.h>

void random_fill(void *buf, size_t n);

#endif
