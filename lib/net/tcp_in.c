/*
 * Segment arrival (RFC 9293 3.10.7): SYN_SENT apart, then for the
 * synchronised states the checks in the RFC's order (PAWS, sequence, RST,
 * SYN, ACK, data, FIN), with RFC 5961's stricter RST, SYN and ACK rules.
 */
#include "lib/net/tcp_priv.h"

#include <errno.h>
#include <string.h>

static uint32_t seg_len(const struct tcp_seg *seg)
{
	return seg->len + !!(seg->flags & TCP_SYN) + !!(seg->flags & TCP_FIN);
}

void tcp_take_syn_options(struct tcp_pcb *pcb, const struct tcp_opts *o)
{
	uint32_t ours = tcp_our_mss();

	pcb->peer_mss = o->has_mss ? o->mss : TCP_MSS_DEFAULT;
	if (pcb->peer_mss < TCP_MSS_MIN)
		pcb->peer_mss = TCP_MSS_MIN;
	pcb->peer_mss = tcp_min32(pcb->peer_mss, ours);
	pcb->flags &= ~(TCP_PCB_F_WSCALE | TCP_PCB_F_SACK | TCP_PCB_F_TS);
	pcb->snd_wscale = pcb->rcv_wscale = 0;
	if (o->has_wscale) {
		pcb->flags |= TCP_PCB_F_WSCALE;
		pcb->snd_wscale = o->wscale;
		pcb->rcv_wscale = TCP_WSCALE_OURS;
	}
	if (o->sack_ok)
		pcb->flags |= TCP_PCB_F_SACK;
	if (o->has_ts) {
		pcb->flags |= TCP_PCB_F_TS;
		pcb->ts_recent = o->tsval;
	}
	tcp_cc_init(pcb);
}

/* An RTT sample from the ACK of a SYN (or of data): by the echo, or by the timed sequence. */
static void rtt_from_ack(struct tcp_pcb *pcb, const struct tcp_seg *seg, uint64_t now)
{
	if ((pcb->flags & TCP_PCB_F_TS) && seg->opt.has_ts && seg->opt.tsecr) {
		uint32_t ms = tcp_ts_now(pcb, now) - seg->opt.tsecr;

		/*
		 * An echo from before the last timeout may be the receiver's answer to a
		 * duplicate (it echoes ts_recent, which it did not update): ambiguous, as
		 * Karn's rule says of retransmissions, and it would inflate the RTO.
		 */
		if (pcb->backoff && tcp_seq_lt(seg->opt.tsecr, pcb->ts_rto))
			return;
		if ((int32_t)ms >= 0)
			tcp_rtt_sample(pcb, (uint64_t)ms * TCP_NS_PER_MS);
		return;
	}
	if ((pcb->flags & TCP_PCB_F_RTT_TIMING) && tcp_seq_lt(pcb->rtt_seq, seg->ack)) {
		pcb->flags &= ~TCP_PCB_F_RTT_TIMING;
		tcp_rtt_sample(pcb, now - pcb->rtt_start);
	}
}

static void established(struct tcp_pcb *pcb, const struct tcp_seg *seg, uint64_t now)
{
	pcb->state = TCP_ESTABLISHED;
	pcb->snd_wnd = seg->wnd;
	if (!(seg->flags & TCP_SYN))
		pcb->snd_wnd <<= pcb->snd_wscale; /* never scaled in a SYN (RFC 7323 2.2) */
	pcb->max_sndwnd = pcb->snd_wnd;
	pcb->snd_wl1 = seg->seq;
	pcb->snd_wl2 = seg->ack;
	tcp_keep_reset(pcb, now);
	if (pcb->flags & TCP_PCB_F_PASSIVE)
		tcp_listen_established(pcb);
	else
		tcp_event(pcb, TCP_EV_CONNECTED | TCP_EV_WRITABLE);
}

static void syn_sent(struct tcp_pcb *pcb, const struct tcp_seg *seg, uint64_t now)
{
	bool ack = seg->flags & TCP_ACK;

	if (ack && (tcp_seq_leq(seg->ack, pcb->iss) || tcp_seq_lt(pcb->snd_max, seg->ack))) {
		tcp_count(TCP_CTR_DROP_ACK);
		tcp_send_reset_for(seg);
		return;
	}
	if (seg->flags & TCP_RST) {
		if (ack) {
			tcp_count(TCP_CTR_RST_RX);
			tcp_enter_closed(pcb, -ECONNREFUSED);
		}
		return;
	}
	if (!(seg->flags & TCP_SYN))
		return;
	pcb->irs = seg->seq;
	pcb->rcv_nxt = pcb->rcv_adv = pcb->last_ack_sent = seg->seq + 1;
	tcp_take_syn_options(pcb, &seg->opt);
	pcb->flags |= TCP_PCB_F_ACK_NOW;
	if (ack) {
		rtt_from_ack(pcb, seg, now);
		pcb->snd_una = seg->ack;
		pcb->flags |= TCP_PCB_F_SYN_ACKED;
		pcb->rto_at = TCP_NEVER;
		pcb->retries = 0;
		established(pcb, seg, now);
	} else {
		/* Simultaneous open: our SYN again, now with the ACK. */
		pcb->state = TCP_SYN_RCVD;
		pcb->snd_wnd = seg->wnd;
		pcb->snd_nxt = pcb->iss;
	}
	tcp_output(pcb, now);
}

/*
 * Data in [s, e) came again: the next ACK tells the sender (D-SACK, RFC
 * 2883), so that it can learn the resend was not needed (a peer that
 * reorders, or a timeout too short) and undo what it did about it.
 */
static void note_dsack(struct tcp_pcb *pcb, uint32_t s, uint32_t e)
{
	if (!(pcb->flags & TCP_PCB_F_SACK) || !tcp_seq_lt(s, e))
		return;
	pcb->dsack = (struct tcp_range){ s, e };
	pcb->flags |= TCP_PCB_F_DSACK | TCP_PCB_F_ACK_NOW;
	tcp_count(TCP_CTR_DSACK_TX);
}

/* The part of seg's data before rcv_nxt, which we already have, for a D-SACK. */
static void note_old_data(struct tcp_pcb *pcb, const struct tcp_seg *seg)
{
	if (seg->len && tcp_seq_lt(seg->seq, pcb->rcv_nxt))
		note_dsack(pcb, seg->seq, tcp_seq_min(seg->seq + seg->len, pcb->rcv_nxt));
}

/* RFC 9293 3.10.7.4's four cases, against the window we advertised. */
static bool acceptable(const struct tcp_pcb *pcb, const struct tcp_seg *seg)
{
	uint32_t wnd = tcp_seq_lt(pcb->rcv_nxt, pcb->rcv_adv) ? pcb->rcv_adv - pcb->rcv_nxt : 0;
	uint32_t len = seg_len(seg), off = seg->seq - pcb->rcv_nxt;

	if (!len)
		return wnd ? off < wnd : seg->seq == pcb->rcv_nxt;
	if (!wnd)
		return false;
	return off < wnd || (seg->seq + len - 1 - pcb->rcv_nxt) < wnd;
}

static void reset_arrives(struct tcp_pcb *pcb)
{
	tcp_count(TCP_CTR_RST_RX);
	switch (pcb->state) {
	case TCP_SYN_RCVD:
		tcp_enter_closed(pcb, (pcb->flags & TCP_PCB_F_PASSIVE) ? 0 : -ECONNREFUSED);
		break;
	case TCP_ESTABLISHED:
	case TCP_FIN_WAIT_1:
	case TCP_FIN_WAIT_2:
	case TCP_CLOSE_WAIT:
		tcp_enter_closed(pcb, -ECONNRESET);
		break;
	default:
		tcp_enter_closed(pcb, 0);
		break;
	}
}

/* The FIN we sent is acknowledged: the states that were waiting for it move on. */
static void fin_acked(struct tcp_pcb *pcb, uint64_t now)
{
	pcb->flags |= TCP_PCB_F_FIN_ACKED;
	switch (pcb->state) {
	case TCP_FIN_WAIT_1:
		pcb->state = TCP_FIN_WAIT_2;
		if (!(pcb->flags & TCP_PCB_F_USER))
			pcb->tw_at = now + TCP_FIN_TIMEOUT;
		break;
	case TCP_CLOSING:
		tcp_enter_time_wait(pcb, now);
		break;
	case TCP_LAST_ACK:
		tcp_enter_closed(pcb, 0);
		break;
	default:
		break;
	}
}

/* The ACK moved snd_una forward to ack. */
static void new_ack(struct tcp_pcb *pcb, const struct tcp_seg *seg, uint64_t now)
{
	uint32_t n = seg->ack - pcb->snd_una, data;
	bool fin;

	if (!(pcb->flags & TCP_PCB_F_SYN_ACKED)) {
		n--; /* our SYN */
		pcb->flags |= TCP_PCB_F_SYN_ACKED;
	}
	data = tcp_min32(n, pcb->snd.len);
	fin = tcp_fin_pending(pcb) && n > pcb->snd.len;
	rtt_from_ack(pcb, seg, now);
	tcp_ring_consume(&pcb->snd, data);
	pcb->snd_una = seg->ack;
	if (tcp_seq_lt(pcb->snd_nxt, pcb->snd_una))
		pcb->snd_nxt = pcb->snd_una;
	tcp_sack_trim(pcb);
	pcb->retries = 0;
	pcb->rto_at = TCP_NEVER;
	if (pcb->snd_una != pcb->snd_max)
		tcp_rto_arm(pcb, now);
	tcp_cc_ack(pcb, n, now);
	if (data)
		tcp_event(pcb, TCP_EV_WRITABLE);
	if (fin)
		fin_acked(pcb, now);
}

static void take_window(struct tcp_pcb *pcb, const struct tcp_seg *seg)
{
	if (tcp_seq_lt(pcb->snd_wl1, seg->seq) ||
	    (pcb->snd_wl1 == seg->seq && tcp_seq_leq(pcb->snd_wl2, seg->ack))) {
		pcb->snd_wnd = (uint32_t)seg->wnd << pcb->snd_wscale;
		if (pcb->snd_wnd > pcb->max_sndwnd)
			pcb->max_sndwnd = pcb->snd_wnd;
		pcb->snd_wl1 = seg->seq;
		pcb->snd_wl2 = seg->ack;
	}
	if (pcb->snd_wnd) {
		pcb->persist_at = TCP_NEVER;
		pcb->persist_backoff = 0;
	}
}

/* RFC 9293 3.10.7.4 fifth; false if the segment is to be dropped here. */
static bool ack_arrives(struct tcp_pcb *pcb, const struct tcp_seg *seg, uint64_t now)
{
	bool dup, more_sacked = false;

	if (pcb->state == TCP_SYN_RCVD) {
		if (!tcp_seq_lt(pcb->snd_una, seg->ack) || tcp_seq_lt(pcb->snd_max, seg->ack)) {
			tcp_count(TCP_CTR_DROP_ACK);
			tcp_send_reset_for(seg);
			return false;
		}
		established(pcb, seg, now);
	}
	if (tcp_seq_lt(pcb->snd_max, seg->ack) ||
	    tcp_seq_lt(seg->ack, pcb->snd_una - pcb->max_sndwnd)) {
		tcp_count(TCP_CTR_DROP_ACK);
		tcp_send_ack(pcb, now);
		return false;
	}
	if ((pcb->flags & TCP_PCB_F_SACK) && seg->opt.nsack)
		more_sacked = tcp_sack_update(pcb, &seg->opt);
	dup = seg->ack == pcb->snd_una && !seg->len && !(seg->flags & (TCP_SYN | TCP_FIN)) &&
	      pcb->snd_una != pcb->snd_max &&
	      ((uint32_t)seg->wnd << pcb->snd_wscale) == pcb->snd_wnd;
	if (tcp_seq_lt(pcb->snd_una, seg->ack))
		new_ack(pcb, seg, now);
	if (pcb->state == TCP_CLOSED)
		return false;
	take_window(pcb, seg);
	if (dup)
		tcp_cc_dupack(pcb, now);
	else if (more_sacked && seg->ack == pcb->snd_una)
		tcp_cc_sacked(pcb, now); /* data of the peer's own carried it: not a dupack */
	return true;
}

/* Adds [s, e) to the out-of-order ranges; false if it would need too many. */
static bool ooo_add(struct tcp_pcb *pcb, uint32_t s, uint32_t e)
{
	return tcp_range_add(pcb->ooo, &pcb->n_ooo, TCP_OOO_MAX, s, e, &pcb->ooo_last);
}

/* In-order bytes reached the ranges: those now contiguous join the readable bytes. */
static void ooo_drain(struct tcp_pcb *pcb)
{
	unsigned k = 0;

	while (k < pcb->n_ooo && tcp_seq_leq(pcb->ooo[k].start, pcb->rcv_nxt)) {
		if (tcp_seq_lt(pcb->rcv_nxt, pcb->ooo[k].end)) {
			pcb->rcv.len += pcb->ooo[k].end - pcb->rcv_nxt;
			pcb->rcv_nxt = pcb->ooo[k].end;
		}
		k++;
	}
	if (!k)
		return;
	memmove(pcb->ooo, pcb->ooo + k, (pcb->n_ooo - k) * sizeof(pcb->ooo[0]));
	pcb->n_ooo -= k;
	pcb->ooo_last = 0;
	pcb->flags |= TCP_PCB_F_ACK_NOW; /* a hole filled (RFC 5681 4.2) */
}

static void fin_arrives(struct tcp_pcb *pcb, uint64_t now)
{
	pcb->rcv_nxt++;
	pcb->flags |= TCP_PCB_F_FIN_RCVD | TCP_PCB_F_ACK_NOW;
	switch (pcb->state) {
	case TCP_SYN_RCVD:
	case TCP_ESTABLISHED:
		pcb->state = TCP_CLOSE_WAIT;
		break;
	case TCP_FIN_WAIT_1:
		pcb->state = TCP_CLOSING;
		break;
	case TCP_FIN_WAIT_2:
		tcp_enter_time_wait(pcb, now);
		break;
	default:
		break;
	}
	tcp_event(pcb, TCP_EV_READABLE);
}

/* [s, e) lies within one range we already hold out of order. */
static bool ooo_holds(const struct tcp_pcb *pcb, uint32_t s, uint32_t e)
{
	for (unsigned i = 0; i < pcb->n_ooo; i++)
		if (tcp_seq_leq(pcb->ooo[i].start, s) && tcp_seq_leq(e, pcb->ooo[i].end))
			return true;
	return false;
}

/* In-order data at offset 0 from rcv_nxt. */
static void in_order(struct tcp_pcb *pcb, const uint8_t *d, uint32_t len, uint64_t now)
{
	tcp_ring_write_at(&pcb->rcv, pcb->rcv.len, d, len);
	pcb->rcv.len += len;
	pcb->rcv_nxt += len;
	ooo_drain(pcb);
	/* One beyond our MSS is several that the device merged (large receive): ACKed at once. */
	pcb->segs_unacked += len > tcp_our_mss() ? 2 : 1;
	if (pcb->segs_unacked >= 2)
		pcb->flags |= TCP_PCB_F_ACK_NOW;
	else if (pcb->delack_at == TCP_NEVER)
		pcb->delack_at = now + TCP_DELACK;
	tcp_event(pcb, TCP_EV_READABLE);
}

/* RFC 9293 3.10.7.4 seventh and eighth: the text, then the FIN. */
static void data_arrives(struct tcp_pcb *pcb, const struct tcp_seg *seg, uint64_t now)
{
	const uint8_t *d = seg->data;
	uint32_t seq = seg->seq, len = seg->len, off, room = pcb->rcv.cap - pcb->rcv.len;
	bool fin = seg->flags & TCP_FIN;

	if (pcb->state != TCP_ESTABLISHED && pcb->state != TCP_FIN_WAIT_1 &&
	    pcb->state != TCP_FIN_WAIT_2)
		return;
	/*
	 * A pure ACK carries nothing to place, whatever its sequence (it is the
	 * peer's snd_max, beyond our hole when data was lost): answering it
	 * would start an ACK war with a peer that does the same.
	 */
	if (!len && !fin)
		return;
	if (tcp_seq_lt(seq, pcb->rcv_nxt)) {
		uint32_t cut = tcp_min32(pcb->rcv_nxt - seq, len);

		note_old_data(pcb, seg);
		d += cut;
		len -= cut;
		seq += cut;
		if (seq != pcb->rcv_nxt)
			return; /* all old, the FIN too */
	}
	off = seq - pcb->rcv_nxt;
	if (off + len > room || off >= room) {
		len = off >= room ? 0 : room - off;
		fin = false;
	}
	if (seg->len && !len)
		pcb->flags |= TCP_PCB_F_ACK_NOW; /* nothing new, or no room: say where we are */
	if (off) {
		tcp_count(TCP_CTR_OOO_SEGS);
		pcb->flags |= TCP_PCB_F_ACK_NOW; /* a duplicate ACK, with SACK blocks */
		if (!len)
			return;
		if (ooo_holds(pcb, seq, seq + len))
			note_dsack(pcb, seq, seq + len); /* still added: it is the latest arrival */
		if (!ooo_add(pcb, seq, seq + len)) {
			tcp_count(TCP_CTR_DROP_OOO_FULL);
			return;
		}
		tcp_ring_write_at(&pcb->rcv, pcb->rcv.len + off, d, len);
		return; /* an early FIN is taken again when it comes in order */
	}
	if (len)
		in_order(pcb, d, len, now);
	if (fin && seq + len == pcb->rcv_nxt)
		fin_arrives(pcb, now);
}

/* Challenge ACKs, at most TCP_CHALLENGE_PER_S a second per connection (RFC 5961 7). */
void tcp_send_challenge_ack(struct tcp_pcb *pcb, uint64_t now)
{
	if (now - pcb->challenge_window >= TCP_NS_PER_S) {
		pcb->challenge_window = now;
		pcb->challenge_count = 0;
	}
	if (pcb->challenge_count >= TCP_CHALLENGE_PER_S) {
		tcp_count(TCP_CTR_CHALLENGE_LIMITED);
		return;
	}
	pcb->challenge_count++;
	tcp_count(TCP_CTR_CHALLENGE_ACK);
	tcp_send_ack(pcb, now);
}

/*
 * RFC 7323 5.3's PAWS test, with Linux's two allowances for a link that
 * reorders: a TSval one tick behind passes, and so does a pure duplicate
 * ACK that was only overtaken (the later segments already moved
 * ts_recent on), whose SACK blocks recovery needs. Dropping those made a
 * sender on a reordering link lose most of its SACK information.
 */
static bool paws_rejects(const struct tcp_pcb *pcb, const struct tcp_seg *seg)
{
	if (!(pcb->flags & TCP_PCB_F_TS) || !seg->opt.has_ts || (seg->flags & TCP_RST))
		return false;
	if (!tcp_seq_lt(seg->opt.tsval + TCP_PAWS_SLACK, pcb->ts_recent))
		return false;
	return !(seg->len == 0 && (seg->flags & (TCP_SYN | TCP_FIN | TCP_ACK)) == TCP_ACK &&
		 seg->seq == pcb->rcv_nxt && seg->ack == pcb->snd_una);
}

/* The first checks (RFC 9293 3.10.7.4 first to fourth); false: dropped. */
static bool checks(struct tcp_pcb *pcb, const struct tcp_seg *seg, uint64_t now)
{
	bool rst = seg->flags & TCP_RST;

	if (paws_rejects(pcb, seg)) {
		tcp_count(TCP_CTR_DROP_PAWS);
		note_old_data(pcb, seg);
		tcp_send_ack(pcb, now);
		return false;
	}
	if (!acceptable(pcb, seg)) {
		tcp_count(TCP_CTR_DROP_SEQ);
		if (rst)
			return false;
		if (pcb->state == TCP_TIME_WAIT && (seg->flags & TCP_FIN))
			tcp_time_wait_again(pcb, now);
		note_old_data(pcb, seg);
		tcp_send_ack(pcb, now);
		return false;
	}
	if (rst) {
		if (seg->seq == pcb->rcv_nxt)
			reset_arrives(pcb);
		else
			tcp_send_challenge_ack(pcb, now);
		return false;
	}
	if (seg->flags & TCP_SYN) {
		tcp_send_challenge_ack(pcb, now);
		return false;
	}
	return (seg->flags & TCP_ACK) != 0;
}

/* RFC 7323 4.3: ts_recent follows segments that cover the last ACK we sent. */
static void take_timestamp(struct tcp_pcb *pcb, const struct tcp_seg *seg)
{
	if ((pcb->flags & TCP_PCB_F_TS) && seg->opt.has_ts &&
	    tcp_seq_leq(seg->seq, pcb->last_ack_sent) &&
	    tcp_seq_leq(pcb->ts_recent, seg->opt.tsval))
		pcb->ts_recent = seg->opt.tsval;
}

void tcp_input(struct tcp_pcb *pcb, const struct tcp_seg *seg, uint64_t now)
{
	if (pcb->state == TCP_CLOSED || pcb->state == TCP_LISTEN)
		return;
	if (pcb->state == TCP_SYN_SENT) {
		syn_sent(pcb, seg, now);
		return;
	}
	if (!checks(pcb, seg, now))
		return;
	tcp_keep_reset(pcb, now);
	take_timestamp(pcb, seg);
	if (!ack_arrives(pcb, seg, now))
		return;
	if (pcb->state == TCP_TIME_WAIT) {
		if (seg->flags & TCP_FIN) {
			tcp_time_wait_again(pcb, now);
			tcp_send_ack(pcb, now);
		}
		return;
	}
	data_arrives(pcb, seg, now);
	tcp_output(pcb, now);
}
