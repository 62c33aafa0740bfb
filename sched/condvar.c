#include "sched/sync.h"

#include <errno.h>

#include "arch/x86_64/arch.h"

/*
 * Unlocking m and queueing on c happen with interrupts off, so no signal
 * can slip in between them and be lost.
 */
int cond_wait_until(struct condvar *c, struct mutex *m, uint64_t deadline)
{
	unsigned long flags = irq_save();
	int err;

	if (mutex_unlock(m) < 0) {
		irq_restore(flags);
		return -EPERM;
	}
	err = waitq_wait(&c->waiters, deadline);
	irq_restore(flags);
	mutex_lock(m);
	return err;
}

void cond_signal(struct condvar *c)
{
	unsigned long flags = irq_save();

	waitq_wake_one(&c->waiters);
	irq_restore(flags);
}

void cond_broadcast(struct condvar *c)
{
	unsigned long flags = irq_save();

	waitq_wake_all(&c->waiters);
	irq_restore(flags);
}
