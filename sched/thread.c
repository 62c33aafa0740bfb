/*
 * Threads: creation (the kernel's, with a guarded stack, and the
 * application's, from clone()), exit, join, detach, reclaiming what exited
 * threads leave behind; yielding and sleeping.
 */
#include "sched/sched.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/fpu.h"
#include "arch/x86_64/switch.h"
#include "arch/x86_64/syscall.h"
#include "kernel/irq.h"
#include "kernel/printk.h"
#include "kernel/stack.h"
#include "kernel/time.h"
#include "kernel/uaccess.h"
#include "sched/futex.h"
#include "sched/sched_priv.h"

static struct {
	struct thread boot;
	struct list_head reap; /* detached threads that have exited */
	uint64_t next_id;      /* idle is 0, main 1: Linux's pid and the main thread's tid */
	bool fsgsbase;	       /* wrfsbase/wrgsbase work (known once the idle thread is made) */
	void (*release)(struct thread *t);  /* frees what the layers above attached */
	void (*describe)(struct thread *t); /* reports what they know of it */
} threads;

int thread_early(void)
{
	threads.boot.head.self = &threads.boot;
	arch_set_thread_pointer(&threads.boot, false); /* before cpu_init(): no wrgsbase yet */
	return 0;
}

void thread_enter(struct thread *t)
{
	set_fs_base(t->fs_base, threads.fsgsbase);
	arch_set_thread_pointer(t, threads.fsgsbase);
}

/* Idle runs kernel code only, which never touches the FPU (docs/fpu.md): no FPU area. */
struct thread *thread_boot(void)
{
	struct thread *t = &threads.boot;
	unsigned long flags;

	strcpy(t->name, "idle");
	list_init(&threads.reap);
	threads.fsgsbase = cpu_has(CPU_FSGSBASE);
	flags = irq_save();
	t->id = threads.next_id++;
	sched_link_thread(t);
	irq_restore(flags);
	return t;
}

void thread_set_release(void (*release)(struct thread *t))
{
	threads.release = release;
}

void thread_set_describe(void (*describe)(struct thread *t))
{
	threads.describe = describe;
}

void thread_describe(struct thread *t)
{
	if (threads.describe)
		threads.describe(t);
}

/* Where every kernel-made thread starts, entered by switch_stack()'s return. */
static __attribute__((noreturn)) void thread_start(void)
{
	struct thread *self = thread_self(); /* the switch set our GS base */

	irq_enable();
	thread_exit(self->fn(self->arg));
}

void thread_destroy(struct thread *t)
{
	if (threads.release)
		threads.release(t);
	fpu_release(t->fpu);
	if (t->stack)
		stack_free(t->stack);
	kfree(t->fpu);
	kfree(t);
}

static struct thread *thread_alloc(const char *name, size_t stack_size)
{
	struct thread *t = kcalloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->head.self = t;
	t->id = __atomic_fetch_add(&threads.next_id, 1, __ATOMIC_RELAXED); /* clone() returns it */
	strncpy(t->name, name, sizeof(t->name) - 1);
	t->stack = stack_size ? stack_alloc(stack_size, t->name) : NULL;
	t->fpu = kaligned_alloc(FPU_AREA_ALIGN, fpu_area_size());
	if ((stack_size && !t->stack) || !t->fpu) {
		thread_destroy(t);
		return NULL;
	}
	return t;
}

/* Makes a new thread known and runnable; it first runs from the frame at sp. */
static void start(struct thread *t, uint64_t sp)
{
	unsigned long flags = irq_save();

	t->sp = sp;
	sched_link_thread(t);
	sched_make_runnable(t);
	irq_restore(flags);
}

struct thread *thread_create(const char *name, void *(*fn)(void *), void *arg, size_t stack_size,
			     bool detached)
{
	struct thread *t;
	struct switch_frame *f;

	thread_reap();
	t = thread_alloc(name, stack_size ? stack_size : THREAD_STACK_DEFAULT);
	if (!t) {
		pr_warn("sched: no memory for thread '%s'", name);
		return NULL;
	}
	fpu_area_init(t->fpu);
	t->fn = fn;
	t->arg = arg;
	t->detached = detached;
	/* Under the frame, a zero "return address": rsp is 8 mod 16 at entry, as after a call. */
	f = (struct switch_frame *)(t->stack->hi - sizeof(uint64_t)) - 1;
	*(uint64_t *)(t->stack->hi - sizeof(uint64_t)) = 0;
	*f = (struct switch_frame){ .ret = (uint64_t)thread_start };
	start(t, (uint64_t)f);
	return t;
}

/*
 * The child runs on the stack the application gave, from a copy of the
 * parent's system-call frame placed below that stack's red zone: its first
 * switch returns into syscall_new_thread, which resumes after the parent's
 * `syscall` with rax = 0 and rsp = sp. It waits for thread_launch().
 */
int thread_clone(const struct syscall_frame *parent, uint64_t sp, uint64_t fs_base,
		 struct thread **out)
{
	struct thread *self = thread_self(), *t;
	struct syscall_frame *child;
	struct switch_frame *f;

	thread_reap();
	t = thread_alloc(self->name, 0);
	if (!t)
		return -ENOMEM;
	fpu_copy_current(t->fpu, self->fpu);
	t->fs_base = fs_base;
	t->detached = true; /* the application joins through futexes, not here */
	child = (struct syscall_frame *)((sp - SYSCALL_RED_ZONE - sizeof(*child)) & ~15ULL);
	f = (struct switch_frame *)child - 1;
	if (copy_to_app(child, parent, sizeof(*child)) < 0 ||
	    copy_to_app(f, &(struct switch_frame){ .ret = (uint64_t)syscall_new_thread },
			sizeof(*f)) < 0) {
		thread_destroy(t);
		return -EFAULT;
	}
	child->rax = 0;
	child->rsp = sp;
	t->sp = (uint64_t)f;
	*out = t;
	return 0;
}

void thread_launch(struct thread *t)
{
	start(t, t->sp);
}

void thread_discard(struct thread *t)
{
	thread_destroy(t);
}

void thread_set_child_clear_tid(struct thread *t, void *word)
{
	t->clear_child_tid = word;
}

void thread_exit(void *ret)
{
	struct thread *self = thread_self();

	/*
	 * From here the thread never runs again with interrupts on: once the
	 * word below is 0, a joiner may free the stack this runs on, so it
	 * must not get the CPU before the last switch away.
	 */
	irq_disable();
	/* CLONE_CHILD_CLEARTID: pthread_join waits for this word to become 0. */
	if (self->clear_child_tid) {
		int zero = 0;

		if (copy_to_app(self->clear_child_tid, &zero, sizeof(zero)) == 0)
			futex_wake(self->clear_child_tid, 1, FUTEX_BITSET_ANY);
	}
	self->ret = ret;
	self->state = THREAD_EXITED;
	waitq_wake_all(&self->joiners);
	if (self->detached)
		list_add_tail(&self->link, &threads.reap);
	sched_schedule();
	__builtin_unreachable(); /* nothing schedules an exited thread */
}

int thread_join(struct thread *t, void **ret)
{
	unsigned long flags = irq_save();

	if (t == thread_self()) {
		irq_restore(flags);
		return -EDEADLK;
	}
	if (t->detached || t->joined) {
		irq_restore(flags);
		return -EINVAL;
	}
	t->joined = true;
	while (t->state != THREAD_EXITED)
		waitq_wait(&t->joiners, 0);
	sched_unlink_thread(t);
	irq_restore(flags);
	if (ret)
		*ret = t->ret;
	thread_destroy(t);
	return 0;
}

int thread_detach(struct thread *t)
{
	unsigned long flags = irq_save();

	if (t->detached || t->joined) {
		irq_restore(flags);
		return -EINVAL;
	}
	t->detached = true;
	if (t->state == THREAD_EXITED)
		list_add_tail(&t->link, &threads.reap);
	irq_restore(flags);
	return 0;
}

void thread_reap(void)
{
	assert(!irq_in_handler());
	for (;;) {
		unsigned long flags = irq_save();
		struct list_head *l = list_first(&threads.reap);
		struct thread *t = l ? list_entry(l, struct thread, link) : NULL;

		if (t) {
			list_del(l);
			sched_unlink_thread(t);
		}
		irq_restore(flags);
		if (!t)
			return;
		thread_destroy(t);
	}
}

int thread_set_name(struct thread *t, const char *name)
{
	if (strlen(name) >= sizeof(t->name))
		return -ERANGE;
	strcpy(t->name, name);
	return 0;
}

const char *thread_name(const struct thread *t)
{
	return t->name;
}

uint64_t thread_id(const struct thread *t)
{
	return t->id;
}

void thread_set_fs_base(uint64_t base)
{
	struct thread *self = thread_self();

	self->fs_base = base;
	set_fs_base(base, threads.fsgsbase);
}

uint64_t thread_fs_base(void)
{
	return thread_self()->fs_base;
}

void thread_set_clear_tid(void *word)
{
	thread_self()->clear_child_tid = word;
}

void **thread_abi(struct thread *t)
{
	return &t->head.abi;
}

size_t thread_fpu_size(void)
{
	return fpu_area_size();
}

void thread_fpu_copy(void *dst)
{
	fpu_copy_current(dst, thread_self()->fpu);
}

void thread_fpu_set(const void *src)
{
	fpu_load_current(thread_self()->fpu, src);
}

void thread_yield(void)
{
	unsigned long flags = irq_save();

	sched_schedule();
	irq_restore(flags);
}

int thread_sleep_until(uint64_t deadline, bool interruptible)
{
	unsigned long flags = irq_save();
	int err = 0;

	if (deadline > clock_monotonic_ns())
		err = sched_wait(NULL, deadline, interruptible);
	irq_restore(flags);
	return err;
}

int thread_sleep_ns(uint64_t ns, bool interruptible)
{
	uint64_t now = clock_monotonic_ns();

	return thread_sleep_until(ns > UINT64_MAX - now ? UINT64_MAX : now + ns, interruptible);
}
