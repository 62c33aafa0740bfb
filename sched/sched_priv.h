/* Shared between sched/sched.c and sched/thread.c; nobody else. */
#ifndef SCHED_SCHED_PRIV_H
#define SCHED_SCHED_PRIV_H

#include "sched/sched.h"

/* Makes t runnable (it is new, or leaving a wait). Interrupts off. */
void sched_make_runnable(struct thread *t);

/* Picks the next thread and switches to it. Interrupts off. */
void sched_schedule(void);

/* Adds t to the list of all threads / takes it off. Interrupts off. */
void sched_link_thread(struct thread *t);
void sched_unlink_thread(struct thread *t);

/* Frees the detached threads that have exited. Interrupts on. */
void thread_reap(void);

/* Frees what t owns, whatever of it was allocated (not while it runs). */
void thread_destroy(struct thread *t);

/* The thread the boot context becomes (the idle thread). */
struct thread *thread_boot(void);

#endif
