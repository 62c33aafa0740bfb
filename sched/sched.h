/*
 * Threads and the preemptive round-robin scheduler (docs/scheduler.md).
 * One CPU. Everything here may be called from any thread; functions that
 * may be called from interrupt handlers say so.
 */
#ifndef SCHED_SCHED_H
#define SCHED_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sched/list.h"
#include "sched/timerq.h"

#define THREAD_NAME_MAX 32
#define THREAD_STACK_DEFAULT (64 * 1024)

enum thread_state {
	THREAD_RUNNABLE,
	THREAD_RUNNING,
	THREAD_BLOCKED,	 /* on a wait queue, maybe with a timeout */
	THREAD_SLEEPING, /* until a time */
	THREAD_EXITED,
};

struct waitq {
	struct list_head waiters; /* zeroed is a valid empty queue */
};

struct stack;

struct thread {
	char name[THREAD_NAME_MAX];
	enum thread_state state;
	uint64_t sp;	     /* saved by switch_stack() */
	struct stack *stack; /* NULL for the boot thread */
	void *fpu;	     /* XSAVE/FXSAVE area */
	void *tls;	     /* the TLS block; fs_base points into it */
	uint64_t fs_base;
	struct list_head link;	   /* on the run queue or a wait queue */
	struct waitq *waiting_on;  /* the wait queue, while BLOCKED */
	struct timerq_entry timer; /* on the sleep queue, while it has a deadline */
	bool timed_out;
	bool detached, joined;
	void *(*fn)(void *);
	void *arg, *ret;
	struct waitq joiners;
	struct thread *all_next; /* every thread, for reports and gdb */
	uint64_t id;
	uint64_t runtime_ns; /* CPU time used so far */
	uint64_t ran_since;
};

/*
 * Gives the boot context a TLS block (so errno works) before anything else
 * runs; the first call in kernel_main().
 */
void sched_boot_tls(void);

/*
 * Makes the boot context the idle thread, starts the timer, creates a thread
 * that runs fn(arg), and switches to it. Never returns: the boot stack goes
 * on as the idle thread.
 */
__attribute__((noreturn)) void sched_start(void *(*fn)(void *), void *arg, size_t stack_size);

/* A new runnable thread running fn(arg), or NULL (-ENOMEM). */
struct thread *thread_create(const char *name, void *(*fn)(void *), void *arg, size_t stack_size,
			     bool detached);
__attribute__((noreturn)) void thread_exit(void *ret);
/* Waits for t to exit; 0, -EINVAL (detached or joined), or -EDEADLK (self). */
int thread_join(struct thread *t, void **ret);
int thread_detach(struct thread *t);
/*
 * The running thread. Each thread's TLS block ends in two words: the thread
 * pointer itself (the x86-64 TLS ABI wants it at %fs:0) and the thread's
 * struct thread, which makes this one instruction.
 */
static inline struct thread *thread_self(void)
{
	struct thread *t;

	__asm__("movq %%fs:8, %0" : "=r"(t));
	return t;
}
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
