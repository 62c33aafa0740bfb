#include "sched/sync.h"

#include <errno.h>

#include "arch/x86_64/arch.h"

int sem_down_until(struct semaphore *s, uint64_t deadline)
{
	unsigned long flags = irq_save();
	int err = 0;

	while (!s->count && !err)
		err = waitq_wait(&s->waiters, deadline);
	if (s->count) {
		s->count--;
		err = 0;
	}
	irq_restore(flags);
	return err;
}

int sem_trydown(struct semaphore *s)
{
	unsigned long flags = irq_save();
	int err = s->count ? 0 : -EAGAIN;

	if (!err)
		s->count--;
	irq_restore(flags);
	return err;
}

void sem_up(struct semaphore *s)
{
	unsigned long flags = irq_save();

	s->count++;
	waitq_wake_one(&s->waiters);
	irq_restore(flags);
}
