/*
 * AF_UNIX stream socket pairs, socketpair(2) (docs/net.md). The two ends
 * are sockets (struct sock, so every socket call finds them) that share
 * one struct unix_pair: a ring of bytes toward each end, and for each end
 * whether more can still come to it. Everything that ends a direction
 * closes it for good: the writer's SHUT_WR, the reader's SHUT_RD, either
 * end's close. Reading a closed direction drains it, then says 0; writing
 * into one is EPIPE. Named sockets (bind, connect) are not served.
 *
 * pair->lock (a mutex) lets one call move bytes at a time. The rings and
 * the flags also change with interrupts off, which is how a waiter checks
 * them and sleeps without missing a wake, as pipes do. A waiter of either
 * kind (reader or writer) sleeps on its own end's readers queue: each
 * change wakes the end it concerns.
 */
#include "lib/net/sock_priv.h"

#include <errno.h>

#include "kernel/printk.h"
#include "lib/kc/include/stdlib.h"
#include "lib/vfs/ring.h"
#include "sched/sync.h"

struct unix_pair {
	struct mutex lock;
	struct sock *end[2];	/* NULL once that end's file is released */
	struct byte_ring rx[2]; /* rx[i]: the bytes on their way to end i */
	bool rx_shut[2];	/* nothing more comes to end i */
};

/* This end's index in its pair, and the peer's. */
static int me(const struct sock *s)
{
	return s->unix_end;
}

static int peer(const struct sock *s)
{
	return 1 - s->unix_end;
}

/* Wakes end i's waiters and tells its pollers. Interrupts off. */
static void wake(struct unix_pair *p, int i, unsigned events)
{
	struct sock *s = p->end[i];

	if (!s)
		return;
	waitq_wake_all(&s->readers);
	poll_notify(&s->poll, events);
}

/*
 * Sleeps on s's queue, the lock dropped (the caller saw with interrupts
 * off, flags, that it must wait); takes it again. 0, -EAGAIN when the
 * deadline passed, or -ERESTARTSYS.
 */
static int wait_unlocked(struct sock *s, unsigned long flags, uint64_t timeout)
{
	struct unix_pair *p = s->unix_pair;
	int err;

	mutex_unlock(&p->lock);
	err = waitq_wait_intr(&s->readers, timeout ? net_now() + timeout : 0);
	irq_restore(flags);
	if (err == -EINTR)
		return -ERESTARTSYS;
	mutex_lock(&p->lock);
	return err == -ETIMEDOUT ? -EAGAIN : 0;
}

/* Copies up to n bytes from it (from byte off of it) into ring r; how many, or -errno. Locked. */
static long put(struct byte_ring *r, struct sock_iter *it, size_t off, size_t n)
{
	size_t room = PIPE_SIZE - r->len, k = n < room ? n : room;

	if (!k)
		return 0;
	if (!r->buf && !(r->buf = kmalloc(PIPE_SIZE)))
		return -ENOMEM;
	for (size_t done = 0, piece; done < k; done += piece) {
		char *to;

		piece = ring_room(r, done, k - done, &to);
		if (sock_iter_copy_at(it, off + done, to, piece, false) < 0)
			return -EFAULT;
	}
	return (long)k;
}

long sock_unix_send(struct sock *s, struct sock_iter *it, size_t total, int flags)
{
	struct unix_pair *p = s->unix_pair;
	bool nonblock = (flags & MSG_DONTWAIT) || (s->file.flags & O_NONBLOCK);
	int j = peer(s);
	size_t done = 0;
	long r = 0;

	mutex_lock(&p->lock);
	while (done < total || !total) {
		unsigned long irq;

		if (p->rx_shut[j]) {
			r = -EPIPE;
			break;
		}
		r = put(&p->rx[j], it, done, total - done);
		if (r < 0)
			break;
		if (r) {
			irq = irq_save();
			p->rx[j].len += (size_t)r;
			wake(p, j, POLLIN | POLLRDNORM);
			irq_restore(irq);
			done += (size_t)r;
			continue;
		}
		if (!total)
			break;
		if (nonblock) {
			r = -EAGAIN;
			break;
		}
		irq = irq_save();
		if (p->rx[j].len < PIPE_SIZE || p->rx_shut[j]) {
			irq_restore(irq);
			continue;
		}
		r = wait_unlocked(s, irq, s->sndtimeo);
		if (r == -ERESTARTSYS)
			return done ? (long)done : r;
		if (r < 0)
			break;
	}
	mutex_unlock(&p->lock);
	if (done)
		return (long)done;
	return r == -EPIPE ? sock_epipe(flags) : r;
}

/* Copies n bytes from the start of ring r into it, from byte off of it; 0 or -EFAULT. */
static int get(const struct byte_ring *r, struct sock_iter *it, size_t off, size_t n)
{
	for (size_t done = 0, piece; done < n; done += piece) {
		char *from;

		piece = ring_data(r, done, n - done, &from);
		if (sock_iter_copy_at(it, off + done, from, piece, true) < 0)
			return -EFAULT;
	}
	return 0;
}

long sock_unix_recv(struct sock *s, struct sock_iter *it, size_t total, int flags)
{
	struct unix_pair *p = s->unix_pair;
	bool nonblock = (flags & MSG_DONTWAIT) || (s->file.flags & O_NONBLOCK);
	bool peek = flags & MSG_PEEK, all = (flags & MSG_WAITALL) && !peek;
	struct byte_ring *rx = &p->rx[me(s)];
	size_t done = 0;
	long r = 0;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	mutex_lock(&p->lock);
	while (done < total) {
		unsigned long irq;

		if (rx->len) {
			size_t n = total - done < rx->len ? total - done : rx->len;

			if (get(rx, it, done, n) < 0) {
				r = -EFAULT;
				break;
			}
			done += n;
			if (peek)
				break;
			irq = irq_save();
			ring_consume(rx, n);
			wake(p, peer(s), POLLOUT | POLLWRNORM);
			irq_restore(irq);
			if (!all)
				break;
			continue;
		}
		if (p->rx_shut[me(s)])
			break; /* the end: what came before it is read */
		if (nonblock) {
			r = -EAGAIN;
			break;
		}
		irq = irq_save();
		if (rx->len || p->rx_shut[me(s)]) {
			irq_restore(irq);
			continue;
		}
		r = wait_unlocked(s, irq, s->rcvtimeo);
		if (r == -ERESTARTSYS)
			return done ? (long)done : r;
		if (r < 0)
			break;
	}
	mutex_unlock(&p->lock);
	return done ? (long)done : r;
}

unsigned sock_unix_poll(struct sock *s)
{
	struct unix_pair *p = s->unix_pair;
	unsigned long irq = irq_save();
	int i = me(s), j = peer(s);
	unsigned events = 0;

	if (p->rx[i].len || p->rx_shut[i])
		events |= POLLIN | POLLRDNORM;
	if (p->rx_shut[i])
		events |= POLLRDHUP;
	if (p->rx_shut[i] && p->rx_shut[j])
		events |= POLLHUP;
	/* Linux says writable even when the peer is gone: the write then fails. */
	if (p->rx_shut[j] || PIPE_SIZE - p->rx[j].len >= PIPE_BUF)
		events |= POLLOUT | POLLWRNORM;
	irq_restore(irq);
	return events;
}

int sock_unix_shutdown(struct sock *s, int how)
{
	struct unix_pair *p = s->unix_pair;
	unsigned long irq;

	mutex_lock(&p->lock);
	irq = irq_save();
	if (how != SHUT_WR && !p->rx_shut[me(s)]) {
		p->rx_shut[me(s)] = true; /* my reads end; the peer's writes fail */
		wake(p, me(s), POLLIN | POLLRDNORM | POLLRDHUP);
		wake(p, peer(s), POLLOUT | POLLWRNORM);
	}
	if (how != SHUT_RD && !p->rx_shut[peer(s)]) {
		p->rx_shut[peer(s)] = true; /* the peer's reads end; mine fail */
		wake(p, peer(s), POLLIN | POLLRDNORM | POLLRDHUP);
		wake(p, me(s), POLLOUT | POLLWRNORM);
	}
	irq_restore(irq);
	mutex_unlock(&p->lock);
	return 0;
}

size_t sock_unix_queued(struct sock *s, bool out)
{
	struct unix_pair *p = s->unix_pair;

	return p->rx[out ? peer(s) : me(s)].len;
}

bool sock_unix_connected(struct sock *s)
{
	return s->unix_pair->end[peer(s)] != NULL;
}

void sock_unix_release(struct sock *s)
{
	struct unix_pair *p = s->unix_pair;
	int i = me(s), j = peer(s);
	unsigned long irq;
	bool last;

	mutex_lock(&p->lock);
	irq = irq_save();
	p->end[i] = NULL;
	p->rx_shut[i] = p->rx_shut[j] = true;
	wake(p, j, POLLIN | POLLRDNORM | POLLRDHUP | POLLHUP | POLLOUT | POLLWRNORM);
	last = !p->end[j];
	irq_restore(irq);
	kfree(p->rx[i].buf); /* unread, and now unreadable */
	p->rx[i].buf = NULL;
	p->rx[i].len = 0;
	mutex_unlock(&p->lock);
	if (last) {
		kfree(p->rx[j].buf);
		kfree(p);
	}
}

/* Linux's answers for AF_UNIX, in its order, after the checks all families share. */
static int check_type(int base, int protocol)
{
	if (protocol && protocol != AF_UNIX)
		return -EPROTONOSUPPORT;
	if (base == SOCK_STREAM)
		return 0;
	if (base == SOCK_DGRAM || base == SOCK_SEQPACKET || base == SOCK_RAW)
		pr_warn_once("unix: socket pairs of datagrams or packets are not served, only "
			     "SOCK_STREAM");
	return -ESOCKTNOSUPPORT;
}

int sock_unix_pair(int type, struct sock **a, struct sock **b)
{
	struct unix_pair *p = kcalloc(1, sizeof(*p));
	struct sock *end[2];

	end[0] = p ? sock_new(SOCK_DGRAM | (type & SOCK_NONBLOCK)) : NULL; /* no UDP of its own */
	end[1] = end[0] ? sock_new(SOCK_DGRAM | (type & SOCK_NONBLOCK)) : NULL;
	if (!end[1]) {
		if (end[0])
			sock_free(end[0]);
		kfree(p);
		return -ENOMEM;
	}
	for (int i = 0; i < 2; i++) {
		end[i]->type = SOCK_STREAM;
		end[i]->readers.input = false; /* its waiters wait for a thread, not the network */
		end[i]->unix_pair = p;
		end[i]->unix_end = i;
		p->end[i] = end[i];
	}
	*a = end[0];
	*b = end[1];
	return 0;
}

int sock_unix_check(int type, int protocol)
{
	return check_type(type & SOCK_TYPE_MASK, protocol);
}
