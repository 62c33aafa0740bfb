/*
 * What the system-call layer keeps for each application thread, beside
 * the scheduler's struct thread (through its thread_abi() slot).
 */
#ifndef LIB_ABI_THREAD_H
#define LIB_ABI_THREAD_H

#include <stddef.h>
#include <stdint.h>

#include "lib/abi/signal.h"
#include "sched/sched.h"

struct thread;
struct syscall_frame;

struct abi_thread {
	struct signal_state sig;
	struct syscall_frame *frame;	 /* the system call it is in, or NULL */
	uint64_t unmap_start, unmap_len; /* a munmap() of its own stack, done when it is freed */
	uint64_t robust_list, robust_len;
};

/* The calling thread's (it is an application thread): one load. */
static inline struct abi_thread *abi_self(void)
{
	return thread_self_abi();
}

/*
 * Gives t its state, inheriting the parent's signal mask (NULL: the
 * main thread's, empty). 0, or -ENOMEM.
 */
int abi_thread_attach(struct thread *t, const struct abi_thread *parent);

/* Sets up the release of each thread's state; before any attach. */
void abi_threads_init(void);

/* Records a munmap() of [start, start + len) to do once the calling thread is gone. 0. */
long abi_defer_unmap(uint64_t start, size_t len);

#endif
