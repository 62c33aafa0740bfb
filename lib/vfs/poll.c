/*
 * poll, ppoll, select and pselect6 (docs/poll.md), on one engine: the
 * caller's fds become a table of entries, each holding a reference on its
 * file and, from the first look on, a watch on the file's head. The engine
 * looks at every entry until one is ready, the deadline passes or a signal
 * comes, then takes every watch off. Nothing outlives the call.
 */
#include "lib/vfs/poll.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/time.h"
#include "kernel/uaccess.h"
#include "lib/abi/abi.h"
#include "lib/abi/signal.h"
#include "lib/vfs/fd.h"
#include "lib/vfs/poll_priv.h"
#include "sched/sched.h"

/* What select's three sets take of a file's events (Linux's POLLIN_SET, ...). */
#define SELECT_IN (POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR)
#define SELECT_OUT (POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR)
#define SELECT_EX POLLPRI
#define SELECT_SETS 3
#define WORD_BITS 64

struct abi_pollfd {
	int32_t fd;
	int16_t events, revents;
};

/* pselect6's sixth argument. */
struct abi_sigset_pack {
	const uint64_t *set;
	uint64_t size;
};

/* One wait: lives on the waiter's stack for the call. */
struct poll_table {
	struct waitq q;
	bool woken; /* a notify came since the last look began */
};

struct poll_entry {
	struct poll_watch w;
	struct poll_table *table;
	struct file *f; /* NULL: no file to look at; got stays as set */
	unsigned want;	/* events that make the entry ready */
	unsigned got;	/* the file's events at the last look */
	int fd;
};

/* Interrupts off. A POLL_FREE cannot come: the entry holds its file. */
static void entry_notify(struct poll_watch *w, unsigned events)
{
	struct poll_table *t = container_of(w, struct poll_entry, w)->table;

	(void)events;
	t->woken = true;
	waitq_wake_all(&t->q);
}

/* One look at every entry (watching them too, if watch); how many are ready. */
static int look(struct poll_entry *e, size_t n, bool watch)
{
	int ready = 0;

	for (size_t i = 0; i < n; i++) {
		if (e[i].f)
			e[i].got = poll_file(e[i].f, watch ? &e[i].w : NULL);
		ready += (e[i].got & e[i].want) != 0;
	}
	return ready;
}

/*
 * Looks until an entry is ready, the timeout ends or a signal comes; the
 * number ready (0: timed out) or -EINTR. Every watch is off on return.
 */
static int wait_ready(struct poll_entry *e, size_t n, struct poll_timeout to)
{
	struct poll_table t = { 0 };
	unsigned long flags;
	int ready, err = 0;
	bool first = true;

	for (size_t i = 0; i < n; i++) {
		e[i].table = &t;
		e[i].w.notify = entry_notify;
		e[i].w.head = NULL;
	}
	for (;;) {
		t.woken = false;
		ready = look(e, n, first && !to.once);
		first = false;
		if (ready || to.once || err == -ETIMEDOUT)
			break;
		flags = irq_save();
		if (!t.woken)
			err = waitq_wait_intr(&t.q, to.deadline);
		irq_restore(flags);
		if (err == -EINTR) {
			ready = -EINTR;
			break;
		}
	}
	for (size_t i = 0; i < n; i++)
		poll_watch_del(&e[i].w);
	return ready;
}

/* kmalloc(), never of 0 bytes: no fds at all is a plain sleep, and no error. */
static void *alloc(size_t bytes)
{
	return kmalloc(bytes ? bytes : 1);
}

static void put_files(struct poll_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (e[i].f)
			fd_put(e[i].f);
}

/* An entry for pollfd p: its file taken, or POLLNVAL for a bad fd. */
static void poll_entry_of(struct poll_entry *e, const struct abi_pollfd *p)
{
	memset(e, 0, sizeof(*e));
	e->fd = p->fd;
	if (p->fd < 0)
		return;
	e->f = fd_get(p->fd);
	if (!e->f) {
		e->got = e->want = POLLNVAL;
		return;
	}
	e->want = (uint16_t)p->events | POLLERR | POLLHUP;
}

/* Every revents back into the application's array; 0 or -EFAULT. */
static int put_revents(struct abi_pollfd *app, const struct poll_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int16_t rev = (int16_t)(e[i].got & e[i].want);

		if (copy_to_app(&app[i].revents, &rev, sizeof(rev)) < 0)
			return -EFAULT;
	}
	return 0;
}

/* poll and ppoll, once the timeout and mask are in place. */
static long do_poll(struct abi_pollfd *fds, unsigned nfds, struct poll_timeout to)
{
	struct poll_entry *e;
	struct abi_pollfd *p;
	long r;

	if (nfds > fd_limit())
		return -EINVAL;
	/* nfds is at most FD_HARD_LIMIT here: the sizes cannot overflow. */
	e = alloc((size_t)nfds * (sizeof(*e) + sizeof(*p)));
	if (!e)
		return -ENOMEM;
	p = (struct abi_pollfd *)(e + nfds);
	if (copy_from_app(p, fds, (size_t)nfds * sizeof(*p)) < 0) {
		kfree(e);
		return -EFAULT;
	}
	for (unsigned i = 0; i < nfds; i++)
		poll_entry_of(&e[i], &p[i]);
	r = wait_ready(e, nfds, to);
	put_files(e, nfds);
	if (put_revents(fds, e, nfds) < 0)
		r = -EFAULT;
	kfree(e);
	return r;
}

long sys_poll(void *fds, unsigned nfds, int timeout_ms)
{
	return do_poll(fds, nfds, poll_timeout_ms(timeout_ms));
}

/*
 * After ppoll, select or pselect6: as Linux does, the time left is written
 * into the timeout, unless it was zero. One that cannot be written is no error.
 */
static long finish(long r, void *app_ts, struct poll_timeout to, bool timeval)
{
	uint64_t now = clock_monotonic_ns(), left;

	if (!app_ts || to.once)
		return r;
	left = to.deadline > now ? to.deadline - now : 0;
	if (timeval) {
		struct abi_timeval tv = abi_timeval_of(left);

		copy_to_app(app_ts, &tv, sizeof(tv));
	} else {
		abi_put_timespec(app_ts, left);
	}
	return r;
}

/* A timespec timeout (NULL: none); 0, -EFAULT or -EINVAL. */
static int timeout_of(const void *ts, struct poll_timeout *to)
{
	uint64_t ns;
	int err;

	*to = (struct poll_timeout){ 0, false };
	if (!ts)
		return 0;
	err = abi_get_timespec(ts, &ns);
	if (!err)
		*to = poll_timeout_ns(ns);
	return err;
}

long sys_ppoll(void *fds, unsigned nfds, const void *ts, const uint64_t *sigmask, size_t setsize)
{
	struct poll_timeout to;
	long r;

	r = timeout_of(ts, &to);
	if (!r)
		r = signal_push_mask(sigmask, setsize);
	if (r)
		return r;
	r = do_poll(fds, nfds, to);
	signal_pop_mask(r);
	return finish(r, (void *)ts, to, false);
}

static bool bit(const uint64_t *set, int fd)
{
	return set[fd / WORD_BITS] >> (fd % WORD_BITS) & 1;
}

static void set_bit(uint64_t *set, int fd)
{
	set[fd / WORD_BITS] |= 1ULL << (fd % WORD_BITS);
}

/* The events select wants of fd, from the three input sets (each words long). */
static unsigned select_want(const uint64_t *in, size_t words, int fd)
{
	return (bit(in, fd) ? SELECT_IN : 0) | (bit(in + words, fd) ? SELECT_OUT : 0) |
	       (bit(in + 2 * words, fd) ? SELECT_EX : 0);
}

/* An entry for each fd below n in the sets, its file taken; how many, or -EBADF. */
static long select_entries(const uint64_t *in, size_t words, int n, struct poll_entry *e)
{
	long k = 0;

	for (int fd = 0; fd < n; fd++) {
		unsigned want = select_want(in, words, fd);

		if (!want)
			continue;
		memset(&e[k], 0, sizeof(e[k]));
		e[k].f = fd_get(fd);
		if (!e[k].f) {
			put_files(e, k);
			return -EBADF;
		}
		e[k].fd = fd;
		e[k].want = want;
		k++;
	}
	return k;
}

/* The result sets (zeroed, after the input sets) from what the entries saw; the bit count. */
static long select_results(uint64_t *out, size_t words, const struct poll_entry *e, size_t n)
{
	static const unsigned kinds[SELECT_SETS] = { SELECT_IN, SELECT_OUT, SELECT_EX };
	long count = 0;

	memset(out, 0, SELECT_SETS * words * sizeof(*out));
	for (size_t i = 0; i < n; i++)
		for (int s = 0; s < SELECT_SETS; s++)
			if (e[i].want & kinds[s] & e[i].got) {
				set_bit(out + s * words, e[i].fd);
				count++;
			}
	return count;
}

/* Copies the application's sets in (NULL: empty); 0 or -EFAULT. */
static int sets_in(uint64_t *in, size_t words, void *const app[SELECT_SETS])
{
	for (int s = 0; s < SELECT_SETS; s++) {
		if (!app[s])
			memset(in + s * words, 0, words * sizeof(*in));
		else if (copy_from_app(in + s * words, app[s], words * sizeof(*in)) < 0)
			return -EFAULT;
	}
	return 0;
}

static int sets_out(void *const app[SELECT_SETS], const uint64_t *out, size_t words)
{
	for (int s = 0; s < SELECT_SETS; s++)
		if (app[s] && copy_to_app(app[s], out + s * words, words * sizeof(*out)) < 0)
			return -EFAULT;
	return 0;
}

/* Waits on the sets' fds and writes the results back: the bit count, or -errno. */
static long select_wait(uint64_t *in, size_t words, int n, void *const app[SELECT_SETS],
			struct poll_timeout to)
{
	struct poll_entry *e = alloc((size_t)n * sizeof(*e));
	long k, r;

	if (!e)
		return -ENOMEM;
	k = select_entries(in, words, n, e);
	if (k < 0) {
		kfree(e);
		return k;
	}
	r = wait_ready(e, (size_t)k, to);
	put_files(e, (size_t)k);
	if (r >= 0) {
		r = select_results(in + SELECT_SETS * words, words, e, (size_t)k);
		if (sets_out(app, in + SELECT_SETS * words, words) < 0)
			r = -EFAULT;
	}
	kfree(e);
	return r;
}

/* select and pselect6, once the timeout and mask are in place. */
static long do_select(int n, void *rfds, void *wfds, void *efds, struct poll_timeout to)
{
	void *const app[SELECT_SETS] = { rfds, wfds, efds };
	uint64_t *sets;
	size_t words;
	long r;

	if (n < 0)
		return -EINVAL;
	if ((uint64_t)n > fd_limit())
		n = (int)fd_limit(); /* Linux stops at its table's size too */
	words = ((size_t)n + WORD_BITS - 1) / WORD_BITS;
	/* Input sets, then result sets; n <= FD_HARD_LIMIT keeps this small. */
	sets = alloc(2 * SELECT_SETS * words * sizeof(*sets));
	if (!sets)
		return -ENOMEM;
	r = sets_in(sets, words, app);
	if (!r)
		r = select_wait(sets, words, n, app, to);
	kfree(sets);
	return r;
}

/* A struct timeval timeout, as select normalises it; 0, -EFAULT or -EINVAL. */
static int timeval_of(const void *tv, struct poll_timeout *to)
{
	struct abi_timeval t;
	int64_t sec, nsec;

	*to = (struct poll_timeout){ 0, false };
	if (!tv)
		return 0;
	if (copy_from_app(&t, tv, sizeof(t)) < 0)
		return -EFAULT;
	sec = t.tv_sec + t.tv_usec / (int64_t)(NSEC_PER_SEC / NSEC_PER_USEC);
	nsec = t.tv_usec % (int64_t)(NSEC_PER_SEC / NSEC_PER_USEC) * (int64_t)NSEC_PER_USEC;
	if (sec < 0 || nsec < 0)
		return -EINVAL;
	if ((uint64_t)sec >= UINT64_MAX / NSEC_PER_SEC - 1)
		*to = poll_timeout_ns(UINT64_MAX);
	else
		*to = poll_timeout_ns((uint64_t)sec * NSEC_PER_SEC + (uint64_t)nsec);
	return 0;
}

long sys_select(int n, void *rfds, void *wfds, void *efds, void *tv)
{
	struct poll_timeout to;
	long r = timeval_of(tv, &to);

	if (r)
		return r;
	r = do_select(n, rfds, wfds, efds, to);
	return finish(r, tv, to, true);
}

long sys_pselect6(int n, void *rfds, void *wfds, void *efds, void *ts, const void *sig)
{
	struct abi_sigset_pack pack = { NULL, 0 };
	struct poll_timeout to;
	long r;

	if (sig && copy_from_app(&pack, sig, sizeof(pack)) < 0)
		return -EFAULT;
	r = timeout_of(ts, &to);
	if (!r)
		r = signal_push_mask(pack.set, pack.size);
	if (r)
		return r;
	r = do_select(n, rfds, wfds, efds, to);
	signal_pop_mask(r);
	return finish(r, ts, to, false);
}
