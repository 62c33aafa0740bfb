/*
 * The run queue: runnable threads in round-robin order, and the rule that
 * decides when the running one must give way. Pure logic for host tests.
 */
#ifndef SCHED_RUNQ_H
#define SCHED_RUNQ_H

#include <stdbool.h>
#include <stdint.h>

#include "sched/list.h"

struct runq {
	struct list_head queue;
	unsigned count;
};

void runq_init(struct runq *q);
/* Appends: the new arrival runs after everyone already waiting. */
void runq_add(struct runq *q, struct list_head *link);
void runq_remove(struct runq *q, struct list_head *link);
/* Takes the longest-waiting entry, or NULL. */
struct list_head *runq_take(struct runq *q);

/*
 * Should the running thread be switched out at now? Yes when its slice has
 * ended and someone else is runnable, or when the idle thread runs and
 * anyone is runnable.
 */
bool runq_should_preempt(const struct runq *q, uint64_t now, uint64_t slice_end, bool idle);

/*
 * When the timer must fire next: the slice end if anyone else is runnable
 * (a lone thread runs on without ticks), else the next sleeper; UINT64_MAX
 * for "no timer at all".
 */
uint64_t runq_next_deadline(const struct runq *q, uint64_t slice_end, bool idle,
			    uint64_t next_sleeper);

#endif
