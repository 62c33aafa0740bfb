/*
 * Stream sockets (docs/net.md, docs/tcp.md): the socket calls on a TCP
 * block. Every call takes the stack lock around the core and, before it
 * lets go, runs what TCP looped back to us (ip_loop_flush) and kicks the
 * network thread, since a send, a read's window update or a close may
 * have armed a timer.
 *
 * The core copies between its rings and the application directly, through
 * copy_from_app/copy_to_app (tcp_send_copy/tcp_recv_copy), so a bad
 * pointer is -EFAULT and moves nothing. The core's events only wake: the
 * socket's arrival count and wait queue, and its poll watches.
 *
 * Local names are the socket layer's: the bound stream sockets are on one
 * list (bind's conflicts, ephemeral ports), and blocks the core keeps
 * after their socket closed (TIME_WAIT, FIN_WAIT_2) are asked about
 * through tcp_port_held().
 */
#include "lib/net/sock_priv.h"

#include <errno.h>

#include "kernel/uaccess.h"
#include "lib/net/socket.h"
#include "sched/sync.h"

#define TCP_PORT_RANGE (UDP_PORT_EPHEMERAL_MAX - UDP_PORT_EPHEMERAL_MIN + 1)
#define SOMAXCONN 4096 /* net.core.somaxconn: a larger or negative backlog is cut to it */
#define NS_PER_S 1000000000ull
#define TCP_SHOWN_SNDBUF 16384	/* net.ipv4.tcp_wmem[1]: SO_SNDBUF of a fresh socket */
#define TCP_SHOWN_RCVBUF 131072 /* net.ipv4.tcp_rmem[1] */

static struct {
	struct sock *bound; /* every bound stream socket, through stream.bound_next */
} stcp;

/* Lock held, from the core: records the error and wakes whoever waits or polls. */
static void on_event(struct tcp_pcb *pcb, unsigned ev)
{
	struct sock *s = tcp_owner(pcb);
	unsigned pe = 0;
	bool eof;

	if (ev & TCP_EV_ERROR)
		s->error = -tcp_error(pcb);
	if (ev & (TCP_EV_READABLE | TCP_EV_ACCEPT))
		pe |= POLLIN | POLLRDNORM;
	if ((ev & TCP_EV_READABLE) && (tcp_readable(pcb, &eof), eof))
		pe |= POLLRDHUP;
	if (ev & (TCP_EV_WRITABLE | TCP_EV_CONNECTED))
		pe |= POLLOUT | POLLWRNORM;
	if (ev & TCP_EV_ERROR)
		pe |= POLLERR;
	if (ev & TCP_EV_CLOSED)
		pe |= POLLHUP;
	sock_wake(s, pe);
}

static const struct tcp_ops sock_tcp_ops = { .event = on_event };

/* Leaves the core (loopback segments, timers) and the lock. */
static void tcp_done(void)
{
	ip_loop_flush();
	net_unlock();
	net_kick();
}

int sock_tcp_open(struct sock *s)
{
	s->sndbuf = TCP_SHOWN_SNDBUF; /* what Linux shows for a fresh TCP socket */
	s->rcvbuf_opt = TCP_SHOWN_RCVBUF;
	s->stream.keepidle = TCP_KEEPIDLE_DEFAULT;
	s->stream.keepintvl = TCP_KEEPINTVL_DEFAULT;
	s->stream.keepcnt = TCP_KEEPCNT_DEFAULT;
	net_lock();
	s->stream.pcb = tcp_pcb_new(&sock_tcp_ops, s);
	net_unlock();
	return s->stream.pcb ? 0 : -ENOMEM;
}

static void unbind(struct sock *s)
{
	for (struct sock **pp = &stcp.bound; *pp; pp = &(*pp)->stream.bound_next)
		if (*pp == s) {
			*pp = s->stream.bound_next;
			break;
		}
	s->stream.bound = false;
}

static void record_bound(struct sock *s, uint32_t addr, uint16_t port)
{
	s->pcb.laddr = addr;
	s->pcb.lport = port;
	s->stream.bound = true;
	s->stream.bound_next = stcp.bound;
	stcp.bound = s;
}

/* Waits up to the deadline (0: none) for an event after seq: 0, -EAGAIN or -ERESTARTSYS. */
static int wait_event(struct sock *s, unsigned seq, uint64_t deadline)
{
	unsigned long flags = irq_save();
	int err = 0;

	if (s->rx_seq == seq)
		err = waitq_wait_intr(&s->readers, deadline);
	irq_restore(flags);
	if (err == -EINTR)
		return -ERESTARTSYS;
	return err == -ETIMEDOUT ? -EAGAIN : 0;
}

static unsigned event_seq(const struct sock *s)
{
	return __atomic_load_n(&s->rx_seq, __ATOMIC_RELAXED);
}

static uint64_t deadline_of(uint64_t timeout)
{
	return timeout ? net_now() + timeout : 0;
}

/* SO_LINGER with a time: waits (the lock dropped while asleep) until the FIN is acknowledged. */
static void linger_wait(struct sock *s)
{
	struct tcp_pcb *pcb = s->stream.pcb;
	uint64_t deadline = net_now() + (uint64_t)s->stream.linger_s * NS_PER_S;

	if (tcp_shutdown(pcb, net_now()) < 0)
		return;
	for (;;) {
		enum tcp_state st = tcp_state(pcb);
		unsigned seq = event_seq(s);
		int err;

		if (st == TCP_CLOSED || st == TCP_FIN_WAIT_2 || st == TCP_TIME_WAIT)
			return;
		tcp_done();
		err = wait_event(s, seq, deadline);
		net_lock();
		if (err < 0) /* the time is up, or a signal came: close as without linger */
			return;
	}
}

void sock_tcp_release(struct sock *s)
{
	struct tcp_pcb *pcb = s->stream.pcb;

	net_lock();
	if (s->stream.bound)
		unbind(s);
	if (!pcb) {
		net_unlock();
		return;
	}
	if (s->stream.linger && !s->stream.linger_s) {
		tcp_abort(pcb);
	} else {
		if (s->stream.linger && tcp_state(pcb) != TCP_LISTEN)
			linger_wait(s);
		tcp_close(pcb, net_now());
	}
	s->stream.pcb = NULL;
	tcp_done();
}

/* The addresses overlap: equal, or either is any. */
static bool addr_overlaps(uint32_t a, uint32_t b)
{
	return a == IPV4_ANY || b == IPV4_ANY || a == b;
}

/*
 * Whether s may not take addr:port, as Linux decides: another bound
 * socket there conflicts unless both set SO_REUSEADDR and it does not
 * listen, or both set SO_REUSEPORT; a block left by a closed socket
 * (TIME_WAIT) unless s sets SO_REUSEADDR.
 */
static bool port_taken(const struct sock *s, uint32_t addr, uint16_t port)
{
	bool reuse = s->pcb.flags & UDP_F_REUSEADDR, reuseport = s->pcb.flags & UDP_F_REUSEPORT;

	for (const struct sock *o = stcp.bound; o; o = o->stream.bound_next) {
		if (o == s || o->pcb.lport != port || !addr_overlaps(o->pcb.laddr, addr))
			continue;
		if (reuse && (o->pcb.flags & UDP_F_REUSEADDR) && !o->stream.listening)
			continue;
		if (reuseport && (o->pcb.flags & UDP_F_REUSEPORT))
			continue;
		return true;
	}
	return !reuse && tcp_port_held(addr, port);
}

/* A free ephemeral port (from a random start, as udp.c does), or 0. */
static uint16_t ephemeral(const struct sock *s)
{
	uint32_t start = net_random32() % TCP_PORT_RANGE;

	for (uint32_t i = 0; i < TCP_PORT_RANGE; i++) {
		uint16_t port = (uint16_t)(UDP_PORT_EPHEMERAL_MIN + (start + i) % TCP_PORT_RANGE);
		bool used = tcp_port_held(IPV4_ANY, port);

		for (const struct sock *o = stcp.bound; o && !used; o = o->stream.bound_next)
			used = o != s && o->pcb.lport == port;
		if (!used)
			return port;
	}
	return 0;
}

/* Lock held. */
static int bind_locked(struct sock *s, uint32_t addr, uint16_t port)
{
	if (s->stream.bound || tcp_state(s->stream.pcb) != TCP_CLOSED)
		return -EINVAL;
	if (addr != IPV4_ANY && !ip_is_local(addr))
		return -EADDRNOTAVAIL;
	if (!port)
		port = ephemeral(s);
	if (!port)
		return -EADDRINUSE; /* Linux: every ephemeral port is taken */
	if (port_taken(s, addr, port))
		return -EADDRINUSE;
	record_bound(s, addr, port);
	return 0;
}

int sock_tcp_bind(struct sock *s, uint32_t addr, uint16_t port)
{
	int err;

	net_lock();
	err = bind_locked(s, addr, port);
	net_unlock();
	return err;
}

/* The local address a connection to raddr leaves from; 0 or -ENETUNREACH. */
static int source_for(uint32_t raddr, uint32_t *laddr)
{
	uint32_t next_hop;

	if (ip_is_local(raddr)) {
		*laddr = raddr;
		return 0;
	}
	if (ip_route(raddr, &next_hop) < 0)
		return -ENETUNREACH;
	*laddr = ip_config()->addr;
	return 0;
}

/* Whether a connect() is done: 0, -EINPROGRESS-like waiting (1), or the error. Lock held. */
static int connect_result(struct sock *s)
{
	enum tcp_state st = tcp_state(s->stream.pcb);
	int err = s->error;

	if (st == TCP_SYN_SENT || st == TCP_SYN_RCVD)
		return 1;
	s->stream.connecting = false;
	if (st != TCP_CLOSED)
		return 0;
	s->error = 0;
	return err ? -err : -ECONNABORTED;
}

/* Starts the handshake: 0, or -errno (the socket unchanged but its ephemeral port). Lock held. */
static int connect_start(struct sock *s, uint32_t raddr, uint16_t rport)
{
	struct tcp_pcb *pcb = s->stream.pcb;
	uint32_t laddr;
	int err;

	if (raddr == IPV4_ANY)
		raddr = IPV4_LOOPBACK_ADDR; /* Linux: 0.0.0.0 is this host */
	if (ip_is_broadcast(raddr) || (raddr & IPV4_MULTICAST_MASK) == IPV4_MULTICAST_NET)
		return -ENETUNREACH;
	err = source_for(raddr, &laddr);
	if (err < 0)
		return err;
	if (s->stream.bound && s->pcb.laddr != IPV4_ANY)
		laddr = s->pcb.laddr;
	if (!s->stream.bound) {
		err = bind_locked(s, IPV4_ANY, 0);
		if (err < 0)
			return -EAGAIN; /* Linux: no ephemeral port left */
	}
	err = tcp_connect(pcb, laddr, s->pcb.lport, raddr, rport, net_now());
	if (err == -EADDRINUSE)
		return -EADDRNOTAVAIL; /* the 4-tuple is taken, as Linux says it */
	if (err < 0)
		return err;
	s->pcb.laddr = laddr;
	s->stream.connecting = true;
	return 0;
}

/* Lock held; may drop it while waiting. */
static int connect_locked(struct sock *s, uint32_t raddr, uint16_t rport)
{
	struct tcp_pcb *pcb = s->stream.pcb;
	enum tcp_state st = tcp_state(pcb);
	int err;

	if (s->stream.listening)
		return -EISCONN; /* Linux: the block is not CLOSED */
	if (s->stream.connecting) {
		err = connect_result(s);
		if (err != 1)
			return err;
		if (s->file.flags & O_NONBLOCK)
			return -EALREADY;
		/* a blocking one restarted after a signal waits on, as in Linux */
	} else {
		if (st != TCP_CLOSED || tcp_error(pcb) || s->shut_wr)
			return -EISCONN; /* a block that was connected is not reused */
		err = connect_start(s, raddr, rport);
		if (err < 0)
			return err;
		if (s->file.flags & O_NONBLOCK)
			return -EINPROGRESS;
	}
	for (;;) {
		unsigned seq = event_seq(s);

		err = connect_result(s);
		if (err != 1)
			return err;
		tcp_done();
		err = wait_event(s, seq, deadline_of(s->sndtimeo));
		net_lock();
		if (err == -EAGAIN)
			return -EINPROGRESS; /* SO_SNDTIMEO ran out: Linux says EINPROGRESS */
		if (err < 0)
			return err; /* a signal: the handshake goes on; the next connect() reports */
	}
}

int sock_tcp_connect(struct sock *s, uint32_t addr, uint16_t port)
{
	int err;

	net_lock();
	err = connect_locked(s, addr, port);
	tcp_done();
	return err;
}

int sock_tcp_listen(struct sock *s, int backlog)
{
	struct tcp_pcb *pcb = s->stream.pcb;
	int err = 0;

	if (backlog < 0 || backlog > SOMAXCONN)
		backlog = SOMAXCONN;
	net_lock();
	if (s->stream.listening)
		goto out; /* Linux changes only the backlog; the core keeps its first */
	if (tcp_state(pcb) != TCP_CLOSED || s->stream.connecting || tcp_error(pcb)) {
		err = -EINVAL;
		goto out;
	}
	if (!s->stream.bound)
		err = bind_locked(s, IPV4_ANY, 0);
	if (!err)
		err = tcp_listen(pcb, s->pcb.laddr, s->pcb.lport, (unsigned)backlog);
	if (!err)
		s->stream.listening = true;
out:
	net_unlock();
	return err;
}

/* The socket of an accepted block: the listener's options, bound beside it. Lock held. */
static struct sock *adopt(struct sock *lst, struct tcp_pcb *c, int flags)
{
	struct sock *s = sock_new(SOCK_DGRAM | (flags & SOCK_NONBLOCK)); /* no block of its own */
	uint32_t la, ra;
	uint16_t lp, rp;

	if (!s)
		return NULL;
	s->type = SOCK_STREAM;
	s->stream = lst->stream;
	s->stream.listening = s->stream.connecting = false;
	s->stream.pcb = c;
	s->pcb.flags = lst->pcb.flags & (UDP_F_REUSEADDR | UDP_F_REUSEPORT);
	s->rcvbuf_opt = lst->rcvbuf_opt;
	s->sndbuf = lst->sndbuf;
	s->rcvtimeo = lst->rcvtimeo;
	s->sndtimeo = lst->sndtimeo;
	s->error = -tcp_error(c); /* reset while it waited: no event reached a socket */
	tcp_set_owner(c, &sock_tcp_ops, s);
	tcp_addrs(c, &la, &lp, &ra, &rp);
	record_bound(s, la, lp);
	return s;
}

int sock_tcp_accept(struct sock *s, int flags, struct sock **out)
{
	bool nonblock = s->file.flags & O_NONBLOCK;
	uint64_t deadline = deadline_of(s->rcvtimeo);
	int err = 0;

	net_lock();
	while (!err) {
		unsigned seq = event_seq(s);
		struct tcp_pcb *c;

		if (!s->stream.listening) {
			err = -EINVAL;
			break;
		}
		c = tcp_accept(s->stream.pcb);
		if (c) {
			*out = adopt(s, c, flags);
			if (!*out) {
				tcp_abort(c);
				err = -ENOMEM;
			}
			break;
		}
		if (nonblock) {
			err = -EAGAIN;
			break;
		}
		tcp_done();
		err = wait_event(s, seq, deadline);
		net_lock();
	}
	tcp_done();
	return err;
}

/* A listener shut for reading: its block closed and a fresh one in its place. Lock held. */
static int reopen(struct sock *s)
{
	struct tcp_pcb *pcb = tcp_pcb_new(&sock_tcp_ops, s);

	if (!pcb)
		return -ENOMEM;
	tcp_close(s->stream.pcb, net_now());
	s->stream.pcb = pcb;
	s->stream.listening = false;
	sock_tcp_apply(s, s->stream.bufs_set);
	return 0;
}

int sock_tcp_shutdown(struct sock *s, int how)
{
	struct tcp_pcb *pcb = s->stream.pcb;
	enum tcp_state st;
	int err = 0;

	net_lock();
	st = tcp_state(pcb);
	if (s->stream.listening) {
		if (how != SHUT_WR)
			err = reopen(s); /* Linux: shutting a listener's reading side closes it */
	} else if (st == TCP_SYN_SENT) {
		tcp_shutdown(pcb, net_now()); /* the handshake stops */
		s->stream.connecting = false;
	} else {
		/* Unconnected: ENOTCONN, applied anyway, as Linux (pollers see it). */
		err = st == TCP_CLOSED ? -ENOTCONN : 0;
		if (how != SHUT_RD && st != TCP_CLOSED)
			tcp_shutdown(pcb, net_now());
		s->shut_rd |= how != SHUT_WR;
		s->shut_wr |= how != SHUT_RD;
	}
	sock_wake(s, POLLIN | POLLRDNORM | POLLRDHUP | POLLOUT | POLLWRNORM | POLLHUP);
	tcp_done();
	return err;
}

int sock_tcp_name(struct sock *s, bool peer, uint32_t *addr, uint16_t *port)
{
	struct tcp_pcb *pcb = s->stream.pcb;
	uint32_t la, ra;
	uint16_t lp, rp;
	int err = 0;

	net_lock();
	*addr = s->pcb.laddr;
	*port = s->pcb.lport;
	if (peer) {
		enum tcp_state st = tcp_state(pcb);

		tcp_addrs(pcb, &la, &lp, &ra, &rp);
		*addr = ra;
		*port = rp;
		if (st == TCP_CLOSED || st == TCP_LISTEN || st == TCP_SYN_SENT)
			err = -ENOTCONN;
	}
	net_unlock();
	return err;
}

/* The application's buffers at the place a call has reached, for the core's copies. */
struct app_bufs {
	const struct sock_iter *it;
	size_t done; /* bytes the call moved before this copy */
};

static int copy_app(void *arg, size_t off, void *ring, size_t len, bool to_ring)
{
	struct app_bufs *b = arg;

	return sock_iter_copy_at(b->it, b->done + off, ring, len, !to_ring);
}

/*
 * What a send answers when the core refuses (r < 0): the connection's
 * error once (a reset: ECONNRESET, without SIGPIPE, as Linux), then EPIPE
 * and SIGPIPE. Lock held.
 */
static long send_error(struct sock *s, long r, int flags)
{
	int err = s->error;

	if (r == -EFAULT)
		return r;
	if (err) {
		s->error = 0;
		return -err;
	}
	return sock_epipe(flags);
}

long sock_tcp_send(struct sock *s, struct sock_iter *it, size_t total, int flags)
{
	bool nonblock = (flags & MSG_DONTWAIT) || (s->file.flags & O_NONBLOCK);
	uint64_t deadline = deadline_of(s->sndtimeo);
	struct app_bufs b = { .it = it };
	long r = 0;

	net_lock();
	while (b.done < total) {
		unsigned seq = event_seq(s);

		r = s->shut_wr
			    ? -EPIPE
			    : tcp_send_copy(s->stream.pcb, copy_app, &b, total - b.done, net_now());
		if (r < 0) {
			if (!b.done)
				r = send_error(s, r, flags);
			break;
		}
		b.done += (size_t)r;
		if (r || b.done == total)
			continue;
		r = nonblock ? -EAGAIN : 0;
		if (nonblock)
			break;
		tcp_done();
		r = wait_event(s, seq, deadline);
		net_lock();
		if (r < 0)
			break;
	}
	tcp_done();
	if (b.done)
		return (long)b.done; /* a signal or a timeout after some bytes: those */
	return r;
}

/*
 * What a receive answers when the core has nothing (r < 0 but -EAGAIN):
 * the connection's error once, then 0 (end of stream). Lock held.
 */
static long recv_error(struct sock *s, long r)
{
	int err = s->error;

	if (r == -EFAULT || r == -ENOTCONN)
		return r;
	if (err) {
		s->error = 0;
		return -err;
	}
	return 0;
}

long sock_tcp_recv(struct sock *s, struct sock_iter *it, size_t total, int flags)
{
	bool nonblock = (flags & MSG_DONTWAIT) || (s->file.flags & O_NONBLOCK);
	bool peek = flags & MSG_PEEK, all = (flags & MSG_WAITALL) && !peek;
	uint64_t deadline = deadline_of(s->rcvtimeo);
	struct app_bufs b = { .it = it };
	long r = 0;

	if (flags & MSG_OOB)
		return -EINVAL; /* no urgent data is kept: Linux says EINVAL when none waits */
	if (!total)
		return 0; /* Linux looks at nothing for an empty read */
	net_lock();
	for (;;) {
		unsigned seq = event_seq(s);

		if (s->stream.listening) {
			r = -ENOTCONN;
			break;
		}
		r = tcp_recv_copy(s->stream.pcb, copy_app, &b, total - b.done, peek, net_now());
		if (r > 0) {
			b.done += (size_t)r;
			if (!all || b.done == total)
				break;
			continue;
		}
		if (r == 0) /* the end of the stream */
			break;
		if (r != -EAGAIN) {
			if (!b.done)
				r = recv_error(s, r);
			break;
		}
		if (s->shut_rd || nonblock) {
			r = s->shut_rd ? 0 : r;
			break;
		}
		tcp_done();
		r = wait_event(s, seq, deadline);
		net_lock();
		if (r < 0)
			break;
	}
	tcp_done();
	return b.done ? (long)b.done : r;
}

unsigned sock_tcp_poll(struct sock *s)
{
	struct tcp_pcb *pcb = s->stream.pcb;
	unsigned mask = 0;
	enum tcp_state st;
	size_t avail;
	bool eof;

	net_lock();
	st = tcp_state(pcb);
	if (s->stream.listening) {
		mask = tcp_accept_ready(pcb) ? POLLIN | POLLRDNORM : 0;
		goto out;
	}
	/* As Linux's tcp_poll: a closed block is shut both ways (fresh ones too: POLLHUP). */
	avail = tcp_readable(pcb, &eof);
	eof |= s->shut_rd; /* the reading side is shut, by either end */
	if ((eof && s->shut_wr) || st == TCP_CLOSED)
		mask |= POLLHUP;
	if (eof)
		mask |= POLLIN | POLLRDNORM | POLLRDHUP;
	if (st != TCP_SYN_SENT && st != TCP_SYN_RCVD) {
		if (avail)
			mask |= POLLIN | POLLRDNORM;
		if (s->shut_wr || st == TCP_CLOSED || tcp_writable(pcb))
			mask |= POLLOUT | POLLWRNORM;
	}
	if (s->error)
		mask |= POLLERR;
out:
	net_unlock();
	return mask;
}

int sock_tcp_queued(struct sock *s, bool out)
{
	size_t n;
	bool eof;

	net_lock();
	if (s->stream.listening)
		n = 0;
	else
		n = out ? tcp_queued(s->stream.pcb) : tcp_readable(s->stream.pcb, &eof);
	net_unlock();
	return n > SOCK_INT_MAX ? SOCK_INT_MAX : (int)n;
}

void sock_tcp_apply(struct sock *s, bool bufs)
{
	struct sock_stream *st = &s->stream;

	tcp_set_nodelay(st->pcb, st->nodelay, net_now());
	tcp_set_cork(st->pcb, st->cork, net_now());
	tcp_set_keepalive(st->pcb, st->keepalive, (uint32_t)st->keepidle, (uint32_t)st->keepintvl,
			  (uint32_t)st->keepcnt, net_now());
	if (bufs)
		tcp_set_bufs(st->pcb, (uint32_t)s->sndbuf,
			     (uint32_t)s->rcvbuf_opt); /* -EISCONN later */
}
