/*
 * Datagrams in and out of UDP sockets: the send and receive paths that
 * read/write, sendto/recvfrom, sendmsg/recvmsg and the mmsg calls share
 * (a stream socket's go on to sock_tcp.c).
 *
 * A send copies the application's bytes into a packet buffer before it
 * takes the stack lock (a bad pointer costs nothing but the buffer), then
 * hands it to UDP. A receive takes a datagram off the queue under the
 * lock and copies it out after; a peek takes a reference instead, so the
 * datagram stays queued while it is copied. Sends never block: UDP has no
 * send queue here, and a full pool or device is -ENOBUFS.
 */
#include "lib/net/sock_priv.h"

#include <errno.h>

#include "kernel/uaccess.h"
#include "lib/abi/signal.h"
#include "lib/net/socket.h"
#include "sched/sync.h"

void sock_iter_single(struct sock_iter *it, const void *buf, size_t n)
{
	it->app = NULL;
	it->cnt = 1;
	it->single.base = (uint64_t)(uintptr_t)buf;
	it->single.len = n;
}

int sock_iter_app(struct sock_iter *it, const struct abi_iovec *app, uint64_t cnt, size_t *total)
{
	uint64_t sum = 0;

	if (cnt > SOCK_IOV_MAX)
		return -EMSGSIZE;
	for (uint64_t i = 0; i < cnt; i++) {
		struct abi_iovec v;

		if (copy_from_app(&v, app + i, sizeof(v)) < 0)
			return -EFAULT;
		sum += v.len;
		if ((int64_t)v.len < 0 || (int64_t)sum < 0)
			return -EINVAL;
	}
	it->app = app;
	it->cnt = cnt;
	*total = sum;
	return 0;
}

/* Entry i of it. */
static int iter_get(const struct sock_iter *it, size_t i, struct abi_iovec *v)
{
	if (!it->app) {
		*v = it->single;
		return 0;
	}
	return copy_from_app(v, it->app + i, sizeof(*v));
}

int sock_iter_copy_at(const struct sock_iter *it, size_t off, void *k, size_t n, bool to_app)
{
	uint8_t *p = k;

	for (size_t i = 0; i < it->cnt && n; i++) {
		struct abi_iovec v;
		size_t m;
		uint64_t base;
		int err = iter_get(it, i, &v);

		if (err < 0)
			return -EFAULT;
		if (v.len <= off) {
			off -= v.len;
			continue;
		}
		base = v.base + off;
		m = v.len - off < n ? (size_t)(v.len - off) : n;
		off = 0;
		err = to_app ? copy_to_app((void *)(uintptr_t)base, p, m)
			     : copy_from_app(p, (const void *)(uintptr_t)base, m);
		if (err < 0)
			return -EFAULT;
		p += m;
		n -= m;
	}
	return 0;
}

/* Copies n bytes between the kernel's k and the buffers of it, in order. 0 or -EFAULT. */
static int iter_copy(const struct sock_iter *it, void *k, size_t n, bool to_app)
{
	return sock_iter_copy_at(it, 0, k, n, to_app);
}

/* Where a send goes: to, or the connected peer. 0 or -errno. */
static int destination(const struct sock *s, const struct abi_sockaddr_in *to, uint32_t *addr,
		       uint16_t *port)
{
	if (!to) {
		if (!(s->pcb.flags & UDP_F_CONNECTED))
			return -EDESTADDRREQ;
		*addr = s->pcb.raddr;
		*port = s->pcb.rport;
		return 0;
	}
	if (to->family != AF_INET && to->family != AF_UNSPEC)
		return -EAFNOSUPPORT;
	*addr = net_ntohl(to->addr);
	*port = net_ntohs(to->port);
	return *port ? 0 : -EINVAL;
}

/* The packet buffer holding the bytes of it, or NULL with *err. */
static struct pbuf *fill(struct sock_iter *it, size_t total, int *err)
{
	struct pbuf *p = pbuf_alloc_tx();

	if (!p) {
		*err = -ENOBUFS;
		return NULL;
	}
	if (pbuf_tailroom(p) < total) {
		pbuf_free(p);
		*err = -EMSGSIZE; /* no fragments: a datagram fits one frame */
		return NULL;
	}
	if (iter_copy(it, pbuf_put(p, total), total, false) < 0) {
		pbuf_free(p);
		*err = -EFAULT;
		return NULL;
	}
	return p;
}

long sock_epipe(int flags)
{
	if (!(flags & MSG_NOSIGNAL))
		signal_send(thread_id(thread_self()), SIGPIPE, SIGPIPE_CODE);
	return -EPIPE;
}

long sock_send(struct sock *s, struct sock_iter *it, size_t total, int flags,
	       const struct abi_sockaddr_in *to)
{
	uint32_t addr;
	uint16_t port;
	struct pbuf *p;
	int err;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (s->unix_pair)
		return sock_unix_send(s, it, total, flags);
	if (s->type == SOCK_STREAM)
		return sock_tcp_send(s, it, total, flags); /* to is ignored, as Linux does */
	if (total > UDP_PAYLOAD_MAX)
		return -EMSGSIZE;
	if (s->shut_wr)
		return sock_epipe(flags);
	p = fill(it, total, &err);
	if (!p)
		return err;
	net_lock();
	err = destination(s, to, &addr, &port);
	if (err < 0)
		pbuf_free(p);
	else
		err = udp_send(&s->pcb, p, addr, port);
	net_unlock();
	net_kick();
	return err < 0 ? err : (long)total;
}

/*
 * The first datagram: dequeued, or with MSG_PEEK referenced and left.
 * NULL if none; *seq the arrival count it saw. Takes the stack lock.
 */
static struct pbuf *take(struct sock *s, int flags, struct udp_from *from, unsigned *seq)
{
	struct pbuf *p;

	net_lock();
	*seq = __atomic_load_n(&s->rx_seq, __ATOMIC_RELAXED);
	if (flags & MSG_PEEK) {
		p = udp_peek(&s->pcb, from);
		if (p)
			pbuf_ref(p);
	} else {
		p = udp_dequeue(&s->pcb, from);
	}
	net_unlock();
	return p;
}

/* Sleeps until a datagram or shutdown may have come since seq. 0, -EAGAIN (timeout), -ERESTARTSYS. */
static int wait_rx(struct sock *s, unsigned seq)
{
	uint64_t deadline = s->rcvtimeo ? net_now() + s->rcvtimeo : 0;
	unsigned long flags = irq_save();
	int err = 0;

	if (s->rx_seq == seq)
		err = waitq_wait_intr(&s->readers, deadline);
	irq_restore(flags);
	if (err == -EINTR)
		return -ERESTARTSYS;
	return err == -ETIMEDOUT ? -EAGAIN : 0;
}

/* Copies p into it; the length to report. */
static long deliver(struct pbuf *p, struct sock_iter *it, size_t total, int flags, int *msg_flags)
{
	size_t n = p->len < total ? p->len : total;
	long r = p->len;

	if (p->len > total)
		*msg_flags |= MSG_TRUNC;
	if (iter_copy(it, p->data, n, true) < 0)
		r = -EFAULT;
	else if (!(flags & MSG_TRUNC))
		r = (long)n;
	pbuf_free(p);
	return r;
}

long sock_recv(struct sock *s, struct sock_iter *it, size_t total, int flags, struct udp_from *from,
	       int *msg_flags)
{
	bool nonblock = (flags & MSG_DONTWAIT) || (s->file.flags & O_NONBLOCK);

	*msg_flags = 0;
	if (flags & MSG_ERRQUEUE)
		return -EAGAIN; /* no error queue: ICMP errors are not reported */
	if (s->unix_pair)
		return sock_unix_recv(s, it, total, flags);
	if (s->type == SOCK_STREAM)
		return sock_tcp_recv(s, it, total, flags); /* no source: Linux gives none */
	for (;;) {
		unsigned seq;
		struct pbuf *p = take(s, flags, from, &seq);
		int err;

		if (p)
			return deliver(p, it, total, flags, msg_flags);
		if (nonblock)
			return -EAGAIN;
		if (s->shut_rd)
			return 0;
		err = wait_rx(s, seq);
		if (err < 0)
			return err;
	}
}
