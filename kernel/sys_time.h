/* The clock and sleep system calls (docs/abi.md); no vDSO, so musl makes them all. */
#ifndef KERNEL_SYS_TIME_H
#define KERNEL_SYS_TIME_H

#include <stdint.h>

long sys_clock_gettime(int clk, void *ts);
long sys_clock_getres(int clk, void *ts);
long sys_gettimeofday(void *tv, void *tz);
long sys_time(int64_t *t);
long sys_nanosleep(const void *req, void *rem);
long sys_clock_nanosleep(int clk, int flags, const void *req, void *rem);

#endif
