/*
 * RTT estimation and the RTO (RFC 6298), congestion control (RFC 5681),
 * fast retransmit and NewReno recovery (RFC 6582) and, when SACK was
 * agreed, the scoreboard and the loss recovery of RFC 6675: only the
 * holes are sent again, as the pipe allows.
 */
#include "lib/net/tcp_priv.h"

#define TCP_CWND_MAX (1u << 30)
#define TCP_SACK_OUTPUT_MAX 256 /* segments per call: a bound on the loop, never reached */

void tcp_cc_init(struct tcp_pcb *pcb)
{
	pcb->cwnd = TCP_INIT_CWND_SEGS * tcp_eff_mss(pcb);
	pcb->ssthresh = TCP_CWND_MAX;
	pcb->dupacks = 0;
}

static uint64_t clamp_rto(uint64_t rto)
{
	if (rto < TCP_RTO_MIN)
		return TCP_RTO_MIN;
	return rto > TCP_RTO_MAX ? TCP_RTO_MAX : rto;
}

void tcp_rtt_sample(struct tcp_pcb *pcb, uint64_t r)
{
	if (!r)
		r = 1; /* srtt 0 means "no sample yet" */
	if (!pcb->srtt) {
		pcb->srtt = r;
		pcb->rttvar = r / 2;
	} else {
		uint64_t delta = pcb->srtt > r ? pcb->srtt - r : r - pcb->srtt;

		pcb->rttvar = pcb->rttvar - pcb->rttvar / 4 + delta / 4;
		pcb->srtt = pcb->srtt - pcb->srtt / 8 + r / 8;
	}
	pcb->rto = clamp_rto(pcb->srtt +
			     (4 * pcb->rttvar > TCP_CLOCK_G ? 4 * pcb->rttvar : TCP_CLOCK_G));
	pcb->backoff = 0;
}

static uint32_t flight(const struct tcp_pcb *pcb)
{
	return pcb->snd_max - pcb->snd_una;
}

static uint32_t half_flight(const struct tcp_pcb *pcb)
{
	uint32_t h = flight(pcb) / 2, two = 2 * tcp_eff_mss(pcb);

	return h > two ? h : two;
}

static void leave_recovery(struct tcp_pcb *pcb)
{
	uint32_t mss = tcp_eff_mss(pcb);

	pcb->flags &= ~TCP_PCB_F_IN_RECOVERY;
	pcb->dupacks = 0;
	if (pcb->flags & TCP_PCB_F_SACK)
		pcb->cwnd = pcb->ssthresh;
	else
		pcb->cwnd = tcp_min32(pcb->ssthresh, flight(pcb) + mss);
}

void tcp_cc_ack(struct tcp_pcb *pcb, uint32_t acked, uint64_t now)
{
	uint32_t mss = tcp_eff_mss(pcb);

	if (pcb->flags & TCP_PCB_F_IN_RECOVERY) {
		if (tcp_seq_leq(pcb->recover, pcb->snd_una)) {
			leave_recovery(pcb);
			return;
		}
		if (pcb->flags & TCP_PCB_F_SACK)
			return; /* tcp_sack_output() sends what the pipe allows */
		/* NewReno's partial ACK (RFC 6582 3.2 step 3): the next hole, and deflate. */
		tcp_send_range(pcb, pcb->snd_una, mss, now);
		pcb->cwnd = (pcb->cwnd > acked ? pcb->cwnd - acked : 0) + mss;
		return;
	}
	pcb->dupacks = 0;
	if (pcb->cwnd < pcb->ssthresh) {
		pcb->cwnd += tcp_min32(acked, mss); /* slow start, byte counting */
	} else {
		uint32_t inc = mss * mss / pcb->cwnd; /* congestion avoidance */

		pcb->cwnd += inc ? inc : 1;
	}
	if (pcb->cwnd > TCP_CWND_MAX)
		pcb->cwnd = TCP_CWND_MAX;
}

static void enter_recovery(struct tcp_pcb *pcb, uint64_t now)
{
	uint32_t mss = tcp_eff_mss(pcb);

	tcp_count(TCP_CTR_FAST_RETRANS);
	pcb->ssthresh = half_flight(pcb);
	pcb->recover = pcb->snd_max;
	pcb->flags |= TCP_PCB_F_IN_RECOVERY;
	if (pcb->flags & TCP_PCB_F_SACK) {
		tcp_count(TCP_CTR_SACK_RECOVERY);
		pcb->cwnd = pcb->ssthresh;
		pcb->high_rxt = pcb->snd_una + tcp_send_range(pcb, pcb->snd_una, mss, now);
		tcp_sack_output(pcb, now);
		return;
	}
	pcb->cwnd = pcb->ssthresh + TCP_DUPTHRESH * mss;
	tcp_send_range(pcb, pcb->snd_una, mss, now);
}

/*
 * Early retransmit (RFC 5827): with fewer than four segments outstanding
 * and nothing new that could go, three duplicates can never come; one
 * fewer than the segments outstanding will do.
 */
static uint32_t dupthresh(const struct tcp_pcb *pcb)
{
	uint32_t mss = tcp_eff_mss(pcb);
	uint32_t segs = (pcb->snd_max - pcb->snd_una + mss - 1) / mss;
	bool more = tcp_seq_lt(pcb->snd_nxt, tcp_data_end(pcb)) &&
		    tcp_seq_lt(pcb->snd_nxt, pcb->snd_una + pcb->snd_wnd);

	if (segs > TCP_DUPTHRESH || more || segs < 2)
		return TCP_DUPTHRESH;
	return segs - 1;
}

void tcp_cc_dupack(struct tcp_pcb *pcb, uint64_t now)
{
	uint32_t mss = tcp_eff_mss(pcb);
	bool sacked_enough;

	if (pcb->flags & TCP_PCB_F_IN_RECOVERY) {
		if (!(pcb->flags & TCP_PCB_F_SACK))
			pcb->cwnd += mss; /* inflation: a segment has left the network */
		return;
	}
	pcb->dupacks++;
	sacked_enough =
		(pcb->flags & TCP_PCB_F_SACK) && tcp_sacked_bytes(pcb) > (TCP_DUPTHRESH - 1) * mss;
	/* RFC 6582 4.1: not for the data a timeout already sent again. */
	if ((pcb->dupacks >= dupthresh(pcb) || sacked_enough) &&
	    tcp_seq_lt(pcb->recover, pcb->snd_una + 1))
		enter_recovery(pcb, now);
}

void tcp_cc_timeout(struct tcp_pcb *pcb)
{
	pcb->ssthresh = half_flight(pcb);
	pcb->cwnd = tcp_eff_mss(pcb);
	pcb->recover = pcb->snd_max;
	pcb->flags &= ~(TCP_PCB_F_IN_RECOVERY | TCP_PCB_F_RTT_TIMING);
	pcb->dupacks = 0;
	/*
	 * The resend skips what the receiver SACKed, as Linux does; a second
	 * timeout in a row forgets it, in case the receiver reneged (RFC 2018 8).
	 */
	if (pcb->backoff > 1)
		pcb->n_sacked = 0;
	pcb->high_rxt = pcb->snd_una;
	pcb->snd_nxt = pcb->snd_una;
}

uint32_t tcp_sack_skip(struct tcp_pcb *pcb, uint32_t *room)
{
	uint32_t below = 0;

	*room = UINT32_MAX;
	for (unsigned i = 0; i < pcb->n_sacked; i++) {
		const struct tcp_range *r = &pcb->sacked[i];

		if (tcp_seq_leq(r->start, pcb->snd_nxt) && tcp_seq_lt(pcb->snd_nxt, r->end))
			pcb->snd_nxt = r->end;
		if (tcp_seq_leq(r->end, pcb->snd_nxt)) {
			below += r->end - r->start;
		} else {
			*room = r->start - pcb->snd_nxt;
			break;
		}
	}
	return below;
}

bool tcp_sack_update(struct tcp_pcb *pcb, const struct tcp_opts *o)
{
	uint32_t before = tcp_sacked_bytes(pcb);

	for (unsigned i = 0; i < o->nsack; i++) {
		uint32_t s = o->sack[i].start, e = o->sack[i].end;

		/* Only what we sent and is not yet acknowledged; D-SACKs (below snd_una) say nothing here. */
		if (!tcp_seq_lt(s, e) || !tcp_seq_lt(pcb->snd_una, e) ||
		    tcp_seq_lt(pcb->snd_max, e))
			continue;
		s = tcp_seq_max(s, pcb->snd_una);
		tcp_range_add(pcb->sacked, &pcb->n_sacked, TCP_SACK_MAX, s, e, NULL);
	}
	return tcp_sacked_bytes(pcb) > before;
}

void tcp_cc_sacked(struct tcp_pcb *pcb, uint64_t now)
{
	if (pcb->flags & TCP_PCB_F_IN_RECOVERY)
		return;
	if (tcp_sacked_bytes(pcb) > (TCP_DUPTHRESH - 1) * tcp_eff_mss(pcb) &&
	    tcp_seq_lt(pcb->recover, pcb->snd_una + 1))
		enter_recovery(pcb, now);
}

void tcp_sack_trim(struct tcp_pcb *pcb)
{
	unsigned k = 0;

	for (unsigned i = 0; i < pcb->n_sacked; i++) {
		struct tcp_range r = pcb->sacked[i];

		if (tcp_seq_leq(r.end, pcb->snd_una))
			continue;
		r.start = tcp_seq_max(r.start, pcb->snd_una);
		pcb->sacked[k++] = r;
	}
	pcb->n_sacked = k;
}

uint32_t tcp_sacked_bytes(const struct tcp_pcb *pcb)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < pcb->n_sacked; i++)
		n += pcb->sacked[i].end - pcb->sacked[i].start;
	return n;
}

/*
 * RFC 6675 IsLost, for the hole below range i: DupThresh ranges above it,
 * or more than DupThresh - 1 segments SACKed above it. What lies above a
 * hole only shrinks going up, so the lost holes are the lowest ones: their
 * count, from one pass down.
 */
static unsigned lost_holes(const struct tcp_pcb *pcb)
{
	uint32_t above = 0, limit = (TCP_DUPTHRESH - 1) * tcp_eff_mss(pcb);

	for (unsigned i = pcb->n_sacked; i-- > 0;) {
		above += pcb->sacked[i].end - pcb->sacked[i].start;
		if (pcb->n_sacked - i >= TCP_DUPTHRESH || above > limit)
			return i + 1;
	}
	return 0;
}

/* Hole i: [start, end) below range i (i == n_sacked: the tail up to snd_max). */
static struct tcp_range hole(const struct tcp_pcb *pcb, unsigned i)
{
	struct tcp_range h;

	h.start = i ? pcb->sacked[i - 1].end : pcb->snd_una;
	h.end = i < pcb->n_sacked ? pcb->sacked[i].start : pcb->snd_max;
	return h;
}

/* RFC 6675 SetPipe: bytes in flight neither SACKed nor lost, plus those sent again. */
static uint32_t pipe(const struct tcp_pcb *pcb)
{
	unsigned lost = lost_holes(pcb);
	uint32_t p = 0;

	for (unsigned i = 0; i <= pcb->n_sacked; i++) {
		struct tcp_range h = hole(pcb, i);
		uint32_t rtx_end = tcp_seq_min(h.end, pcb->high_rxt);

		if (!tcp_seq_lt(h.start, h.end))
			continue;
		if (i >= lost)
			p += h.end - h.start;
		if (tcp_seq_lt(h.start, rtx_end))
			p += rtx_end - h.start;
	}
	return p;
}

/* Retransmits from the first hole past high_rxt that is lost (or any, if !lost_only). */
static bool send_hole(struct tcp_pcb *pcb, bool lost_only, uint64_t now)
{
	unsigned n = lost_only ? lost_holes(pcb) : pcb->n_sacked;

	for (unsigned i = 0; i < n; i++) {
		struct tcp_range h = hole(pcb, i);
		uint32_t from = tcp_seq_max(h.start, pcb->high_rxt), sent;

		if (!tcp_seq_lt(from, h.end))
			continue;
		sent = tcp_send_range(pcb, from, h.end - from, now);
		if (!sent)
			return false;
		pcb->high_rxt = from + sent;
		return true;
	}
	return false;
}

/* New data in recovery, within the peer's window. */
static bool send_new(struct tcp_pcb *pcb, uint64_t now)
{
	uint32_t end = tcp_data_end(pcb), mss = tcp_eff_mss(pcb), n, sent;

	if (!tcp_seq_lt(pcb->snd_nxt, end))
		return false;
	n = tcp_min32(end - pcb->snd_nxt, mss);
	if (tcp_seq_lt(pcb->snd_una + pcb->snd_wnd, pcb->snd_nxt + n))
		return false;
	sent = tcp_send_range(pcb, pcb->snd_nxt, n, now);
	pcb->snd_nxt += sent;
	pcb->snd_max = tcp_seq_max(pcb->snd_max, pcb->snd_nxt);
	return sent != 0;
}

void tcp_sack_output(struct tcp_pcb *pcb, uint64_t now)
{
	uint32_t mss = tcp_eff_mss(pcb);

	for (unsigned k = 0; k < TCP_SACK_OUTPUT_MAX; k++) {
		if (pcb->cwnd < pipe(pcb) + mss)
			return;
		if (!send_hole(pcb, true, now) && !send_new(pcb, now) &&
		    !send_hole(pcb, false, now))
			return;
	}
}
