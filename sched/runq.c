#include "sched/runq.h"

void runq_init(struct runq *q)
{
	list_init(&q->queue);
	q->count = 0;
}

void runq_add(struct runq *q, struct list_head *link)
{
	list_add_tail(link, &q->queue);
	q->count++;
}

void runq_remove(struct runq *q, struct list_head *link)
{
	list_del(link);
	q->count--;
}

struct list_head *runq_take(struct runq *q)
{
	struct list_head *first = list_first(&q->queue);

	if (first)
		runq_remove(q, first);
	return first;
}

bool runq_should_preempt(const struct runq *q, uint64_t now, uint64_t slice_end, bool idle)
{
	if (!q->count)
		return false;
	return idle || now >= slice_end;
}

uint64_t runq_next_deadline(const struct runq *q, uint64_t slice_end, bool idle,
			    uint64_t next_sleeper)
{
	uint64_t d = next_sleeper;

	if (q->count && !idle && slice_end < d)
		d = slice_end;
	return d;
}
