/*
 * malloc/free throughput over a mixed size distribution. The same source
 * runs on Ceres, in the Linux guest (glibc) and natively; bench/run.sh
 * compares them. Prints "RESULT malloc_free_ns <ns per malloc+free pair>"
 * once per repetition. Usage: bench-malloc [repetitions]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { SLOTS = 1024, OPS = 1000000 };

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Prints the mean of total ns over n events, with one decimal (integers only). */
static void report(const char *name, uint64_t total_ns, uint64_t n)
{
	uint64_t tenths = total_ns * 10 / n;

	printf("RESULT %s %lu.%lu\n", name, (unsigned long)(tenths / 10),
	       (unsigned long)(tenths % 10));
}

/* 70% small (16-128 B), 25% medium (to 2 KiB), 5% large (to 32 KiB). */
static size_t pick_size(uint64_t r)
{
	unsigned bucket = (unsigned)(r % 100);

	r >>= 8;
	if (bucket < 70)
		return 16 + r % 113;
	if (bucket < 95)
		return 128 + r % 1921;
	return 2048 + r % 30721;
}

int main(int argc, char **argv)
{
	static unsigned char *slot[SLOTS];
	int reps = argc > 1 ? atoi(argv[1]) : 5;
	uint64_t x = 0x2545F4914F6CDD1DULL;

	for (int rep = 0; rep < reps; rep++) {
		uint64_t t0 = now_ns();

		for (int op = 0; op < OPS; op++) {
			unsigned i;

			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			i = (unsigned)(x >> 32) % SLOTS;
			free(slot[i]);
			slot[i] = malloc(pick_size(x));
			if (!slot[i])
				return 1;
			slot[i][0] = (unsigned char)op;
		}
		report("malloc_free_ns", now_ns() - t0, OPS);
	}
	for (int i = 0; i < SLOTS; i++)
		free(slot[i]);
	return 0;
}
