/*
 * Signals within the one process (docs/abi.md): actions for the process,
 * masks and pending sets per thread, delivery on the way back from a
 * system call, in the frame layout Linux uses, so musl's handlers and
 * sigreturn work unchanged.
 */
#ifndef LIB_ABI_SIGNAL_H
#define LIB_ABI_SIGNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ABI_NSIG 64

struct syscall_frame;

struct signal_state {
	uint64_t blocked, pending; /* bit sig - 1 */
	bool ready;		   /* a signal waits that it does not block (the fast check) */
	uint64_t saved_blocked;	   /* rt_sigsuspend's caller's mask, back after the handler */
	bool restore_saved;
	int32_t code[ABI_NSIG]; /* si_code of each pending signal */
	uint64_t altstack_sp, altstack_size;
	int32_t altstack_flags;
};

/*
 * On the way back from system call nr with its result in f->rax: delivers
 * a pending signal the thread does not block (a handler's frame, or the
 * default action), and restarts or fails an interrupted call.
 */
void signal_on_return(struct syscall_frame *f, long nr);

/* Is a signal waiting that the calling thread does not block? */
static inline bool signal_ready_in(const struct signal_state *s)
{
	return __atomic_load_n(&s->ready, __ATOMIC_RELAXED);
}
bool signal_ready(void);

/*
 * For ppoll, pselect6 and epoll_pwait: the calling thread blocks the
 * application's mask (setsize bytes; NULL: no change) while the call waits.
 * 0, -EINVAL or -EFAULT. signal_pop_mask(ret) ends it: at once, unless the
 * call is ending with -EINTR, when the old mask comes back after the
 * handler runs (as with rt_sigsuspend).
 */
int signal_push_mask(const uint64_t *mask, size_t setsize);
void signal_pop_mask(long ret);

/*
 * Sends sig to the thread with id tid (0: the process: the calling thread
 * if it can take it, else the first that can), as tkill/kill would, with
 * si_code code (SI_KERNEL's come from no process: si_pid 0). 0 or -errno.
 * Any context, an interrupt handler's included.
 */
int signal_send(uint64_t tid, int sig, int code);

long sys_rt_sigaction(int sig, const void *act, void *old, size_t setsize);
long sys_rt_sigprocmask(int how, const uint64_t *set, uint64_t *old, size_t setsize);
long sys_rt_sigpending(uint64_t *set, size_t setsize);
long sys_rt_sigsuspend(const uint64_t *mask, size_t setsize);
long sys_rt_sigreturn(struct syscall_frame *f);
long sys_sigaltstack(const void *ss, void *old);
long sys_kill(int pid, int sig);
long sys_tkill(int tid, int sig);
long sys_tgkill(int tgid, int tid, int sig);
long sys_pause(void);

/* The most stack a handler's frame takes (AT_MINSIGSTKSZ). */
size_t signal_frame_size(void);

/* Logs how many signals were handled (for the exit report). */
void signal_report(void);

/* Signal names for reports: "SIGABRT". */
const char *signal_name(int sig);

#endif
