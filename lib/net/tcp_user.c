/*
 * The calls the socket layer makes: open, send, receive, shutdown, close,
 * abort, options and the state it reads for poll. Each runs the output
 * afterwards, so data and window updates leave at once.
 */
#include "lib/net/tcp_priv.h"

#include <errno.h>
#include <string.h>

#include "lib/net/net_priv.h"

void *tcp_owner(const struct tcp_pcb *pcb)
{
	return pcb->owner;
}

void tcp_set_owner(struct tcp_pcb *pcb, const struct tcp_ops *ops, void *owner)
{
	pcb->ops = ops;
	pcb->owner = owner;
}

enum tcp_state tcp_state(const struct tcp_pcb *pcb)
{
	return pcb->state;
}

int tcp_error(const struct tcp_pcb *pcb)
{
	return pcb->error;
}

void tcp_addrs(const struct tcp_pcb *pcb, uint32_t *laddr, uint16_t *lport, uint32_t *raddr,
	       uint16_t *rport)
{
	*laddr = pcb->laddr;
	*lport = pcb->lport;
	*raddr = pcb->raddr;
	*rport = pcb->rport;
}

uint32_t tcp_mss(const struct tcp_pcb *pcb)
{
	return pcb->state >= TCP_ESTABLISHED ? tcp_eff_mss(pcb) : TCP_MSS_DEFAULT;
}

void tcp_set_nodelay(struct tcp_pcb *pcb, bool on, uint64_t now)
{
	bool was = pcb->flags & TCP_PCB_F_NODELAY;

	if (on)
		pcb->flags |= TCP_PCB_F_NODELAY;
	else
		pcb->flags &= ~TCP_PCB_F_NODELAY;
	if (on && !was)
		tcp_push(pcb, now);
}

void tcp_set_cork(struct tcp_pcb *pcb, bool on, uint64_t now)
{
	bool was = pcb->flags & TCP_PCB_F_CORK;

	if (on)
		pcb->flags |= TCP_PCB_F_CORK;
	else
		pcb->flags &= ~TCP_PCB_F_CORK;
	if (was && !on)
		tcp_push(pcb, now);
}

void tcp_set_keepalive(struct tcp_pcb *pcb, bool on, uint32_t idle_s, uint32_t intvl_s,
		       uint32_t cnt, uint64_t now)
{
	if (on)
		pcb->flags |= TCP_PCB_F_KEEPALIVE;
	else
		pcb->flags &= ~TCP_PCB_F_KEEPALIVE;
	pcb->keep_idle_s = idle_s ? idle_s : TCP_KEEP_IDLE_S;
	pcb->keep_intvl_s = intvl_s ? intvl_s : TCP_KEEP_INTVL_S;
	pcb->keep_cnt = cnt ? cnt : TCP_KEEP_CNT;
	tcp_keep_reset(pcb, now);
}

static uint32_t buf_size(uint32_t want, uint32_t def, uint32_t max)
{
	if (!want)
		return def;
	return want < TCP_BUF_MIN ? TCP_BUF_MIN : want > max ? max : want;
}

int tcp_set_bufs(struct tcp_pcb *pcb, uint32_t sndbuf, uint32_t rcvbuf)
{
	if (pcb->snd.buf || pcb->rcv.buf)
		return -EISCONN;
	pcb->sndbuf = buf_size(sndbuf, TCP_SNDBUF_DEFAULT, TCP_SNDBUF_MAX);
	pcb->rcvbuf = buf_size(rcvbuf, TCP_RCVBUF_DEFAULT, TCP_RCVBUF_MAX);
	pcb->flags |= TCP_PCB_F_BUFS_SET;
	return 0;
}

int tcp_connect(struct tcp_pcb *pcb, uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport,
		uint64_t now)
{
	if (pcb->state != TCP_CLOSED || pcb->listen || pcb->iss)
		return -EINVAL;
	if (tcp_lookup(laddr, lport, raddr, rport))
		return -EADDRINUSE;
	if (tcp_alloc_rings(pcb) < 0)
		return -ENOMEM;
	pcb->laddr = laddr;
	pcb->lport = lport;
	pcb->raddr = raddr;
	pcb->rport = rport;
	pcb->iss = tcp_isn(laddr, lport, raddr, rport, now);
	if (!pcb->iss)
		pcb->iss = 1; /* 0 marks a block that never connected */
	pcb->snd_una = pcb->snd_nxt = pcb->snd_max = pcb->iss;
	pcb->recover = pcb->high_rxt = pcb->iss;
	pcb->ts_offset = net_random32();
	pcb->state = TCP_SYN_SENT;
	tcp_hash(pcb);
	tcp_output(pcb, now);
	return 0;
}

static int copy_mem(void *arg, size_t off, void *ring, size_t len, bool to_ring)
{
	uint8_t *mem = arg;

	if (to_ring)
		memcpy(ring, mem + off, len);
	else
		memcpy(mem + off, ring, len);
	return 0;
}

long tcp_send(struct tcp_pcb *pcb, const void *buf, size_t n, uint64_t now)
{
	return tcp_send_copy(pcb, copy_mem, (void *)buf, n, now);
}

/* Copies n bytes between the caller and ring offset at, in the ring's two pieces. */
static int ring_copy(struct tcp_ring *r, uint32_t at, uint32_t n, tcp_copy_fn copy, void *arg,
		     bool to_ring)
{
	const uint8_t *p[2];
	uint32_t l[2];
	int err;

	tcp_ring_pieces(r, at, n, p, l);
	err = copy(arg, 0, (void *)p[0], l[0], to_ring);
	if (!err && l[1])
		err = copy(arg, l[0], (void *)p[1], l[1], to_ring);
	return err;
}

long tcp_send_copy(struct tcp_pcb *pcb, tcp_copy_fn copy, void *arg, size_t n, uint64_t now)
{
	uint32_t room;
	int err;

	switch (pcb->state) {
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
		break;
	case TCP_SYN_SENT:
	case TCP_SYN_RCVD:
		return 0;
	case TCP_CLOSED:
	case TCP_LISTEN:
		return pcb->error ? pcb->error : pcb->iss ? -EPIPE : -ENOTCONN;
	default:
		return -EPIPE;
	}
	if (pcb->flags & TCP_PCB_F_FIN_QUEUED)
		return -EPIPE;
	room = pcb->snd.cap - pcb->snd.len;
	if (n > room)
		n = room;
	err = ring_copy(&pcb->snd, pcb->snd.len, (uint32_t)n, copy, arg, true);
	if (err < 0)
		return err;
	pcb->snd.len += (uint32_t)n;
	tcp_output(pcb, now);
	return (long)n;
}

/* After a read: a window update if the window opened enough (docs/tcp.md, slow readers). */
static void window_update(struct tcp_pcb *pcb, uint64_t now)
{
	uint32_t old = pcb->rcv_adv - pcb->rcv_nxt;
	uint32_t edge = pcb->rcv_nxt + (pcb->rcv.cap - pcb->rcv.len);
	uint32_t sws = tcp_min32(pcb->rcv.cap / 2, tcp_eff_mss(pcb));

	if (pcb->state < TCP_ESTABLISHED || pcb->state == TCP_TIME_WAIT ||
	    (pcb->flags & TCP_PCB_F_FIN_RCVD))
		return;
	if (tcp_seq_lt(pcb->rcv_adv, edge) && edge - pcb->rcv_adv >= sws &&
	    edge - pcb->rcv_nxt >= 2 * old) {
		pcb->flags |= TCP_PCB_F_ACK_NOW;
		tcp_output(pcb, now);
	}
}

/*
 * Receive-buffer autotuning (in the spirit of Linux's dynamic right-sizing):
 * once per RTT, if the application read at least half the ring in it, the
 * window and not the reader is what limits the peer, so the ring doubles,
 * up to TCP_RCVBUF_MAX and what the window field can say, unless the
 * socket set SO_RCVBUF or memory is under pressure. The out-of-order bytes move with the rest.
 */
static void autotune_rcv(struct tcp_pcb *pcb, uint32_t n, uint64_t now)
{
	uint64_t rtt = pcb->srtt ? pcb->srtt : TCP_RTO_MIN;
	uint32_t cap = pcb->rcv.cap, max = (uint32_t)TCP_WIN_MAX << pcb->rcv_wscale, held;
	bool grow;

	pcb->rcv_copied += n;
	if (now - pcb->rcv_tune_at < rtt)
		return;
	grow = pcb->rcv_copied >= cap / 2;
	pcb->rcv_copied = 0;
	pcb->rcv_tune_at = now;
	max = tcp_min32(max, TCP_RCVBUF_MAX);
	if (!grow || (pcb->flags & TCP_PCB_F_BUFS_SET) || cap >= max || !tcp_ring_may_grow(cap))
		return;
	held = pcb->rcv.len + (pcb->n_ooo ? pcb->ooo[pcb->n_ooo - 1].end - pcb->rcv_nxt : 0);
	if (tcp_ring_resize(&pcb->rcv, tcp_min32(2 * cap, max), held) == 0)
		pcb->rcvbuf = pcb->rcv.cap;
}

long tcp_recv(struct tcp_pcb *pcb, void *buf, size_t n, bool peek, uint64_t now)
{
	return tcp_recv_copy(pcb, copy_mem, buf, n, peek, now);
}

long tcp_recv_copy(struct tcp_pcb *pcb, tcp_copy_fn copy, void *arg, size_t n, bool peek,
		   uint64_t now)
{
	if (pcb->rcv.len && !n)
		return 0;
	if (pcb->rcv.len) {
		int err;

		if (n > pcb->rcv.len)
			n = pcb->rcv.len;
		err = ring_copy(&pcb->rcv, 0, (uint32_t)n, copy, arg, false);
		if (err < 0)
			return err;
		if (!peek) {
			tcp_ring_consume(&pcb->rcv, (uint32_t)n);
			autotune_rcv(pcb, (uint32_t)n, now);
			window_update(pcb, now);
		}
		return (long)n;
	}
	if (pcb->flags & TCP_PCB_F_FIN_RCVD)
		return 0;
	if (pcb->error)
		return pcb->error;
	if (pcb->state == TCP_CLOSED || pcb->state == TCP_LISTEN)
		return pcb->iss ? 0 : -ENOTCONN;
	return -EAGAIN;
}

size_t tcp_readable(const struct tcp_pcb *pcb, bool *eof)
{
	*eof = (pcb->flags & TCP_PCB_F_FIN_RCVD) || pcb->error ||
	       (pcb->state == TCP_CLOSED && pcb->iss);
	return pcb->rcv.len;
}

size_t tcp_queued(const struct tcp_pcb *pcb)
{
	return pcb->snd.len;
}

size_t tcp_writable(const struct tcp_pcb *pcb)
{
	if ((pcb->state != TCP_ESTABLISHED && pcb->state != TCP_CLOSE_WAIT) ||
	    (pcb->flags & TCP_PCB_F_FIN_QUEUED))
		return 0;
	return pcb->snd.cap - pcb->snd.len;
}

int tcp_shutdown(struct tcp_pcb *pcb, uint64_t now)
{
	switch (pcb->state) {
	case TCP_SYN_SENT:
		tcp_enter_closed(pcb, 0);
		return 0;
	case TCP_SYN_RCVD:
	case TCP_ESTABLISHED:
		pcb->state = TCP_FIN_WAIT_1;
		break;
	case TCP_CLOSE_WAIT:
		pcb->state = TCP_LAST_ACK;
		break;
	case TCP_CLOSED:
	case TCP_LISTEN:
		return -ENOTCONN;
	default:
		return 0; /* a FIN is already queued */
	}
	pcb->flags |= TCP_PCB_F_FIN_QUEUED;
	tcp_output(pcb, now);
	return 0;
}

void tcp_close(struct tcp_pcb *pcb, uint64_t now)
{
	pcb->flags &= ~TCP_PCB_F_USER;
	if (pcb->state == TCP_LISTEN) {
		tcp_listen_close(pcb);
		pcb->state = TCP_CLOSED;
	} else if (pcb->rcv.len && pcb->state != TCP_CLOSED && pcb->state != TCP_TIME_WAIT) {
		/* Unread data is lost: say so with a RST (RFC 9293 3.10.4, RFC 2525 2.17). */
		tcp_send_rst(pcb, now);
		tcp_enter_closed(pcb, 0);
	} else if (pcb->state != TCP_CLOSED) {
		tcp_shutdown(pcb, now);
		if (pcb->state == TCP_FIN_WAIT_2)
			pcb->tw_at = now + TCP_FIN_TIMEOUT;
	}
	tcp_reap(pcb);
}

void tcp_abort(struct tcp_pcb *pcb)
{
	pcb->flags &= ~TCP_PCB_F_USER;
	if (pcb->state >= TCP_SYN_RCVD && pcb->state != TCP_TIME_WAIT)
		tcp_send_rst(pcb, 0);
	if (pcb->state == TCP_LISTEN)
		tcp_listen_close(pcb);
	pcb->state = TCP_CLOSED;
	if (pcb->parent)
		tcp_listen_unlink(pcb);
	tcp_pcb_destroy(pcb);
}
