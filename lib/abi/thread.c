/* Each application thread's system-call state, and its release with the thread. */
#include "lib/abi/thread.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>

#include "arch/x86_64/syscall.h"
#include "kernel/gdbstub.h"
#include "kernel/mmap.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "lib/abi/syscall_names.h"
#include "sched/sched.h"

/* Called as any thread is freed; the deferred munmap happens here, off its stack. */
static void release(struct thread *t)
{
	struct abi_thread *a = *thread_abi(t);

	if (!a)
		return;
	if (a->unmap_len)
		mmap_unmap_now(a->unmap_start, a->unmap_len);
	kfree(a);
	*thread_abi(t) = NULL;
}

/* For deadlock and crash reports: where in the application a thread waits. */
static void describe(struct thread *t)
{
	struct abi_thread *a = *thread_abi(t);
	const struct syscall_frame *f = a ? a->frame : NULL;

	if (!f)
		return;
	/* rax holds the call's number until it returns */
	pr_crit("  in the system call %s (%lu), called from:", syscall_name(f->rax),
		(unsigned long)f->rax);
	panic_backtrace(f->rip, f->rbp, f->rsp, false);
}

/* For gdb (kernel/gdbstub.c): where in the application a thread waits. */
static struct syscall_frame *frame_of(struct thread *t)
{
	struct abi_thread *a = *thread_abi(t);

	return a ? a->frame : NULL;
}

static const char *call_of(struct thread *t)
{
	const struct syscall_frame *f = frame_of(t);

	return f ? syscall_name(f->rax) : NULL;
}

static const struct gdbstub_app_ops gdb_ops = {
	.syscall_frame = frame_of,
	.syscall_in = call_of,
};

void abi_threads_init(void)
{
	thread_set_release(release);
	thread_set_describe(describe);
	gdbstub_set_app_ops(&gdb_ops);
}

int abi_thread_attach(struct thread *t, const struct abi_thread *parent)
{
	struct abi_thread *a = kcalloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	if (parent)
		a->sig.blocked = parent->sig.blocked; /* a new thread inherits the mask only */
	*thread_abi(t) = a;
	return 0;
}

long abi_defer_unmap(uint64_t start, size_t len)
{
	struct abi_thread *a = abi_self();

	if (a->unmap_len) /* a second one: the first cannot wait any longer */
		mmap_unmap_now(a->unmap_start, a->unmap_len);
	a->unmap_start = start;
	a->unmap_len = len;
	return 0;
}
