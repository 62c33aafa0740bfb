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
	/*
	 * Set before the start: its callback may end a wait that has no
	 * deadline of its own (an interval timer's signal ends pause()), so
	 * while it is pending, every thread blocked is no deadlock.
	 */
	bool wakes;
};

struct syscall_frame;

/* Makes the boot context a thread as far as thread_self() goes: early in boot. 0. */
int thread_early(void);

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

/*
 * An application thread for clone(): it will resume from a copy of parent
 * (the caller's system-call frame) with rax = 0, rsp = sp, the FS base
 * fs_base, and a copy of the caller's FPU state; detached (the application
 * joins through futexes). 0 and *out, not yet running (thread_launch), or
 * -ENOMEM, or -EFAULT if sp is no stack.
 */
int thread_clone(const struct syscall_frame *parent, uint64_t sp, uint64_t fs_base,
		 struct thread **out);
void thread_launch(struct thread *t);
/* Frees a thread from thread_clone() that will not be launched after all. */
void thread_discard(struct thread *t);

/*
 * Ends the calling thread. If it has a clear-tid word (CLONE_CHILD_CLEARTID,
 * set_tid_address), 0 is written there and a futex waiter on it woken.
 */
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
/* The thread's id: Linux's tid (the main thread's is 1, the pid). */
uint64_t thread_id(const struct thread *t);
/* The calling thread's FS base (the application's TLS pointer). */
void thread_set_fs_base(uint64_t base);
uint64_t thread_fs_base(void);
/* The word thread_exit() clears: the caller's, or a new thread's. */
void thread_set_clear_tid(void *word);
void thread_set_child_clear_tid(struct thread *t, void *word);
/* A slot for the layer above's per-thread state, freed by the hook below. */
void **thread_abi(struct thread *t);

/* What every struct thread begins with, so that the running thread's are one load. */
struct thread_head {
	struct thread *self; /* the GS base points here (thread_self) */
	void *abi;	     /* thread_abi()'s slot */
};

/* The running thread's thread_abi() slot's value, in one load. */
static inline void *thread_self_abi(void)
{
	return arch_thread_word(__builtin_offsetof(struct thread_head, abi));
}
/* Called on each thread as it is freed, to free what thread_abi() holds. */
void thread_set_release(void (*release)(struct thread *t));
/* Called on each thread sched_dump() lists, to add what the layers above know. */
void thread_set_describe(void (*describe)(struct thread *t));

/*
 * The running thread's FPU registers, for a signal handler's frame:
 * thread_fpu_copy() saves them into dst (thread_fpu_size() bytes, 64-byte
 * aligned); thread_fpu_set() makes src's the ones it goes on with.
 */
size_t thread_fpu_size(void);
void thread_fpu_copy(void *dst);
void thread_fpu_set(const void *src);

/* t's state as Linux's /proc shows it: 'R' running or runnable, 'S' waiting, 'Z' exited. */
char thread_state_letter(const struct thread *t);

/* CPU time t has used, the slice it is running now included. */
uint64_t thread_runtime_ns(const struct thread *t);
/* CPU time every thread but idle has used: the process's. */
uint64_t sched_busy_ns(void);

/*
 * The first thread for which pred(t, arg) is true, or NULL; exited ones
 * are skipped. Interrupts off (pred runs with them off).
 */
struct thread *sched_find_thread(bool (*pred)(struct thread *t, void *arg), void *arg);

void thread_yield(void);
/*
 * Sleeps until the monotonic clock reads deadline (ns). 0, or -EINTR if
 * interruptible and thread_interrupt() came first.
 */
int thread_sleep_until(uint64_t deadline, bool interruptible);
int thread_sleep_ns(uint64_t ns, bool interruptible);

/*
 * Marks t interrupted (a signal for it): its interruptible wait, now or
 * next, ends with -EINTR, until thread_interrupt_clear(). Any context.
 */
void thread_interrupt(struct thread *t);
void thread_interrupt_clear(struct thread *t);

/*
 * Blocks the calling thread on q until woken or until deadline (0: none).
 * Called with interrupts off (irq_save); returns with them off.
 * 0 if woken, -ETIMEDOUT if the deadline passed first.
 */
int waitq_wait(struct waitq *q, uint64_t deadline);
/* The same, and -EINTR when the thread is interrupted (a signal). */
int waitq_wait_intr(struct waitq *q, uint64_t deadline);
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

/*
 * Called by the trap path after an interrupt, with its frame: switches if
 * one is due (the frame is kept with the thread meanwhile, for gdb).
 */
struct trap_frame;
void sched_irq_exit(struct trap_frame *f);

/*
 * Keeps the running thread on the CPU until the matching enable, with
 * interrupts still on: for code that only threads run (the heap), this is
 * a cheaper lock than turning interrupts off. Nests. A switch that fell due
 * meanwhile happens at the last enable.
 */
struct sched_preempt {
	unsigned off;	   /* sched_preempt_disable() depth */
	bool need_resched; /* a switch is due (set by the timer, cleared by a switch) */
};
extern struct sched_preempt sched_preempt;

/* The switch that fell due while preemption was off (sched_preempt_enable). */
void sched_preempt_resched(void);

/* Inline: the heap takes this lock twice a call. */
static inline void sched_preempt_disable(void)
{
	sched_preempt.off++;
	__asm__ volatile("" : : : "memory");
}

static inline void sched_preempt_enable(void)
{
	__asm__ volatile("" : : : "memory");
	if (--sched_preempt.off || !sched_preempt.need_resched)
		return;
	sched_preempt_resched();
}

/*
 * For a debugger (kernel/gdbstub.c), with interrupts off and no thread
 * running meanwhile: the threads that have not exited, in the order they
 * were made (prev NULL: the first), and what one that is not running left
 * behind it.
 */
struct thread *sched_next_thread(struct thread *prev);

struct thread_debug {
	const char *state;  /* "running", "runnable", "blocked" or "sleeping" */
	uint64_t switch_sp; /* its last switch's struct switch_frame (stale while it runs) */
	struct trap_frame *irq_frame; /* the interrupt that switched it out, or NULL */
	uint64_t fs_base;	      /* the application's TLS pointer */
	uint64_t gs_base;	      /* the kernel's thread pointer (thread_self()) */
};

void thread_debug(const struct thread *t, struct thread_debug *d);

/* Prints every thread with its state and a backtrace (for panics). */
void sched_dump(void);

struct sched_stats {
	uint64_t switches, preemptions, timer_irqs;
	unsigned threads;
};
void sched_stats(struct sched_stats *st);

#endif
