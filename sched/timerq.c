#include "sched/timerq.h"

void timerq_init(struct timerq *q)
{
	list_init(&q->entries);
}

/*
 * Walks from the back: new deadlines are usually the latest (a sleep of the
 * same length as the last one), which makes the common insert O(1).
 */
void timerq_add(struct timerq *q, struct timerq_entry *e, uint64_t deadline)
{
	struct list_head *pos = q->entries.prev;

	e->deadline = deadline;
	while (pos != &q->entries &&
	       list_entry(pos, struct timerq_entry, link)->deadline > deadline)
		pos = pos->prev;
	list_add_before(&e->link, pos->next);
}

void timerq_remove(struct timerq_entry *e)
{
	if (list_linked(&e->link))
		list_del(&e->link);
}

uint64_t timerq_next(const struct timerq *q)
{
	struct list_head *first = list_first(&q->entries);

	return first ? list_entry(first, struct timerq_entry, link)->deadline : UINT64_MAX;
}

struct timerq_entry *timerq_pop_expired(struct timerq *q, uint64_t now)
{
	struct list_head *first = list_first(&q->entries);
	struct timerq_entry *e;

	if (!first)
		return NULL;
	e = list_entry(first, struct timerq_entry, link);
	if (e->deadline > now)
		return NULL;
	list_del(&e->link);
	return e;
}
