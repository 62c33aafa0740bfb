/*
 * The scheduler proper: the run queue, the sleep queue and kernel timers,
 * the one-shot timer, waiting and waking, the switch, the idle loop and
 * deadlock detection. Every function here runs with interrupts off unless
 * it says otherwise (docs/scheduler.md); the ones that must, check.
 */
#include "sched/sched.h"

#include <assert.h>
#include <errno.h>

#include "arch/x86_64/arch.h"
#include "arch/x86_64/fpu.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/switch.h"
#include "kernel/gdbstub.h"
#include "kernel/irq.h"
#include "kernel/panic.h"
#include "kernel/params.h"
#include "kernel/printk.h"
#include "kernel/shutdown.h"
#include "kernel/time.h"
#include "sched/runq.h"
#include "sched/sched_priv.h"

static int timeslice_ms = 10;
PARAM_INT("sched.timeslice_ms", timeslice_ms, 1, 1000,
	  "round-robin time slice of a CPU-bound thread, in ms");

static struct {
	struct thread *current, *idle;
	struct runq runq;
	struct timerq sleepers; /* threads' deadlines and kernel timers */
	struct list_head all;	/* every thread */
	uint64_t slice_end;
	uint64_t armed; /* deadline the timer is set for; UINT64_MAX: off */
	uint64_t timeslice_ns;
	int timer_vector;
	unsigned live;	    /* threads that have not exited, idle included */
	uint64_t exited_ns; /* CPU time of the threads that are gone */
	/* Waiting threads that something other than a thread may wake. */
	unsigned timed_waiters, input_waiters;
	unsigned waking_timers; /* kernel timers pending with wakes set */
	struct sched_stats stats;
} sched_state;

void sched_link_thread(struct thread *t)
{
	assert(!irqs_enabled());
	if (!sched_state.all.next)
		list_init(&sched_state.all);
	list_add_tail(&t->all, &sched_state.all);
	sched_state.stats.threads++;
	sched_state.live++;
}

void sched_unlink_thread(struct thread *t)
{
	assert(!irqs_enabled());
	sched_state.exited_ns += t->runtime_ns; /* the process's CPU time keeps it */
	list_del(&t->all);
	sched_state.stats.threads--;
}

/* Programs the timer for the nearest deadline while running runs. */
static void rearm_for(const struct thread *running)
{
	struct runq_timer_in in = {
		.now = clock_monotonic_ns(),
		.slice_end = sched_state.slice_end,
		.next_timer = timerq_next(&sched_state.sleepers),
		.armed = sched_state.armed,
		.idle = running == sched_state.idle,
		.need_resched = sched_preempt.need_resched,
		.preempt_off = sched_preempt.off != 0,
	};
	uint64_t d = runq_timer_plan(&sched_state.runq, &in);

	if (d == sched_state.armed)
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
	assert(!irqs_enabled());
	t->state = THREAD_RUNNABLE;
	runq_add(&sched_state.runq, &t->link);
	if (sched_state.current == sched_state.idle)
		sched_preempt.need_resched = true;
	rearm();
}

void sched_wake(struct thread *t)
{
	assert(!irqs_enabled());
	timerq_remove(&t->timer);
	if (t->waiting_on) {
		list_del(&t->link);
		t->waiting_on = NULL;
	}
	sched_state.timed_waiters -= t->counted_timed;
	sched_state.input_waiters -= t->counted_input;
	t->counted_timed = t->counted_input = false;
	sched_make_runnable(t);
}

/* A thread's deadline has passed: it wakes, timed out if it was still waiting. */
static void thread_timer_expired(struct timerq_entry *e)
{
	struct thread *t = container_of(e, struct thread, timer);

	t->timed_out = t->state == THREAD_BLOCKED;
	sched_wake(t);
}

int sched_wait(struct waitq *q, uint64_t deadline, bool interruptible)
{
	struct thread *self = sched_state.current;

	assert(!irqs_enabled());
	assert(self != sched_state.idle);
	if (interruptible && self->interrupted) {
		if (q)
			list_del(&self->link);
		return -EINTR;
	}
	self->wait_intr = interruptible;
	self->state = q ? THREAD_BLOCKED : THREAD_SLEEPING;
	self->waiting_on = q;
	self->timed_out = false;
	/* A deadline centuries away (saturated) will not come: it counts as none. */
	self->counted_timed = deadline && deadline != UINT64_MAX;
	self->counted_input = q && q->input;
	sched_state.timed_waiters += self->counted_timed;
	sched_state.input_waiters += self->counted_input;
	if (deadline) {
		self->timer.expire = thread_timer_expired;
		timerq_add(&sched_state.sleepers, &self->timer, deadline);
	}
	sched_schedule();
	self->wait_intr = false;
	if (interruptible && self->interrupted)
		return -EINTR;
	return self->timed_out ? -ETIMEDOUT : 0;
}

void thread_interrupt(struct thread *t)
{
	unsigned long flags = irq_save();

	t->interrupted = true;
	if (t->wait_intr && (t->state == THREAD_BLOCKED || t->state == THREAD_SLEEPING))
		sched_wake(t);
	irq_restore(flags);
}

void thread_interrupt_clear(struct thread *t)
{
	t->interrupted = false;
}

static void sched_timer_expired(struct timerq_entry *e)
{
	struct sched_timer *t = container_of(e, struct sched_timer, entry);

	sched_state.waking_timers -= t->wakes;
	t->fn(t);
}

void sched_timer_start(struct sched_timer *t, uint64_t deadline, void (*fn)(struct sched_timer *t))
{
	unsigned long flags = irq_save();

	t->fn = fn;
	t->entry.expire = sched_timer_expired;
	timerq_add(&sched_state.sleepers, &t->entry, deadline);
	sched_state.waking_timers += t->wakes;
	rearm();
	irq_restore(flags);
}

void sched_timer_stop(struct sched_timer *t)
{
	unsigned long flags = irq_save();

	if (list_linked(&t->entry.link))
		sched_state.waking_timers -= t->wakes;
	timerq_remove(&t->entry);
	irq_restore(flags);
}

static void switch_to(struct thread *prev, struct thread *next)
{
	uint64_t now = clock_monotonic_ns();

	prev->runtime_ns += now - prev->ran_since;
	next->ran_since = now;
	sched_state.stats.switches++;
	fpu_switch(next->fpu);
	thread_enter(next);
	sched_state.current = next;
	switch_stack(&prev->sp, next->sp);
	/* prev runs again here, chosen by some later switch. */
}

void sched_schedule(void)
{
	struct thread *prev = sched_state.current, *next;
	struct list_head *l;

	assert(!irqs_enabled());
	sched_preempt.need_resched = false;
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

/* The timer: fires what is due (waking sleepers), ends an expired slice. */
static void timer_irq(void *ctx)
{
	uint64_t now = clock_monotonic_ns();
	struct timerq_entry *e;

	(void)ctx;
	sched_state.stats.timer_irqs++;
	sched_state.armed = UINT64_MAX; /* it fired: nothing is armed now */
	while ((e = timerq_pop_expired(&sched_state.sleepers, now)))
		e->expire(e);
	if (runq_should_preempt(&sched_state.runq, now, sched_state.slice_end,
				sched_state.current == sched_state.idle)) {
		sched_preempt.need_resched = true;
		sched_state.stats.preemptions++;
	}
	rearm();
}

void sched_irq_exit(struct trap_frame *f)
{
	struct thread *self = sched_state.current;

	if (!sched_preempt.need_resched || sched_preempt.off)
		return;
	self->irq_frame = f;
	sched_schedule();
	self->irq_frame = NULL;
}

struct sched_preempt sched_preempt;

void sched_preempt_resched(void)
{
	unsigned long flags = irq_save();

	/* Not inside someone's interrupts-off section: that would break it. */
	if (flags & RFLAGS_IF && sched_preempt.need_resched && !sched_preempt.off)
		sched_schedule();
	irq_restore(flags);
}

/*
 * Nothing is runnable, nobody waits for a time or for input, no timer is
 * pending that could end a wait, yet threads are alive: they wait for each
 * other, and will forever.
 */
static __attribute__((noreturn)) void deadlock(void)
{
	pr_crit("deadlock: every thread is blocked, and no timer or device can wake any of "
		"them (%u threads alive)",
		sched_state.live - 1);
	sched_dump();
	gdbstub_fatal("deadlock");
	shutdown_exit(EXIT_DEADLOCK);
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
		else if (!sched_state.timed_waiters && !sched_state.input_waiters &&
			 !sched_state.waking_timers)
			deadlock();
		else
			arch_idle();
		irq_enable();
	}
}

int sched_start(void *(*fn)(void *), void *arg, size_t stack_size)
{
	struct thread *main;

	runq_init(&sched_state.runq);
	timerq_init(&sched_state.sleepers);
	sched_state.timeslice_ns = (uint64_t)timeslice_ms * NSEC_PER_MSEC;
	sched_state.armed = UINT64_MAX;
	sched_state.timer_vector = irq_alloc(timer_irq, NULL, "timer");
	if (sched_state.timer_vector < 0)
		return sched_state.timer_vector;
	sched_state.idle = thread_boot();
	sched_state.current = sched_state.idle;
	sched_state.idle->state = THREAD_RUNNING;
	fpu_switch(NULL);
	sched_state.idle->ran_since = clock_monotonic_ns();
	main = thread_create("main", fn, arg, stack_size, true);
	if (!main) {
		pr_crit("sched: no memory for the main thread's %zu KiB stack", stack_size / 1024);
		return -ENOMEM;
	}
	pr_info("sched: round robin, %d ms slices", timeslice_ms);
	idle_loop();
}

char thread_state_letter(const struct thread *t)
{
	switch (t->state) {
	case THREAD_RUNNING:
	case THREAD_RUNNABLE:
		return 'R';
	case THREAD_BLOCKED:
	case THREAD_SLEEPING:
		return 'S';
	case THREAD_EXITED:
		break;
	}
	return 'Z';
}

uint64_t thread_runtime_ns(const struct thread *t)
{
	unsigned long flags = irq_save();
	uint64_t ns = t->runtime_ns;

	if (t == sched_state.current)
		ns += clock_monotonic_ns() - t->ran_since;
	irq_restore(flags);
	return ns;
}

uint64_t sched_busy_ns(void)
{
	unsigned long flags = irq_save();
	uint64_t ns = sched_state.exited_ns;

	list_for_each(l, &sched_state.all)
	{
		const struct thread *t = list_entry(l, struct thread, all);

		if (t != sched_state.idle)
			ns += thread_runtime_ns(t);
	}
	irq_restore(flags);
	return ns;
}

struct thread *sched_find_thread(bool (*pred)(struct thread *t, void *arg), void *arg)
{
	assert(!irqs_enabled());
	list_for_each(l, &sched_state.all)
	{
		struct thread *t = list_entry(l, struct thread, all);

		if (t->state != THREAD_EXITED && pred(t, arg))
			return t;
	}
	return NULL;
}

static const char *const state_names[] = {
	[THREAD_RUNNABLE] = "runnable", [THREAD_RUNNING] = "running", [THREAD_BLOCKED] = "blocked",
	[THREAD_SLEEPING] = "sleeping", [THREAD_EXITED] = "exited",
};

struct thread *sched_next_thread(struct thread *prev)
{
	struct list_head *l = prev ? prev->all.next : sched_state.all.next;

	assert(!irqs_enabled());
	for (; l && l != &sched_state.all; l = l->next) {
		struct thread *t = list_entry(l, struct thread, all);

		if (t->state != THREAD_EXITED)
			return t;
	}
	return NULL;
}

void thread_debug(const struct thread *t, struct thread_debug *d)
{
	*d = (struct thread_debug){
		.state = state_names[t->state],
		.switch_sp = t->sp,
		.irq_frame = t->irq_frame,
		.fs_base = t->fs_base,
		.gs_base = (uint64_t)t,
	};
}

void sched_dump(void)
{
	if (!sched_state.all.next)
		return; /* before sched_start(): no threads */
	list_for_each(l, &sched_state.all)
	{
		struct thread *t = list_entry(l, struct thread, all);
		const struct switch_frame *f = (const struct switch_frame *)t->sp;

		pr_crit("thread %lu '%s': %s, %lu ms of CPU", (unsigned long)t->id, t->name,
			state_names[t->state], (unsigned long)(t->runtime_ns / NSEC_PER_MSEC));
		if (t != sched_state.current && t->state != THREAD_EXITED && t->sp) {
			panic_backtrace(f->ret, f->rbp, t->sp, false);
			thread_describe(t);
		}
	}
}

void sched_stats(struct sched_stats *st)
{
	unsigned long flags = irq_save();

	*st = sched_state.stats;
	irq_restore(flags);
}
