/*
 * What goes out: the SYN and SYN-ACK with their options, data as the
 * windows, Nagle and sender SWS avoidance allow, the FIN, ACKs with the
 * window and SACK blocks, retransmissions of a given range, probes and
 * resets. Every segment carries the ACK and cancels a delayed one.
 */
#include "lib/net/tcp_priv.h"

#include <string.h>

#define TCP_TS_OPT_ROOM 12 /* NOP, NOP, timestamps: on every segment once agreed */

/*
 * Sequence of the ring's first byte: snd_una, or just past our SYN while it
 * is unacknowledged (a flag: after 4 GiB snd_una is iss again).
 */
static uint32_t data_start(const struct tcp_pcb *pcb)
{
	return pcb->snd_una + !(pcb->flags & TCP_PCB_F_SYN_ACKED);
}

uint32_t tcp_data_end(const struct tcp_pcb *pcb)
{
	return data_start(pcb) + pcb->snd.len;
}

bool tcp_fin_pending(const struct tcp_pcb *pcb)
{
	return (pcb->flags & (TCP_PCB_F_FIN_QUEUED | TCP_PCB_F_FIN_ACKED)) == TCP_PCB_F_FIN_QUEUED;
}

uint32_t tcp_eff_mss(const struct tcp_pcb *pcb)
{
	return pcb->peer_mss - ((pcb->flags & TCP_PCB_F_TS) ? TCP_TS_OPT_ROOM : 0);
}

uint32_t tcp_rcv_window(struct tcp_pcb *pcb)
{
	uint32_t edge = pcb->rcv_nxt + (pcb->rcv.cap - pcb->rcv.len);
	uint32_t max = (uint32_t)TCP_WIN_MAX << pcb->rcv_wscale;
	uint32_t sws = tcp_min32(pcb->rcv.cap / 2, tcp_eff_mss(pcb));

	/* Receiver SWS avoidance (RFC 1122 4.2.3.3): move the edge by sws at least. */
	if (tcp_seq_lt(pcb->rcv_adv, edge) &&
	    (edge - pcb->rcv_adv >= sws || pcb->rcv_adv == pcb->rcv_nxt))
		pcb->rcv_adv = tcp_seq_min(edge, pcb->rcv_nxt + max);
	return pcb->rcv_adv - pcb->rcv_nxt;
}

/*
 * The SACK blocks to report: a duplicate that just came first (D-SACK, RFC
 * 2883), then the latest arrival's range, then the others (RFC 2018 4).
 */
static unsigned sack_blocks(const struct tcp_pcb *pcb, struct tcp_sack_block *b)
{
	unsigned n = 0;

	if (!(pcb->flags & TCP_PCB_F_SACK))
		return 0;
	if (pcb->flags & TCP_PCB_F_DSACK) {
		b[n].start = pcb->dsack.start;
		b[n++].end = pcb->dsack.end;
	}
	if (!pcb->n_ooo)
		return n;
	b[n].start = pcb->ooo[pcb->ooo_last].start;
	b[n++].end = pcb->ooo[pcb->ooo_last].end;
	for (unsigned i = pcb->n_ooo; i-- > 0 && n < TCP_SACK_BLOCKS_MAX;) {
		if (i == pcb->ooo_last)
			continue;
		b[n].start = pcb->ooo[i].start;
		b[n++].end = pcb->ooo[i].end;
	}
	return n;
}

/* Payload room of the next data segment: the MSS less its options (timestamps, SACK blocks). */
static uint32_t seg_room(const struct tcp_pcb *pcb)
{
	struct tcp_sack_block b[TCP_SACK_BLOCKS_MAX];
	struct tcp_hdr_args a;

	a.optlen = (pcb->flags & TCP_PCB_F_TS) ? TCP_TS_OPT_ROOM : 0;
	tcp_opt_sack(&a, b, sack_blocks(pcb, b));
	return pcb->peer_mss - a.optlen;
}

static void header_for(struct tcp_pcb *pcb, struct tcp_hdr_args *a, uint32_t seq, uint8_t flags)
{
	memset(a, 0, sizeof(*a));
	a->saddr = pcb->laddr;
	a->daddr = pcb->raddr;
	a->sport = pcb->lport;
	a->dport = pcb->rport;
	a->seq = seq;
	a->flags = flags;
	if (flags & TCP_ACK)
		a->ack = pcb->rcv_nxt;
}

static void transmit(struct tcp_pcb *pcb, struct tcp_out *out, const struct tcp_hdr_args *a)
{
	tcp_build(out, a);
	tcp_count(TCP_CTR_SEG_TX);
	if (a->flags & TCP_ACK) {
		pcb->flags &= ~(TCP_PCB_F_ACK_NOW | TCP_PCB_F_DSACK); /* a D-SACK is told once */
		pcb->delack_at = TCP_NEVER;
		pcb->segs_unacked = 0;
		pcb->last_ack_sent = pcb->rcv_nxt;
	}
	if (tcp_cfg()->output(out) < 0)
		tcp_count(TCP_CTR_TX_FAIL); /* the data stays in the ring: the RTO sends it */
}

/* Sends our SYN (SYN_SENT) or SYN-ACK (SYN_RCVD) with the options agreed or offered. */
static void send_syn(struct tcp_pcb *pcb, uint64_t now)
{
	bool active = !(pcb->flags & TCP_PCB_F_PASSIVE);
	bool synack = pcb->state == TCP_SYN_RCVD;
	struct tcp_hdr_args a;
	struct tcp_out out = { 0 };
	uint32_t wnd;

	header_for(pcb, &a, pcb->iss, TCP_SYN | (synack ? TCP_ACK : 0));
	wnd = pcb->rcv.cap - pcb->rcv.len;
	a.wnd = (uint16_t)tcp_min32(wnd, TCP_WIN_MAX);
	tcp_opt_syn(&a, (uint16_t)tcp_our_mss(), active || (pcb->flags & TCP_PCB_F_WSCALE),
		    TCP_WSCALE_OURS, active || (pcb->flags & TCP_PCB_F_SACK),
		    active || (pcb->flags & TCP_PCB_F_TS), tcp_ts_now(pcb, now),
		    synack ? pcb->ts_recent : 0);
	if (!pcb->retries && !(pcb->flags & TCP_PCB_F_RTT_TIMING)) {
		pcb->flags |= TCP_PCB_F_RTT_TIMING;
		pcb->rtt_seq = pcb->iss;
		pcb->rtt_start = now;
	}
	pcb->snd_nxt = pcb->iss + 1;
	pcb->snd_max = tcp_seq_max(pcb->snd_max, pcb->snd_nxt);
	if (pcb->rto_at == TCP_NEVER)
		tcp_rto_arm(pcb, now);
	transmit(pcb, &out, &a);
}

/*
 * Sends up to len bytes from seq (and the FIN if fin and they reach it);
 * the sequence space it used. The payload is cut to what fits beside the
 * options, unless tso: then a longer one goes as one TSO segment (the
 * caller kept it to tso_room()), without the FIN, which follows alone.
 */
static uint32_t send_seg(struct tcp_pcb *pcb, uint32_t seq, uint32_t len, bool fin, bool tso,
			 uint64_t now)
{
	struct tcp_sack_block b[TCP_SACK_BLOCKS_MAX];
	struct tcp_hdr_args a;
	struct tcp_out out = { 0 };
	uint32_t end = tcp_data_end(pcb), room;

	header_for(pcb, &a, seq, TCP_ACK);
	if (pcb->flags & TCP_PCB_F_TS)
		tcp_opt_ts(&a, tcp_ts_now(pcb, now), pcb->ts_recent);
	tcp_opt_sack(&a, b, sack_blocks(pcb, b));
	room = pcb->peer_mss - a.optlen;
	if (len > room && tso) {
		out.gso_size = (uint16_t)room;
		fin = false;
		tcp_count(TCP_CTR_TSO_TX);
	} else if (len > room) {
		len = room;
		fin = false;
	}
	if (len)
		tcp_ring_pieces(&pcb->snd, seq - data_start(pcb), len, out.data, out.len);
	if (fin && seq + len == end)
		a.flags |= TCP_FIN;
	if (len && seq + len == end)
		a.flags |= TCP_PSH;
	a.wnd = (uint16_t)(tcp_rcv_window(pcb) >> pcb->rcv_wscale);
	if (len || (a.flags & TCP_FIN)) {
		if (tcp_seq_lt(seq, pcb->snd_max))
			tcp_count(TCP_CTR_RETRANS);
		else if (!(pcb->flags & (TCP_PCB_F_TS | TCP_PCB_F_RTT_TIMING))) {
			pcb->flags |= TCP_PCB_F_RTT_TIMING;
			pcb->rtt_seq = seq;
			pcb->rtt_start = now;
		}
		if (pcb->rto_at == TCP_NEVER)
			tcp_rto_arm(pcb, now);
	}
	transmit(pcb, &out, &a);
	return len + !!(a.flags & TCP_FIN);
}

uint32_t tcp_send_range(struct tcp_pcb *pcb, uint32_t seq, uint32_t n, uint64_t now)
{
	uint32_t end = tcp_data_end(pcb);
	bool fin = tcp_fin_pending(pcb) && tcp_seq_lt(end, pcb->snd_max);
	uint32_t used;

	if (!tcp_seq_lt(seq, end))
		n = 0;
	n = tcp_min32(n, tcp_min32(seg_room(pcb), end - seq));
	if (!n && !(fin && seq == end))
		return 0;
	used = send_seg(pcb, seq, n, fin, false, now);
	if ((pcb->flags & TCP_PCB_F_RTT_TIMING) && tcp_seq_leq(seq, pcb->rtt_seq) &&
	    tcp_seq_lt(pcb->rtt_seq, seq + used))
		pcb->flags &=
			~TCP_PCB_F_RTT_TIMING; /* Karn: a retransmitted segment is not timed */
	return used;
}

/*
 * Nagle and sender SWS avoidance (RFC 1122 4.2.3.4): may len of avail bytes
 * go now? Under TCP_CORK a short segment waits for more data, the FIN, the
 * cork's removal or TCP_CORK_MAX (arm_cork), as on Linux.
 */
static bool may_send(const struct tcp_pcb *pcb, uint32_t len, uint32_t avail, bool fin)
{
	bool idle = pcb->snd_nxt == pcb->snd_una;
	bool nodelay = pcb->flags & TCP_PCB_F_NODELAY;

	if (!len)
		return fin && !avail;
	if (len >= seg_room(pcb) || tcp_seq_lt(pcb->snd_nxt, pcb->snd_max))
		return true;
	if (pcb->flags & TCP_PCB_F_CORK)
		return len == avail && fin;
	if (len == avail && (idle || nodelay || fin || (pcb->flags & TCP_PCB_F_PUSH)))
		return true;
	return (idle || nodelay) && pcb->max_sndwnd && len >= pcb->max_sndwnd / 2;
}

/*
 * Limited transmit (RFC 3042): each of the first two duplicate ACKs lets
 * one new segment go beyond cwnd, so that a small window still gets the
 * three duplicates that fast retransmit needs.
 */
static uint32_t limited_transmit(const struct tcp_pcb *pcb)
{
	if (pcb->flags & TCP_PCB_F_IN_RECOVERY)
		return 0;
	return tcp_min32(pcb->dupacks, TCP_DUPTHRESH - 1) * tcp_eff_mss(pcb);
}

/*
 * With TSO (tcp_config.tso_max), the payload of one TSO segment: as many
 * whole segments of seg bytes as fit beside the header; else seg.
 */
static uint32_t tso_room(const struct tcp_pcb *pcb, uint32_t seg)
{
	uint32_t max = tcp_cfg()->tso_max, hlen = TCP_HDR_LEN + (pcb->peer_mss - seg);

	if (max < hlen + 2 * seg)
		return seg;
	return (max - hlen) / seg * seg;
}

/*
 * A TSO segment's length: len (more than seg) less a short tail, which
 * goes (or waits, by Nagle) on its own as it would without TSO. Only with
 * TCP_NODELAY (and no TCP_CORK) does the tail of all there is go in the same
 * segment.
 */
static uint32_t tso_cut(const struct tcp_pcb *pcb, uint32_t len, uint32_t avail, uint32_t seg)
{
	if (len == avail &&
	    (pcb->flags & (TCP_PCB_F_NODELAY | TCP_PCB_F_CORK)) == TCP_PCB_F_NODELAY)
		return len;
	return len - len % seg;
}

/*
 * Sends the next new (or, after a timeout, resent) segment from snd_nxt;
 * false if none. New data may go as one TSO segment of several; what is
 * resent goes a segment at a time, as every retransmission does.
 */
static bool send_next(struct tcp_pcb *pcb, uint64_t now)
{
	uint32_t room = UINT32_MAX, sacked = 0, end, avail, wnd, flight, usable, len, seg, max;
	bool fin, resend = tcp_seq_lt(pcb->snd_nxt, pcb->snd_max);

	if (resend)
		sacked = tcp_sack_skip(pcb, &room); /* resending after a timeout */
	end = tcp_data_end(pcb);
	fin = tcp_fin_pending(pcb) && tcp_seq_leq(pcb->snd_nxt, end);
	avail = tcp_seq_lt(pcb->snd_nxt, end) ? end - pcb->snd_nxt : 0;
	wnd = tcp_min32(pcb->snd_wnd, pcb->cwnd + limited_transmit(pcb));
	flight = pcb->snd_nxt - pcb->snd_una - sacked;
	usable = wnd > flight ? wnd - flight : 0;
	seg = seg_room(pcb);
	max = resend ? seg : tso_room(pcb, seg);
	len = tcp_min32(tcp_min32(avail, room), tcp_min32(usable, max));
	if (len > seg)
		len = tso_cut(pcb, len, avail, seg);

	if (!may_send(pcb, len, avail, fin))
		return false;
	pcb->snd_nxt += send_seg(pcb, pcb->snd_nxt, len, fin, len > seg, now);
	pcb->snd_max = tcp_seq_max(pcb->snd_max, pcb->snd_nxt);
	return true;
}

/*
 * Under TCP_CORK, data held back unsent goes after TCP_CORK_MAX at the
 * latest (Linux's ceiling), counted from when it was first held.
 */
static void arm_cork(struct tcp_pcb *pcb, uint64_t now)
{
	if (!(pcb->flags & TCP_PCB_F_CORK) || !tcp_seq_lt(pcb->snd_nxt, tcp_data_end(pcb)))
		pcb->cork_at = TCP_NEVER;
	else if (pcb->cork_at == TCP_NEVER)
		pcb->cork_at = now + TCP_CORK_MAX;
}

/* With data waiting, nothing in flight and a closed window, the persist timer probes. */
static void arm_persist(struct tcp_pcb *pcb, uint64_t now)
{
	uint64_t t =
		tcp_min64(tcp_min64(pcb->rto, TCP_RTO_MAX) << pcb->persist_backoff, TCP_RTO_MAX);

	if (pcb->snd_wnd || pcb->snd_una != pcb->snd_max ||
	    !tcp_seq_lt(pcb->snd_nxt, tcp_data_end(pcb)) || pcb->persist_at != TCP_NEVER)
		return;
	pcb->persist_at = now + (t < TCP_PERSIST_MIN ? TCP_PERSIST_MIN : t);
}

/*
 * Send-buffer autotuning: when the ring is full, all of it is in flight (but
 * a tail Nagle holds back) and
 * both cwnd and the peer's window would allow more, the ring (not the
 * network) limits the connection: it doubles, up to TCP_SNDBUF_MAX, unless
 * the socket set SO_SNDBUF or memory is under pressure. A failed
 * allocation keeps the old ring.
 */
static void autotune_snd(struct tcp_pcb *pcb)
{
	uint32_t cap = pcb->snd.cap;

	if ((pcb->flags & TCP_PCB_F_BUFS_SET) || !cap || pcb->snd.len < cap ||
	    cap >= TCP_SNDBUF_MAX || tcp_data_end(pcb) - pcb->snd_nxt >= tcp_eff_mss(pcb))
		return; /* less than a segment unsent: what Nagle holds back */
	if (pcb->cwnd <= cap || pcb->snd_wnd <= cap || !tcp_ring_may_grow(cap))
		return;
	if (tcp_ring_resize(&pcb->snd, tcp_min32(2 * cap, TCP_SNDBUF_MAX), pcb->snd.len) == 0) {
		pcb->sndbuf = pcb->snd.cap;
		tcp_event(pcb, TCP_EV_WRITABLE);
	}
}

void tcp_output(struct tcp_pcb *pcb, uint64_t now)
{
	switch (pcb->state) {
	case TCP_CLOSED:
	case TCP_LISTEN:
		return;
	case TCP_SYN_SENT:
	case TCP_SYN_RCVD:
		if (pcb->snd_nxt == pcb->iss)
			send_syn(pcb, now);
		else if (pcb->flags & TCP_PCB_F_ACK_NOW)
			tcp_send_ack(pcb, now);
		return;
	case TCP_TIME_WAIT:
		if (pcb->flags & TCP_PCB_F_ACK_NOW)
			tcp_send_ack(pcb, now);
		return;
	default:
		break;
	}
	if ((pcb->flags & TCP_PCB_F_IN_RECOVERY) && (pcb->flags & TCP_PCB_F_SACK))
		tcp_sack_output(pcb, now);
	else
		while (send_next(pcb, now))
			;
	if (pcb->flags & TCP_PCB_F_ACK_NOW)
		tcp_send_ack(pcb, now);
	arm_persist(pcb, now);
	arm_cork(pcb, now);
	autotune_snd(pcb);
}

/*
 * Sends what is queued, a short tail too even with data in flight (Linux's
 * TCP_NAGLE_PUSH): the application said it has no more for now.
 */
void tcp_push(struct tcp_pcb *pcb, uint64_t now)
{
	pcb->flags |= TCP_PCB_F_PUSH;
	tcp_output(pcb, now);
	pcb->flags &= ~TCP_PCB_F_PUSH;
}

void tcp_send_ack(struct tcp_pcb *pcb, uint64_t now)
{
	if (pcb->state == TCP_SYN_RCVD) {
		send_syn(pcb, now);
		return;
	}
	/*
	 * snd_max, not snd_nxt: after a timeout snd_nxt is back at snd_una, and an
	 * ACK with that old sequence would be unacceptable to the peer, which would
	 * answer it with another ACK, and so on (BSD does the same for this reason).
	 */
	send_seg(pcb, pcb->snd_max, 0, false, false, now);
}

void tcp_send_rst(struct tcp_pcb *pcb, uint64_t now)
{
	struct tcp_hdr_args a;
	struct tcp_out out = { 0 };

	header_for(pcb, &a, pcb->snd_nxt, TCP_RST | TCP_ACK);
	if (pcb->flags & TCP_PCB_F_TS)
		tcp_opt_ts(&a, tcp_ts_now(pcb, now), pcb->ts_recent);
	tcp_count(TCP_CTR_RST_TX);
	transmit(pcb, &out, &a);
}

/*
 * A zero-window or keepalive probe: no data, the sequence just below
 * snd_una, which the peer must answer with an ACK carrying its window
 * (an unacceptable segment, RFC 9293 3.10.7.4). Linux probes this way too.
 */
void tcp_send_probe(struct tcp_pcb *pcb, uint64_t now, bool keepalive)
{
	struct tcp_hdr_args a;
	struct tcp_out out = { 0 };

	header_for(pcb, &a, pcb->snd_una - 1, TCP_ACK);
	if (pcb->flags & TCP_PCB_F_TS)
		tcp_opt_ts(&a, tcp_ts_now(pcb, now), pcb->ts_recent);
	a.wnd = (uint16_t)(tcp_rcv_window(pcb) >> pcb->rcv_wscale);
	tcp_count(keepalive ? TCP_CTR_KEEPALIVE_PROBES : TCP_CTR_ZERO_WINDOW_PROBES);
	transmit(pcb, &out, &a);
}
