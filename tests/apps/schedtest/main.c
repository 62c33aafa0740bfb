/*
 * Guest tests of the scheduler with real preemption: fairness, sleep
 * accuracy, mutual exclusion, producer/consumer, FPU isolation and thread
 * reclaim. Prints "ok - ..." or "not ok - ..." per check and exits with the
 * number of failures. argv[1], if given, names the one test to run. How
 * late sleeps wake depends on the host, so it is printed (and measured in
 * make bench), not checked; that they never wake early is.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arch/x86_64/paging.h"
#include "kernel/page.h"
#include "kernel/time.h"
#include "lib/libc/malloc.h"
#include "sched/sched.h"

static int failures;

static void check(int ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	failures += !ok;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* --- fairness: CPU-bound threads that never yield ---------------------- */

enum { SPINNERS = 4 };
static volatile int spin_stop;
static volatile uint64_t spin_count[SPINNERS];

static void *spinner(void *arg)
{
	volatile uint64_t *count = arg;

	while (!spin_stop)
		(*count)++;
	return NULL;
}

static void test_fairness(void)
{
	pthread_t t[SPINNERS];
	uint64_t total = 0;
	int ok = 1;

	for (int i = 0; i < SPINNERS; i++)
		pthread_create(&t[i], NULL, spinner, (void *)&spin_count[i]);
	sleep(2);
	spin_stop = 1;
	for (int i = 0; i < SPINNERS; i++) {
		pthread_join(t[i], NULL);
		total += spin_count[i];
	}
	for (int i = 0; i < SPINNERS; i++) {
		uint64_t permille = spin_count[i] * 1000 / (total ? total : 1);

		printf("# spinner %d: %lu.%lu%% of the work\n", i, (unsigned long)(permille / 10),
		       (unsigned long)(permille % 10));
		ok &= permille >= 200 && permille <= 300;
	}
	check(ok && total, "fairness: 4 spinning threads each get 25% +- 5% over 2 s");
}

/* --- sleep accuracy -------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* 100 sleeps of 5 ms: none may wake early; how late they wake is printed. */
static void test_sleep(void)
{
	enum { N = 100, SLEEP_US = 5000 };
	static uint64_t late[N];
	int early = 0;

	for (int i = 0; i < N; i++) {
		uint64_t t0 = now_ns(), dt;

		usleep(SLEEP_US);
		dt = now_ns() - t0;
		early += dt < SLEEP_US * 1000ULL;
		late[i] = dt > SLEEP_US * 1000ULL ? dt - SLEEP_US * 1000ULL : 0;
	}
	qsort(late, N, sizeof(late[0]), cmp_u64);
	printf("# 5 ms sleeps, lateness in us: min %lu median %lu p90 %lu p99 %lu max %lu\n",
	       (unsigned long)(late[0] / 1000), (unsigned long)(late[N / 2] / 1000),
	       (unsigned long)(late[N * 9 / 10] / 1000), (unsigned long)(late[N * 99 / 100] / 1000),
	       (unsigned long)(late[N - 1] / 1000));
	check(!early, "sleep: 100 sleeps of 5 ms never wake early");
}

/* --- mutual exclusion under preemption -------------------------------- */

enum { INCREMENTERS = 8, INCREMENTS = 100000 };
static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile uint64_t counter;
static volatile int delay_loops = 100;

/* A read-modify-write with a gap, so preemption can land inside it. */
static void slow_increment(void)
{
	uint64_t v = counter;

	for (volatile int i = 0; i < delay_loops; i++)
		;
	counter = v + 1;
}

static void *incrementer(void *locked)
{
	for (int i = 0; i < INCREMENTS; i++) {
		if (locked)
			pthread_mutex_lock(&counter_lock);
		slow_increment();
		if (locked)
			pthread_mutex_unlock(&counter_lock);
	}
	return NULL;
}

static uint64_t count_with(int locked)
{
	pthread_t t[INCREMENTERS];

	counter = 0;
	for (int i = 0; i < INCREMENTERS; i++)
		pthread_create(&t[i], NULL, incrementer, locked ? (void *)1 : NULL);
	for (int i = 0; i < INCREMENTERS; i++)
		pthread_join(t[i], NULL);
	return counter;
}

static void test_mutex(void)
{
	uint64_t t0 = now_ns(), locked = count_with(1), t1 = now_ns(), unlocked = count_with(0);

	printf("# locked run %lu ms, unlocked run %lu ms\n", (unsigned long)((t1 - t0) / 1000000),
	       (unsigned long)((now_ns() - t1) / 1000000));

	printf("# 8 x 100000 increments: %lu with the mutex, %lu without\n", (unsigned long)locked,
	       (unsigned long)unlocked);
	check(locked == INCREMENTERS * INCREMENTS, "mutex: 8 x 100000 locked increments are exact");
	check(unlocked < INCREMENTERS * INCREMENTS,
	      "mutex: without it updates are lost (preemption really interleaves)");
	pthread_mutex_lock(&counter_lock);
	check(pthread_mutex_lock(&counter_lock) == EDEADLK, "mutex: relocking is refused");
	pthread_mutex_unlock(&counter_lock);
	check(pthread_mutex_unlock(&counter_lock) == EPERM,
	      "mutex: unlock by a non-owner is refused");
}

/* --- producer/consumer -------------------------------------------------- */

enum { ITEMS = 1000000, SLOTS = 64, PRODUCERS = 2, CONSUMERS = 2 };
static struct {
	uint32_t buf[SLOTS];
	unsigned head, tail, count;
	sem_t empty, full;
	pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full;
	uint8_t seen[ITEMS];
	int use_cond;
	uint32_t next_item;
} pc;

static void put(uint32_t v)
{
	if (pc.use_cond) {
		pthread_mutex_lock(&pc.lock);
		while (pc.count == SLOTS)
			pthread_cond_wait(&pc.not_full, &pc.lock);
	} else {
		sem_wait(&pc.empty);
		pthread_mutex_lock(&pc.lock);
	}
	pc.buf[pc.head] = v;
	pc.head = (pc.head + 1) % SLOTS;
	pc.count++;
	pthread_mutex_unlock(&pc.lock);
	if (pc.use_cond)
		pthread_cond_signal(&pc.not_empty);
	else
		sem_post(&pc.full);
}

static uint32_t take(void)
{
	uint32_t v;

	if (pc.use_cond) {
		pthread_mutex_lock(&pc.lock);
		while (pc.count == 0)
			pthread_cond_wait(&pc.not_empty, &pc.lock);
	} else {
		sem_wait(&pc.full);
		pthread_mutex_lock(&pc.lock);
	}
	v = pc.buf[pc.tail];
	pc.tail = (pc.tail + 1) % SLOTS;
	pc.count--;
	pthread_mutex_unlock(&pc.lock);
	if (pc.use_cond)
		pthread_cond_signal(&pc.not_full);
	else
		sem_post(&pc.empty);
	return v;
}

static void *producer(void *arg)
{
	uintptr_t first = (uintptr_t)arg;

	for (uint32_t v = (uint32_t)first; v < ITEMS; v += PRODUCERS)
		put(v);
	return NULL;
}

static void *consumer(void *arg)
{
	uintptr_t n = (uintptr_t)arg;

	while (n--)
		pc.seen[take()]++;
	return NULL;
}

static int run_producer_consumer(int use_cond)
{
	pthread_t p[PRODUCERS], c[CONSUMERS];
	int lost = 0, dup = 0;

	memset(&pc, 0, sizeof(pc));
	pc.use_cond = use_cond;
	sem_init(&pc.empty, 0, SLOTS);
	sem_init(&pc.full, 0, 0);
	pthread_mutex_init(&pc.lock, NULL);
	pthread_cond_init(&pc.not_empty, NULL);
	pthread_cond_init(&pc.not_full, NULL);
	for (uintptr_t i = 0; i < CONSUMERS; i++)
		pthread_create(&c[i], NULL, consumer, (void *)(uintptr_t)(ITEMS / CONSUMERS));
	for (uintptr_t i = 0; i < PRODUCERS; i++)
		pthread_create(&p[i], NULL, producer, (void *)i);
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(p[i], NULL);
	for (int i = 0; i < CONSUMERS; i++)
		pthread_join(c[i], NULL);
	for (int i = 0; i < ITEMS; i++) {
		lost += pc.seen[i] == 0;
		dup += pc.seen[i] > 1;
	}
	printf("# %s: %d lost, %d duplicated\n", use_cond ? "condvars" : "semaphores", lost, dup);
	return !lost && !dup;
}

static void test_producer_consumer(void)
{
	check(run_producer_consumer(0), "semaphores: 1e6 items, none lost or duplicated");
	check(run_producer_consumer(1), "condvars: 1e6 items, none lost or duplicated");
}

/* --- FPU and SSE state under preemption --------------------------------- */

enum { FPU_THREADS = 6, FPU_ROUNDS = 200000 };
typedef double v2df __attribute__((vector_size(16)));

/* Rounding mode bits of MXCSR: nearest, down, up, toward zero. */
static const uint32_t rounding[4] = { 0x0000, 0x2000, 0x4000, 0x6000 };

static void set_mxcsr(uint32_t mode)
{
	uint32_t m = 0x1F80 | mode;

	__asm__ volatile("ldmxcsr %0" : : "m"(m));
}

/* Mixed scalar and vector work whose result depends on every rounding. */
static double fpu_work(uintptr_t id)
{
	v2df acc = { 1.0 + (double)id, 1.0 / (3.0 + (double)id) };
	v2df step = { 1.0 / 7.0, 1.0 / 11.0 };
	double s = (double)id;

	set_mxcsr(rounding[id % 4]);
	for (int i = 0; i < FPU_ROUNDS; i++) {
		acc = acc * (v2df){ 1.0000001, 0.9999999 } + step;
		s = s * 0.999999 + 1.0 / (double)(i + 1);
	}
	set_mxcsr(rounding[0]);
	return s + acc[0] + acc[1];
}

static double fpu_result[FPU_THREADS];

static void *fpu_thread(void *arg)
{
	uintptr_t id = (uintptr_t)arg;

	fpu_result[id] = fpu_work(id);
	return NULL;
}

static void test_fpu(void)
{
	double expected[FPU_THREADS];
	pthread_t t[FPU_THREADS];
	int ok = 1, distinct = 1;

	for (uintptr_t i = 0; i < FPU_THREADS; i++)
		expected[i] = fpu_work(i); /* alone: nothing to switch to */
	for (uintptr_t i = 0; i < FPU_THREADS; i++)
		pthread_create(&t[i], NULL, fpu_thread, (void *)i);
	for (int i = 0; i < FPU_THREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < FPU_THREADS; i++) {
		ok &= !memcmp(&expected[i], &fpu_result[i], sizeof(double));
		distinct &= i < 4 ? expected[i] != expected[(i + 1) % 4] : 1;
	}
	check(distinct, "fpu: the rounding modes really give different results");
	check(ok, "fpu: 6 threads computing under preemption get bit-exact results");
}

/* --- reclaim -------------------------------------------------------------- */

static void *nothing(void *arg)
{
	return arg;
}

static void test_reclaim(void)
{
	enum { N = 10000, DETACHED = 1000 };
	struct heap_stats before, after;
	struct page_stats pbefore, pafter;
	uint64_t tables_before = paging_table_pages(), kept = 0;
	int ok = 1;

	malloc_stats(&before);
	page_stats(&pbefore);
	for (uintptr_t i = 0; i < N; i++) {
		pthread_t t;
		void *ret = NULL;

		ok &= pthread_create(&t, NULL, nothing, (void *)i) == 0;
		ok &= pthread_join(t, &ret) == 0 && ret == (void *)i;
	}
	malloc_stats(&after);
	page_stats(&pafter);
	check(ok, "reclaim: 10000 threads created and joined, each returning its value");
	check(after.in_use == before.in_use && pafter.free == pbefore.free,
	      "reclaim: heap and pages back where they started");
	for (int i = 0; i < DETACHED; i++) {
		pthread_attr_t a;
		pthread_t t;

		pthread_attr_init(&a);
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		ok &= pthread_create(&t, &a, nothing, NULL) == 0;
	}
	/*
	 * They run and exit while we sleep; the idle thread reaps them. The heap
	 * keeps the pools it grew for 1000 threads at once, and the page tables
	 * made to unmap their guard pages stay: every other page must be back.
	 */
	for (int waited = 0; waited < 500; waited++) {
		usleep(10000);
		malloc_stats(&after);
		page_stats(&pafter);
		kept = after.pool_bytes - before.pool_bytes +
		       (paging_table_pages() - tables_before) * PAGE_SIZE;
		if (after.in_use == before.in_use && pafter.free + kept == pbefore.free)
			break;
	}
	printf("# after the detached threads: heap %ld bytes, pages %ld (%ld kept by the heap "
	       "and page tables) from where they started\n",
	       (long)(after.in_use - before.in_use), (long)(pbefore.free - pafter.free) / 4096,
	       (long)kept / 4096);
	check(ok && after.in_use == before.in_use && pafter.free + kept == pbefore.free,
	      "reclaim: 1000 detached threads are reclaimed after they exit");
}

/* --- deadlines far away ----------------------------------------------------- */

/*
 * Just past the point where the deadline, turned into TSC ticks, no longer
 * fits in 64 bits (some 280 years at 2 GHz): wrapped, it would lie in the
 * past, and the timer would fire again and again.
 */
static void *far_sleeper(void *arg)
{
	uint64_t ns =
		(uint64_t)(((unsigned __int128)1 << 64) * 1000000000ULL / time_tsc_hz()) + 1000000;
	struct timespec ts = { (time_t)(ns / 1000000000ULL), (long)(ns % 1000000000ULL) };

	(void)arg;
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	return NULL;
}

/* A sleep until the end of time must not make the timer fire over and over. */
static void test_far_deadline(void)
{
	struct sched_stats before, after;
	pthread_attr_t a;
	pthread_t t;

	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	pthread_create(&t, &a, far_sleeper, NULL);
	usleep(10000);
	/* Spin, not sleep: the far deadline must be the only one left. */
	sched_stats(&before);
	for (uint64_t end = now_ns() + 200000000; now_ns() < end;)
		;
	sched_stats(&after);
	printf("# timer interrupts in 200 ms with a sleeper until the end of time: %lu\n",
	       (unsigned long)(after.timer_irqs - before.timer_irqs));
	check(after.timer_irqs - before.timer_irqs < 20,
	      "timer: a deadline beyond reach does not storm the timer");
}

/* --- thread-local storage ------------------------------------------------ */

static __thread int tls_counter = 42;
static __thread char tls_name[24] = "initial";
static __thread long tls_zero;

static void *tls_thread(void *arg)
{
	int ok = tls_counter == 42 && !strcmp(tls_name, "initial") && tls_zero == 0;

	tls_counter = (int)(uintptr_t)arg;
	strcpy(tls_name, "changed");
	tls_zero = -1;
	usleep(1000); /* let the others run and write theirs */
	ok &= tls_counter == (int)(uintptr_t)arg && !strcmp(tls_name, "changed") && tls_zero == -1;
	return (void *)(uintptr_t)ok;
}

static void test_tls(void)
{
	struct heap_stats before, after;
	pthread_t t[4];
	int ok = tls_counter == 42 && !strcmp(tls_name, "initial");

	malloc_stats(&before);
	for (uintptr_t i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, tls_thread, (void *)(i + 100));
	for (int i = 0; i < 4; i++) {
		void *r;

		pthread_join(t[i], &r);
		ok &= r == (void *)1;
	}
	malloc_stats(&after);
	check(ok && tls_counter == 42, "tls: initialised __thread variables are per thread");
	check(after.overflows == before.overflows && after.bad_pointers == before.bad_pointers,
	      "tls: writing them touches no heap block");
}

/* --- timed waits ------------------------------------------------------------ */

static void test_timeouts(void)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t c = PTHREAD_COND_INITIALIZER;
	struct timespec ts;
	sem_t s;
	uint64_t t0;
	int err;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 20000000;
	if (ts.tv_nsec >= 1000000000)
		ts.tv_sec++, ts.tv_nsec -= 1000000000;
	t0 = now_ns();
	pthread_mutex_lock(&m);
	err = pthread_cond_timedwait(&c, &m, &ts);
	pthread_mutex_unlock(&m);
	check(err == ETIMEDOUT && now_ns() - t0 >= 19000000,
	      "cond: timedwait times out after its deadline");
	sem_init(&s, 0, 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 10000000;
	if (ts.tv_nsec >= 1000000000)
		ts.tv_sec++, ts.tv_nsec -= 1000000000;
	t0 = now_ns();
	err = sem_timedwait(&s, &ts) == -1 ? errno : 0;
	check(err == ETIMEDOUT && now_ns() - t0 >= 9000000,
	      "semaphore: timedwait times out after its deadline");
	clock_gettime(CLOCK_REALTIME, &ts);
	check(ts.tv_sec > 1600000000, "clock: the wall clock comes from the RTC");
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} tests[] = {
		{ "sleep", test_sleep },       { "fairness", test_fairness },
		{ "mutex", test_mutex },       { "producer-consumer", test_producer_consumer },
		{ "fpu", test_fpu },	       { "reclaim", test_reclaim },
		{ "tls", test_tls },	       { "far-deadline", test_far_deadline },
		{ "timeouts", test_timeouts },
	};
	const char *only = argc > 1 ? argv[1] : NULL;
	int ran = 0;

	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		uint64_t t0 = now_ns();

		if (only && strcmp(only, tests[i].name))
			continue;
		tests[i].fn();
		ran++;
		printf("# %s took %lu ms\n", tests[i].name,
		       (unsigned long)((now_ns() - t0) / 1000000));
	}
	check(ran > 0, "schedtest: at least one test ran");
	printf("schedtest: %d failed\n", failures);
	return failures;
}
