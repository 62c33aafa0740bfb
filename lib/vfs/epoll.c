/*
 * epoll (docs/poll.md). An epoll is a file holding one item per watched
 * (file, fd): a watch on the file's head, the events asked for and the
 * application's data. A notify puts the item on the ready list and wakes
 * the epoll's waiters; epoll_wait looks only at that list, polls each
 * item's file again and reports what is true, so its cost follows the
 * ready items, not the watched ones.
 *
 * Locking: ep->lock (a mutex) serialises epoll_ctl, epoll_wait and the
 * epoll's own poll. The ready list, the item table and the dead list are
 * also changed by notify (interrupts off, any context), so they are
 * touched only with interrupts off. Items hold no reference on their
 * file: a file's release tells each item POLL_FREE, which moves it to the
 * dead list, freed under ep->lock by the next call.
 */
#include "lib/vfs/poll.h"

#include <errno.h>
#include <string.h>

#include "kernel/uaccess.h"
#include "lib/kc/include/stdlib.h" /* kmalloc(), by its path: the host test finds it too */
#include "lib/abi/abi.h"
#include "lib/abi/signal.h"
#include "lib/vfs/fd.h"
#include "lib/vfs/poll_priv.h"
#include "sched/sched.h"
#include "sched/sync.h"

struct epoll {
	struct file file;
	struct mutex lock;
	struct list_head buckets[EPOLL_BUCKETS]; /* items by (file, fd) */
	struct list_head ready;			 /* items that may be ready */
	struct list_head dead;			 /* items whose file is gone */
	struct waitq waiters;			 /* threads in epoll_wait */
	struct poll_head head;			 /* watches on the epoll itself */
};

struct epoll_item {
	struct poll_watch w;
	struct epoll *ep;
	struct file *file; /* NULL once the file is gone */
	int fd;
	uint32_t events; /* asked for, with EPOLLERR | EPOLLHUP; disarmed: private bits only */
	uint64_t data;
	struct list_head link;	/* in its bucket, or on the dead list */
	struct list_head ready; /* on the ready list or a wait's batch; unlinked: neither */
};

/* Adding an epoll to an epoll checks for loops; one check at a time (Linux's epnested_mutex). */
static struct {
	struct mutex nest;
} epolls;

static const struct file_ops epoll_ops;

static bool is_epoll(const struct file *f)
{
	return f->ops == &epoll_ops;
}

static struct list_head *bucket(struct epoll *ep, const struct file *f, int fd)
{
	uintptr_t h = (uintptr_t)f / sizeof(void *) ^ (uintptr_t)(unsigned)fd;

	return &ep->buckets[h % EPOLL_BUCKETS];
}

/* ep's item for (f, fd), or NULL. ep->lock held. */
static struct epoll_item *find(struct epoll *ep, const struct file *f, int fd)
{
	struct list_head *b = bucket(ep, f, fd);
	struct epoll_item *found = NULL;
	unsigned long flags = irq_save();

	list_for_each(p, b)
	{
		struct epoll_item *it = list_entry(p, struct epoll_item, link);

		if (it->file == f && it->fd == fd) {
			found = it;
			break;
		}
	}
	irq_restore(flags);
	return found;
}

/* Puts it on the ready list and tells whoever waits. Interrupts off. */
static void make_ready(struct epoll_item *it)
{
	struct epoll *ep = it->ep;

	if (!list_linked(&it->ready))
		list_add_tail(&it->ready, &ep->ready);
	waitq_wake_all(&ep->waiters);
	poll_notify(&ep->head, POLLIN | POLLRDNORM);
}

/* The item's file is gone: off every list but the dead one. Interrupts off. */
static void forget(struct epoll_item *it)
{
	if (list_linked(&it->ready))
		list_del(&it->ready);
	list_del(&it->link);
	list_add_tail(&it->link, &it->ep->dead);
	it->file = NULL;
}

/* Interrupts off; records and wakes only. */
static void item_notify(struct poll_watch *w, unsigned events)
{
	struct epoll_item *it = container_of(w, struct epoll_item, w);

	if (events & POLL_FREE) {
		forget(it);
		return;
	}
	if (events && !(events & it->events))
		return; /* not what it waits for, as Linux filters by the wake's key */
	if (!(it->events & ~EPOLL_PRIVATE_BITS))
		return; /* a oneshot item, disarmed */
	make_ready(it);
}

/* Frees the dead items. ep->lock held. */
static void reap(struct epoll *ep)
{
	unsigned long flags = irq_save();
	struct list_head *p;

	while ((p = list_first(&ep->dead))) {
		list_del(p);
		irq_restore(flags);
		kfree(list_entry(p, struct epoll_item, link));
		flags = irq_save();
	}
	irq_restore(flags);
}

/*
 * A reference on it's file for a look at it, or NULL if the file is gone
 * or going. Interrupts off: the file's release cannot take it off meanwhile.
 */
static struct file *hold(struct epoll_item *it)
{
	return it->file ? fd_tryhold(it->file) : NULL;
}

/* What it's file says now, of what it asks for; 0 if the file is gone. Interrupts on. */
static unsigned look(struct epoll_item *it)
{
	unsigned long flags = irq_save();
	struct file *f = hold(it);
	unsigned events;

	irq_restore(flags);
	if (!f)
		return 0;
	events = poll_file(f, NULL) & it->events;
	fd_put(f); /* may have been the last: then it is dead now */
	return it->file ? events : 0;
}

/* After it was reported: a level-triggered item stays ready, a oneshot one is disarmed. */
static void reported(struct epoll_item *it)
{
	unsigned long flags = irq_save();

	if (it->events & EPOLLONESHOT)
		it->events &= EPOLL_PRIVATE_BITS;
	else if (!(it->events & EPOLLET) && !list_linked(&it->ready))
		list_add_tail(&it->ready, &it->ep->ready);
	irq_restore(flags);
}

/* The first item of batch, taken off it, or NULL. */
static struct epoll_item *take(struct list_head *batch)
{
	unsigned long flags = irq_save();
	struct list_head *p = list_first(batch);

	if (p)
		list_del(p);
	irq_restore(flags);
	return p ? list_entry(p, struct epoll_item, ready) : NULL;
}

/* Puts it back at the front of batch. */
static void untake(struct epoll_item *it, struct list_head *batch)
{
	unsigned long flags = irq_save();

	if (!list_linked(&it->ready) && it->file)
		list_insert_between(&it->ready, batch, batch->next);
	irq_restore(flags);
}

/* Moves every item of from to the front of to (from is left empty). Interrupts off. */
static void splice_front(struct list_head *from, struct list_head *to)
{
	struct list_head *first = from->next, *last = from->prev;

	if (list_empty(from))
		return;
	last->next = to->next;
	to->next->prev = last;
	to->next = first;
	first->prev = to;
	list_init(from);
}

/*
 * Reports up to max ready items into the application's out (0 if none;
 * -EFAULT if the first could not be written). Unless report, only says
 * whether one is ready (1 or 0), changing nothing. ep->lock held.
 */
static int harvest(struct epoll *ep, struct abi_epoll_event *out, int max, bool report)
{
	struct list_head batch;
	struct epoll_item *it;
	unsigned long flags;
	int n = 0;

	list_init(&batch);
	flags = irq_save();
	splice_front(&ep->ready, &batch);
	irq_restore(flags);
	while (n < max && (it = take(&batch))) {
		struct abi_epoll_event ev = { look(it), it->data };

		if (!ev.events)
			continue; /* not ready after all, or gone: the next notify brings it back */
		if (!report) {
			untake(it, &batch);
			n = 1;
			break;
		}
		if (copy_to_app(&out[n], &ev, sizeof(ev)) < 0) {
			untake(it, &batch);
			n = n ? n : -EFAULT;
			break;
		}
		n++;
		reported(it);
	}
	flags = irq_save();
	splice_front(&batch, &ep->ready);
	irq_restore(flags);
	return n;
}

/* The epoll is ready to read when one of its items is. */
static unsigned epoll_poll(struct file *f, struct poll_watch *w)
{
	struct epoll *ep = f->priv;
	int n;

	if (w)
		poll_watch_add(&ep->head, w);
	mutex_lock(&ep->lock);
	n = harvest(ep, NULL, 1, false);
	mutex_unlock(&ep->lock);
	return n > 0 ? POLLIN | POLLRDNORM : 0;
}

/* Takes it off its file's head and every list, then frees it. */
static void remove_item(struct epoll_item *it)
{
	unsigned long flags = irq_save();

	poll_watch_del(&it->w);
	if (list_linked(&it->ready))
		list_del(&it->ready);
	list_del(&it->link);
	irq_restore(flags);
	kfree(it);
}

static void epoll_release(struct file *f)
{
	struct epoll *ep = f->priv;

	for (int b = 0; b < EPOLL_BUCKETS; b++)
		while (!list_empty(&ep->buckets[b]))
			remove_item(
				list_entry(list_first(&ep->buckets[b]), struct epoll_item, link));
	reap(ep);
	poll_head_release(&ep->head);
	kfree(ep);
}

static void epoll_stat(struct file *f, struct abi_stat *st)
{
	(void)f;
	st->st_dev = ANON_DEV;
	st->st_nlink = 1;
	st->st_mode = ANON_MODE;
	st->st_blksize = PIPE_BLKSIZE;
}

static const struct file_ops epoll_ops = {
	.poll = epoll_poll,
	.stat = epoll_stat,
	.release = epoll_release,
};

static long epoll_new(bool cloexec)
{
	struct epoll *ep = kcalloc(1, sizeof(*ep));
	int fd;

	if (!ep)
		return -ENOMEM;
	for (int b = 0; b < EPOLL_BUCKETS; b++)
		list_init(&ep->buckets[b]);
	list_init(&ep->ready);
	list_init(&ep->dead);
	ep->file = (struct file){ .ops = &epoll_ops, .flags = O_RDWR, .refs = 1, .priv = ep };
	fd = fd_install(&ep->file, cloexec);
	if (fd < 0)
		kfree(ep);
	return fd;
}

long sys_epoll_create(int size)
{
	return size <= 0 ? -EINVAL : epoll_new(false);
}

long sys_epoll_create1(int flags)
{
	return flags & ~EPOLL_CLOEXEC ? -EINVAL : epoll_new(flags & EPOLL_CLOEXEC);
}

/*
 * The next item after *p in bucket b that is an epoll, with a reference
 * held on its file (so that its item stays in the bucket), or NULL at the
 * bucket's end. Interrupts off while it walks: a notify may move items.
 */
static struct file *next_epoll(struct list_head *b, struct list_head **p)
{
	unsigned long flags = irq_save();
	struct file *f = NULL;

	for (*p = (*p)->next; *p != b; *p = (*p)->next) {
		struct epoll_item *it = list_entry(*p, struct epoll_item, link);

		if (it->file && is_epoll(it->file) && (f = hold(it)))
			break;
	}
	irq_restore(flags);
	return f;
}

/*
 * Is to, or an epoll within it depth levels down, the epoll ep? Each
 * epoll looked into is locked (a parent's lock before its child's, as
 * everywhere). 0, or -ELOOP for a loop or a nest too deep.
 */
static int loop_check(struct epoll *ep, struct epoll *to, int depth)
{
	int err = 0;

	if (to == ep || depth > EPOLL_MAX_NESTS)
		return -ELOOP;
	mutex_lock(&to->lock);
	for (int b = 0; b < EPOLL_BUCKETS && !err; b++) {
		struct list_head *p = &to->buckets[b];
		struct file *cur = next_epoll(&to->buckets[b], &p), *next;

		while (cur) {
			err = loop_check(ep, cur->priv, depth + 1);
			/* The next one before cur is let go: cur's item keeps p in the bucket. */
			next = err ? NULL : next_epoll(&to->buckets[b], &p);
			fd_put(cur);
			cur = next;
		}
	}
	mutex_unlock(&to->lock);
	return err;
}

static long insert(struct epoll *ep, struct file *f, int fd, const struct abi_epoll_event *ev)
{
	struct epoll_item *it = kcalloc(1, sizeof(*it));
	unsigned long flags;

	if (!it)
		return -ENOMEM;
	*it = (struct epoll_item){ .w.notify = item_notify,
				   .ep = ep,
				   .file = f,
				   .fd = fd,
				   .events = ev->events | POLLERR | POLLHUP,
				   .data = ev->data };
	flags = irq_save();
	list_add_tail(&it->link, bucket(ep, f, fd));
	irq_restore(flags);
	if (poll_file(f, &it->w) & it->events) {
		flags = irq_save();
		make_ready(it);
		irq_restore(flags);
	}
	return 0;
}

static long modify(struct epoll_item *it, const struct abi_epoll_event *ev)
{
	unsigned long flags = irq_save();

	it->events = ev->events | POLLERR | POLLHUP;
	it->data = ev->data;
	irq_restore(flags);
	if (poll_file(it->file, NULL) & it->events) {
		flags = irq_save();
		make_ready(it);
		irq_restore(flags);
	}
	return 0;
}

/* The operation itself, on checked arguments; f is held. ep->lock held. */
static long ctl_locked(struct epoll *ep, int op, struct file *f, int fd,
		       const struct abi_epoll_event *ev)
{
	struct epoll_item *it;

	if (op == EPOLL_CTL_ADD && is_epoll(f)) {
		long err = loop_check(ep, f->priv, 0);

		if (err)
			return err;
	}
	reap(ep);
	it = find(ep, f, fd);
	switch (op) {
	case EPOLL_CTL_ADD:
		return it ? -EEXIST : insert(ep, f, fd, ev);
	case EPOLL_CTL_DEL:
		if (!it)
			return -ENOENT;
		remove_item(it);
		return 0;
	case EPOLL_CTL_MOD:
		if (!it)
			return -ENOENT;
		return it->events & EPOLLEXCLUSIVE ? -EINVAL : modify(it, ev);
	}
	return -EINVAL;
}

/* Linux's checks, in its order, once both files are found. */
static long ctl_check(struct file *ef, struct file *f, int op, uint32_t events)
{
	if (!f->ops->poll)
		return -EPERM;
	if (ef == f || !is_epoll(ef))
		return -EINVAL;
	if (op != EPOLL_CTL_DEL && events & EPOLLEXCLUSIVE) {
		if (op == EPOLL_CTL_MOD)
			return -EINVAL;
		if (op == EPOLL_CTL_ADD && (is_epoll(f) || events & ~EPOLL_EXCLUSIVE_OK))
			return -EINVAL;
	}
	return 0;
}

static long ctl(struct file *ef, int op, struct file *f, int fd, const struct abi_epoll_event *ev)
{
	struct epoll *ep = ef->priv;
	bool nest = op == EPOLL_CTL_ADD && is_epoll(f);
	long r;

	if (nest)
		mutex_lock(&epolls.nest);
	mutex_lock(&ep->lock);
	r = ctl_locked(ep, op, f, fd, ev);
	mutex_unlock(&ep->lock);
	if (nest)
		mutex_unlock(&epolls.nest);
	return r;
}

long sys_epoll_ctl(int epfd, int op, int fd, void *event)
{
	struct abi_epoll_event ev = { 0, 0 };
	struct file *ef, *f;
	long r;

	if (op != EPOLL_CTL_DEL && copy_from_app(&ev, event, sizeof(ev)) < 0)
		return -EFAULT;
	ef = fd_get(epfd);
	if (!ef)
		return -EBADF;
	f = fd_get(fd);
	if (!f) {
		fd_put(ef);
		return -EBADF;
	}
	r = ctl_check(ef, f, op, ev.events);
	if (!r)
		r = ctl(ef, op, f, fd, &ev);
	fd_put(f);
	fd_put(ef);
	return r;
}

/* Harvests until something is reported, the timeout ends or a signal comes. */
static long wait_events(struct epoll *ep, struct abi_epoll_event *out, int max,
			struct poll_timeout to)
{
	unsigned long flags;
	int err = 0;
	long n;

	for (;;) {
		mutex_lock(&ep->lock);
		reap(ep);
		n = harvest(ep, out, max, true);
		mutex_unlock(&ep->lock);
		if (n || to.once || err == -ETIMEDOUT)
			return n;
		flags = irq_save();
		if (list_empty(&ep->ready))
			err = waitq_wait_intr(&ep->waiters, to.deadline);
		irq_restore(flags);
		if (err == -EINTR)
			return -EINTR;
	}
}

static long do_wait(int epfd, void *events, int max, struct poll_timeout to)
{
	struct file *f;
	long r;

	if (max <= 0 || max > EPOLL_MAX_EVENTS)
		return -EINVAL;
	f = fd_get(epfd);
	if (!f)
		return -EBADF;
	r = is_epoll(f) ? wait_events(f->priv, events, max, to) : -EINVAL;
	fd_put(f);
	return r;
}

long sys_epoll_wait(int epfd, void *events, int maxevents, int timeout_ms)
{
	return do_wait(epfd, events, maxevents, poll_timeout_ms(timeout_ms));
}

static long pwait(int epfd, void *events, int maxevents, struct poll_timeout to,
		  const uint64_t *sigmask, size_t setsize)
{
	long r = signal_push_mask(sigmask, setsize);

	if (r)
		return r;
	r = do_wait(epfd, events, maxevents, to);
	signal_pop_mask(r);
	return r;
}

long sys_epoll_pwait(int epfd, void *events, int maxevents, int timeout_ms, const uint64_t *sigmask,
		     size_t setsize)
{
	return pwait(epfd, events, maxevents, poll_timeout_ms(timeout_ms), sigmask, setsize);
}

long sys_epoll_pwait2(int epfd, void *events, int maxevents, const void *ts,
		      const uint64_t *sigmask, size_t setsize)
{
	struct poll_timeout to = { 0, false };
	uint64_t ns;

	if (ts) {
		int err = abi_get_timespec(ts, &ns);

		if (err)
			return err;
		to = poll_timeout_ns(ns);
	}
	return pwait(epfd, events, maxevents, to, sigmask, setsize);
}
