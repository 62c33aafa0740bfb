/*
 * The timers of every block, driven by the caller's "now": retransmission
 * (with exponential backoff and the retry limits), delayed ACK, persist
 * (zero-window probes), keepalive, TCP_CORK's hold on a short segment, and
 * TIME_WAIT / orphaned FIN_WAIT_2.
 * tcp_timer() runs what is due and returns the next deadline, so the
 * network thread sleeps until then and no periodic tick is needed.
 */
#include "lib/net/tcp_priv.h"

#include <errno.h>

#define TCP_BACKOFF_MAX 16

void tcp_pcb_timers_off(struct tcp_pcb *pcb)
{
	pcb->rto_at = pcb->delack_at = pcb->persist_at = pcb->keep_at = pcb->tw_at = pcb->cork_at =
		TCP_NEVER;
}

void tcp_rto_arm(struct tcp_pcb *pcb, uint64_t now)
{
	pcb->rto_at = now + tcp_min64(pcb->rto << pcb->backoff, TCP_RTO_MAX);
}

static bool synchronised(const struct tcp_pcb *pcb)
{
	return pcb->state >= TCP_ESTABLISHED && pcb->state != TCP_TIME_WAIT;
}

void tcp_keep_reset(struct tcp_pcb *pcb, uint64_t now)
{
	pcb->keep_probes = 0;
	if ((pcb->flags & TCP_PCB_F_KEEPALIVE) && synchronised(pcb))
		pcb->keep_at = now + (uint64_t)pcb->keep_idle_s * TCP_NS_PER_S;
	else
		pcb->keep_at = TCP_NEVER;
}

uint64_t tcp_pcb_deadline(const struct tcp_pcb *pcb)
{
	if (pcb->state == TCP_LISTEN)
		return tcp_listen_deadline(pcb);
	return tcp_min64(tcp_min64(tcp_min64(pcb->rto_at, pcb->delack_at),
				   tcp_min64(pcb->persist_at, pcb->keep_at)),
			 tcp_min64(pcb->tw_at, pcb->cork_at));
}

static void rto_fires(struct tcp_pcb *pcb, uint64_t now)
{
	bool syn = pcb->state == TCP_SYN_SENT || pcb->state == TCP_SYN_RCVD;

	pcb->rto_at = TCP_NEVER;
	tcp_count(TCP_CTR_RTO);
	if (++pcb->retries > (syn ? TCP_RETRIES_SYN : TCP_RETRIES_DATA)) {
		tcp_count(TCP_CTR_TIMEOUTS);
		tcp_enter_closed(pcb, -ETIMEDOUT);
		return;
	}
	if (pcb->backoff < TCP_BACKOFF_MAX)
		pcb->backoff++;
	pcb->ts_rto = tcp_ts_now(pcb, now);
	tcp_cc_timeout(pcb);
	tcp_output(pcb, now);
	if (pcb->rto_at == TCP_NEVER && pcb->snd_una != pcb->snd_max)
		tcp_rto_arm(pcb, now);
}

static void persist_fires(struct tcp_pcb *pcb, uint64_t now)
{
	uint64_t t;

	pcb->persist_at = TCP_NEVER;
	if (pcb->snd_wnd || !tcp_seq_lt(pcb->snd_nxt, tcp_data_end(pcb)))
		return;
	tcp_send_probe(pcb, now, false);
	if (pcb->persist_backoff < TCP_BACKOFF_MAX)
		pcb->persist_backoff++;
	t = tcp_min64(pcb->rto << pcb->persist_backoff, TCP_RTO_MAX);
	pcb->persist_at = now + (t < TCP_PERSIST_MIN ? TCP_PERSIST_MIN : t);
}

static void keep_fires(struct tcp_pcb *pcb, uint64_t now)
{
	if (pcb->keep_probes >= pcb->keep_cnt) {
		tcp_count(TCP_CTR_TIMEOUTS);
		tcp_enter_closed(pcb, -ETIMEDOUT);
		return;
	}
	tcp_send_probe(pcb, now, true);
	pcb->keep_probes++;
	pcb->keep_at = now + (uint64_t)pcb->keep_intvl_s * TCP_NS_PER_S;
}

/* A short segment has waited TCP_CORK_MAX under the cork: it goes, by Nagle's rules. */
static void cork_fires(struct tcp_pcb *pcb, uint64_t now)
{
	pcb->cork_at = TCP_NEVER;
	pcb->flags &= ~TCP_PCB_F_CORK;
	tcp_output(pcb, now);
	pcb->flags |= TCP_PCB_F_CORK; /* what is still held waits for the next output to arm it */
}

/* Runs pcb's due timers, each at most once. */
static void run(struct tcp_pcb *pcb, uint64_t now)
{
	if (pcb->tw_at <= now) {
		tcp_enter_closed(pcb, 0); /* TIME_WAIT's 2 MSL, or an orphan's FIN_WAIT_2 */
		return;
	}
	if (pcb->rto_at <= now)
		rto_fires(pcb, now);
	if (pcb->state == TCP_CLOSED)
		return;
	if (pcb->delack_at <= now) {
		pcb->delack_at = TCP_NEVER;
		tcp_send_ack(pcb, now);
	}
	if (pcb->persist_at <= now)
		persist_fires(pcb, now);
	if (pcb->keep_at <= now)
		keep_fires(pcb, now);
	if (pcb->cork_at <= now)
		cork_fires(pcb, now);
}

uint64_t tcp_timer(uint64_t now)
{
	uint64_t next = TCP_NEVER;
	struct tcp_pcb *pcb = tcp_pcb_first(), *following;

	for (; pcb; pcb = following) {
		following = pcb->all_next;
		if (pcb->state == TCP_LISTEN) {
			next = tcp_min64(next, tcp_listen_timer(pcb, now));
			continue;
		}
		if (tcp_pcb_deadline(pcb) <= now) {
			run(pcb, now);
			if (pcb->state == TCP_CLOSED && !(pcb->flags & TCP_PCB_F_USER)) {
				tcp_reap(pcb);
				continue;
			}
		}
		next = tcp_min64(next, tcp_pcb_deadline(pcb));
	}
	/* TIME_WAIT's list is oldest first: only its head can be due. */
	while ((pcb = tcp_time_wait_first()) && pcb->tw_at <= now) {
		run(pcb, now); /* CLOSED, and back on tcp.all */
		tcp_reap(pcb);
	}
	return tcp_min64(next, pcb ? pcb->tw_at : TCP_NEVER);
}

uint64_t tcp_next_deadline(void)
{
	uint64_t next = TCP_NEVER;
	struct tcp_pcb *tw = tcp_time_wait_first();

	for (struct tcp_pcb *pcb = tcp_pcb_first(); pcb; pcb = pcb->all_next)
		next = tcp_min64(next, tcp_pcb_deadline(pcb));
	return tcp_min64(next, tw ? tw->tw_at : TCP_NEVER);
}
