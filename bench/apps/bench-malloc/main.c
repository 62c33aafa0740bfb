/*
 * malloc/free throughput over a mixed size distribution. The same source
 * runs on Ceres (the kernel's heap, which it exports to the application,
 * or musl's mallocng with MALLOC=musl) and in the Linux guest (glibc's,
 * or musl's); bench/run.sh compares them. Prints "RESULT NAME <ns per
 * malloc+free pair>" once per repetition, NAME malloc_free_ns unless
 * given. Usage: bench-malloc [repetitions [NAME]]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../bench.h"

enum { SLOTS = 1024, OPS = 1000000 };

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
	const char *name = argc > 2 ? argv[2] : "malloc_free_ns";
	uint64_t x = 0x2545F4914F6CDD1DULL;

	setvbuf(stdout, NULL, _IOLBF, 0); /* each result out as it is made */
	for (int rep = 0; rep < reps; rep++) {
		uint64_t t0 = bench_now_ns();

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
		bench_report(name, bench_now_ns() - t0, OPS);
	}
	for (int i = 0; i < SLOTS; i++)
		free(slot[i]);
	return 0;
}
