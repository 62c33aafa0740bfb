/*
 * Signals (docs/abi.md). One process: the actions are the process's, the
 * masks and pending sets each thread's, plus a pending set for signals
 * sent to the process that no thread could take yet. A signal is
 * delivered on the way back from a system call (kill() to oneself included)
 * or when it ends an interruptible wait; the frame a handler gets is the
 * x86_64 Linux rt_sigframe, which musl's __restore_rt hands back to
 * rt_sigreturn. State changes with interrupts off: a signal may come from
 * any thread at any time.
 */
#include "lib/abi/signal.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/arch.h"
#include "arch/x86_64/syscall.h"
#include "kernel/gdbstub.h"
#include "kernel/irq.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/shutdown.h"
#include "kernel/uaccess.h"
#include "lib/abi/itimer.h"
#include "lib/abi/syscall_names.h"
#include "lib/abi/thread.h"
#include "sched/sched.h"

#define SIGKILL 9
#define SIGALRM 14
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGTTOU 22
#define SIGURG 23
#define SIGWINCH 28

#define SIG_DFL 0
#define SIG_IGN 1

#define SA_SIGINFO 0x00000004UL
#define SA_RESTORER 0x04000000UL
#define SA_ONSTACK 0x08000000UL
#define SA_RESTART 0x10000000UL
#define SA_NODEFER 0x40000000UL
#define SA_RESETHAND 0x80000000UL

#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2

#define SS_ONSTACK 1
#define SS_DISABLE 2
#define SS_AUTODISARM (1U << 31)
#define MINSIGSTKSZ 2048

#define SI_USER 0
#define SI_KERNEL 0x80
#define SI_TKILL (-6)

#define BIT(sig) (1ULL << ((sig)-1))
#define UNBLOCKABLE (BIT(SIGKILL) | BIT(SIGSTOP))

/* The flags a handler's return may change: CF PF AF ZF SF DF OF AC. */
#define RFLAGS_USER 0x40ED5ULL
#define SYSCALL_INSN_LEN 2

/* Linux's struct sigaction for rt_sigaction (x86_64). */
struct k_sigaction {
	uint64_t handler, flags, restorer, mask;
};

struct abi_stack {
	uint64_t ss_sp;
	int32_t ss_flags, pad;
	uint64_t ss_size;
};

/* struct sigcontext: musl's gregs[] in this order (REG_R8 .. REG_CR2). */
struct abi_mcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, rflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate; /* where the FPU registers were saved, or 0 */
	uint64_t reserved[8];
};

struct abi_ucontext {
	uint64_t uc_flags, uc_link;
	struct abi_stack uc_stack;
	struct abi_mcontext uc_mcontext;
	uint64_t uc_sigmask;
};

struct abi_siginfo {
	int32_t si_signo, si_errno, si_code, pad;
	int32_t si_pid;
	uint32_t si_uid;
	uint8_t rest[128 - 24];
};

/* What a handler finds at its rsp: its return address (the restorer) first. */
struct rt_sigframe {
	uint64_t pretcode;
	struct abi_ucontext uc;
	struct abi_siginfo info;
};

_Static_assert(sizeof(struct abi_mcontext) == 256, "struct sigcontext is 256 bytes");
_Static_assert(sizeof(struct abi_siginfo) == 128, "siginfo_t is 128 bytes");

static struct {
	struct k_sigaction actions[ABI_NSIG + 1];
	uint64_t pending; /* sent to the process; no thread has taken them */
	int32_t code[ABI_NSIG];
	uint64_t delivered, fatal;
} proc;

static const char *const names[ABI_NSIG + 1] = {
	[1] = "SIGHUP",	    [2] = "SIGINT",   [3] = "SIGQUIT",	 [4] = "SIGILL",   [5] = "SIGTRAP",
	[6] = "SIGABRT",    [7] = "SIGBUS",   [8] = "SIGFPE",	 [9] = "SIGKILL",  [10] = "SIGUSR1",
	[11] = "SIGSEGV",   [12] = "SIGUSR2", [13] = "SIGPIPE",	 [14] = "SIGALRM", [15] = "SIGTERM",
	[16] = "SIGSTKFLT", [17] = "SIGCHLD", [18] = "SIGCONT",	 [19] = "SIGSTOP", [20] = "SIGTSTP",
	[21] = "SIGTTIN",   [22] = "SIGTTOU", [23] = "SIGURG",	 [24] = "SIGXCPU", [25] = "SIGXFSZ",
	[26] = "SIGVTALRM", [27] = "SIGPROF", [28] = "SIGWINCH", [29] = "SIGIO",   [30] = "SIGPWR",
	[31] = "SIGSYS",
};

const char *signal_name(int sig)
{
	if (sig > 0 && sig <= ABI_NSIG && names[sig])
		return names[sig];
	return sig >= 32 && sig <= ABI_NSIG ? "a real-time signal" : "an unknown signal";
}

static bool default_ignores(int sig)
{
	return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH;
}

/* SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU: there is no job control to stop for. */
static bool default_stops(int sig)
{
	return sig >= SIGSTOP && sig <= SIGTTOU;
}

static bool ignored(int sig)
{
	uint64_t h = proc.actions[sig].handler;

	return h == SIG_IGN || (h == SIG_DFL && (default_ignores(sig) || default_stops(sig)));
}

static struct signal_state *state_of(struct thread *t)
{
	struct abi_thread *a = *thread_abi(t);

	return a ? &a->sig : NULL;
}

/* Signals s may take now. Interrupts off. */
static uint64_t ready_for(const struct signal_state *s)
{
	return (s->pending | proc.pending) & ~s->blocked;
}

bool signal_ready(void)
{
	return ready_for(&abi_self()->sig) != 0;
}

/* Makes the thread's interrupted mark say whether a signal is ready for it. Interrupts off. */
static void update(struct thread *t, struct signal_state *s)
{
	s->ready = ready_for(s) != 0;
	if (s->ready)
		thread_interrupt(t);
	else
		thread_interrupt_clear(t);
}

struct find {
	uint64_t tid;
	uint64_t bit; /* with tid 0: a thread that does not block this */
	struct thread *found;
};

static bool match(struct thread *t, void *arg)
{
	struct find *f = arg;
	struct signal_state *s = state_of(t);

	if (!s)
		return false; /* a kernel thread, not the application's */
	if (f->tid)
		return thread_id(t) == f->tid;
	return !(s->blocked & f->bit);
}

int signal_send(uint64_t tid, int sig, int code)
{
	struct find f = { .tid = tid, .bit = sig ? BIT(sig) : 0 };
	struct signal_state *s;
	unsigned long flags;

	if (sig < 0 || sig > ABI_NSIG)
		return -EINVAL;
	flags = irq_save();
	if (tid) {
		f.found = sched_find_thread(match, &f);
		if (!f.found) {
			irq_restore(flags);
			return -ESRCH;
		}
	} else {
		/*
		 * The sender first, if it can take it: kill(getpid()) acts at once.
		 * From an interrupt (a timer), the first thread that can.
		 */
		f.found = irq_in_handler() ? NULL : thread_self();
		s = f.found ? state_of(f.found) : NULL;
		if (!s || s->blocked & f.bit)
			f.found = sched_find_thread(match, &f);
	}
	if (!sig) {
		irq_restore(flags);
		return 0;
	}
	s = f.found ? state_of(f.found) : NULL;
	if (ignored(sig) && !(s && s->blocked & f.bit)) {
		irq_restore(flags);
		return 0; /* discarded, as Linux does */
	}
	if (s && (tid || !(s->blocked & f.bit))) {
		s->pending |= f.bit;
		s->code[sig - 1] = code;
		update(f.found, s);
	} else {
		proc.pending |= f.bit; /* every thread blocks it: the first to unblock takes it */
		proc.code[sig - 1] = code;
	}
	irq_restore(flags);
	return 0;
}

/* The one process is pid 1, in process group 1: kill(-1) finds no other to signal. */
long sys_kill(int pid, int sig)
{
	if (sig < 0 || sig > ABI_NSIG)
		return -EINVAL;
	if (pid != 1 && pid != 0)
		return -ESRCH;
	return signal_send(0, sig, SI_USER);
}

long sys_tkill(int tid, int sig)
{
	if (tid <= 0)
		return -EINVAL;
	return signal_send((uint64_t)tid, sig, SI_TKILL);
}

long sys_tgkill(int tgid, int tid, int sig)
{
	if (tgid <= 0 || tid <= 0)
		return -EINVAL;
	if (tgid != 1)
		return -ESRCH;
	return signal_send((uint64_t)tid, sig, SI_TKILL);
}

long sys_rt_sigaction(int sig, const void *act, void *old, size_t setsize)
{
	struct k_sigaction ka, prev;
	unsigned long flags;

	if (setsize != sizeof(uint64_t) || sig < 1 || sig > ABI_NSIG)
		return -EINVAL;
	if (act && copy_from_app(&ka, act, sizeof(ka)) < 0)
		return -EFAULT;
	if (act && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	flags = irq_save();
	prev = proc.actions[sig];
	if (act) {
		ka.mask &= ~UNBLOCKABLE;
		proc.actions[sig] = ka;
		if (ignored(sig)) /* pending ones are discarded, as POSIX says */
			proc.pending &= ~BIT(sig);
	}
	irq_restore(flags);
	if (old && copy_to_app(old, &prev, sizeof(prev)) < 0)
		return -EFAULT;
	return 0;
}

long sys_rt_sigprocmask(int how, const uint64_t *set, uint64_t *old, size_t setsize)
{
	struct signal_state *s = &abi_self()->sig;
	uint64_t mask = 0, prev = s->blocked;
	unsigned long flags;

	if (setsize != sizeof(uint64_t))
		return -EINVAL;
	if (set && copy_from_app(&mask, set, sizeof(mask)) < 0)
		return -EFAULT;
	if (set) {
		if (how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK)
			return -EINVAL;
		flags = irq_save();
		if (how == SIG_BLOCK)
			s->blocked |= mask;
		else if (how == SIG_UNBLOCK)
			s->blocked &= ~mask;
		else
			s->blocked = mask;
		s->blocked &= ~UNBLOCKABLE;
		update(thread_self(), s);
		irq_restore(flags);
	}
	if (old && copy_to_app(old, &prev, sizeof(prev)) < 0)
		return -EFAULT;
	return 0;
}

long sys_rt_sigpending(uint64_t *set, size_t setsize)
{
	struct signal_state *s = &abi_self()->sig;
	uint64_t p;

	if (setsize > sizeof(uint64_t))
		return -EINVAL;
	p = (s->pending | proc.pending) & s->blocked;
	return copy_to_app(set, &p, setsize);
}

/* Sleeps until a signal is ready: -EINTR, which a handler then sees. */
static long wait_for_signal(void)
{
	while (!signal_ready())
		thread_sleep_until(UINT64_MAX, true);
	return -EINTR;
}

long sys_rt_sigsuspend(const uint64_t *mask, size_t setsize)
{
	int err;

	if (setsize != sizeof(uint64_t))
		return -EINVAL;
	err = mask ? signal_push_mask(mask, setsize) : -EFAULT;
	return err < 0 ? err : wait_for_signal();
}

int signal_push_mask(const uint64_t *mask, size_t setsize)
{
	struct signal_state *s = &abi_self()->sig;
	uint64_t m;
	unsigned long flags;

	if (!mask)
		return 0;
	if (setsize != sizeof(uint64_t))
		return -EINVAL;
	if (copy_from_app(&m, mask, sizeof(m)) < 0)
		return -EFAULT;
	flags = irq_save();
	s->saved_blocked = s->blocked;
	s->restore_saved = true;
	s->blocked = m & ~UNBLOCKABLE;
	update(thread_self(), s);
	irq_restore(flags);
	return 0;
}

void signal_pop_mask(long ret)
{
	struct signal_state *s = &abi_self()->sig;
	unsigned long flags;

	if (!s->restore_saved || ret == -EINTR)
		return; /* signal_on_return() restores it after the handler */
	flags = irq_save();
	s->blocked = s->saved_blocked;
	s->restore_saved = false;
	update(thread_self(), s);
	irq_restore(flags);
}

long sys_pause(void)
{
	return wait_for_signal();
}

static bool on_altstack(const struct signal_state *s, uint64_t sp)
{
	return s->altstack_size && sp > s->altstack_sp && sp <= s->altstack_sp + s->altstack_size;
}

long sys_sigaltstack(const void *ss, void *old)
{
	struct signal_state *s = &abi_self()->sig;
	struct abi_stack cur = { .ss_sp = s->altstack_sp, .ss_size = s->altstack_size }, req;
	uint64_t sp;

	__asm__("mov %%rsp, %0" : "=r"(sp)); /* system calls run on the application's stack */
	cur.ss_flags = !s->altstack_size ? SS_DISABLE : on_altstack(s, sp) ? SS_ONSTACK : 0;
	cur.ss_flags |= s->altstack_flags;
	if (ss) {
		if (copy_from_app(&req, ss, sizeof(req)) < 0)
			return -EFAULT;
		if (cur.ss_flags & SS_ONSTACK)
			return -EPERM;
		if (req.ss_flags & ~(SS_DISABLE | SS_ONSTACK | SS_AUTODISARM))
			return -EINVAL;
		if (req.ss_flags & SS_DISABLE) {
			s->altstack_sp = s->altstack_size = 0;
			s->altstack_flags = 0;
		} else {
			if (req.ss_size < MINSIGSTKSZ)
				return -ENOMEM;
			s->altstack_sp = req.ss_sp;
			s->altstack_size = req.ss_size;
			s->altstack_flags = req.ss_flags & (int32_t)SS_AUTODISARM;
		}
	}
	if (old && copy_to_app(old, &cur, sizeof(cur)) < 0)
		return -EFAULT;
	return 0;
}

/* The call runs again after the handler (or now, if none ran). */
static void restart(struct syscall_frame *f, long nr)
{
	f->rax = (uint64_t)nr;
	f->rip -= SYSCALL_INSN_LEN;
}

static __attribute__((noreturn)) void fatal(struct syscall_frame *f, int sig, const char *why)
{
	struct thread *self = thread_self();

	panic_enter(EXIT_PANIC);
	pr_crit("abi: %s (signal %d) ended the application%s, in thread %lu '%s'", signal_name(sig),
		sig, why, (unsigned long)thread_id(self), thread_name(self));
	panic_backtrace(f->rip, f->rbp, f->rsp, false);
	sched_dump();
	gdbstub_app_fatal(signal_name(sig), f);
	shutdown_exit(EXIT_PANIC);
}

/*
 * Builds the handler's frame on the thread's stack and points f at the
 * handler. The kernel runs on that stack too, its frames right below the
 * red zone, f first: the handler's frame goes KERNEL_RESERVE below f, under
 * the frames of this delivery (they are spent once the handler runs).
 * KERNEL_ROOM is what this function and its callees need below its frame
 * pointer; the assertion keeps the two honest.
 */
#define KERNEL_RESERVE 4096
#define KERNEL_ROOM 2048

static int push_frame(struct syscall_frame *f, int sig, const struct k_sigaction *ka,
		      struct signal_state *s, int32_t code)
{
	size_t fpsize = thread_fpu_size();
	uint64_t sp, fpstate;
	struct rt_sigframe fr = { 0 };
	void *fp = NULL;
	int err;

	sp = (uint64_t)f - KERNEL_RESERVE;
	if (ka->flags & SA_ONSTACK && s->altstack_size && !on_altstack(s, f->rsp))
		sp = s->altstack_sp + s->altstack_size;
	else
		assert((uint64_t)__builtin_frame_address(0) - KERNEL_ROOM >= sp);
	fpstate = (sp - fpsize) & ~63ULL;
	sp = ((fpstate - sizeof(fr)) & ~15ULL) - 8; /* as after a call: rsp + 8 is aligned */
	fr.pretcode = ka->flags & SA_RESTORER ? ka->restorer : 0;
	fr.uc.uc_stack = (struct abi_stack){ .ss_sp = s->altstack_sp,
					     .ss_size = s->altstack_size,
					     .ss_flags = s->altstack_size ? 0 : SS_DISABLE };
	fr.uc.uc_mcontext = (struct abi_mcontext){
		.r8 = f->r8,
		.r9 = f->r9,
		.r10 = f->r10,
		.r11 = f->r11,
		.r12 = f->r12,
		.r13 = f->r13,
		.r14 = f->r14,
		.r15 = f->r15,
		.rdi = f->rdi,
		.rsi = f->rsi,
		.rbp = f->rbp,
		.rbx = f->rbx,
		.rdx = f->rdx,
		.rax = f->rax,
		.rcx = f->rcx,
		.rsp = f->rsp,
		.rip = f->rip,
		.rflags = f->rflags,
		.fpstate = fpstate,
		.oldmask = s->restore_saved ? s->saved_blocked : s->blocked,
	};
	fr.uc.uc_sigmask = fr.uc.uc_mcontext.oldmask;
	fr.info.si_signo = sig;
	fr.info.si_code = code;
	fr.info.si_pid = code == SI_KERNEL ? 0 : 1; /* the kernel's own: no sender */
	fp = kaligned_alloc(64, fpsize);
	if (!fp)
		return -ENOMEM;
	thread_fpu_copy(fp);
	err = copy_to_app((void *)fpstate, fp, fpsize);
	kfree(fp);
	if (!err)
		err = copy_to_app((void *)sp, &fr, sizeof(fr));
	if (err)
		return err;
	f->rsp = sp;
	f->rip = ka->handler;
	f->rdi = (uint64_t)sig;
	f->rsi = sp + offsetof(struct rt_sigframe, info);
	f->rdx = sp + offsetof(struct rt_sigframe, uc);
	f->rax = 0;
	f->rflags &= ~(1ULL << 10); /* DF clear, as the ABI has it at a call */
	if (ka->flags & SA_ONSTACK && s->altstack_flags & (int32_t)SS_AUTODISARM)
		s->altstack_sp = s->altstack_size = 0;
	return 0;
}

/* Nothing to hand a handler: an interrupted call goes on, sigsuspend's mask comes back. */
static void no_delivery(struct syscall_frame *f, long nr, struct signal_state *s, bool interrupted)
{
	if (interrupted) /* woken, but nothing is left to deliver: go on waiting */
		restart(f, nr);
	if (s->restore_saved) {
		s->blocked = s->saved_blocked;
		s->restore_saved = false;
	}
	update(thread_self(), s);
}

void signal_on_return(struct syscall_frame *f, long nr)
{
	struct signal_state *s = &abi_self()->sig;
	struct k_sigaction ka;
	uint64_t ready;
	unsigned long flags = irq_save();
	int sig, code;
	bool interrupted = (long)f->rax == -ERESTARTSYS;

	ready = ready_for(s);
	if (!ready) {
		no_delivery(f, nr, s, interrupted);
		irq_restore(flags);
		return;
	}
	sig = __builtin_ctzll(ready) + 1;
	if (s->pending & BIT(sig)) {
		s->pending &= ~BIT(sig);
		code = s->code[sig - 1];
	} else {
		proc.pending &= ~BIT(sig);
		code = proc.code[sig - 1];
	}
	if (sig == SIGALRM)
		itimer_alarm_taken();
	ka = proc.actions[sig];
	if (ka.handler == SIG_IGN || (ka.handler == SIG_DFL && default_ignores(sig))) {
		ka.handler = SIG_IGN;
	} else if (ka.handler == SIG_DFL && default_stops(sig)) {
		pr_warn_once("abi: %s asks to stop the process; there is no job control, so it "
			     "runs on",
			     signal_name(sig));
		ka.handler = SIG_IGN;
	} else if (ka.handler == SIG_DFL) {
		proc.fatal++;
		irq_restore(flags);
		fatal(f, sig, "");
	}
	if (ka.handler == SIG_IGN) {
		no_delivery(f, nr, s, interrupted);
		irq_restore(flags);
		return;
	}
	if (interrupted) {
		if (ka.flags & SA_RESTART)
			restart(f, nr);
		else
			f->rax = (uint64_t)-EINTR;
	}
	if (push_frame(f, sig, &ka, s, code) < 0) {
		irq_restore(flags);
		fatal(f, sig, ": its handler's frame does not fit on the thread's stack");
	}
	proc.delivered++;
	s->restore_saved = false;
	s->blocked |= ka.mask | (ka.flags & SA_NODEFER ? 0 : BIT(sig));
	s->blocked &= ~UNBLOCKABLE;
	if (ka.flags & SA_RESETHAND)
		proc.actions[sig].handler = SIG_DFL;
	update(thread_self(), s);
	irq_restore(flags);
}

long sys_rt_sigreturn(struct syscall_frame *f)
{
	struct signal_state *s = &abi_self()->sig;
	struct abi_ucontext uc;
	const struct abi_mcontext *m = &uc.uc_mcontext;
	unsigned long flags;

	/* The handler's ret took the restorer's address: rsp is at uc. */
	if (copy_from_app(&uc, (void *)f->rsp, sizeof(uc)) < 0)
		fatal(f, 11, ": rt_sigreturn found no signal frame at the stack pointer");
	if (m->fpstate) {
		void *fp = kaligned_alloc(64, thread_fpu_size());

		if (!fp || copy_from_app(fp, (void *)m->fpstate, thread_fpu_size()) < 0) {
			kfree(fp);
			fatal(f, 11, ": rt_sigreturn found a bad FPU state pointer");
		}
		thread_fpu_set(fp);
		kfree(fp);
	}
	f->r8 = m->r8, f->r9 = m->r9, f->r10 = m->r10, f->r11 = m->r11;
	f->r12 = m->r12, f->r13 = m->r13, f->r14 = m->r14, f->r15 = m->r15;
	f->rdi = m->rdi, f->rsi = m->rsi, f->rbp = m->rbp, f->rbx = m->rbx;
	f->rdx = m->rdx, f->rcx = m->rcx, f->rsp = m->rsp, f->rip = m->rip;
	f->rflags = (f->rflags & ~RFLAGS_USER) | (m->rflags & RFLAGS_USER);
	flags = irq_save();
	s->blocked = uc.uc_sigmask & ~UNBLOCKABLE;
	update(thread_self(), s);
	irq_restore(flags);
	return (long)m->rax;
}

size_t signal_frame_size(void)
{
	return SYSCALL_RED_ZONE + thread_fpu_size() + 64 + sizeof(struct rt_sigframe) + 16;
}

void signal_report(void)
{
	if (proc.delivered)
		pr_info("abi: %lu signals delivered to handlers", (unsigned long)proc.delivered);
}
