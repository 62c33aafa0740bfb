/*
 * POSIX threads over sched/: pthread_t is the kernel's struct thread, and
 * the mutex and condition variable types are the kernel's, in opaque
 * storage of the same size. Errors come back as positive errno values.
 */
#include <pthread.h>

#include <errno.h>
#include <string.h>

#include "lib/libc/timespec.h"
#include "sched/sched.h"
#include "sched/sync.h"

_Static_assert(sizeof(struct mutex) <= sizeof(pthread_mutex_t), "pthread_mutex_t too small");
_Static_assert(sizeof(struct condvar) <= sizeof(((pthread_cond_t *)0)->opaque),
	       "pthread_cond_t too small");

#define MUTEX(m) ((struct mutex *)(m)->opaque)
#define COND(c) ((struct condvar *)(c)->opaque)

int pthread_attr_init(pthread_attr_t *a)
{
	*a = (pthread_attr_t){ THREAD_STACK_DEFAULT, PTHREAD_CREATE_JOINABLE };
	return 0;
}

int pthread_attr_destroy(pthread_attr_t *a)
{
	(void)a;
	return 0;
}

int pthread_attr_setstacksize(pthread_attr_t *a, size_t size)
{
	if (size < PTHREAD_STACK_MIN)
		return EINVAL;
	a->stacksize = size;
	return 0;
}

int pthread_attr_getstacksize(const pthread_attr_t *a, size_t *size)
{
	*size = a->stacksize;
	return 0;
}

int pthread_attr_setdetachstate(pthread_attr_t *a, int state)
{
	if (state != PTHREAD_CREATE_JOINABLE && state != PTHREAD_CREATE_DETACHED)
		return EINVAL;
	a->detachstate = state;
	return 0;
}

int pthread_attr_getdetachstate(const pthread_attr_t *a, int *state)
{
	*state = a->detachstate;
	return 0;
}

int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	pthread_attr_t def;
	struct thread *th;

	if (!attr) {
		pthread_attr_init(&def);
		attr = &def;
	}
	th = thread_create("pthread", fn, arg, attr->stacksize,
			   attr->detachstate == PTHREAD_CREATE_DETACHED);
	if (!th)
		return EAGAIN;
	*t = th;
	return 0;
}

int pthread_join(pthread_t t, void **ret)
{
	return -thread_join(t, ret);
}

int pthread_detach(pthread_t t)
{
	return -thread_detach(t);
}

void pthread_exit(void *ret)
{
	thread_exit(ret);
}

pthread_t pthread_self(void)
{
	return thread_self();
}

int pthread_equal(pthread_t a, pthread_t b)
{
	return a == b;
}

int pthread_setname_np(pthread_t t, const char *name)
{
	return -thread_set_name(t, name);
}

int pthread_mutexattr_init(pthread_mutexattr_t *a)
{
	a->type = PTHREAD_MUTEX_DEFAULT;
	return 0;
}

int pthread_mutexattr_destroy(pthread_mutexattr_t *a)
{
	(void)a;
	return 0;
}

/* Every mutex checks its owner, so DEFAULT and ERRORCHECK behave alike. */
int pthread_mutexattr_settype(pthread_mutexattr_t *a, int type)
{
	if (type != PTHREAD_MUTEX_DEFAULT && type != PTHREAD_MUTEX_ERRORCHECK)
		return EINVAL;
	a->type = type;
	return 0;
}

int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr)
{
	(void)attr;
	memset(m, 0, sizeof(*m));
	return 0;
}

int pthread_mutex_destroy(pthread_mutex_t *m)
{
	return mutex_is_locked(MUTEX(m)) ? EBUSY : 0;
}

int pthread_mutex_lock(pthread_mutex_t *m)
{
	return -mutex_lock(MUTEX(m));
}

int pthread_mutex_trylock(pthread_mutex_t *m)
{
	return -mutex_trylock(MUTEX(m));
}

int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abstime)
{
	if (!timespec_valid(abstime))
		return EINVAL;
	return -mutex_lock_until(MUTEX(m), timespec_deadline(CLOCK_REALTIME, abstime));
}

int pthread_mutex_unlock(pthread_mutex_t *m)
{
	return -mutex_unlock(MUTEX(m));
}

int pthread_condattr_init(pthread_condattr_t *a)
{
	a->clock = CLOCK_REALTIME;
	return 0;
}

int pthread_condattr_destroy(pthread_condattr_t *a)
{
	(void)a;
	return 0;
}

int pthread_condattr_setclock(pthread_condattr_t *a, clockid_t clock)
{
	if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC)
		return EINVAL;
	a->clock = clock;
	return 0;
}

int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *attr)
{
	memset(c, 0, sizeof(*c));
	c->clock = attr ? attr->clock : CLOCK_REALTIME;
	return 0;
}

int pthread_cond_destroy(pthread_cond_t *c)
{
	return waitq_empty(&COND(c)->waiters) ? 0 : EBUSY;
}

int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	return -cond_wait_until(COND(c), MUTEX(m), 0);
}

int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *abstime)
{
	if (!timespec_valid(abstime))
		return EINVAL;
	return -cond_wait_until(COND(c), MUTEX(m), timespec_deadline(c->clock, abstime));
}

int pthread_cond_signal(pthread_cond_t *c)
{
	cond_signal(COND(c));
	return 0;
}

int pthread_cond_broadcast(pthread_cond_t *c)
{
	cond_broadcast(COND(c));
	return 0;
}
