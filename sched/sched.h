/*
 * Threads and the preemptive round-robin scheduler (docs/scheduler.md).
 * One CPU. Everything here may be called from any thread; functions that
 * may be called from interrupt handlers say so. struct thread is the
 * scheduler's own: others hold pointers and call functions.
 */
#ifndef SCHED_SCHED_H
#define SCHED_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/arch.h"
#include "kernel/list.h"
#include "sched/timerq.h"

#define THREAD_NAME_MAX 32
#define THREAD_STACK_DEFAULT (64 * 1024)

struct thread;

struct waitq {
	struct list_head waiters; /* zeroed is a valid empty queue */
	/*
	 * Its waiters wait for the outside world (a device, the console), not
	 * for another thread: while one does, all threads blocked is no deadlock.
	 */
	bool input;
};

/* A callback at a point in time, in the timer interrupt (interrupts off; it may not block). */
struct sched_timer {
	struct timerq_entry entry;
	void (*fn)(struct sched_timer *t);
};

/*
 * Gives the boot context a TLS block (so errno works) before anything else
 * runs; the first call in kernel_main(). 0.
 */
int thread_boot_tls(void);

/*
 * Makes the boot context the idle thread, starts the timer, creates a thread
 * that runs fn(arg), and switches to it. Returns only on failure, with
 * -ENOMEM (no memory for the main thread) or -ENOSPC (no vector for the
 * timer); otherwise the boot stack goes on as the idle thread.
 */
int sched_start(void *(*fn)(void *), void *arg, size_t stack_size);

/* A new runnable thread running fn(arg), or NULL (out of memory). */
struct thread *thread_create(const char *name, void *(*fn)(void *), void *arg, size_t stack_size,
			     bool detached);
__attribute__((noreturn)) void thread_exit(void *ret);
/* Waits for t to exit; 0, -EINVAL (detached or joined), or -EDEADLK (self). */
int thread_join(struct thread *t, void **ret);
int thread_detach(struct thread *t);
/*
 * The running thread: one load through the GS base, which each switch
 * points at the thread. Inline: under emulation a call's return is a
 * costly indirect jump, and the mutex fast path needs this twice.
 */
static inline struct thread *thread_self(void)
{
	return arch_thread_pointer();
}
/* Renames t; 0, or -ERANGE if name does not fit THREAD_NAME_MAX. */
int thread_set_name(struct thread *t, const char *name);
const char *thread_name(const struct thread *t);
void thread_yield(void);
/* Sleeps until the monotonic clock reads deadline (ns). */
void thread_sleep_until(uint64_t deadline);
void thread_sleep_ns(uint64_t ns);

/*
 * Blocks the calling thread on q until woken or until deadline (0: none).
 * Called with interrupts off (irq_save); returns with them off.
 * 0 if woken, -ETIMEDOUT if the deadline passed first.
 */
int waitq_wait(struct waitq *q, uint64_t deadline);
/* Wakes the longest waiter; returns it, or NULL. Interrupts off; ok in IRQs. */
struct thread *waitq_wake_one(struct waitq *q);
/* Wakes every waiter; returns how many. Interrupts off; ok in IRQs. */
int waitq_wake_all(struct waitq *q);
/* The longest waiter, left in place, or NULL. Interrupts off. */
struct thread *waitq_peek(struct waitq *q);
/* Nobody waits on q. */
bool waitq_empty(const struct waitq *q);

/* Calls t->fn (set from fn) at deadline; t must not be started already. Any context. */
void sched_timer_start(struct sched_timer *t, uint64_t deadline, void (*fn)(struct sched_timer *t));
/* Cancels t if it has not fired. Any context. */
void sched_timer_stop(struct sched_timer *t);

/* Called by the trap path after an interrupt: switches if one is due. */
void sched_irq_exit(void);

/*
 * Keeps the running thread on the CPU until the matching enable, with
 * interrupts still on: for code that only threads run (the heap), this is
 * a cheaper lock than turning interrupts off. Nests. A switch that fell due
 * meanwhile happens at the last enable.
 */
void sched_preempt_disable(void);
void sched_preempt_enable(void);

/* Prints every thread with its state and a backtrace (for panics). */
void sched_dump(void);

struct sched_stats {
	uint64_t switches, preemptions, timer_irqs;
	unsigned threads;
};
void sched_stats(struct sched_stats *st);

#endif
