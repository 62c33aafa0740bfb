#include "tests/unit/fake_vfs.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/page.h"
#include "sched/sched.h"

uint64_t fake_now = 1;
struct sched_preempt sched_preempt;

void sched_preempt_resched(void)
{
}

uint64_t clock_monotonic_ns(void)
{
	return fake_now;
}

uint64_t clock_realtime_ns(void)
{
	return 1700000000ull * 1000000000ull + fake_now;
}

void *page_alloc(size_t n)
{
	return malloc(n * 4096);
}

void page_free(void *p, size_t n)
{
	(void)n;
	free(p);
}

void random_fill(void *buf, size_t n)
{
	memset(buf, 0x5a, n);
}

long console_input_read(void *buf, size_t n, bool nonblock)
{
	(void)buf, (void)n;
	return nonblock ? -EAGAIN : 0;
}

uint32_t process_umask(void)
{
	return 022;
}
