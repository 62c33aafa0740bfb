/*
 * Threads as the application sees them (docs/abi.md): clone() with the
 * flags musl's pthread_create passes makes a Ceres thread; the thread's
 * id is its tid, the main thread's (1) the pid.
 */
#include "sched/sys_thread.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "arch/x86_64/syscall.h"
#include "kernel/irq.h"
#include "kernel/printk.h"
#include "kernel/shutdown.h"
#include "kernel/uaccess.h"
#include "lib/abi/thread.h"
#include "sched/sched.h"

#define CLONE_VM 0x00000100UL
#define CLONE_FS 0x00000200UL
#define CLONE_FILES 0x00000400UL
#define CLONE_SIGHAND 0x00000800UL
#define CLONE_THREAD 0x00010000UL
#define CLONE_SYSVSEM 0x00040000UL
#define CLONE_SETTLS 0x00080000UL
#define CLONE_PARENT_SETTID 0x00100000UL
#define CLONE_CHILD_CLEARTID 0x00200000UL
#define CLONE_DETACHED 0x00400000UL
#define CLONE_CHILD_SETTID 0x01000000UL
/* What a thread of this process is: everything shared. */
#define CLONE_THREAD_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD)
#define CLONE_KNOWN                                                                \
	(CLONE_THREAD_FLAGS | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | \
	 CLONE_CHILD_CLEARTID | CLONE_DETACHED | CLONE_CHILD_SETTID)

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004
#define CANONICAL_LIMIT (1ULL << 47)

#define PR_SET_PDEATHSIG 1
#define PR_GET_PDEATHSIG 2
#define PR_GET_DUMPABLE 3
#define PR_SET_DUMPABLE 4
#define PR_SET_NAME 15
#define PR_GET_NAME 16
#define PR_SET_NO_NEW_PRIVS 38
#define PR_GET_NO_NEW_PRIVS 39
#define TASK_COMM_LEN 16

#define ROBUST_LIST_HEAD_SIZE 24

long sys_clone(struct syscall_frame *f)
{
	uint64_t flags = f->rdi, sp = f->rsi, tls = f->r8;
	int *ptid = (int *)f->rdx, *ctid = (int *)f->r10;
	struct thread *t;
	int tid, err;

	if ((flags & CLONE_THREAD_FLAGS) != CLONE_THREAD_FLAGS || flags & ~CLONE_KNOWN) {
		pr_warn_once("abi: clone with flags %#lx: Ceres makes threads of its one process "
			     "only (CLONE_VM, FS, FILES, SIGHAND and THREAD); no new processes",
			     (unsigned long)flags);
		return -ENOSYS;
	}
	if (flags & CLONE_SETTLS && tls >= CANONICAL_LIMIT)
		return -EPERM;
	/*
	 * No stack: Linux would run the child on the parent's, both at once.
	 * Here the kernel runs on that stack too, so it is refused.
	 */
	if (!sp)
		return -EINVAL;
	err = thread_clone(f, sp, flags & CLONE_SETTLS ? tls : thread_fs_base(), &t);
	if (err < 0)
		return err;
	err = abi_thread_attach(t, abi_self());
	if (err < 0) {
		thread_discard(t);
		return err;
	}
	tid = (int)thread_id(t);
	if ((flags & CLONE_PARENT_SETTID && copy_to_app(ptid, &tid, sizeof(tid)) < 0) ||
	    (flags & CLONE_CHILD_SETTID && copy_to_app(ctid, &tid, sizeof(tid)) < 0)) {
		thread_discard(t);
		return -EFAULT;
	}
	if (flags & CLONE_CHILD_CLEARTID)
		thread_set_child_clear_tid(t, ctid);
	thread_launch(t);
	return tid;
}

long sys_exit(int status)
{
	(void)status; /* a thread's status has no reader: musl joins through memory */
	thread_exit(NULL);
}

long sys_exit_group(int status)
{
	shutdown_app_exit(status & 0xFF); /* what a parent would see of it on Linux */
}

long sys_set_tid_address(int *tidptr)
{
	thread_set_clear_tid(tidptr);
	return (long)thread_id(thread_self());
}

long sys_gettid(void)
{
	return (long)thread_id(thread_self());
}

long sys_arch_prctl(int code, uint64_t addr)
{
	uint64_t zero = 0, fs;

	switch (code) {
	case ARCH_SET_FS:
		if (addr >= CANONICAL_LIMIT)
			return -EPERM;
		thread_set_fs_base(addr);
		return 0;
	case ARCH_GET_FS:
		fs = thread_fs_base();
		return copy_to_app((void *)addr, &fs, sizeof(fs));
	case ARCH_GET_GS:
		return copy_to_app((void *)addr, &zero, sizeof(zero));
	case ARCH_SET_GS:
		pr_warn_once("abi: arch_prctl(ARCH_SET_GS): the GS base is the kernel's");
		return -EPERM;
	default:
		return -EINVAL;
	}
}

long sys_prctl(int option, uint64_t arg2, uint64_t arg3, uint64_t arg4, uint64_t arg5)
{
	char name[TASK_COMM_LEN];
	int zero = 0, err;

	(void)arg3, (void)arg4, (void)arg5;
	switch (option) {
	case PR_SET_NAME:
		/* Linux keeps the first 15 bytes, whatever the length. */
		err = (int)strncpy_from_app(name, (const char *)arg2, sizeof(name));
		if (err == -ENAMETOOLONG)
			err = copy_from_app(name, (const char *)arg2, TASK_COMM_LEN - 1);
		if (err < 0)
			return -EFAULT;
		name[TASK_COMM_LEN - 1] = '\0';
		thread_set_name(thread_self(), name);
		return 0;
	case PR_GET_NAME:
		memset(name, 0, sizeof(name));
		strncpy(name, thread_name(thread_self()), sizeof(name) - 1);
		return copy_to_app((void *)arg2, name, sizeof(name));
	case PR_GET_PDEATHSIG:
		return copy_to_app((void *)arg2, &zero, sizeof(zero));
	case PR_SET_PDEATHSIG:
		return arg2 > 64 ? -EINVAL : 0; /* there is no parent to die */
	case PR_GET_DUMPABLE:
		return 1;
	case PR_SET_DUMPABLE:
		return arg2 > 1 ? -EINVAL : 0;
	case PR_SET_NO_NEW_PRIVS:
		return arg2 != 1 || arg3 || arg4 || arg5 ? -EINVAL : 0;
	case PR_GET_NO_NEW_PRIVS:
		return 1; /* nothing here gains privileges anyway */
	default:
		return -EINVAL;
	}
}

long sys_sched_yield(void)
{
	thread_yield();
	return 0;
}

/* pid 0 is the caller; otherwise a thread of ours by tid. */
static bool is_thread(struct thread *t, void *arg)
{
	return thread_id(t) == *(uint64_t *)arg && *thread_abi(t);
}

static int find_pid(int pid)
{
	uint64_t id = (uint64_t)pid;
	unsigned long flags;
	bool found;

	if (pid < 0)
		return -EINVAL;
	if (!pid)
		return 0;
	flags = irq_save();
	found = sched_find_thread(is_thread, &id) != NULL;
	irq_restore(flags);
	return found ? 0 : -ESRCH;
}

long sys_sched_getaffinity(int pid, size_t len, void *mask)
{
	uint64_t one = 1;
	int err = find_pid(pid);

	if (err < 0)
		return err;
	if (len < sizeof(one) || len & (sizeof(one) - 1))
		return -EINVAL;
	if (copy_to_app(mask, &one, sizeof(one)) < 0)
		return -EFAULT;
	return sizeof(one); /* the bytes of the CPU mask: one CPU */
}

long sys_sched_setaffinity(int pid, size_t len, const void *mask)
{
	uint64_t m = 0;
	int err = find_pid(pid);

	if (err < 0)
		return err;
	if (copy_from_app(&m, mask, len < sizeof(m) ? len : sizeof(m)) < 0)
		return -EFAULT;
	return m & 1 ? 0 : -EINVAL; /* CPU 0 is the only one */
}

long sys_set_robust_list(void *head, size_t len)
{
	struct abi_thread *a = abi_self();

	if (len != ROBUST_LIST_HEAD_SIZE)
		return -EINVAL;
	a->robust_list = (uint64_t)head;
	a->robust_len = len;
	return 0;
}

long sys_get_robust_list(int pid, void *head, size_t *len)
{
	struct abi_thread *a = abi_self();
	int err = find_pid(pid);

	if (err < 0)
		return err;
	if (pid && (uint64_t)pid != thread_id(thread_self()))
		return -EPERM; /* another thread's: not kept where the caller can reach */
	if (copy_to_app(head, &a->robust_list, sizeof(a->robust_list)) < 0 ||
	    copy_to_app(len, &a->robust_len, sizeof(a->robust_len)) < 0)
		return -EFAULT;
	return 0;
}
