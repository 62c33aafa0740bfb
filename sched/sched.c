/*
 * The scheduler proper: the run queue, the sleep queue, the one-shot timer,
 * the switch, wait queues and the idle loop. Every function here runs with
 * interrupts off unless it says otherwise (docs/scheduler.md).
 */
#include "sched/sched.h"

#include <assert.h>
#include <errno.h>

#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/fpu.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/switch.h"
#include "kernel/irq.h"
#include "kernel/panic.h"
#include "kernel/params.h"
#include "kernel/printk.h"
#include "kernel/shutdown.h"
#include "kernel/time.h"
#include "sched/runq.h"
#include "sched/sched_priv.h"

#define NS_PER_MS 1000000ULL
#define PREEMPT_RETRY_NS (NS_PER_MS / 2)

static int timeslice_ms = 10;
PARAM_INT("sched.timeslice_ms", timeslice_ms, 1, 1000,
	  "round-robin time slice of a CPU-bound thread, in ms");

static struct {
	struct thread *current, *idle;
	struct runq runq;
	struct timerq sleepers;
	struct thread *all;
	uint64_t slice_end;
	uint64_t armed; /* deadline the timer is set for; UINT64_MAX: off */
	uint64_t timeslice_ns;
	int timer_vector;
	bool need_resched;
	unsigned preempt_off; /* sched_preempt_disable() depth */
	unsigned live;	      /* threads that have not exited, idle included */
	struct sched_stats stats;
} sched_state;

void sched_link_thread(struct thread *t)
{
	t->all_next = sched_state.all;
	sched_state.all = t;
	sched_state.stats.threads++;
	sched_state.live++;
}

void sched_unlink_thread(struct thread *t)
{
	for (struct thread **p = &sched_state.all; *p; p = &(*p)->all_next) {
		if (*p == t) {
			*p = t->all_next;
			sched_state.stats.threads--;
			return;
		}
	}
}

/* Programs the timer for the nearest deadline while running runs. */
static void rearm_for(const struct thread *running)
{
	uint64_t slice = sched_state.slice_end, d;

	/*
	 * A switch already due needs no slice timer: it happens on the way out
	 * of this interrupt, or, while preemption is off, at the enable; in case
	 * that enable runs with interrupts off, one more tick comes a bit later.
	 */
	if (sched_state.need_resched)
		slice = sched_state.preempt_off ? clock_monotonic_ns() + PREEMPT_RETRY_NS
						: UINT64_MAX;
	d = runq_next_deadline(&sched_state.runq, slice, running == sched_state.idle,
			       timerq_next(&sched_state.sleepers));

	/*
	 * A timer already set to fire earlier (or at all, when nothing is due)
	 * stays: when it fires, the handler arms it again for what is due then,
	 * or leaves it off. This keeps the LAPIC (a slow device write under
	 * emulation) out of most switches; the price is at most one interrupt
	 * that finds nothing to do.
	 */
	if (d >= sched_state.armed)
		return;
	sched_state.armed = d;
	lapic_timer_arm((uint8_t)sched_state.timer_vector, time_ns_to_tsc(d));
}

static void rearm(void)
{
	rearm_for(sched_state.current);
}

void sched_make_runnable(struct thread *t)
{
	t->state = THREAD_RUNNABLE;
	runq_add(&sched_state.runq, &t->link);
	if (sched_state.current == sched_state.idle)
		sched_state.need_resched = true;
	rearm();
}

/* Takes t off whatever it waits on and makes it runnable. */
static void wake(struct thread *t)
{
	timerq_remove(&t->timer);
	if (t->waiting_on) {
		list_del(&t->link);
		t->waiting_on = NULL;
	}
	sched_make_runnable(t);
}

static void switch_to(struct thread *prev, struct thread *next)
{
	uint64_t now = clock_monotonic_ns();

	prev->runtime_ns += now - prev->ran_since;
	next->ran_since = now;
	sched_state.stats.switches++;
	fpu_switch(next->fpu);
	set_fs_base(next->fs_base, cpu_has(CPU_FSGSBASE));
	sched_state.current = next;
	switch_stack(&prev->sp, next->sp);
	/* prev runs again here, chosen by some later switch. */
}

void sched_schedule(void)
{
	struct thread *prev = sched_state.current, *next;
	struct list_head *l;

	sched_state.need_resched = false;
	if (prev->state == THREAD_EXITED) /* its last switch: thread_exit() */
		sched_state.live--;
	if (prev->state == THREAD_RUNNING) {
		prev->state = THREAD_RUNNABLE;
		if (prev != sched_state.idle) /* idle runs when nothing else can */
			runq_add(&sched_state.runq, &prev->link);
	}
	l = runq_take(&sched_state.runq);
	next = l ? list_entry(l, struct thread, link) : sched_state.idle;
	next->state = THREAD_RUNNING;
	sched_state.slice_end = clock_monotonic_ns() + sched_state.timeslice_ns;
	rearm_for(next);
	if (next != prev)
		switch_to(prev, next);
}

/* The timer: wakes sleepers whose time has come, ends an expired slice. */
static void timer_irq(void *ctx)
{
	uint64_t now = clock_monotonic_ns();
	struct timerq_entry *e;

	(void)ctx;
	sched_state.stats.timer_irqs++;
	sched_state.armed = UINT64_MAX; /* it fired: nothing is armed now */
	while ((e = timerq_pop_expired(&sched_state.sleepers, now))) {
		struct thread *t = container_of(e, struct thread, timer);

		t->timed_out = t->state == THREAD_BLOCKED;
		wake(t);
	}
	if (runq_should_preempt(&sched_state.runq, now, sched_state.slice_end,
				sched_state.current == sched_state.idle)) {
		sched_state.need_resched = true;
		sched_state.stats.preemptions++;
	}
	rearm();
}

void sched_irq_exit(void)
{
	if (sched_state.need_resched && !sched_state.preempt_off)
		sched_schedule();
}

void sched_preempt_disable(void)
{
	sched_state.preempt_off++;
	__asm__ volatile("" : : : "memory");
}

void sched_preempt_enable(void)
{
	__asm__ volatile("" : : : "memory");
	if (--sched_state.preempt_off || !sched_state.need_resched)
		return;
	unsigned long flags = irq_save();

	/* Not inside someone's interrupts-off section: that would break it. */
	if (flags & RFLAGS_IF && sched_state.need_resched && !sched_state.preempt_off)
		sched_schedule();
	irq_restore(flags);
}

void thread_yield(void)
{
	unsigned long flags = irq_save();

	sched_schedule();
	irq_restore(flags);
}

void thread_sleep_until(uint64_t deadline)
{
	unsigned long flags = irq_save();
	struct thread *self = sched_state.current;

	if (deadline > clock_monotonic_ns()) {
		self->state = THREAD_SLEEPING;
		timerq_add(&sched_state.sleepers, &self->timer, deadline);
		sched_schedule();
	}
	irq_restore(flags);
}

void thread_sleep_ns(uint64_t ns)
{
	uint64_t now = clock_monotonic_ns();

	thread_sleep_until(ns > UINT64_MAX - now ? UINT64_MAX : now + ns);
}

int waitq_wait(struct waitq *q, uint64_t deadline)
{
	struct thread *self = sched_state.current;

	assert(self != sched_state.idle);
	list_ensure(&q->waiters);
	self->state = THREAD_BLOCKED;
	self->waiting_on = q;
	self->timed_out = false;
	list_add_tail(&self->link, &q->waiters);
	if (deadline)
		timerq_add(&sched_state.sleepers, &self->timer, deadline);
	sched_schedule();
	return self->timed_out ? -ETIMEDOUT : 0;
}

struct thread *waitq_peek(struct waitq *q)
{
	struct list_head *first = list_first(&q->waiters);

	return first ? list_entry(first, struct thread, link) : NULL;
}

struct thread *waitq_wake_one(struct waitq *q)
{
	struct thread *t = waitq_peek(q);

	if (t)
		wake(t);
	return t;
}

int waitq_wake_all(struct waitq *q)
{
	int n = 0;

	while (waitq_wake_one(q))
		n++;
	return n;
}

/*
 * The boot context's life from sched_start() on: run what is runnable, else
 * halt. When the last thread has exited (main() called pthread_exit() and
 * the others ended), the application is over, as POSIX has it: status 0.
 */
static __attribute__((noreturn)) void idle_loop(void)
{
	for (;;) {
		thread_reap();
		irq_disable();
		if (sched_state.live == 1) /* idle alone: every thread has exited */
			shutdown_app_exit(0);
		if (sched_state.runq.count)
			sched_schedule();
		else
			__asm__ volatile("sti; hlt"
					 :
					 :
					 : "memory"); /* sti holds off IRQs one instruction */
		irq_enable();
	}
}

void sched_start(void *(*fn)(void *), void *arg, size_t stack_size)
{
	struct thread *main;

	runq_init(&sched_state.runq);
	timerq_init(&sched_state.sleepers);
	sched_state.timeslice_ns = (uint64_t)timeslice_ms * NS_PER_MS;
	sched_state.armed = UINT64_MAX;
	sched_state.timer_vector = irq_alloc(timer_irq, NULL, "timer");
	if (sched_state.timer_vector < 0)
		panic("sched: no interrupt vector for the timer");
	sched_state.idle = sched_state.current = thread_boot();
	sched_state.idle->state = THREAD_RUNNING;
	fpu_switch(sched_state.idle->fpu);
	sched_state.idle->ran_since = clock_monotonic_ns();
	main = thread_create("main", fn, arg, stack_size, true);
	if (!main)
		panic("sched: no memory for the main thread");
	pr_info("sched: round robin, %d ms slices", timeslice_ms);
	idle_loop();
}

static const char *const state_names[] = {
	[THREAD_RUNNABLE] = "runnable", [THREAD_RUNNING] = "running", [THREAD_BLOCKED] = "blocked",
	[THREAD_SLEEPING] = "sleeping", [THREAD_EXITED] = "exited",
};

void sched_dump(void)
{
	for (struct thread *t = sched_state.all; t; t = t->all_next) {
		const struct switch_frame *f = (const struct switch_frame *)t->sp;

		pr_crit("thread %lu '%s': %s, %lu ms of CPU", (unsigned long)t->id, t->name,
			state_names[t->state], (unsigned long)(t->runtime_ns / NS_PER_MS));
		if (t != sched_state.current && t->state != THREAD_EXITED && t->sp)
			panic_backtrace(f->ret, f->rbp, t->sp, false);
	}
}

void sched_stats(struct sched_stats *st)
{
	unsigned long flags = irq_save();

	*st = sched_state.stats;
	irq_restore(flags);
}
