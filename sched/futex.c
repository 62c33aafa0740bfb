/*
 * Futexes (docs/abi.md). A waiter is a record on its own stack, on the list
 * of its address's hash bucket, with a wait queue of its own: a wake takes
 * the record off the list and wakes that queue, so it wakes exactly the
 * waiters it counts, and a requeue moves records between buckets without
 * touching the threads. Everything runs with interrupts off (one CPU).
 */
#include "sched/futex.h"

#include <errno.h>
#include <stdbool.h>

#include "kernel/irq.h"
#include "kernel/list.h"
#include "kernel/time.h"
#include "kernel/uaccess.h"
#include "lib/abi/abi.h"
#include "sched/sched.h"

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_CMD_MASK (~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME))

#define FUTEX_BUCKETS 256

struct futex_waiter {
	struct list_head link; /* on its bucket */
	const void *addr;
	uint32_t bitset;
	bool woken;
	struct waitq q; /* the waiting thread, alone */
};

static struct {
	struct list_head buckets[FUTEX_BUCKETS];
	bool ready;
} futexes;

static struct list_head *bucket(const void *addr)
{
	uint64_t h = (uint64_t)addr >> 2;

	if (!futexes.ready) {
		for (int i = 0; i < FUTEX_BUCKETS; i++)
			list_init(&futexes.buckets[i]);
		futexes.ready = true;
	}
	h ^= h >> 17;
	h *= 0x9E3779B97F4A7C15ULL;
	return &futexes.buckets[h >> 56];
}

static void wake(struct futex_waiter *w)
{
	list_del(&w->link);
	w->woken = true;
	waitq_wake_one(&w->q);
}

/* Interrupts off. */
static int wake_locked(const void *addr, int n, uint32_t bitset)
{
	struct list_head *b = bucket(addr);
	int woken = 0;

	for (struct list_head *l = b->next, *next; l != b && woken < n; l = next) {
		struct futex_waiter *w = list_entry(l, struct futex_waiter, link);

		next = l->next;
		if (w->addr == addr && w->bitset & bitset) {
			wake(w);
			woken++;
		}
	}
	return woken;
}

int futex_wake(const void *addr, int n, uint32_t bitset)
{
	unsigned long flags = irq_save();
	int woken = wake_locked(addr, n, bitset);

	irq_restore(flags);
	return woken;
}

/*
 * Waits while *addr == val, until a wake matching bitset, the monotonic
 * deadline (0: none) or a signal.
 */
static long wait(uint32_t *addr, uint32_t val, uint32_t bitset, uint64_t deadline)
{
	struct futex_waiter w = { .addr = addr, .bitset = bitset };
	unsigned long flags = irq_save();
	uint32_t now;
	int err;

	/* The compare and the enqueue are one step: a waker runs before or after both. */
	if (copy_from_app(&now, addr, sizeof(now)) < 0) {
		irq_restore(flags);
		return -EFAULT;
	}
	if (now != val) {
		irq_restore(flags);
		return -EAGAIN;
	}
	list_add_tail(&w.link, bucket(addr));
	err = waitq_wait_intr(&w.q, deadline);
	if (!w.woken)
		list_del(&w.link);
	irq_restore(flags);
	if (w.woken)
		return 0;
	if (err == -EINTR) /* restarted after a handler with SA_RESTART, as Linux does untimed */
		return deadline ? -EINTR : -ERESTARTSYS;
	return err;
}

/* Wakes nwake waiters on addr and moves up to nmove of the rest to addr2. */
static long requeue(uint32_t *addr, uint32_t *addr2, int nwake, int nmove, bool cmp, uint32_t val3)
{
	unsigned long flags = irq_save();
	struct list_head *from = bucket(addr), *to = bucket(addr2);
	int woken = 0, moved = 0;

	if (cmp) {
		uint32_t now;

		if (copy_from_app(&now, addr, sizeof(now)) < 0) {
			irq_restore(flags);
			return -EFAULT;
		}
		if (now != val3) {
			irq_restore(flags);
			return -EAGAIN;
		}
	}
	for (struct list_head *l = from->next, *next; l != from; l = next) {
		struct futex_waiter *w = list_entry(l, struct futex_waiter, link);

		next = l->next;
		if (w->addr != addr)
			continue;
		if (woken < nwake) {
			wake(w);
			woken++;
		} else if (moved < nmove) {
			list_del(&w->link);
			w->addr = addr2;
			list_add_tail(&w->link, to);
			moved++;
		} else {
			break;
		}
	}
	irq_restore(flags);
	return woken + moved;
}

/* The deadline a wait's timeout names, or 0 for none. */
static int deadline_of(int cmd, bool realtime, const void *timeout, uint64_t *deadline)
{
	uint64_t ns, now;
	int err;

	*deadline = 0;
	if (!timeout)
		return 0;
	err = abi_get_timespec(timeout, &ns);
	if (err < 0)
		return err;
	if (cmd == FUTEX_WAIT) { /* relative, on the monotonic clock */
		*deadline = abi_deadline_after(ns);
	} else if (realtime) { /* absolute, on the wall clock: from now on, monotonic */
		now = clock_realtime_ns();
		*deadline = abi_deadline_after(ns > now ? ns - now : 0);
	} else {
		*deadline = ns;
	}
	if (!*deadline) /* 0 means none: a deadline at boot has passed anyway */
		*deadline = 1;
	return 0;
}

long sys_futex(uint32_t *addr, int op, uint32_t val, const void *timeout, uint32_t *addr2,
	       uint32_t val3)
{
	int cmd = op & FUTEX_CMD_MASK;
	bool realtime = op & FUTEX_CLOCK_REALTIME;
	uint64_t deadline;
	int err;

	if ((uintptr_t)addr & 3)
		return -EINVAL;
	if (realtime && cmd != FUTEX_WAIT_BITSET) /* the only absolute wait served */
		return -ENOSYS;
	switch (cmd) {
	case FUTEX_WAIT:
		val3 = FUTEX_BITSET_ANY;
		/* fallthrough */
	case FUTEX_WAIT_BITSET:
		if (!val3)
			return -EINVAL;
		err = deadline_of(cmd, realtime, timeout, &deadline);
		if (err < 0)
			return err;
		return wait(addr, val, val3, deadline);
	case FUTEX_WAKE:
		val3 = FUTEX_BITSET_ANY;
		/* fallthrough */
	case FUTEX_WAKE_BITSET:
		if (!val3)
			return -EINVAL;
		return futex_wake(addr, (int)val < 1 ? 1 : (int)val,
				  val3); /* Linux wakes one for 0 */
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
		/* The requeue count comes in the timeout's place. */
		if ((int)val < 0 || (int)(uintptr_t)timeout < 0 || ((uintptr_t)addr2 & 3))
			return -EINVAL;
		return requeue(addr, addr2, (int)val, (int)(uintptr_t)timeout,
			       cmd == FUTEX_CMP_REQUEUE, val3);
	default:
		return -ENOSYS;
	}
}
