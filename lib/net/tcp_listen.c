/*
 * Listeners. A SYN makes an entry in a bounded SYN cache, not a control
 * block: a flood costs the table and nothing more (the oldest entry goes
 * when it is full). The SYN-ACK is sent, and retransmitted, from the
 * entry; the final ACK makes the control block, which goes on the accept
 * queue (bounded by the backlog) once ESTABLISHED.
 */
#include "lib/net/tcp_priv.h"

#include <errno.h>
#include <string.h>

#include "lib/kc/include/stdlib.h" /* kmalloc(), by its path: the host test finds it too */
#include "lib/net/net_priv.h"

#define TCP_SYNQ_MIN 16

int tcp_listen(struct tcp_pcb *pcb, uint32_t laddr, uint16_t lport, unsigned backlog)
{
	struct tcp_listen_state *ls;
	unsigned cap;
	int err;

	if (pcb->state != TCP_CLOSED || pcb->listen)
		return -EINVAL;
	backlog = backlog < 1 ? 1 : backlog > TCP_BACKLOG_MAX ? TCP_BACKLOG_MAX : backlog;
	cap = backlog < TCP_SYNQ_MIN   ? TCP_SYNQ_MIN
	      : backlog > TCP_SYNQ_MAX ? TCP_SYNQ_MAX
				       : backlog;
	ls = kmalloc(sizeof(*ls) + cap * sizeof(ls->synq[0]));
	if (!ls)
		return -ENOMEM;
	memset(ls, 0, sizeof(*ls) + cap * sizeof(ls->synq[0]));
	ls->synq = (struct tcp_syn_entry *)(ls + 1);
	ls->synq_cap = cap;
	ls->backlog = backlog;
	pcb->laddr = laddr;
	pcb->lport = lport;
	err = tcp_listener_add(pcb);
	if (err < 0) {
		kfree(ls);
		return err;
	}
	pcb->listen = ls;
	pcb->state = TCP_LISTEN;
	return 0;
}

static bool entry_is(const struct tcp_syn_entry *e, const struct tcp_seg *seg)
{
	return e->used && e->raddr == seg->saddr && e->rport == seg->sport &&
	       e->laddr == seg->daddr && e->lport == seg->dport;
}

static struct tcp_syn_entry *find(struct tcp_listen_state *ls, const struct tcp_seg *seg)
{
	for (unsigned i = 0; i < ls->synq_cap; i++)
		if (entry_is(&ls->synq[i], seg))
			return &ls->synq[i];
	return NULL;
}

/* A free entry, or the oldest one, evicted. */
static struct tcp_syn_entry *slot(struct tcp_listen_state *ls)
{
	struct tcp_syn_entry *oldest = &ls->synq[0];

	for (unsigned i = 0; i < ls->synq_cap; i++) {
		if (!ls->synq[i].used)
			return &ls->synq[i];
		if (ls->synq[i].born < oldest->born)
			oldest = &ls->synq[i];
	}
	tcp_count(TCP_CTR_SYN_CACHE_EVICT);
	return oldest;
}

static void send_synack(const struct tcp_pcb *lst, const struct tcp_syn_entry *e, uint64_t now)
{
	struct tcp_hdr_args a = { 0 };
	struct tcp_out out = { 0 };

	a.saddr = e->laddr;
	a.daddr = e->raddr;
	a.sport = e->lport;
	a.dport = e->rport;
	a.seq = e->iss;
	a.ack = e->irs + 1;
	a.flags = TCP_SYN | TCP_ACK;
	a.wnd = (uint16_t)tcp_min32(tcp_ring_fit(lst->rcvbuf), TCP_WIN_MAX);
	tcp_opt_syn(&a, (uint16_t)tcp_our_mss(), e->ws_ok, TCP_WSCALE_OURS, e->sack_ok, e->ts_ok,
		    (uint32_t)(now / TCP_NS_PER_MS) + e->ts_offset, e->ts_recent);
	tcp_build(&out, &a);
	tcp_count(TCP_CTR_SEG_TX);
	if (tcp_cfg()->output(&out) < 0)
		tcp_count(TCP_CTR_TX_FAIL);
}

static void syn_arrives(struct tcp_pcb *lst, const struct tcp_seg *seg, uint64_t now)
{
	struct tcp_listen_state *ls = lst->listen;
	struct tcp_syn_entry *e = find(ls, seg);

	if (e && e->irs == seg->seq) {
		/* The SYN again: our SYN-ACK was lost. Echo this one, or the RTT is the whole wait. */
		e->ts_recent = seg->opt.tsval;
		send_synack(lst, e, now);
		return;
	}
	if (!e)
		e = slot(ls);
	memset(e, 0, sizeof(*e));
	e->used = true;
	e->raddr = seg->saddr;
	e->rport = seg->sport;
	e->laddr = seg->daddr;
	e->lport = seg->dport;
	e->irs = seg->seq;
	e->iss = tcp_isn(seg->daddr, seg->dport, seg->saddr, seg->sport, now);
	e->mss = seg->opt.has_mss ? seg->opt.mss : TCP_MSS_DEFAULT;
	e->ws_ok = seg->opt.has_wscale;
	e->wscale = seg->opt.wscale;
	e->sack_ok = seg->opt.sack_ok;
	e->ts_ok = seg->opt.has_ts;
	e->ts_recent = seg->opt.tsval;
	e->ts_offset = net_random32();
	e->born = now;
	e->deadline = now + TCP_RTO_INIT;
	tcp_count(TCP_CTR_SYN_CACHE_ADD);
	send_synack(lst, e, now);
}

static struct tcp_pcb *make_child(struct tcp_pcb *lst, const struct tcp_syn_entry *e)
{
	struct tcp_pcb *c = tcp_pcb_new(lst->ops, NULL);
	struct tcp_opts o = { 0 };

	if (!c)
		return NULL;
	c->flags = (lst->flags & (TCP_PCB_F_NODELAY | TCP_PCB_F_CORK | TCP_PCB_F_KEEPALIVE |
				  TCP_PCB_F_BUFS_SET)) |
		   TCP_PCB_F_PASSIVE;
	c->sndbuf = lst->sndbuf;
	c->rcvbuf = lst->rcvbuf;
	c->keep_idle_s = lst->keep_idle_s;
	c->keep_intvl_s = lst->keep_intvl_s;
	c->keep_cnt = lst->keep_cnt;
	if (tcp_alloc_rings(c) < 0) {
		tcp_pcb_destroy(c);
		return NULL;
	}
	c->laddr = e->laddr;
	c->lport = e->lport;
	c->raddr = e->raddr;
	c->rport = e->rport;
	c->iss = c->snd_una = c->recover = c->high_rxt = e->iss;
	c->snd_nxt = c->snd_max = e->iss + 1;
	c->irs = e->irs;
	c->rcv_nxt = c->last_ack_sent = e->irs + 1;
	c->rcv_adv = c->rcv_nxt + tcp_min32(c->rcv.cap, TCP_WIN_MAX); /* the SYN-ACK's */
	c->ts_offset = e->ts_offset;
	o.has_mss = true;
	o.mss = e->mss;
	o.has_wscale = e->ws_ok;
	o.wscale = e->wscale;
	o.sack_ok = e->sack_ok;
	o.has_ts = e->ts_ok;
	o.tsval = e->ts_recent;
	tcp_take_syn_options(c, &o);
	c->state = TCP_SYN_RCVD;
	c->parent = lst;
	tcp_hash(c);
	return c;
}

static void ack_arrives(struct tcp_pcb *lst, const struct tcp_seg *seg, uint64_t now)
{
	struct tcp_listen_state *ls = lst->listen;
	struct tcp_syn_entry *e = find(ls, seg);
	struct tcp_pcb *c;

	if (!e || seg->ack != e->iss + 1) {
		tcp_count(TCP_CTR_DROP_NO_PCB);
		tcp_send_reset_for(seg);
		return;
	}
	if (seg->seq != e->irs + 1) {
		tcp_count(TCP_CTR_DROP_SEQ);
		return;
	}
	if (ls->acceptq_len >= ls->backlog) {
		tcp_count(TCP_CTR_ACCEPT_FULL); /* the entry stays: a retransmission completes it */
		return;
	}
	c = make_child(lst, e);
	if (!c)
		return;
	e->used = false;
	tcp_input(c, seg, now);
	tcp_reap(c);
}

void tcp_listen_input(struct tcp_pcb *lst, const struct tcp_seg *seg, uint64_t now)
{
	if (seg->flags & TCP_RST)
		return;
	if (seg->flags & TCP_ACK) {
		ack_arrives(lst, seg, now);
		return;
	}
	if (seg->flags & TCP_SYN)
		syn_arrives(lst, seg, now);
}

void tcp_listen_established(struct tcp_pcb *c)
{
	struct tcp_pcb *lst = c->parent;
	struct tcp_listen_state *ls = lst->listen;

	c->accept_next = NULL;
	if (ls->acceptq_tail)
		ls->acceptq_tail->accept_next = c;
	else
		ls->acceptq_head = c;
	ls->acceptq_tail = c;
	ls->acceptq_len++;
	c->flags |= TCP_PCB_F_IN_ACCEPTQ;
	tcp_event(lst, TCP_EV_ACCEPT);
}

void tcp_listen_unlink(struct tcp_pcb *c)
{
	struct tcp_listen_state *ls = c->parent->listen;
	struct tcp_pcb **pp = &ls->acceptq_head, *prev = NULL;

	if (c->flags & TCP_PCB_F_IN_ACCEPTQ) {
		while (*pp && *pp != c) {
			prev = *pp;
			pp = &(*pp)->accept_next;
		}
		if (*pp) {
			*pp = c->accept_next;
			if (ls->acceptq_tail == c)
				ls->acceptq_tail = prev;
			ls->acceptq_len--;
		}
	}
	c->flags &= ~TCP_PCB_F_IN_ACCEPTQ;
	c->accept_next = NULL;
	c->parent = NULL;
}

bool tcp_accept_ready(const struct tcp_pcb *lst)
{
	return lst->state == TCP_LISTEN && lst->listen->acceptq_head;
}

struct tcp_pcb *tcp_accept(struct tcp_pcb *lst)
{
	struct tcp_pcb *c;

	if (lst->state != TCP_LISTEN || !lst->listen->acceptq_head)
		return NULL;
	c = lst->listen->acceptq_head;
	tcp_listen_unlink(c);
	c->flags |= TCP_PCB_F_USER;
	return c;
}

void tcp_listen_close(struct tcp_pcb *lst)
{
	struct tcp_listen_state *ls = lst->listen;

	while (ls->acceptq_head) {
		struct tcp_pcb *c = ls->acceptq_head;

		tcp_listen_unlink(c);
		tcp_abort(c);
	}
	/* Children still in SYN_RCVD are transient: made and settled within one segment. */
	tcp_unhash(lst);
	kfree(ls);
	lst->listen = NULL;
}

uint64_t tcp_listen_timer(struct tcp_pcb *lst, uint64_t now)
{
	struct tcp_listen_state *ls = lst->listen;

	for (unsigned i = 0; i < ls->synq_cap; i++) {
		struct tcp_syn_entry *e = &ls->synq[i];

		if (!e->used || e->deadline > now)
			continue;
		if (++e->retries > TCP_RETRIES_SYNACK) {
			tcp_count(TCP_CTR_SYN_CACHE_EXPIRE);
			e->used = false;
			continue;
		}
		send_synack(lst, e, now);
		e->deadline = now + (TCP_RTO_INIT << e->retries);
	}
	return tcp_listen_deadline(lst);
}

uint64_t tcp_listen_deadline(const struct tcp_pcb *lst)
{
	const struct tcp_listen_state *ls = lst->listen;
	uint64_t next = TCP_NEVER;

	for (unsigned i = 0; i < ls->synq_cap; i++)
		if (ls->synq[i].used)
			next = tcp_min64(next, ls->synq[i].deadline);
	return next;
}
