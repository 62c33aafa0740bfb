/* Shared by the files of sched/; nobody else. */
#ifndef SCHED_SCHED_PRIV_H
#define SCHED_SCHED_PRIV_H

#include "sched/sched.h"

enum thread_state {
	THREAD_RUNNABLE,
	THREAD_RUNNING,
	THREAD_BLOCKED,	 /* on a wait queue, maybe with a timeout */
	THREAD_SLEEPING, /* until a time */
	THREAD_EXITED,
};

struct stack;
struct trap_frame;

struct thread {
	struct thread_head head; /* first: the GS base points here (thread_self) */
	char name[THREAD_NAME_MAX];
	enum thread_state state;
	uint64_t sp;		      /* saved by switch_stack() */
	struct trap_frame *irq_frame; /* the interrupt that switched it out, while it is out */
	struct stack *stack;	      /* the kernel's; NULL for idle and for clone()'s threads */
	void *fpu;		      /* XSAVE/FXSAVE area; NULL for idle */
	uint64_t fs_base;	      /* the application's TLS pointer */
	void *clear_child_tid;
	void *abi;		   /* lib/abi's per-thread state */
	struct list_head link;	   /* on the run queue, a wait queue or the reap list */
	struct list_head all;	   /* on the list of every thread, for reports and gdb */
	struct waitq *waiting_on;  /* the wait queue, while BLOCKED */
	struct timerq_entry timer; /* on the sleep queue, while it has a deadline */
	bool timed_out;
	bool wait_intr;			   /* the wait ends early on thread_interrupt() */
	bool interrupted;		   /* thread_interrupt() came, not yet cleared */
	bool counted_timed, counted_input; /* in sched's waiter counts (deadlock detection) */
	bool detached, joined;
	void *(*fn)(void *);
	void *arg, *ret;
	struct waitq joiners;
	uint64_t id;
	uint64_t runtime_ns; /* CPU time used so far */
	uint64_t ran_since;
};

/* Makes t runnable (it is new, or leaving a wait). Interrupts off. */
void sched_make_runnable(struct thread *t);

/* Picks the next thread and switches to it. Interrupts off. */
void sched_schedule(void);

/*
 * The running thread waits until sched_wake(): BLOCKED on q (already on its
 * list), or SLEEPING if q is NULL; with a timeout at deadline unless it is
 * 0. Interrupts off. 0, -ETIMEDOUT if the deadline ended the wait, or, if
 * interruptible, -EINTR when thread_interrupt() ended it or had come.
 */
int sched_wait(struct waitq *q, uint64_t deadline, bool interruptible);

/* Ends t's wait: off its wait queue and the sleep queue, runnable. Interrupts off. */
void sched_wake(struct thread *t);

/* Adds t to the list of all threads / takes it off. Interrupts off. */
void sched_link_thread(struct thread *t);
void sched_unlink_thread(struct thread *t);

/* Frees the detached threads that have exited. Not in an interrupt handler. */
void thread_reap(void);

/* What the layers above say of t, in a report (thread_set_describe). */
void thread_describe(struct thread *t);

/* Frees what t owns, whatever of it was allocated (not while it runs). */
void thread_destroy(struct thread *t);

/* The thread the boot context becomes (the idle thread). */
struct thread *thread_boot(void);

/* Makes t the running thread's context: its FS base (TLS) and GS base (thread_self). */
void thread_enter(struct thread *t);

#endif
