/*
 * main() ends with pthread_exit() while a worker still runs: the
 * application must go on until the worker is done, then end with status 0
 * (POSIX: the process ends when its last thread does).
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *worker(void *arg)
{
	(void)arg;
	usleep(50000);
	printf("threadexit: worker done after main left\n");
	return NULL;
}

int main(void)
{
	pthread_t t;

	pthread_create(&t, NULL, worker, NULL);
	pthread_detach(t);
	printf("threadexit: main leaves\n");
	pthread_exit(NULL);
}
