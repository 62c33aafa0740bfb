/*
 * The sleep queue: threads and kernel timers waiting for a point in time,
 * kept in deadline order. Pure logic, no locking and no clock: the
 * scheduler holds interrupts off and passes "now"; the host tests pass a
 * fake one.
 */
#ifndef SCHED_TIMERQ_H
#define SCHED_TIMERQ_H

#include <stdint.h>

#include "kernel/list.h"

struct timerq_entry {
	struct list_head link;
	uint64_t deadline; /* ns on the monotonic clock */
	/* What the owner does when the deadline passes (the queue never calls it). */
	void (*expire)(struct timerq_entry *e);
};

struct timerq {
	struct list_head entries; /* by deadline, earliest first; ties in arrival order */
};

void timerq_init(struct timerq *q);

/* Adds e (not on any queue) to wait for deadline. */
void timerq_add(struct timerq *q, struct timerq_entry *e, uint64_t deadline);

/* Takes e off q if it is on it. */
void timerq_remove(struct timerq_entry *e);

/* The earliest deadline, or UINT64_MAX when nothing waits. */
uint64_t timerq_next(const struct timerq *q);

/* Takes off and returns one entry whose deadline is <= now, or NULL. */
struct timerq_entry *timerq_pop_expired(struct timerq *q, uint64_t now);

#endif
