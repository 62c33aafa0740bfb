/*
 * Mutexes. m->owner holds the owning thread, with MUTEX_WAITERS set in its
 * low bit while anyone sleeps on the mutex. The uncontended lock and unlock
 * are one cmpxchg each, inline in sched/sync.h; what is here runs when that
 * fails, with interrupts off.
 *
 * Unlock frees the mutex and wakes the longest waiter, which takes it when
 * it runs unless a running thread took it first ("barging"). Handing it
 * straight to the waiter would be fairer, but then every lock of a
 * contended mutex costs a context switch (a convoy): measured here, 8
 * threads doing 100000 locked increments took 2.7 s with hand-over and
 * 0.42 s with barging and 12 times the work. Round robin keeps a waiter
 * from starving.
 */
#include "sched/sync.h"

#include <errno.h>
#include <stdbool.h>

#include "arch/x86_64/arch.h"
#include "kernel/ksyms.h"
#include "kernel/printk.h"
#include "sched/sched_priv.h"

#define MUTEX_WAITERS ((uintptr_t)1)

static struct thread *owner_of(const struct mutex *m)
{
	return (struct thread *)((uintptr_t)m->owner & ~MUTEX_WAITERS);
}

int mutex_lock_contended(struct mutex *m, uint64_t deadline)
{
	struct thread *self = thread_self();
	unsigned long flags;
	int err = 0;

	flags = irq_save();
	if (owner_of(m) == self) {
		irq_restore(flags);
		return -EDEADLK;
	}
	while (m->owner && err == 0) {
		m->owner = (void *)((uintptr_t)m->owner | MUTEX_WAITERS);
		err = waitq_wait(&m->waiters, deadline);
	}
	if (!m->owner) { /* free: ours, even if the deadline passed just now */
		m->owner =
			(void *)((uintptr_t)self | (waitq_empty(&m->waiters) ? 0 : MUTEX_WAITERS));
		err = 0;
	}
	irq_restore(flags);
	return err;
}

static __attribute__((noinline, cold)) void warn_not_owner(struct mutex *m, struct thread *self,
							   void *caller)
{
	char fn[64];

	ksyms_describe((uintptr_t)caller, fn, sizeof(fn));
	pr_warn("mutex: unlock of %p by '%s', which does not hold it (from %s)", (void *)m,
		self->name, fn);
}

int mutex_unlock_contended(struct mutex *m)
{
	struct thread *self = thread_self();
	unsigned long flags;

	if (owner_of(m) != self) {
		warn_not_owner(m, self, __builtin_return_address(0));
		return -EPERM;
	}
	flags = irq_save();
	m->owner = NULL;
	waitq_wake_one(&m->waiters);
	irq_restore(flags);
	return 0;
}
