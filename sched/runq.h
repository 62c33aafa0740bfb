/*
 * The run queue: runnable threads in round-robin order, and the rules that
 * decide when the running one must give way and when the timer must fire.
 * Pure logic for host tests.
 */
#ifndef SCHED_RUNQ_H
#define SCHED_RUNQ_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/list.h"

/* A switch that falls due while preemption is off is tried again this much later. */
#define RUNQ_PREEMPT_RETRY_NS 500000ULL

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

/* What the timer decision looks at (every time in monotonic ns). */
struct runq_timer_in {
	uint64_t now;
	uint64_t slice_end;  /* when the running thread's slice ends */
	uint64_t next_timer; /* the earliest sleeper or kernel timer; UINT64_MAX: none */
	uint64_t armed;	     /* what the timer is set for; UINT64_MAX: nothing */
	bool idle;	     /* the idle thread runs: it has no slice */
	bool need_resched;   /* a switch is already due */
	bool preempt_off;    /* preemption is held off (sched_preempt_disable) */
};

/*
 * When the timer must fire next: the slice end if anyone else is runnable
 * (a lone thread runs on without ticks), the next timer, or, when a switch
 * is due but preemption is off, a retry. A timer already armed earlier
 * stays (its interrupt plans again), so the result is in->armed when the
 * timer is to be left alone.
 */
uint64_t runq_timer_plan(const struct runq *q, const struct runq_timer_in *in);

#endif
