/*
 * Guest tests of the scheduler with real preemption, through musl's
 * pthreads and nothing but Linux system calls: fairness, sleep accuracy,
 * mutual exclusion, producer/consumer, FPU isolation and thread reclaim.
 * The same program runs natively on Linux, the oracle. Prints "ok - ..." or
 * "not ok - ..." per check and exits with the number of failures. argv[1],
 * if given, names the one test to run. How late sleeps wake depends on the
 * host, so it is printed (and measured in make bench), not checked; that
 * they never wake early is. What only the kernel can see (the timer's
 * interrupts) is checked by the kernel test tests/ktests/schedk.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

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

static void test_mutex_counts(void)
{
	uint64_t t0 = now_ns(), locked = count_with(1), t1 = now_ns(), unlocked = count_with(0);

	printf("# locked run %lu ms, unlocked run %lu ms\n", (unsigned long)((t1 - t0) / 1000000),
	       (unsigned long)((now_ns() - t1) / 1000000));

	printf("# 8 x 100000 increments: %lu with the mutex, %lu without\n", (unsigned long)locked,
	       (unsigned long)unlocked);
	check(locked == INCREMENTERS * INCREMENTS, "mutex: 8 x 100000 locked increments are exact");
	check(unlocked < INCREMENTERS * INCREMENTS,
	      "mutex: without it updates are lost (preemption really interleaves)");
}

static void *unlock_other(void *m)
{
	return (void *)(intptr_t)pthread_mutex_unlock(m);
}

/*
 * Only an error-checking mutex must refuse: a default one may deadlock on
 * a relock (musl's does), as POSIX allows.
 */
static void test_mutex_errors(void)
{
	pthread_mutexattr_t a;
	pthread_mutex_t m;
	pthread_t t;
	void *other = NULL;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&m, &a);
	pthread_mutex_lock(&m);
	check(pthread_mutex_lock(&m) == EDEADLK, "mutex: relocking is refused");
	pthread_create(&t, NULL, unlock_other, &m);
	pthread_join(t, &other);
	pthread_mutex_unlock(&m);
	check(other == (void *)(intptr_t)EPERM && pthread_mutex_unlock(&m) == EPERM,
	      "mutex: unlock by a non-owner is refused");
	pthread_mutex_destroy(&m);
	pthread_mutexattr_destroy(&a);
}

static void test_mutex(void)
{
	test_mutex_counts();
	test_mutex_errors();
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

/*
 * How much less free memory than before a check lets pass, per thread it
 * made: room for what the rest of the system does meanwhile (on Linux,
 * freeram is the whole machine's). A thread that left its stack behind
 * would cost more (16 KiB and up here; touched pages at least on Linux),
 * and so would, for the joined threads, the kernel's state for each.
 * The detached threads all live at once, so the allocators may also
 * settle at a higher mark in their second round: they get more room.
 */
enum {
	JOINED_SLACK = 512,
	DETACHED_SLACK = 2048,
	RECLAIM_WAIT_MS = 5000,
	RECLAIM_POLL_MS = 10,
	RECLAIM_STILL_MS = 100,
	DETACHED_STACK = 16384,
};

/* Free memory as a Linux program sees it: sysinfo()'s freeram, in bytes; -1 if it fails. */
static int64_t free_bytes(void)
{
	struct sysinfo si;

	if (sysinfo(&si) < 0)
		return -1;
	return (int64_t)si.freeram * si.mem_unit;
}

/*
 * Free memory once it is back to want, less slack; the last reading if it
 * is not within RECLAIM_WAIT_MS. Sleeping lets exited threads be reclaimed.
 */
static int64_t free_back_to(int64_t want, int64_t slack)
{
	int64_t now = free_bytes();

	for (int ms = 0; ms < RECLAIM_WAIT_MS && now + slack < want; ms += RECLAIM_POLL_MS) {
		usleep(RECLAIM_POLL_MS * 1000);
		now = free_bytes();
	}
	return now;
}

/* Free memory once it has stopped growing for RECLAIM_STILL_MS (or RECLAIM_WAIT_MS passed). */
static int64_t free_settled(void)
{
	int64_t best = free_bytes();

	for (int ms = 0, still = 0; ms < RECLAIM_WAIT_MS && still < RECLAIM_STILL_MS;
	     ms += RECLAIM_POLL_MS) {
		int64_t now;

		usleep(RECLAIM_POLL_MS * 1000);
		now = free_bytes();
		still = now > best ? 0 : still + RECLAIM_POLL_MS;
		best = now > best ? now : best;
	}
	return best;
}

static void *nothing(void *arg)
{
	return arg;
}

static sem_t detached_go;
static volatile int detached_left;

static void *detached_thread(void *arg)
{
	sem_wait(&detached_go);
	__atomic_fetch_sub(&detached_left, 1, __ATOMIC_RELAXED);
	return arg;
}

/*
 * n detached threads alive at once (*alive: free memory then), then let
 * go; returns once they have all returned. 1 if each was created.
 */
static int run_detached(int n, int64_t *alive)
{
	pthread_attr_t a;
	int ok = 1;

	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&a, DETACHED_STACK);
	detached_left = n;
	for (int i = 0; i < n; i++) {
		pthread_t t;

		if (pthread_create(&t, &a, detached_thread, NULL)) {
			ok = 0;
			__atomic_fetch_sub(&detached_left, 1, __ATOMIC_RELAXED);
		}
	}
	*alive = free_bytes();
	for (int i = 0; i < n; i++)
		sem_post(&detached_go);
	while (detached_left)
		usleep(1000);
	pthread_attr_destroy(&a);
	return ok;
}

/* n threads, one after the other, each joined: 1 if each returned its own value. */
static int run_joined(int n)
{
	int ok = 1;

	for (uintptr_t i = 0; i < (uintptr_t)n; i++) {
		pthread_t t;
		void *ret = NULL;

		if (pthread_create(&t, NULL, nothing, (void *)i)) {
			ok = 0;
			continue;
		}
		ok &= pthread_join(t, &ret) == 0 && ret == (void *)i;
	}
	return ok;
}

/*
 * Each bar gets RECLAIM_TRIES tries, each measured afresh, as free memory
 * is the whole machine's: a leak loses memory every time, the rest of the
 * system seldom does so again and again.
 */
static void test_reclaim(void)
{
	enum { N = 10000, DETACHED = 1000, RECLAIM_TRIES = 3 };
	int64_t before = 0, after = 0, alive = 0, round1 = 0, round2 = 0;
	int ok = 1, back = 0, tries = 0, dtries = 0;

	while (!back && tries < RECLAIM_TRIES) {
		tries++;
		before = free_bytes();
		ok &= run_joined(N);
		after = free_back_to(before, N * JOINED_SLACK);
		back = before > 0 && after + N * JOINED_SLACK >= before;
	}
	check(ok, "reclaim: 10000 threads created and joined, each returning its value");
	check(back, "reclaim: heap and pages back where they started");
	/*
	 * What the allocators grow for a first round (their high-water mark)
	 * they may keep; a second round, as large, must then give back what
	 * it took. What its threads held while alive is printed, to show the
	 * bar is below it; it is not checked: Linux may serve them from its
	 * per-CPU page lists, which freeram does not count.
	 */
	sem_init(&detached_go, 0, 0);
	ok = run_detached(DETACHED, &alive);
	back = 0;
	while (!back && dtries < RECLAIM_TRIES) {
		dtries++;
		round1 = free_settled();
		ok &= run_detached(DETACHED, &alive);
		round2 = free_back_to(round1, DETACHED * DETACHED_SLACK);
		back = round1 > 0 && round2 + DETACHED * DETACHED_SLACK >= round1;
	}
	sem_destroy(&detached_go);
	printf("# free memory, in KiB: %+ld after 10000 joined threads (try %d); from after "
	       "1000 detached ones, %+ld with 1000 more alive, %+ld once they exited (try %d)\n",
	       (long)(after - before) / 1024, tries, (long)(alive - round1) / 1024,
	       (long)(round2 - round1) / 1024, dtries);
	check(ok && back, "reclaim: 1000 detached threads are reclaimed after they exit");
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

enum { TLS_BLOCKS = 32 };

static size_t block_size(int i)
{
	return 16 + (size_t)i * 24;
}

/* Heap blocks of assorted sizes, each filled with its own byte. */
static void fill_blocks(unsigned char **block)
{
	for (int i = 0; i < TLS_BLOCKS; i++) {
		block[i] = malloc(block_size(i));
		if (block[i])
			memset(block[i], i + 1, block_size(i));
	}
}

/* 1 if every block still holds its byte; frees them (the heap checks itself). */
static int blocks_intact(unsigned char **block)
{
	int ok = 1;

	for (int i = 0; i < TLS_BLOCKS; i++) {
		ok &= block[i] != NULL;
		for (size_t j = 0; block[i] && j < block_size(i); j++)
			ok &= block[i][j] == i + 1;
		free(block[i]);
	}
	return ok;
}

static void test_tls(void)
{
	unsigned char *block[TLS_BLOCKS];
	pthread_t t[4];
	int ok = tls_counter == 42 && !strcmp(tls_name, "initial"), heap_ok;

	fill_blocks(block);
	for (uintptr_t i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, tls_thread, (void *)(i + 100));
	for (int i = 0; i < 4; i++) {
		void *r;

		pthread_join(t[i], &r);
		ok &= r == (void *)1;
	}
	heap_ok = blocks_intact(block);
	check(ok && tls_counter == 42, "tls: initialised __thread variables are per thread");
	check(heap_ok, "tls: writing them touches no heap block");
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
		{ "sleep", test_sleep }, { "fairness", test_fairness },
		{ "mutex", test_mutex }, { "producer-consumer", test_producer_consumer },
		{ "fpu", test_fpu },	 { "reclaim", test_reclaim },
		{ "tls", test_tls },	 { "timeouts", test_timeouts },
	};
	const char *only = argc > 1 ? argv[1] : NULL;
	int ran = 0;

	setvbuf(stdout, NULL, _IOLBF, 0); /* each line out as it is made, even before a crash */
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
