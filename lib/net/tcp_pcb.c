/*
 * Control blocks: creation and freeing, the table that finds a block by
 * its 4-tuple (and listeners by their port), the list the timers walk,
 * initial sequence numbers (RFC 6528), the timestamp clock and counters.
 */
#include "lib/net/tcp_priv.h"

#include <errno.h>
#include <string.h>

#include "kernel/list.h" /* container_of */
#include "kernel/printk.h"
#include "lib/kc/include/stdlib.h" /* kmalloc(), by its path: the host test finds it too */
#include "lib/net/net_priv.h"

#define TCP_HASH_BUCKETS 4096 /* a power of two: 2 MSL of connections closed at 1000/s is 60000 */
#define TCP_TW_MIN 64	      /* TIME_WAIT blocks kept, at the least */
#define TCP_ISN_TICK_NS 4000  /* RFC 6528's M: a 4 us clock */
#define TCP_SIP_ROUNDS_C 2    /* SipHash-2-4: rounds per word, and at the end */
#define TCP_SIP_ROUNDS_D 4
#define TCP_SIP_FINAL 0xff
#define TCP_SIP_LEN_BLOCK (16ull << 56)
/* SipHash's initial state, "somepseudorandomlygeneratedbytes", xored with the key. */
#define TCP_SIP_V0 0x736f6d6570736575ull
#define TCP_SIP_V1 0x646f72616e646f6dull
#define TCP_SIP_V2 0x6c7967656e657261ull
#define TCP_SIP_V3 0x7465646279746573ull
/* Multipliers that spread the 4-tuple over the buckets (odd, from MurmurHash3's mixers). */
#define TCP_HASH_MUL_A 0x9e3779b1u
#define TCP_HASH_MUL_B 0x85ebca6bu
#define TCP_HASH_MUL_C 0xc2b2ae35u

static struct {
	const struct tcp_config *cfg;
	struct tcp_pcb *buckets[TCP_HASH_BUCKETS];
	struct tcp_pcb *listeners;
	struct tcp_pcb *all; /* every block but those in TIME_WAIT */
	/*
	 * The blocks in TIME_WAIT, oldest first: each waits 2 MSL from when it
	 * came (or a FIN came again), so the first is always the next to end,
	 * and the timers never walk the others.
	 */
	struct tcp_pcb *tw, *tw_last;
	unsigned count, tw_count;
	uint64_t key[2]; /* the ISN secret */
	bool keyed;
	uint64_t counters[TCP_CTR_COUNT];
} tcp;

static const char *const counter_names[] = {
#define TCP_COUNTER_NAME(name, text) text,
	TCP_COUNTERS(TCP_COUNTER_NAME)
#undef TCP_COUNTER_NAME
};

void tcp_init(const struct tcp_config *cfg)
{
	while (tcp.all)
		tcp_pcb_destroy(tcp.all);
	while (tcp.tw)
		tcp_pcb_destroy(tcp.tw);
	memset(&tcp, 0, sizeof(tcp));
	tcp.cfg = cfg;
}

const struct tcp_config *tcp_cfg(void)
{
	return tcp.cfg;
}

void tcp_count(enum tcp_counter c)
{
	tcp.counters[c]++;
}

uint64_t tcp_counter(enum tcp_counter c)
{
	return tcp.counters[c];
}

const char *tcp_counter_name(enum tcp_counter c)
{
	return counter_names[c];
}

void tcp_stats_report(void)
{
	for (unsigned c = 0; c < TCP_CTR_COUNT; c++)
		if (tcp.counters[c])
			pr_info("%s: %llu", counter_names[c], (unsigned long long)tcp.counters[c]);
}

unsigned tcp_pcb_count(void)
{
	return tcp.count;
}

uint64_t tcp_unacked(void)
{
	uint64_t n = 0;

	for (struct tcp_pcb *p = tcp.all; p; p = p->all_next)
		n += p->snd.len;
	return n;
}

struct tcp_pcb *tcp_pcb_first(void)
{
	return tcp.all;
}

struct tcp_pcb *tcp_time_wait_first(void)
{
	return tcp.tw;
}

/* Takes pcb off its list (tcp.all, or tcp.tw with TCP_PCB_F_TWQ). */
static void list_unlink(struct tcp_pcb *pcb)
{
	if (pcb == tcp.tw_last)
		tcp.tw_last = pcb->all_prev == &tcp.tw
				      ? NULL
				      : container_of(pcb->all_prev, struct tcp_pcb, all_next);
	*pcb->all_prev = pcb->all_next;
	if (pcb->all_next)
		pcb->all_next->all_prev = pcb->all_prev;
	if (pcb->flags & TCP_PCB_F_TWQ)
		tcp.tw_count--;
	pcb->flags &= ~TCP_PCB_F_TWQ;
}

static void all_push(struct tcp_pcb *pcb)
{
	pcb->all_next = tcp.all;
	if (tcp.all)
		tcp.all->all_prev = &pcb->all_next;
	pcb->all_prev = &tcp.all;
	tcp.all = pcb;
}

static void tw_append(struct tcp_pcb *pcb)
{
	pcb->all_next = NULL;
	pcb->all_prev = tcp.tw_last ? &tcp.tw_last->all_next : &tcp.tw;
	*pcb->all_prev = pcb;
	tcp.tw_last = pcb;
	tcp.tw_count++;
	pcb->flags |= TCP_PCB_F_TWQ;
}

void tcp_time_wait_done(struct tcp_pcb *pcb)
{
	list_unlink(pcb);
	all_push(pcb);
}

uint32_t tcp_our_mss(void)
{
	return tcp.cfg->mtu > TCP_IP_TCP_HDRS + TCP_MSS_MIN ? tcp.cfg->mtu - TCP_IP_TCP_HDRS
							    : TCP_MSS_DEFAULT;
}

struct tcp_pcb *tcp_pcb_new(const struct tcp_ops *ops, void *owner)
{
	struct tcp_pcb *pcb = kmalloc(sizeof(*pcb));

	if (!pcb)
		return NULL;
	memset(pcb, 0, sizeof(*pcb));
	pcb->ops = ops;
	pcb->owner = owner;
	pcb->flags = TCP_PCB_F_USER;
	pcb->sndbuf = TCP_SNDBUF_DEFAULT;
	pcb->rcvbuf = TCP_RCVBUF_DEFAULT;
	pcb->keep_idle_s = TCP_KEEP_IDLE_S;
	pcb->keep_intvl_s = TCP_KEEP_INTVL_S;
	pcb->keep_cnt = TCP_KEEP_CNT;
	pcb->peer_mss = TCP_MSS_DEFAULT;
	pcb->rto = TCP_RTO_INIT;
	tcp_pcb_timers_off(pcb);
	tcp_cc_init(pcb);
	all_push(pcb);
	tcp.count++;
	return pcb;
}

int tcp_alloc_rings(struct tcp_pcb *pcb)
{
	if (!pcb->snd.buf && tcp_ring_alloc(&pcb->snd, pcb->sndbuf) < 0)
		return -ENOMEM;
	if (!pcb->rcv.buf && tcp_ring_alloc(&pcb->rcv, pcb->rcvbuf) < 0) {
		tcp_ring_free(&pcb->snd);
		return -ENOMEM;
	}
	return 0;
}

static unsigned bucket(uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport)
{
	uint32_t h = laddr * TCP_HASH_MUL_A ^ raddr * TCP_HASH_MUL_B ^
		     ((uint32_t)lport << 16 | rport) * TCP_HASH_MUL_C;

	return (h ^ h >> 15) & (TCP_HASH_BUCKETS - 1);
}

static void link_into(struct tcp_pcb **head, struct tcp_pcb *pcb)
{
	pcb->hnext = *head;
	if (*head)
		(*head)->hprev = &pcb->hnext;
	pcb->hprev = head;
	*head = pcb;
	pcb->flags |= TCP_PCB_F_HASHED;
}

void tcp_hash(struct tcp_pcb *pcb)
{
	link_into(&tcp.buckets[bucket(pcb->laddr, pcb->lport, pcb->raddr, pcb->rport)], pcb);
}

void tcp_unhash(struct tcp_pcb *pcb)
{
	if (!(pcb->flags & TCP_PCB_F_HASHED))
		return;
	*pcb->hprev = pcb->hnext;
	if (pcb->hnext)
		pcb->hnext->hprev = pcb->hprev;
	pcb->hnext = NULL;
	pcb->hprev = NULL;
	pcb->flags &= ~TCP_PCB_F_HASHED;
}

struct tcp_pcb *tcp_lookup(uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport)
{
	struct tcp_pcb *p = tcp.buckets[bucket(laddr, lport, raddr, rport)];

	for (; p; p = p->hnext)
		if (p->laddr == laddr && p->lport == lport && p->raddr == raddr &&
		    p->rport == rport)
			return p;
	return NULL;
}

struct tcp_pcb *tcp_lookup_listener(uint32_t laddr, uint16_t lport)
{
	struct tcp_pcb *any = NULL;

	for (struct tcp_pcb *p = tcp.listeners; p; p = p->hnext) {
		if (p->lport != lport)
			continue;
		if (p->laddr == laddr)
			return p;
		if (p->laddr == IPV4_ANY)
			any = p;
	}
	return any;
}

int tcp_listener_add(struct tcp_pcb *pcb)
{
	for (struct tcp_pcb *p = tcp.listeners; p; p = p->hnext)
		if (p->lport == pcb->lport && (p->laddr == pcb->laddr || !p->laddr || !pcb->laddr))
			return -EADDRINUSE;
	link_into(&tcp.listeners, pcb);
	return 0;
}

static bool held_in(const struct tcp_pcb *p, uint32_t laddr, uint16_t lport)
{
	for (; p; p = p->all_next)
		if (!(p->flags & TCP_PCB_F_USER) && p->state != TCP_CLOSED && p->lport == lport &&
		    (!laddr || !p->laddr || p->laddr == laddr))
			return true;
	return false;
}

bool tcp_port_held(uint32_t laddr, uint16_t lport)
{
	return held_in(tcp.all, laddr, lport) || held_in(tcp.tw, laddr, lport);
}

void tcp_pcb_destroy(struct tcp_pcb *pcb)
{
	if (pcb->listen)
		tcp_listen_close(pcb);
	tcp_unhash(pcb);
	tcp_ring_free(&pcb->snd);
	tcp_ring_free(&pcb->rcv);
	list_unlink(pcb);
	tcp.count--;
	kfree(pcb);
}

void tcp_event(struct tcp_pcb *pcb, unsigned events)
{
	if (pcb->ops && pcb->ops->event && (pcb->flags & TCP_PCB_F_USER))
		pcb->ops->event(pcb, events);
}

void tcp_enter_closed(struct tcp_pcb *pcb, int error)
{
	bool was_open = pcb->state != TCP_CLOSED;

	pcb->state = TCP_CLOSED;
	if (pcb->flags & TCP_PCB_F_TWQ)
		tcp_time_wait_done(pcb);
	tcp_pcb_timers_off(pcb);
	tcp_unhash(pcb);
	if (error && !pcb->error)
		pcb->error = error;
	if (was_open)
		tcp_event(pcb, TCP_EV_CLOSED | TCP_EV_READABLE | TCP_EV_WRITABLE |
				       (error ? TCP_EV_ERROR : 0));
}

/*
 * The most blocks in TIME_WAIT: a quarter of the memory budget in blocks, as
 * Linux's tcp_max_tw_buckets bounds them; no bound without a budget.
 */
static unsigned tw_max(void)
{
	size_t budget = tcp.cfg->mem_budget, n = budget / 4 / sizeof(struct tcp_pcb);

	if (!budget)
		return UINT32_MAX;
	return n < TCP_TW_MIN ? TCP_TW_MIN : n > UINT32_MAX ? UINT32_MAX : (unsigned)n;
}

void tcp_enter_time_wait(struct tcp_pcb *pcb, uint64_t now)
{
	list_unlink(pcb);
	pcb->state = TCP_TIME_WAIT;
	tw_append(pcb);
	/* Past the bound, the oldest ends early (its peer has had the longest to be done). */
	while (tcp.tw_count > tw_max() && tcp.tw != pcb) {
		struct tcp_pcb *old = tcp.tw;

		tcp_count(TCP_CTR_TW_RECYCLED);
		tcp_enter_closed(old, 0); /* back on tcp.all */
		tcp_reap(old);
	}
	tcp_pcb_timers_off(pcb);
	tcp_ring_free(&pcb->snd); /* everything was acknowledged: 2 MSL costs only the block */
	if (!pcb->rcv.len)
		tcp_ring_free(&pcb->rcv);
	pcb->n_ooo = 0;
	pcb->tw_at = now + 2 * TCP_MSL;
	tcp_event(pcb, TCP_EV_READABLE);
}

void tcp_time_wait_again(struct tcp_pcb *pcb, uint64_t now)
{
	list_unlink(pcb);
	tw_append(pcb);
	pcb->tw_at = now + 2 * TCP_MSL;
}

void tcp_reap(struct tcp_pcb *pcb)
{
	if (pcb->state != TCP_CLOSED || (pcb->flags & TCP_PCB_F_USER))
		return;
	if (pcb->parent)
		tcp_listen_unlink(pcb);
	tcp_pcb_destroy(pcb);
}

static uint64_t rotl(uint64_t v, unsigned n)
{
	return v << n | v >> (64 - n);
}

static void sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl(v[1], 13) ^ v[0];
	v[0] = rotl(v[0], 32);
	v[2] += v[3];
	v[3] = rotl(v[3], 16) ^ v[2];
	v[0] += v[3];
	v[3] = rotl(v[3], 21) ^ v[0];
	v[2] += v[1];
	v[1] = rotl(v[1], 17) ^ v[2];
	v[2] = rotl(v[2], 32);
}

/* SipHash-2-4 of two 64-bit words (a 16-byte message), keyed with the secret: RFC 6528's F. */
static uint32_t keyed_hash(uint64_t m0, uint64_t m1)
{
	uint64_t v[4] = { tcp.key[0] ^ TCP_SIP_V0, tcp.key[1] ^ TCP_SIP_V1, tcp.key[0] ^ TCP_SIP_V2,
			  tcp.key[1] ^ TCP_SIP_V3 };
	uint64_t m[2] = { m0, m1 };

	for (unsigned i = 0; i < 2; i++) {
		v[3] ^= m[i];
		for (unsigned r = 0; r < TCP_SIP_ROUNDS_C; r++)
			sip_round(v);
		v[0] ^= m[i];
	}
	v[3] ^= TCP_SIP_LEN_BLOCK; /* the last block: only the length, 16 bytes */
	for (unsigned r = 0; r < TCP_SIP_ROUNDS_C; r++)
		sip_round(v);
	v[0] ^= TCP_SIP_LEN_BLOCK;
	v[2] ^= TCP_SIP_FINAL;
	for (unsigned r = 0; r < TCP_SIP_ROUNDS_D; r++)
		sip_round(v);
	return (uint32_t)(v[0] ^ v[1] ^ v[2] ^ v[3]);
}

static void make_key(void)
{
	for (unsigned i = 0; i < 2; i++)
		tcp.key[i] = (uint64_t)net_random32() << 32 | net_random32();
	tcp.keyed = true;
}

uint32_t tcp_isn(uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport, uint64_t now)
{
	if (!tcp.keyed)
		make_key();
	return (uint32_t)(now / TCP_ISN_TICK_NS) +
	       keyed_hash((uint64_t)laddr << 32 | raddr, (uint64_t)lport << 16 | rport);
}

uint32_t tcp_ts_now(const struct tcp_pcb *pcb, uint64_t now)
{
	return (uint32_t)(now / TCP_NS_PER_MS) + pcb->ts_offset;
}

void tcp_segment_arrives(const struct tcp_seg *seg, uint64_t now)
{
	struct tcp_pcb *pcb = tcp_lookup(seg->daddr, seg->dport, seg->saddr, seg->sport);
	struct tcp_pcb *lst;

	if (pcb && pcb->state == TCP_TIME_WAIT &&
	    (seg->flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN) {
		bool newer = pcb->flags & TCP_PCB_F_TS && seg->opt.has_ts
				     ? tcp_seq_lt(pcb->ts_recent, seg->opt.tsval)
				     : tcp_seq_lt(pcb->rcv_nxt, seg->seq);

		if (newer && tcp_lookup_listener(seg->daddr, seg->dport)) {
			tcp_count(TCP_CTR_TW_REUSE);
			tcp_enter_closed(pcb, 0);
			tcp_reap(pcb);
			pcb = NULL;
		}
	}
	if (pcb) {
		tcp_input(pcb, seg, now);
		tcp_reap(pcb);
		return;
	}
	lst = tcp_lookup_listener(seg->daddr, seg->dport);
	if (lst) {
		tcp_listen_input(lst, seg, now);
		return;
	}
	tcp_count(TCP_CTR_DROP_NO_PCB);
	tcp_send_reset_for(seg);
}
