/*
 * Blocking primitives on top of wait queues: mutex, semaphore, condition
 * variable. All-zero memory is a valid unlocked mutex, a semaphore at 0
 * and a condition variable with no waiters. Deadlines are on the monotonic
 * clock in ns; 0 means none.
 */
#ifndef SCHED_SYNC_H
#define SCHED_SYNC_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/arch.h"
#include "sched/sched.h"

struct mutex {
	void *owner; /* the owning struct thread; bit 0: someone waits (sched/mutex.c) */
	struct waitq waiters;
};

/* The paths for a contended mutex and for errors (sched/mutex.c). */
int mutex_lock_contended(struct mutex *m, uint64_t deadline);
int mutex_unlock_contended(struct mutex *m);

/* 0, -EDEADLK if the caller holds it, -ETIMEDOUT. */
static inline int mutex_lock_until(struct mutex *m, uint64_t deadline)
{
	if (arch_cmpxchg_ptr(&m->owner, NULL, thread_self()))
		return 0;
	return mutex_lock_contended(m, deadline);
}

static inline int mutex_lock(struct mutex *m)
{
	return mutex_lock_until(m, 0);
}

/* 0, or -EBUSY. */
static inline int mutex_trylock(struct mutex *m)
{
	return arch_cmpxchg_ptr(&m->owner, NULL, thread_self()) ? 0 : -EBUSY;
}

/* 0, or -EPERM (with a warning) if the caller does not hold it. */
static inline int mutex_unlock(struct mutex *m)
{
	if (arch_cmpxchg_ptr(&m->owner, thread_self(), NULL))
		return 0;
	return mutex_unlock_contended(m);
}

static inline bool mutex_is_locked(const struct mutex *m)
{
	return m->owner != NULL;
}

struct semaphore {
	unsigned long count;
	struct waitq waiters;
};

/* 0, or -ETIMEDOUT. */
int sem_down_until(struct semaphore *s, uint64_t deadline);
/* 0, or -EAGAIN if the count is 0. */
int sem_trydown(struct semaphore *s);
void sem_up(struct semaphore *s);

struct condvar {
	struct waitq waiters;
};

/*
 * Releases m, waits for a signal or the deadline, and takes m again.
 * 0, -ETIMEDOUT, or -EPERM if the caller does not hold m.
 */
int cond_wait_until(struct condvar *c, struct mutex *m, uint64_t deadline);
void cond_signal(struct condvar *c);
void cond_broadcast(struct condvar *c);

#endif
