/* POSIX semaphores over sched/semaphore.c; errors set errno, as POSIX says. */
#include <semaphore.h>

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "lib/libc/timespec.h"
#include "sched/sync.h"

_Static_assert(sizeof(struct semaphore) <= sizeof(sem_t), "sem_t too small");

#define SEM(s) ((struct semaphore *)(s)->opaque)

int sem_init(sem_t *s, int pshared, unsigned value)
{
	if (pshared) /* one address space: nothing to share with */
		return errno = ENOSYS, -1;
	memset(s, 0, sizeof(*s));
	SEM(s)->count = value;
	return 0;
}

int sem_destroy(sem_t *s)
{
	return waitq_empty(&SEM(s)->waiters) ? 0 : (errno = EBUSY, -1);
}

int sem_wait(sem_t *s)
{
	sem_down_until(SEM(s), 0);
	return 0;
}

int sem_trywait(sem_t *s)
{
	return sem_trydown(SEM(s)) ? (errno = EAGAIN, -1) : 0;
}

int sem_timedwait(sem_t *s, const struct timespec *abstime)
{
	if (!timespec_valid(abstime))
		return errno = EINVAL, -1;
	if (sem_down_until(SEM(s), timespec_deadline(CLOCK_REALTIME, abstime)))
		return errno = ETIMEDOUT, -1;
	return 0;
}

int sem_post(sem_t *s)
{
	sem_up(SEM(s));
	return 0;
}

int sem_getvalue(sem_t *s, int *value)
{
	unsigned long c = SEM(s)->count;

	*value = c > INT_MAX ? INT_MAX : (int)c;
	return 0;
}
