/* Wait queues: threads blocked until another thread or an interrupt wakes them. */
#include "sched/sched.h"

#include <assert.h>

#include "arch/x86_64/arch.h"
#include "sched/sched_priv.h"

static int wait(struct waitq *q, uint64_t deadline, bool interruptible)
{
	struct thread *self = thread_self();

	assert(!irqs_enabled());
	list_ensure(&q->waiters);
	list_add_tail(&self->link, &q->waiters);
	return sched_wait(q, deadline, interruptible);
}

int waitq_wait(struct waitq *q, uint64_t deadline)
{
	return wait(q, deadline, false);
}

int waitq_wait_intr(struct waitq *q, uint64_t deadline)
{
	return wait(q, deadline, true);
}

struct thread *waitq_peek(struct waitq *q)
{
	struct list_head *first = list_first(&q->waiters);

	assert(!irqs_enabled());
	return first ? list_entry(first, struct thread, link) : NULL;
}

struct thread *waitq_wake_one(struct waitq *q)
{
	struct thread *t = waitq_peek(q);

	if (t)
		sched_wake(t);
	return t;
}

int waitq_wake_all(struct waitq *q)
{
	int n = 0;

	while (waitq_wake_one(q))
		n++;
	return n;
}

bool waitq_empty(const struct waitq *q)
{
	return list_empty(&q->waiters);
}
