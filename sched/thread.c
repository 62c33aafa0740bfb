/*
 * Threads: creation with a guarded stack, an FPU area and a TLS block;
 * exit, join, detach, and reclaiming what exited threads leave behind;
 * yielding and sleeping.
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
#include "arch/x86_64/tls.h"
#include "kernel/irq.h"
#include "kernel/printk.h"
#include "kernel/sections.h"
#include "kernel/stack.h"
#include "kernel/time.h"
#include "sched/sched_priv.h"

/* Must match the alignment linker.ld gives .tdata and .tbss. */
#define TLS_ALIGN 64
/* The boot context's TLS block, in the image; linker.ld checks that the TLS fits. */
#define BOOT_TLS_SIZE 4096

static struct {
	struct thread boot;
	struct list_head reap; /* detached threads that have exited */
	uint64_t next_id;
	bool fsgsbase; /* wrfsbase/wrgsbase work (known once the idle thread is made) */
	unsigned char boot_tls[BOOT_TLS_SIZE] __attribute__((aligned(TLS_ALIGN)));
} threads;

static size_t tls_area(void)
{
	return ((size_t)__tls_size + TLS_ALIGN - 1) & ~(size_t)(TLS_ALIGN - 1);
}

#define TLS_BLOCK_SIZE (tls_area() + ARCH_TLS_TCB_SIZE)

static uint64_t tls_setup(unsigned char *block)
{
	return arch_tls_setup(block, tls_area(), __tdata_start,
			      (size_t)(__tdata_end - __tdata_start));
}

int thread_boot_tls(void)
{
	threads.boot.self = &threads.boot;
	threads.boot.fs_base = tls_setup(threads.boot_tls);
	/* Before cpu_init(): no wrfsbase or wrgsbase yet. */
	set_fs_base(threads.boot.fs_base, false);
	arch_set_thread_pointer(&threads.boot, false);
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

/* Where every new thread starts, entered by switch_stack()'s return. */
static __attribute__((noreturn)) void thread_start(void)
{
	struct thread *self = thread_self(); /* the switch set our GS base */

	irq_enable();
	thread_exit(self->fn(self->arg));
}

void thread_destroy(struct thread *t)
{
	fpu_release(t->fpu);
	if (t->stack)
		stack_free(t->stack);
	free(t->fpu);
	free(t->tls);
	free(t);
}

static struct thread *thread_alloc(const char *name, size_t stack_size)
{
	struct thread *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->self = t;
	strncpy(t->name, name, sizeof(t->name) - 1);
	t->stack = stack_alloc(stack_size, t->name);
	t->fpu = aligned_alloc(FPU_AREA_ALIGN, fpu_area_size());
	t->tls = aligned_alloc(TLS_ALIGN, TLS_BLOCK_SIZE);
	if (!t->stack || !t->fpu || !t->tls) {
		thread_destroy(t);
		return NULL;
	}
	return t;
}

struct thread *thread_create(const char *name, void *(*fn)(void *), void *arg, size_t stack_size,
			     bool detached)
{
	struct thread *t;
	struct switch_frame *f;
	unsigned long flags;

	thread_reap();
	t = thread_alloc(name, stack_size ? stack_size : THREAD_STACK_DEFAULT);
	if (!t) {
		pr_warn("sched: no memory for thread '%s'", name);
		return NULL;
	}
	fpu_area_init(t->fpu);
	t->fs_base = tls_setup(t->tls);
	t->fn = fn;
	t->arg = arg;
	t->detached = detached;
	/* Under the frame, a zero "return address": rsp is 8 mod 16 at entry, as after a call. */
	f = (struct switch_frame *)(t->stack->hi - sizeof(uint64_t)) - 1;
	*(uint64_t *)(t->stack->hi - sizeof(uint64_t)) = 0;
	*f = (struct switch_frame){ .ret = (uint64_t)thread_start };
	t->sp = (uint64_t)f;
	flags = irq_save();
	t->id = threads.next_id++;
	sched_link_thread(t);
	sched_make_runnable(t);
	irq_restore(flags);
	return t;
}

void thread_exit(void *ret)
{
	struct thread *self = thread_self();

	irq_disable();
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

void thread_yield(void)
{
	unsigned long flags = irq_save();

	sched_schedule();
	irq_restore(flags);
}

void thread_sleep_until(uint64_t deadline)
{
	unsigned long flags = irq_save();

	if (deadline > clock_monotonic_ns())
		sched_wait(NULL, deadline);
	irq_restore(flags);
}

void thread_sleep_ns(uint64_t ns)
{
	uint64_t now = clock_monotonic_ns();

	thread_sleep_until(ns > UINT64_MAX - now ? UINT64_MAX : now + ns);
}
