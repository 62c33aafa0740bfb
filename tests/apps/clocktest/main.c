/*
 * The clock against the host's. Prints a line, sleeps argv[1] seconds
 * (default 2), prints another: tests/integration/clock.sh times the two
 * lines' arrival on the host, and compares the wall clock each line
 * carries with the host's own. Lines:
 *   clocktest: start real <s>.<ns>
 *   clocktest: slept <ms> ms by the monotonic clock; real <s>.<ns>
 * "clocktest watch N" instead reads the wall clock over and over for N
 * seconds from the start, while the kernel is still settling its estimate
 * of it, and says how often it went back:
 *   clocktest: N s of readings, the wall clock went back <n> times (at most <us> us)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void print_real(const char *prefix)
{
	uint64_t real = now_ns(CLOCK_REALTIME);

	printf("%s real %lu.%09lu\n", prefix, (unsigned long)(real / 1000000000ULL),
	       (unsigned long)(real % 1000000000ULL));
}

static int watch(unsigned seconds)
{
	uint64_t end = now_ns(CLOCK_MONOTONIC) + seconds * 1000000000ULL, last = 0, most = 0;
	unsigned long back = 0;

	while (now_ns(CLOCK_MONOTONIC) < end) {
		uint64_t real = now_ns(CLOCK_REALTIME);

		if (real < last) {
			back++;
			most = last - real > most ? last - real : most;
		}
		last = real;
	}
	printf("clocktest: %u s of readings, the wall clock went back %lu times (at most %lu us)\n",
	       seconds, back, (unsigned long)(most / 1000));
	return 0;
}

int main(int argc, char **argv)
{
	unsigned seconds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 2;
	uint64_t t0;
	char line[64];

	if (argc > 2 && !strcmp(argv[1], "watch"))
		return watch((unsigned)strtoul(argv[2], NULL, 10));
	print_real("clocktest: start");
	t0 = now_ns(CLOCK_MONOTONIC);
	sleep(seconds);
	snprintf(line, sizeof(line), "clocktest: slept %lu ms by the monotonic clock;",
		 (unsigned long)((now_ns(CLOCK_MONOTONIC) - t0) / 1000000));
	print_real(line);
	return 0;
}
