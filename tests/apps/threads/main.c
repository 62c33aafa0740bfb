/*
 * musl's threads on Ceres's clone() and futexes (docs/abi.md). Prints
 * "ok - ..." or "not ok - ..." per check and exits with the number of
 * failures; argv[1] names one test:
 *   many     1000 threads alive at once, each with its own TLS, all joined
 *   cancel   pthread_cancel of a thread asleep in nanosleep
 *   kill     pthread_kill runs the handler in the thread it names
 *   crash    a thread named "worker" dereferences NULL (status 121; the
 *            report names the thread)
 * With no argument, all but crash.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void check(int ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	failures += !ok;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum { MANY = 1000 };
static pthread_barrier_t all_up;
static __thread long mine; /* each thread's own */

static void *many_thread(void *arg)
{
	mine = (long)(intptr_t)arg;
	errno = (int)mine;	       /* errno is per thread too */
	pthread_barrier_wait(&all_up); /* all MANY are alive before any leaves */
	return (void *)(intptr_t)(mine == (long)(intptr_t)arg && errno == (int)mine ? mine : -1);
}

static void test_many(void)
{
	static pthread_t t[MANY];
	int created = 0, right = 0;
	double t0 = now();

	pthread_barrier_init(&all_up, NULL, MANY + 1);
	for (int i = 0; i < MANY; i++)
		created += pthread_create(&t[i], NULL, many_thread, (void *)(intptr_t)(i + 1)) == 0;
	check(created == MANY, "many: 1000 threads created");
	if (created != MANY)
		return; /* the barrier would wait for the missing ones forever */
	pthread_barrier_wait(&all_up);
	for (int i = 0; i < MANY; i++) {
		void *ret;

		right += pthread_join(t[i], &ret) == 0 && (intptr_t)ret == i + 1;
	}
	printf("# 1000 threads up and joined in %.0f ms\n", (now() - t0) * 1000);
	check(right == MANY, "many: all joined, each with its own TLS and errno");
}

static void *sleeper(void *arg)
{
	struct timespec ts = { 30, 0 };

	(void)arg;
	nanosleep(&ts, NULL);
	return (void *)1; /* reached only if the cancel failed */
}

static void test_cancel(void)
{
	pthread_t t;
	void *ret = NULL;
	double t0;

	pthread_create(&t, NULL, sleeper, NULL);
	usleep(20000); /* let it fall asleep */
	t0 = now();
	check(pthread_cancel(t) == 0, "cancel: pthread_cancel succeeds");
	check(pthread_join(t, &ret) == 0 && ret == PTHREAD_CANCELED,
	      "cancel: the sleeper ends cancelled");
	printf("# cancel to join: %.1f ms\n", (now() - t0) * 1000);
	check(now() - t0 < 5, "cancel: within 5 s, not at the end of its 30 s sleep");
}

static volatile pid_t handled_in;

static void on_usr1(int sig)
{
	(void)sig;
	handled_in = (pid_t)syscall(SYS_gettid);
}

static pid_t target_tid;
static volatile int target_stop;

static void *target(void *arg)
{
	(void)arg;
	target_tid = (pid_t)syscall(SYS_gettid);
	while (!target_stop)
		usleep(1000);
	return NULL;
}

static void test_kill(void)
{
	struct sigaction sa;
	pthread_t t;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	pthread_create(&t, NULL, target, NULL);
	while (!target_tid)
		usleep(1000);
	check(pthread_kill(t, SIGUSR1) == 0, "kill: pthread_kill succeeds");
	for (int i = 0; i < 1000 && !handled_in; i++)
		usleep(1000);
	check(handled_in == target_tid && target_tid != (pid_t)syscall(SYS_gettid),
	      "kill: the handler ran in the thread named");
	target_stop = 1;
	pthread_join(t, NULL);
}

static int *volatile null_pointer;

static void *crasher(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "worker");
	*null_pointer = 1;
	return NULL;
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(only, "crash")) {
		pthread_t t;

		pthread_create(&t, NULL, crasher, NULL);
		pthread_join(t, NULL);
		check(0, "crash: the crash ended the program");
		return 1;
	}
	if (!*only || !strcmp(only, "many"))
		test_many();
	if (!*only || !strcmp(only, "cancel"))
		test_cancel();
	if (!*only || !strcmp(only, "kill"))
		test_kill();
	printf("threads: %d failed\n", failures);
	return failures;
}
