/*
 * Scheduler costs, the same source on Ceres, in the Linux guest and
 * natively (bench/run.sh compares them). Per repetition it prints:
 *   RESULT yield_roundtrip_ns   two threads yielding to each other, per round trip
 *   RESULT create_join_us       pthread_create + pthread_join of a thread that returns
 *   RESULT mutex_ns             an uncontended pthread_mutex_lock + unlock
 *   RESULT mutex_contended_ns   the same, 4 threads hammering one mutex (per pair)
 *   RESULT wakeup_latency_us    median lateness of 1 ms absolute sleeps: from the
 *                               timer's deadline to the woken thread running
 *   RESULT wakeup_p99_us        the same, 99th percentile
 *   RESULT sleep5ms_late_p50_us lateness of 5 ms relative sleeps (usleep), median
 *   RESULT sleep5ms_late_p99_us the same, 99th percentile
 *   RESULT join_us_n1000        per thread: joining 1000 threads that exited
 *   RESULT join_us_n4000        the same for 4000: no more than join_us_n1000 if
 *                               joining is O(1) (it was quadratic: 212 vs 4801 ms)
 *   RESULT syscall_getppid_ns      ns per system call round trip: getppid() made
 *                               through syscall(), so no libc can answer it itself
 * Usage: bench-sched [repetitions]
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../bench.h"

enum { YIELDS = 20000, CREATES = 2000, LOCKS = 1000000, SLEEPS = 200, HAMMERS = 4 };
enum { SYSCALLS = 1000000 };
enum { JOIN_MAX = 4000, JOIN_STACK = 16384 };

static volatile int yield_go;

static void *yielder(void *arg)
{
	(void)arg;
	while (!yield_go)
		sched_yield();
	for (int i = 0; i < YIELDS; i++)
		sched_yield();
	return NULL;
}

static void bench_yield(void)
{
	pthread_t t;
	uint64_t t0;

	yield_go = 0;
	pthread_create(&t, NULL, yielder, NULL);
	sched_yield();
	yield_go = 1;
	t0 = bench_now_ns();
	for (int i = 0; i < YIELDS; i++)
		sched_yield();
	bench_report("yield_roundtrip_ns", bench_now_ns() - t0, YIELDS);
	pthread_join(t, NULL);
}

static void *nothing(void *arg)
{
	return arg;
}

static void bench_create_join(void)
{
	uint64_t t0 = bench_now_ns();

	for (int i = 0; i < CREATES; i++) {
		pthread_t t;

		pthread_create(&t, NULL, nothing, NULL);
		pthread_join(t, NULL);
	}
	bench_report("create_join_us", (bench_now_ns() - t0) / 1000, CREATES);
}

static void bench_mutex(void)
{
	static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	uint64_t t0 = bench_now_ns();

	for (int i = 0; i < LOCKS; i++) {
		pthread_mutex_lock(&m);
		pthread_mutex_unlock(&m);
	}
	bench_report("mutex_ns", bench_now_ns() - t0, LOCKS);
}

static pthread_mutex_t hammered = PTHREAD_MUTEX_INITIALIZER;
static volatile uint64_t hammer_count;

static void *hammer(void *arg)
{
	(void)arg;
	for (int i = 0; i < LOCKS / HAMMERS; i++) {
		pthread_mutex_lock(&hammered);
		hammer_count++;
		pthread_mutex_unlock(&hammered);
	}
	return NULL;
}

static void bench_mutex_contended(void)
{
	pthread_t t[HAMMERS];
	uint64_t t0 = bench_now_ns();

	for (int i = 0; i < HAMMERS; i++)
		pthread_create(&t[i], NULL, hammer, NULL);
	for (int i = 0; i < HAMMERS; i++)
		pthread_join(t[i], NULL);
	bench_report("mutex_contended_ns", bench_now_ns() - t0, LOCKS / HAMMERS * HAMMERS);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void bench_wakeup(void)
{
	static uint64_t late[SLEEPS];

	for (int i = 0; i < SLEEPS; i++) {
		uint64_t deadline = bench_now_ns() + 1000000;
		struct timespec ts = { (time_t)(deadline / 1000000000ULL),
				       (long)(deadline % 1000000000ULL) };

		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		late[i] = bench_now_ns() - deadline;
	}
	qsort(late, SLEEPS, sizeof(late[0]), cmp_u64);
	bench_report("wakeup_latency_us", late[SLEEPS / 2] / 1000, 1);
	bench_report("wakeup_p99_us", late[SLEEPS * 99 / 100] / 1000, 1);
}

static void bench_sleep_lateness(void)
{
	static uint64_t late[SLEEPS];

	for (int i = 0; i < SLEEPS; i++) {
		uint64_t t0 = bench_now_ns(), dt;

		usleep(5000);
		dt = bench_now_ns() - t0;
		late[i] = dt > 5000000 ? dt - 5000000 : 0;
	}
	qsort(late, SLEEPS, sizeof(late[0]), cmp_u64);
	bench_report("sleep5ms_late_p50_us", late[SLEEPS / 2] / 1000, 1);
	bench_report("sleep5ms_late_p99_us", late[SLEEPS * 99 / 100] / 1000, 1);
}

/* n threads that exit at once, then joined: the join phase alone is timed. */
static void bench_join(int n, const char *name)
{
	static pthread_t t[JOIN_MAX];
	pthread_attr_t a;
	uint64_t t0;
	int made = 0;

	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, JOIN_STACK);
	while (made < n && pthread_create(&t[made], &a, nothing, NULL) == 0)
		made++;
	usleep(100000); /* all of them run and exit */
	t0 = bench_now_ns();
	for (int i = 0; i < made; i++)
		pthread_join(t[i], NULL);
	if (made == n)
		bench_report(name, (bench_now_ns() - t0) / 1000, (uint64_t)n);
	else
		printf("bench-sched: only %d of %d threads could be made\n", made, n);
}

/* The cheapest call there is: what entering the kernel and leaving it costs. */
static void bench_syscall(void)
{
	volatile long sink = 0;
	uint64_t t0 = bench_now_ns();

	for (int i = 0; i < SYSCALLS; i++)
		sink += syscall(SYS_getppid);
	bench_report("syscall_getppid_ns", bench_now_ns() - t0, SYSCALLS);
	(void)sink;
}

int main(int argc, char **argv)
{
	int reps = argc > 1 ? atoi(argv[1]) : 5;

	setvbuf(stdout, NULL, _IOLBF, 0); /* each result out as it is made */
	for (int rep = 0; rep < reps; rep++) {
		bench_yield();
		bench_create_join();
		bench_mutex();
		bench_mutex_contended();
		bench_wakeup();
		bench_sleep_lateness();
		bench_join(1000, "join_us_n1000");
		bench_join(JOIN_MAX, "join_us_n4000");
		bench_syscall();
	}
	return 0;
}
