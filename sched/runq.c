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

uint64_t runq_timer_plan(const struct runq *q, const struct runq_timer_in *in)
{
	uint64_t slice = in->slice_end, d = in->next_timer;

	/*
	 * A switch already due needs no slice timer: it happens on the way out
	 * of this interrupt, or, while preemption is off, at the enable; in case
	 * that enable runs with interrupts off, one more tick comes a bit later.
	 */
	if (in->need_resched)
		slice = in->preempt_off ? in->now + RUNQ_PREEMPT_RETRY_NS : UINT64_MAX;
	if (q->count && !in->idle && slice < d)
		d = slice;
	return d < in->armed ? d : in->armed;
}
