/*
 * Waits that can or cannot end, as argv[1] says:
 *   mutex    two threads take two mutexes in opposite orders: a deadlock
 *   join     main joins a thread that waits for a post nobody makes: a deadlock
 *   sleeper  main waits for a post a sleeping thread makes later: no deadlock
 *   timed    main waits for a post with a deadline: no deadlock
 * The kernel reports a deadlock and exits with 119; the others exit 0.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
static sem_t both_hold, never, later;

static void *take_b_then_a(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&b);
	sem_post(&both_hold);
	pthread_mutex_lock(&a);
	return NULL;
}

static void *wait_forever(void *arg)
{
	(void)arg;
	sem_wait(&never);
	return NULL;
}

static void *post_later(void *arg)
{
	(void)arg;
	usleep(300000);
	sem_post(&later);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "";
	struct timespec ts;
	pthread_t t;

	sem_init(&both_hold, 0, 0);
	sem_init(&never, 0, 0);
	sem_init(&later, 0, 0);
	printf("deadlock: waiting with '%s'\n", how);
	if (!strcmp(how, "mutex")) {
		pthread_mutex_lock(&a);
		pthread_create(&t, NULL, take_b_then_a, NULL);
		sem_wait(&both_hold);
		pthread_mutex_lock(&b);
	} else if (!strcmp(how, "join")) {
		pthread_create(&t, NULL, wait_forever, NULL);
		pthread_join(t, NULL);
	} else if (!strcmp(how, "sleeper")) {
		pthread_create(&t, NULL, post_later, NULL);
		sem_wait(&later);
		pthread_join(t, NULL);
		return 0;
	} else if (!strcmp(how, "timed")) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		return sem_timedwait(&never, &ts) == -1 && errno == ETIMEDOUT ? 0 : 2;
	}
	printf("deadlock: unknown or survived '%s'\n", how);
	return 1;
}
