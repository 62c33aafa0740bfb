/*
 * Something for gdb to look at through Ceres's own stub
 * (tests/integration/gdb.sh, docs/gdbstub.md). argv[1] says what:
 *   threads  (the default) threads that each wait in their own way: "holder"
 *            holds a mutex and waits on a semaphore, "waiter" blocks on
 *            that mutex, "sleeper" sleeps; then "stepper" calls target(),
 *            where the test breaks, steps and nexts; it then prints how
 *            long the call took on the monotonic clock, which skips the
 *            time gdb held the guest, and on the real one, which does not;
 *            then all end, status 0
 *   spin     a thread "spinner" spins in spin() for ever, counting in
 *            spin_count; main waits for it (Ctrl-C's test)
 *   crash    a thread "crasher" writes through a NULL pointer in
 *            crash_here() (status 121)
 * Each thread names itself (prctl), so gdb shows the names.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t started;
static sem_t release;
static volatile int done;
volatile unsigned long spin_count;
static int *volatile null_pointer;

static void name_self(const char *name)
{
	prctl(PR_SET_NAME, name, 0, 0, 0);
}

__attribute__((noinline)) static int twice(int x)
{
	int y = x * 2;

	return y;
}

/* The test breaks here, then steps over the first line and into twice(). */
__attribute__((noinline)) int target(int x)
{
	int a = x + 1;
	int b = twice(a);

	return a + b;
}

static void *holder(void *arg)
{
	(void)arg;
	name_self("holder");
	pthread_mutex_lock(&lock);
	pthread_barrier_wait(&started);
	sem_wait(&release);
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void *waiter(void *arg)
{
	(void)arg;
	name_self("waiter");
	pthread_barrier_wait(&started);
	pthread_mutex_lock(&lock); /* the holder has it: blocks in a futex */
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void *sleeper(void *arg)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	(void)arg;
	name_self("sleeper");
	pthread_barrier_wait(&started);
	while (!done)
		nanosleep(&ts, NULL);
	return NULL;
}

static long ms_since(clockid_t clock, const struct timespec *from)
{
	struct timespec now;

	clock_gettime(clock, &now);
	return (now.tv_sec - from->tv_sec) * 1000 + (now.tv_nsec - from->tv_nsec) / 1000000;
}

static void *stepper(void *arg)
{
	struct timespec ts = { 0, 200 * 1000 * 1000 }, mono, real;
	int v;

	(void)arg;
	name_self("stepper");
	pthread_barrier_wait(&started);
	nanosleep(&ts, NULL); /* the waiter is in its futex by then */
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	v = target(20);
	printf("gdbtest: target(20) is %d after %ld ms monotonic, %ld ms real\n", v,
	       ms_since(CLOCK_MONOTONIC, &mono), ms_since(CLOCK_REALTIME, &real));
	return NULL;
}

static int run_threads(void)
{
	void *(*fn[])(void *) = { holder, waiter, sleeper, stepper };
	enum { N = sizeof(fn) / sizeof(fn[0]) };
	pthread_t t[N];

	pthread_barrier_init(&started, NULL, N);
	sem_init(&release, 0, 0);
	for (int i = 0; i < N; i++)
		pthread_create(&t[i], NULL, fn[i], NULL);
	pthread_join(t[3], NULL);
	sem_post(&release);
	done = 1;
	for (int i = 0; i < N - 1; i++)
		pthread_join(t[i], NULL);
	printf("gdbtest: done\n");
	return 0;
}

__attribute__((noinline)) static void spin(void)
{
	for (;;)
		spin_count++;
}

static void *spinner(void *arg)
{
	(void)arg;
	name_self("spinner");
	spin();
	return NULL;
}

__attribute__((noinline)) static void crash_here(void)
{
	*null_pointer = 42;
}

static void *crasher(void *arg)
{
	(void)arg;
	name_self("crasher");
	crash_here();
	return NULL;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "threads";
	pthread_t t;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(what, "threads"))
		return run_threads();
	if (strcmp(what, "spin") && strcmp(what, "crash")) {
		printf("gdbtest: unknown test '%s' (threads, spin or crash)\n", what);
		return 2;
	}
	printf("gdbtest: %s\n", what);
	pthread_create(&t, NULL, strcmp(what, "spin") ? crasher : spinner, NULL);
	pthread_join(t, NULL);
	return 1;
}
