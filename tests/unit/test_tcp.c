/*
 * The TCP core with scripted segments and a fake clock: each case plays
 * the peer, injecting segments built here and checking what the core
 * sent back (recorded by a fake output, parsed again with the checksum
 * checked) and the state it reached.
 */
#define CHECK_SUITE "tcp"
#include "tests/unit/check.h"

#include <errno.h>

#include "lib/net/net_priv.h"
#include "lib/net/tcp_priv.h"
#include "tests/unit/fake_kernel.h"

#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull
#define SENT_MAX 256
#define US_IP 0x0a000001u   /* 10.0.0.1 */
#define PEER_IP 0x0a000002u /* 10.0.0.2 */
#define US_PORT 80
#define PEER_PORT 40000
#define PEER_ISS 1000000u
#define MSS 1460

static uint32_t rnd_state = 12345;

uint32_t net_random32(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state;
}

struct sent {
	uint8_t raw[TCP_HDR_MAX + 2048];
	size_t len;
	struct tcp_seg seg;
};

static struct {
	struct sent sent[SENT_MAX];
	unsigned count;
	uint64_t now;
	unsigned events; /* every event since the last clear */
	unsigned ev_count;
	struct tcp_pcb *ev_pcb;
	struct tcp_config cfg;
	int output_result;
} t;

static int record(const struct tcp_out *out)
{
	struct sent *s;

	if (t.count == SENT_MAX)
		return t.output_result;
	s = &t.sent[t.count++];
	s->len = tcp_out_flatten(out, s->raw, sizeof(s->raw));
	CHECK(s->len > 0);
	/* What we send must parse, with a good checksum. */
	CHECK_EQ(tcp_seg_parse(s->raw, s->len, out->saddr, out->daddr, false, &s->seg), 0);
	return t.output_result;
}

static void on_event(struct tcp_pcb *pcb, unsigned events)
{
	t.events |= events;
	t.ev_count++;
	t.ev_pcb = pcb;
}

static const struct tcp_ops ops = { .event = on_event };

static void setup(void)
{
	memset(&t, 0, sizeof(t));
	t.cfg.output = record;
	t.cfg.mtu = 1500;
	t.now = 1000 * NS_PER_S;
	tcp_init(&t.cfg);
	fake_log_clear();
}

static void clear_sent(void)
{
	t.count = 0;
	t.events = 0;
	t.ev_count = 0;
}

static struct tcp_seg *last(void)
{
	CHECK(t.count > 0);
	return t.count ? &t.sent[t.count - 1].seg : &t.sent[0].seg;
}

/* What a device does to a segment whose checksum field holds the pseudo-header sum. */
static void complete_csum(uint8_t *seg, size_t len)
{
	uint16_t c = net_csum(seg, len);

	seg[16] = (uint8_t)(c >> 8);
	seg[17] = (uint8_t)c;
}

/* What a scripted segment carries besides its header. */
struct inj {
	bool syn_opts; /* MSS 1460 and, as the flags below say, WS, SACK-permitted, TS */
	bool ws, sack, ts;
	uint8_t wscale;
	uint32_t tsval, tsecr;
	unsigned nsack;
	struct tcp_sack_block sack_blocks[TCP_SACK_BLOCKS_MAX];
};

static struct inj no_opts;

/* The segment a describes, with len bytes of data: built, serialised, parsed and handed in. */
static void arrive(const struct tcp_hdr_args *a, const void *data, uint32_t len)
{
	static uint8_t buf[TCP_HDR_MAX + 65536]; /* up to a large receive's 64 KiB */
	struct tcp_out out = { 0 };
	struct tcp_seg seg;
	size_t n;

	out.data[0] = data;
	out.len[0] = len;
	tcp_build(&out, a);
	n = tcp_out_flatten(&out, buf, sizeof(buf));
	if (out.csum_offload)
		complete_csum(buf, n); /* built under a config with checksum offload */
	CHECK_EQ(tcp_seg_parse(buf, n, a->saddr, a->daddr, false, &seg), 0);
	tcp_segment_arrives(&seg, t.now);
}

/* A segment from the peer's port sport to us. */
static void inject_port(uint16_t sport, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t wnd,
			const void *data, uint32_t len, const struct inj *o)
{
	struct tcp_hdr_args a = { 0 };

	a.saddr = PEER_IP;
	a.daddr = US_IP;
	a.sport = sport;
	a.dport = US_PORT;
	a.seq = seq;
	a.ack = ack;
	a.flags = flags;
	a.wnd = wnd;
	if (o->syn_opts)
		tcp_opt_syn(&a, MSS, o->ws, o->wscale, o->sack, o->ts, o->tsval, o->tsecr);
	else if (o->ts)
		tcp_opt_ts(&a, o->tsval, o->tsecr);
	if (o->nsack)
		tcp_opt_sack(&a, o->sack_blocks, o->nsack);
	arrive(&a, data, len);
}

/* A segment from the peer to us. */
static void inject_full(uint8_t flags, uint32_t seq, uint32_t ack, uint16_t wnd, const void *data,
			uint32_t len, const struct inj *o)
{
	inject_port(PEER_PORT, flags, seq, ack, wnd, data, len, o);
}

static void inject(uint8_t flags, uint32_t seq, uint32_t ack, uint16_t wnd, const void *data,
		   uint32_t len)
{
	inject_full(flags, seq, ack, wnd, data, len, &no_opts);
}

static void advance(uint64_t ns)
{
	t.now += ns;
	tcp_timer(t.now);
}

/* Runs the timers at their deadlines until `until`. */
static void run_until(uint64_t until)
{
	for (;;) {
		uint64_t d = tcp_next_deadline();

		if (d > until)
			break;
		t.now = d > t.now ? d : t.now;
		tcp_timer(t.now);
	}
	t.now = until;
	tcp_timer(t.now);
}

/* An active open to the peer: its SYN is sent (and recorded). */
static struct tcp_pcb *connecting(void)
{
	struct tcp_pcb *pcb = tcp_pcb_new(&ops, NULL);

	CHECK(pcb);
	CHECK_EQ(tcp_connect(pcb, US_IP, US_PORT, PEER_IP, PEER_PORT, t.now), 0);
	return pcb;
}

/* A pcb listening on US_PORT at any address. */
static struct tcp_pcb *listener(unsigned backlog)
{
	struct tcp_pcb *lst = tcp_pcb_new(&ops, NULL);

	CHECK(lst);
	CHECK_EQ(tcp_listen(lst, IPV4_ANY, US_PORT, backlog), 0);
	return lst;
}

/*
 * An active open, answered after 100 ms with a SYN-ACK carrying the options
 * asked for; the connection is ESTABLISHED and nothing is recorded.
 */
static struct tcp_pcb *open_with(bool sack, bool ts, uint16_t wnd)
{
	struct tcp_pcb *pcb = connecting();
	struct inj o = { .syn_opts = true, .sack = sack, .ts = ts };
	uint32_t tsval;

	CHECK_EQ(t.count, 1);
	tsval = t.sent[0].seg.opt.tsval;
	t.now += 100 * NS_PER_MS;
	o.tsval = 5000;
	o.tsecr = tsval;
	inject_full(TCP_SYN | TCP_ACK, PEER_ISS, pcb->iss + 1, wnd, NULL, 0, &o);
	CHECK_EQ(tcp_state(pcb), TCP_ESTABLISHED);
	clear_sent();
	return pcb;
}

static struct tcp_pcb *open_plain(void)
{
	return open_with(false, false, 65535);
}

/* A fresh core with one connection, ESTABLISHED without options. */
static struct tcp_pcb *setup_open(void)
{
	setup();
	return open_plain();
}

static uint8_t pattern[1 << 16];

static void fill_pattern(void)
{
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 7 + i / 251);
}

/* --- handshakes --- */

TEST(active_open_sends_syn_with_options)
{
	struct tcp_pcb *pcb;
	struct tcp_seg *s;

	setup();
	pcb = connecting();
	CHECK_EQ(tcp_state(pcb), TCP_SYN_SENT);
	CHECK_EQ(t.count, 1);
	s = last();
	CHECK_EQ(s->flags, TCP_SYN);
	CHECK_EQ(s->seq, pcb->iss);
	CHECK(s->opt.has_mss && s->opt.mss == MSS);
	CHECK(s->opt.has_wscale && s->opt.wscale == TCP_WSCALE_OURS);
	CHECK(s->opt.sack_ok);
	CHECK(s->opt.has_ts);
	CHECK_EQ(s->sport, US_PORT);
	CHECK_EQ(s->dport, PEER_PORT);
	/* The same 4-tuple cannot be opened twice. */
	CHECK_EQ(tcp_connect(tcp_pcb_new(&ops, NULL), US_IP, US_PORT, PEER_IP, PEER_PORT, t.now),
		 -EADDRINUSE);
}

TEST(active_open_completes)
{
	struct tcp_pcb *pcb;
	struct inj o = { .syn_opts = true, .ws = true, .wscale = 2, .sack = true, .ts = true };

	setup();
	pcb = connecting();
	o.tsval = 777;
	o.tsecr = t.sent[0].seg.opt.tsval;
	t.now += 50 * NS_PER_MS;
	clear_sent();
	inject_full(TCP_SYN | TCP_ACK, PEER_ISS, pcb->iss + 1, 1000, NULL, 0, &o);
	CHECK_EQ(tcp_state(pcb), TCP_ESTABLISHED);
	CHECK(t.events & TCP_EV_CONNECTED);
	CHECK_EQ(t.count, 1);
	CHECK_EQ(last()->flags, TCP_ACK);
	CHECK_EQ(last()->ack, PEER_ISS + 1);
	CHECK_EQ(last()->seq, pcb->iss + 1);
	CHECK(last()->opt.has_ts && last()->opt.tsecr == 777);
	CHECK(pcb->flags & TCP_PCB_F_SACK);
	CHECK_EQ(pcb->snd_wscale, 2);
	CHECK_EQ(pcb->snd_wnd, 1000); /* the SYN's window is not scaled */
	/* The SYN's RTT (50 ms) set the RTO: srtt + 4 * srtt/2 = 150 ms, floored at 200 ms. */
	CHECK_EQ(pcb->srtt, 50 * NS_PER_MS);
	CHECK_EQ(pcb->rto, 200 * NS_PER_MS);
	CHECK_EQ(pcb->rto_at, TCP_NEVER);
}

TEST(syn_is_retransmitted_with_backoff_then_times_out)
{
	struct tcp_pcb *pcb;
	uint64_t start;

	setup();
	pcb = connecting();
	start = t.now;
	CHECK_EQ(tcp_next_deadline(), start + 1 * NS_PER_S);
	run_until(start + 1 * NS_PER_S);
	CHECK_EQ(t.count, 2);
	CHECK_EQ(last()->flags, TCP_SYN);
	CHECK_EQ(tcp_next_deadline(), start + 3 * NS_PER_S); /* then 2 s */
	run_until(start + 3 * NS_PER_S);
	CHECK_EQ(t.count, 3);
	run_until(start + 200 * NS_PER_S);
	CHECK_EQ(t.count, 1 + TCP_RETRIES_SYN);
	CHECK_EQ(tcp_state(pcb), TCP_CLOSED);
	CHECK_EQ(tcp_error(pcb), -ETIMEDOUT);
	CHECK(t.events & TCP_EV_ERROR);
}

TEST(passive_open_through_the_syn_cache)
{
	struct tcp_pcb *lst, *c;
	struct inj o = {
		.syn_opts = true, .ws = true, .wscale = 3, .sack = true, .ts = true, .tsval = 42
	};
	struct tcp_seg *s;
	uint32_t iss;

	setup();
	lst = listener(8);
	CHECK_EQ(tcp_state(lst), TCP_LISTEN);
	inject_full(TCP_SYN, PEER_ISS, 0, 65535, NULL, 0, &o);
	CHECK_EQ(t.count, 1);
	s = last();
	CHECK_EQ(s->flags, TCP_SYN | TCP_ACK);
	CHECK_EQ(s->ack, PEER_ISS + 1);
	CHECK(s->opt.has_mss && s->opt.has_wscale && s->opt.sack_ok && s->opt.has_ts);
	CHECK_EQ(s->opt.tsecr, 42);
	iss = s->seq;
	CHECK_EQ(tcp_pcb_count(), 1); /* half-open: no control block yet */
	CHECK(tcp_accept(lst) == NULL);
	o.syn_opts = false;
	o.tsval = 43;
	o.tsecr = s->opt.tsval;
	inject_full(TCP_ACK, PEER_ISS + 1, iss + 1, 1000, "hello", 5, &o);
	CHECK(t.events & TCP_EV_ACCEPT);
	CHECK_EQ(tcp_pcb_count(), 2);
	c = tcp_accept(lst);
	CHECK(c != NULL);
	CHECK_EQ(tcp_state(c), TCP_ESTABLISHED);
	CHECK_EQ(c->snd_wnd, 1000u << 3);
	{
		char buf[8] = { 0 };
		bool eof;

		CHECK_EQ(tcp_readable(c, &eof), 5);
		CHECK_EQ(tcp_recv(c, buf, sizeof(buf), false, t.now), 5);
		CHECK_STREQ(buf, "hello");
	}
	CHECK(tcp_accept(lst) == NULL);
	/* A second listener on the port is refused. */
	CHECK_EQ(tcp_listen(tcp_pcb_new(&ops, NULL), US_IP, US_PORT, 8), -EADDRINUSE);
}

TEST(syn_ack_retransmitted_from_the_cache_then_expires)
{
	setup();
	listener(8);
	inject(TCP_SYN, PEER_ISS, 0, 65535, NULL, 0);
	CHECK_EQ(t.count, 1);
	inject(TCP_SYN, PEER_ISS, 0, 65535, NULL, 0); /* the same SYN again */
	CHECK_EQ(t.count, 2);
	CHECK_EQ(t.sent[1].seg.seq, t.sent[0].seg.seq);
	run_until(t.now + 100 * NS_PER_S);
	CHECK_EQ(t.count, 2 + TCP_RETRIES_SYNACK);
	CHECK_EQ(tcp_counter(TCP_CTR_SYN_CACHE_EXPIRE), 1);
	CHECK_EQ(tcp_next_deadline(), TCP_NEVER);
	/* The late ACK finds nothing: a reset. */
	clear_sent();
	inject(TCP_ACK, PEER_ISS + 1, t.sent[0].seg.seq + 1, 1000, NULL, 0);
	CHECK_EQ(t.count, 1);
	CHECK_EQ(last()->flags, TCP_RST);
}

TEST(simultaneous_open)
{
	struct tcp_pcb *pcb;
	struct tcp_seg *s;

	setup();
	pcb = connecting();
	clear_sent();
	inject(TCP_SYN, PEER_ISS, 0, 65535, NULL, 0);
	CHECK_EQ(tcp_state(pcb), TCP_SYN_RCVD);
	CHECK_EQ(t.count, 1);
	s = last();
	CHECK_EQ(s->flags, TCP_SYN | TCP_ACK);
	CHECK_EQ(s->seq, pcb->iss);
	CHECK_EQ(s->ack, PEER_ISS + 1);
	/* The peer's SYN-ACK (its answer to our SYN) completes it. */
	inject(TCP_SYN | TCP_ACK, PEER_ISS, pcb->iss + 1, 65535, NULL, 0);
	CHECK_EQ(tcp_state(pcb), TCP_SYN_RCVD); /* a SYN in window: challenge ACK (RFC 5961 4) */
	inject(TCP_ACK, PEER_ISS + 1, pcb->iss + 1, 65535, NULL, 0);
	CHECK_EQ(tcp_state(pcb), TCP_ESTABLISHED);
	CHECK(t.events & TCP_EV_CONNECTED);
}

TEST(isn_differs_per_tuple_and_grows_with_time)
{
	uint32_t a, b, c;

	setup();
	a = tcp_isn(US_IP, US_PORT, PEER_IP, PEER_PORT, t.now);
	b = tcp_isn(US_IP, US_PORT, PEER_IP, PEER_PORT + 1, t.now);
	c = tcp_isn(US_IP, US_PORT, PEER_IP, PEER_PORT, t.now + NS_PER_S);
	CHECK(a != b);
	CHECK_EQ(c - a, NS_PER_S / 4000); /* M: 4 us ticks */
}

/* --- data --- */

TEST(data_is_acked_late_or_every_second_segment)
{
	struct tcp_pcb *pcb;
	uint8_t buf[4096];

	setup();
	fill_pattern();
	pcb = open_plain();
	inject(TCP_ACK, PEER_ISS + 1, pcb->iss + 1, 65535, pattern, 100);
	CHECK_EQ(t.count, 0); /* delayed */
	CHECK(t.events & TCP_EV_READABLE);
	CHECK_EQ(tcp_next_deadline(), t.now + TCP_DELACK);
	advance(TCP_DELACK);
	CHECK_EQ(t.count, 1);
	CHECK_EQ(last()->ack, PEER_ISS + 101);
	clear_sent();
	inject(TCP_ACK, PEER_ISS + 101, pcb->iss + 1, 65535, pattern + 100, MSS);
	CHECK_EQ(t.count, 0);
	inject(TCP_ACK, PEER_ISS + 101 + MSS, pcb->iss + 1, 65535, pattern + 100 + MSS, MSS);
	CHECK_EQ(t.count, 1); /* the second one: at once */
	CHECK_EQ(last()->ack, PEER_ISS + 101 + 2 * MSS);
	CHECK_EQ(tcp_recv(pcb, buf, sizeof(buf), false, t.now), 100 + 2 * MSS);
	CHECK(!memcmp(buf, pattern, 100 + 2 * MSS));
	CHECK_EQ(tcp_recv(pcb, buf, sizeof(buf), false, t.now), -EAGAIN);
	/* A duplicate is answered at once and not delivered twice. */
	clear_sent();
	inject(TCP_ACK, PEER_ISS + 101, pcb->iss + 1, 65535, pattern + 100, MSS);
	CHECK_EQ(t.count, 1);
	CHECK_EQ(tcp_recv(pcb, buf, sizeof(buf), false, t.now), -EAGAIN);
}

TEST(sending_respects_nagle_and_nodelay)
{
	struct tcp_pcb *pcb;

	setup();
	fill_pattern();
	pcb = open_plain();
	CHECK_EQ(tcp_send(pcb, pattern, 2 * MSS + 80, t.now), 2 * MSS + 80);
	CHECK_EQ(t.count, 2); /* the 80-byte tail waits for the ACK (Nagle) */
	CHECK_EQ(t.sent[0].seg.len, MSS);
	CHECK_EQ(t.sent[1].seg.seq, pcb->iss + 1 + MSS);
	CHECK(!memcmp(t.sent[1].seg.data, pattern + MSS, MSS));
	inject(TCP_ACK, PEER_ISS + 1, pcb->iss + 1 + 2 * MSS, 65535, NULL, 0);
	CHECK_EQ(t.count, 3);
	CHECK_EQ(last()->len, 80);
	CHECK(last()->flags & TCP_PSH);
	clear_sent();
	/* With TCP_NODELAY small writes go at once. */
	inject(TCP_ACK, PEER_ISS + 1, pcb->iss + 1 + 2 * MSS + 80, 65535, NULL, 0);
	tcp_set_nodelay(pcb, true, t.now);
	tcp_send(pcb, "a", 1, t.now);
	tcp_send(pcb, "b", 1, t.now);
	CHECK_EQ(t.count, 2);
}

TEST(cork_holds_short_segments_until_taken_off)
{
	struct tcp_pcb *pcb;

	setup();
	fill_pattern();
	pcb = open_plain();
	tcp_set_nodelay(pcb, true, t.now);
	tcp_set_cork(pcb, true, t.now);
	CHECK_EQ(tcp_send(pcb, pattern, 80, t.now), 80);
	CHECK_EQ(t.count, 0); /* idle, TCP_NODELAY, and still held */
	CHECK_EQ(tcp_send(pcb, pattern + 80, MSS, t.now), MSS);
	CHECK_EQ(t.count, 1); /* one whole segment; the 80-byte tail waits */
	CHECK_EQ(t.sent[0].seg.len, MSS);
	tcp_set_cork(pcb, true, t.now);
	CHECK_EQ(t.count, 1); /* corking again sends nothing */
	tcp_set_cork(pcb, false, t.now);
	CHECK_EQ(t.count, 2);
	CHECK_EQ(last()->len, 80);
	CHECK(!memcmp(last()->data, pattern + MSS, 80));
}

/*
 * Linux pushes what is held when TCP_CORK comes off or TCP_NODELAY goes on,
 * Nagle or not (TCP_NAGLE_PUSH): nginx uncorks at the end of a response
 * with the first part still unacknowledged, and waits for nothing else.
 */
TEST(uncork_and_nodelay_push_the_tail_nagle_holds)
{
	struct tcp_pcb *pcb;

	setup();
	fill_pattern();
	pcb = open_plain();
	tcp_set_cork(pcb, true, t.now);
	CHECK_EQ(tcp_send(pcb, pattern, MSS + 80, t.now), MSS + 80);
	CHECK_EQ(t.count, 1); /* the whole segment; the tail waits under the cork */
	tcp_set_cork(pcb, false, t.now);
	CHECK_EQ(t.count, 2); /* in flight, no TCP_NODELAY: Nagle alone would hold it */
	CHECK_EQ(last()->len, 80);
	CHECK(!memcmp(last()->data, pattern + MSS, 80));
	CHECK_EQ(tcp_send(pcb, pattern, 40, t.now), 40);
	CHECK_EQ(t.count, 2); /* the push was once: Nagle holds the next short one */
	tcp_set_nodelay(pcb, true, t.now);
	CHECK_EQ(t.count, 3);
	CHECK_EQ(last()->len, 40);
}

TEST(cork_lets_a_short_segment_go_after_200_ms)
{
	struct tcp_pcb *pcb;

	setup();
	fill_pattern();
	pcb = open_plain();
	tcp_set_nodelay(pcb, true, t.now);
	tcp_set_cork(pcb, true, t.now);
	CHECK_EQ(tcp_send(pcb, pattern, 80, t.now), 80);
	advance(199 * TCP_NS_PER_MS);
	CHECK_EQ(t.count, 0); /* held for Linux's 200 ms */
	advance(TCP_NS_PER_MS);
	CHECK_EQ(t.count, 1);
	CHECK_EQ(last()->len, 80);
	CHECK(!memcmp(last()->data, pattern, 80));
	CHECK_EQ(tcp_send(pcb, pattern + 80, 40, t.now), 40);
	CHECK_EQ(t.count, 1); /* still corked: the next short one waits its 200 ms too */
	advance(200 * TCP_NS_PER_MS);
	CHECK_EQ(t.count, 2);
	CHECK_EQ(last()->len, 40);
}

TEST(send_ring_bounds_writes_and_frees_on_ack)
{
	struct tcp_pcb *pcb;
	size_t room;

	setup();
	fill_pattern();
	pcb = open_plain();
	room = tcp_writable(pcb);
	CHECK_EQ(room, TCP_SNDBUF_DEFAULT);
	CHECK_EQ(tcp_send(pcb, pattern, sizeof(pattern), t.now), TCP_SNDBUF_DEFAULT);
	CHECK_EQ(tcp_writable(pcb), 0);
	CHECK_EQ(tcp_send(pcb, pattern, 10, t.now), 0);
	CHECK_EQ(tcp_unacked(), TCP_SNDBUF_DEFAULT); /* what net_drain waits for at exit */
	clear_sent();
	inject(TCP_ACK, PEER_ISS + 1, pcb->iss + 1 + 1000, 65535, NULL, 0);
	CHECK(t.events & TCP_EV_WRITABLE);
	CHECK_EQ(tcp_writable(pcb), 1000);
	CHECK_EQ(tcp_unacked(), TCP_SNDBUF_DEFAULT - 1000);
}

TEST(rto_backs_off_and_rtt_is_measured)
{
	struct tcp_pcb *pcb;
	uint64_t sent_at;

	setup();
	fill_pattern();
	pcb = open_plain(); /* SYN RTT 100 ms: RTO 300 ms */
	CHECK_EQ(pcb->rto, 300 * NS_PER_MS);
	tcp_send(pcb, pattern, 100, t.now);
	sent_at = t.now;
	CHECK_EQ(tcp_next_deadline(), sent_at + 300 * NS_PER_MS);
	run_until(sent_at + 300 * NS_PER_MS);
	CHECK_EQ(t.count, 2);
	CHECK_EQ(last()->seq, pcb->iss + 1);
	CHECK_EQ(tcp_counter(TCP_CTR_RTO), 1);
	CHECK_EQ(pcb->cwnd, MSS);
	CHECK_EQ(tcp_next_deadline(), sent_at + 900 * NS_PER_MS); /* doubled */
	run_until(sent_at + 900 * NS_PER_MS);
	CHECK_EQ(t.count, 3);
	CHECK_EQ(tcp_next_deadline(), sent_at + 2100 * NS_PER_MS);
	/* The ACK of a retransmitted segment gives no sample (Karn): srtt stays. */
	inject(TCP_ACK, PEER_ISS + 1, pcb->iss + 101, 65535, NULL, 0);
	CHECK_EQ(pcb->srtt, 100 * NS_PER_MS);
	CHECK_EQ(tcp_next_deadline(), TCP_NEVER);
	/* A fresh segment, acked after 20 ms: a sample, and the backoff ends. */
	tcp_send(pcb, pattern, 100, t.now);
	t.now += 20 * NS_PER_MS;
	inject(TCP_ACK, PEER_ISS + 1, pcb->iss + 201, 65535, NULL, 0);
	CHECK_EQ(pcb->backoff, 0);
	CHECK_EQ(pcb->srtt, 100 * NS_PER_MS - 100 * NS_PER_MS / 8 + 20 * NS_PER_MS / 8);
	CHECK_EQ(pcb->rttvar, 50 * NS_PER_MS - 50 * NS_PER_MS / 4 + 80 * NS_PER_MS / 4);
}

TEST(data_times_out_after_the_retries)
{
	struct tcp_pcb *pcb;

	pcb = setup_open();
	tcp_send(pcb, "x", 1, t.now);
	run_until(t.now + 3600 * NS_PER_S);
	CHECK_EQ(tcp_state(pcb), TCP_CLOSED);
	CHECK_EQ(tcp_error(pcb), -ETIMEDOUT);
	CHECK_EQ(t.count, 1 + TCP_RETRIES_DATA);
	CHECK_EQ(tcp_send(pcb, "x", 1, t.now), -ETIMEDOUT);
}

TEST(timestamps_measure_rtt_per_ack_and_paws_drops_old)
{
	struct tcp_pcb *pcb;
	struct inj o = { .ts = true };

	setup();
	fill_pattern();
	pcb = open_with(false, true, 65535);
	CHECK(pcb->flags & TCP_PCB_F_TS);
	CHECK_EQ(tcp_eff_mss(pcb), MSS - 12);
	tcp_send(pcb, pattern, 100, t.now);
	CHECK(last()->opt.has_ts);
	CHECK_EQ(last()->opt.tsecr, 5000);
	o.tsval = 5010;
	o.tsecr = last()->opt.tsval;
	t.now += 30 * NS_PER_MS;
	inject_full(TCP_ACK, PEER_ISS + 1, pcb->iss + 101, 65535, NULL, 0, &o);
	CHECK_EQ(pcb->ts_recent, 5010);
	CHECK(pcb->srtt < 100 * NS_PER_MS);
	/* PAWS: an older TSval is dropped with an ACK. */
	clear_sent();
	o.tsval = 4000;
	inject_full(TCP_ACK, PEER_ISS + 1, pcb->iss + 101, 65535, pattern, 10, &o);
	CHECK_EQ(tcp_counter(TCP_CTR_DROP_PAWS), 1);
	CHECK_EQ(t.count, 1);
	CHECK_EQ(pcb->rcv.len, 0);
	/* A pure duplicate ACK that was overtaken passes (its SACK blocks count)... */
	inject_full(TCP_ACK, PEER_ISS + 1, pcb->iss + 101, 65535, NULL, 0, &o);
	CHECK_EQ(tcp_counter(TCP_CTR_DROP_PAWS), 1);
	/* ...and so does data one tick behind; two ticks is old. */
	o.tsval = 5009;
	inject_full(TCP_ACK, PEER_ISS + 1, pcb->iss + 101, 65535, pattern, 10, &o);
	CHECK_EQ(tcp_counter(TCP_CTR_DROP_PAWS), 1);
	CHECK_EQ(pcb->rcv.len, 10);
	o.tsval = 5008;
	inject_full(TCP_ACK, PEER_ISS + 11, pcb->iss + 101, 65535, pattern, 10, &o);
	CHECK_EQ(tcp_counter(TCP_CTR_DROP_PAWS), 2);
	CHECK_EQ(pcb->rcv.len, 10);
}

/* --- loss recovery --- */

/* Sends n full segments from an open connection; the first data sequence. */
static uint32_t send_segments(struct tcp_pcb *pcb, unsigned n)
{
	uint32_t first = pcb->snd_nxt;

	CHECK_EQ(tcp_send(pcb, pattern, n * tcp_eff_mss(pcb), t.now), n * tcp_eff_mss(pcb));
	CHECK_EQ(t.count, n);
	clear_sent();
	return first;
}

TEST(fast_retransmit_on_the_third_dupack)
{
	struct tcp_pcb *pcb;
	uint32_t s0;

	setup();
	fill_pattern();
	pcb = open_plain();
	s0 = send_segments(pcb, 8);
	inject(TCP_ACK, PEER_ISS + 1, s0 + MSS, 65535, NULL, 0); /* the first arrived */
	inject(TCP_ACK, PEER_ISS + 1, s0 + MSS, 65535, NULL, 0);
	inject(TCP_ACK, PEER_ISS + 1, s0 + MSS, 65535, NULL, 0);
	CHECK_EQ(t.count, 0);
	inject(TCP_ACK, PEER_ISS + 1, s0 + MSS, 65535, NULL, 0);
	CHECK_EQ(t.count, 1);
	CHECK_EQ(last()->seq, s0 + MSS);
	CHECK_EQ(last()->len, MSS);
	CHECK_EQ(tcp_counter(TCP_CTR_FAST_RETRANS), 1);
	CHECK(pcb->flags & TCP_PCB_F_IN_RECOVERY);
	CHECK_EQ(pcb->ssthresh, 7 * MSS / 2);
	CHECK_EQ(pcb->cwnd, 7 * MSS / 2 + 3 * MSS);
	/* A dupack with a new window is not a duplicate. */
	pcb->flags &= ~TCP_PCB_F_IN_RECOVERY;
	pcb->dupacks = 0;
	pcb->recover = pcb->snd_una - 1;
	for (int i = 0; i < 3; i++)
		inject(TCP_ACK, PEER_ISS + 1, s0 + MSS, (uint16_t)(60000 + i), NULL, 0);
	CHECK_EQ(pcb->dupacks, 0);
}

TEST(newreno_partial_ack_retransmits_the_next_hole)
{
	struct tcp_pcb *pcb;
	uint32_t s0;

	setup();
	fill_pattern();
	pcb = open_plain();
	s0 = send_segments(pcb, 8); /* segments 0 and 3 are lost */
	for (int i = 0; i < 3; i++)
		inject(TCP_ACK, PEER_ISS + 1, s0, 65535, NULL, 0);
	CHECK_EQ(t.count, 1);
	CHECK_EQ(last()->seq, s0);
	clear_sent();
	/* The retransmission fills 0; 1-2 were there: a partial ACK up to 3. */
	inject(TCP_ACK, PEER_ISS + 1, s0 + 3 * MSS, 65535, NULL, 0);
	CHECK(t.count >= 1);
	CHECK_EQ(t.sent[0].seg.seq, s0 + 3 * MSS);
	CHECK(pcb->flags & TCP_PCB_F_IN_RECOVERY);
	/* The full ACK ends recovery with cwnd = min(ssthresh, flight + MSS). */
	inject(TCP_ACK, PEER_ISS + 1, pcb->snd_max, 65535, NULL, 0);
	CHECK(!(pcb->flags & TCP_PCB_F_IN_RECOVERY));
	CHECK_EQ(pcb->cwnd, MSS);
}

TEST(sack_recovery_resends_only_the_holes)
{
	struct tcp_pcb *pcb;
	struct inj o = { 0 };
	uint32_t s0, m;
	int resent[10] = { 0 };

	setup();
	fill_pattern();
	pcb = open_with(true, false, 65535);
	CHECK(pcb->flags & TCP_PCB_F_SACK);
	m = tcp_eff_mss(pcb);
	s0 = send_segments(pcb, 10); /* 2 and 5 are lost */
	o.nsack = 1;
	o.sack_blocks[0].start = s0 + 3 * m;
	for (unsigned got = 3; got < 10; got++) {
		if (got == 5)
			continue;
		o.nsack = got < 5 ? 1 : 2;
		o.sack_blocks[0].start = got < 5 ? s0 + 3 * m : s0 + 6 * m;
		o.sack_blocks[0].end = s0 + (got + 1) * m;
		o.sack_blocks[1].start = s0 + 3 * m;
		o.sack_blocks[1].end = s0 + 5 * m;
		inject_full(TCP_ACK, PEER_ISS + 1, s0 + 2 * m, 65535, NULL, 0, &o);
	}
	CHECK(pcb->flags & TCP_PCB_F_IN_RECOVERY);
	CHECK_EQ(tcp_counter(TCP_CTR_SACK_RECOVERY), 1);
	for (unsigned i = 0; i < t.count; i++) {
		uint32_t off = t.sent[i].seg.seq - s0;

		if (t.sent[i].seg.len && off < 10 * m)
			resent[off / m]++;
	}
	CHECK_EQ(resent[2], 1);
	CHECK_EQ(resent[5], 1);
	for (int i = 0; i < 10; i++)
		if (i != 2 && i != 5)
			CHECK_EQ(resent[i], 0);
	CHECK_EQ(tcp_counter(TCP_CTR_RETRANS), 2);
	/* Everything acknowledged: recovery ends, the scoreboard empties. */
	inject(TCP_ACK, PEER_ISS + 1, pcb->snd_max, 65535, NULL, 0);
	CHECK(!(pcb->flags & TCP_PCB_F_IN_RECOVERY));
	CHECK_EQ(pcb->n_sacked, 0);
}

TEST(sack_blocks_outside_what_was_sent_are_ignored)
{
	struct tcp_pcb *pcb;
	struct inj o = { .nsack = 2 };
	uint32_t s0;

	setup();
	fill_pattern();
	pcb = open_with(true, false, 65535);
	s0 = send_segments(pcb, 4);
	o.sack_blocks[0].start = s0 + 10 * MSS; /* beyond snd_max */
	o.sack_blocks[0].end = s0 + 11 * MSS;
	o.sack_blocks[1].start = s0 + MSS; /* backwards */
	o.sack_blocks[1].end = s0;
	inject_full(TCP_ACK, PEER_ISS + 1, s0, 65535, NULL, 0, &o);
	CHECK_EQ(pcb->n_sacked, 0);
}

/* --- windows --- */

TEST(zero_window_probe_and_window_update)
{
	struct tcp_pcb *pcb;
	uint64_t t0;

	setup();
	fill_pattern();
	pcb = open_with(false, false, 0);
	tcp_send(pcb, pattern, 500, t.now);
	CHECK_EQ(t.count, 0);
	t0 = t.now;
	CHECK(tcp_next_deadline() != TCP_NEVER);
	run_until(t0 + 300 * NS_PER_MS);
	CHECK_EQ(t.count, 1);
	CHECK_EQ(last()->seq, pcb->iss); /* snd_una - 1, no data */
	CHECK_EQ(last()->len, 0);
	CHECK_EQ(tcp_counter(TCP_CTR_ZERO_WINDOW_PROBES), 1);
	run_until(t0 + 900 * NS_PER_MS); /* backing off: 600 ms more */
	CHECK_EQ(t.count, 2);
	run_until(t0 + 60 * NS_PER_S);
	CHECK_EQ(tcp_state(pcb), TCP_ESTABLISHED); /* probing never fails a connection */
	clear_sent();
	/* The probe's answer opens the window: the data goes. */
	inject(TCP_ACK, PEER_ISS + 1, pcb->iss + 1, 1000, NULL, 0);
	CHECK_EQ(t.count, 1);
	CHECK_EQ(last()->len, 500);
}

TEST(receiver_window_closes_and_reopens_on_read)
{
	struct tcp_pcb *pcb = tcp_pcb_new(&ops, NULL);
	struct inj o = { .syn_opts = true };
	uint8_t buf[8192];
	uint32_t seq = PEER_ISS + 1;

	setup();
	fill_pattern();
	pcb = tcp_pcb_new(&ops, NULL);
	CHECK_EQ(tcp_set_bufs(pcb, 0, 4096), 0);
	tcp_connect(pcb, US_IP, US_PORT, PEER_IP, PEER_PORT, t.now);
	CHECK_EQ(t.sent[0].seg.wnd, 4096);
	inject_full(TCP_SYN | TCP_ACK, PEER_ISS, pcb->iss + 1, 65535, NULL, 0, &o);
	clear_sent();
	for (int i = 0; i < 4; i++, seq += 1024)
		inject(TCP_ACK, seq, pcb->iss + 1, 65535, pattern + (seq - PEER_ISS - 1), 1024);
	CHECK_EQ(last()->wnd, 0);
	/* A probe is answered with the (still closed) window. */
	clear_sent();
	inject(TCP_ACK, seq - 1, pcb->iss + 1, 65535, NULL, 0);
	CHECK_EQ(t.count, 1);
	CHECK_EQ(last()->wnd, 0);
	/* Reading a little does not announce a silly window... */
	clear_sent();
	CHECK_EQ(tcp_recv(pcb, buf, 100, false, t.now), 100);
	CHECK_EQ(t.count, 0);
	/* ...reading enough does, without waiting for the peer. */
	CHECK_EQ(tcp_recv(pcb, buf, sizeof(buf), false, t.now), 4096 - 100);
	CHECK_EQ(t.count, 1);
	CHECK_EQ(last()->wnd, 4096);
	CHECK_EQ(last()->ack, seq);
}

TEST(out_of_order_data_is_reassembled_and_sacked)
{
	struct tcp_pcb *pcb;
	uint8_t buf[8192];
	uint32_t b = PEER_ISS + 1;

	setup();
	fill_pattern();
	pcb = open_with(true, false, 65535);
	inject(TCP_ACK, b + 2000, pcb->iss + 1, 65535, pattern + 2000, 1000);
	CHECK_EQ(t.count, 1); /* a duplicate ACK at once, with a SACK block */
	CHECK_EQ(last()->ack, b);
	CHECK_EQ(last()->opt.nsack, 1);
	CHECK_EQ(last()->opt.sack[0].start, b + 2000);
	CHECK_EQ(last()->opt.sack[0].end, b + 3000);
	inject(TCP_ACK, b + 4000, pcb->iss + 1, 65535, pattern + 4000, 500);
	CHECK_EQ(last()->opt.nsack, 2);
	CHECK_EQ(last()->opt.sack[0].start, b + 4000); /* the latest first */
	CHECK_EQ(last()->opt.sack[1].start, b + 2000);
	CHECK_EQ(tcp_recv(pcb, buf, sizeof(buf), false, t.now), -EAGAIN);
	inject(TCP_ACK, b + 1000, pcb->iss + 1, 65535, pattern + 1000, 1000);
	inject(TCP_ACK, b, pcb->iss + 1, 65535, pattern, 1000);
	CHECK_EQ(last()->ack, b + 3000); /* the hole filled: acked at once */
	inject(TCP_ACK, b + 3000, pcb->iss + 1, 65535, pattern + 3000, 1000);
	CHECK_EQ(last()->ack, b + 4500);
	CHECK_EQ(last()->opt.nsack, 0);
	CHECK_EQ(tcp_recv(pcb, buf, sizeof(buf), false, t.now), 4500);
	CHECK(!memcmp(buf, pattern, 4500));
	CHECK_EQ(tcp_counter(TCP_CTR_OOO_SEGS), 3);
}

TEST(duplicates_are_reported_with_a_dsack_block)
{
	struct tcp_pcb *pcb;
	uint32_t b = PEER_ISS + 1;

	setup();
	fill_pattern();
	pcb = open_with(true, false, 65535);
	inject(TCP_ACK | TCP_PSH, b, pcb->iss + 1, 65535, pattern, 1000);
	inject(TCP_ACK | TCP_PSH, b + 1000, pcb->iss + 1, 65535, pattern + 1000, 1000);
	CHECK_EQ(last()->ack, b + 2000);
	CHECK_EQ(last()->opt.nsack, 0);
	/* All of it old: the ACK names it, first block, below the cumulative ACK. */
	clear_sent();
	inject(TCP_ACK, b + 1000, pcb->iss + 1, 65535, pattern + 1000, 1000);
	CHECK_EQ(t.count, 1);
	CHECK_EQ(last()->ack, b + 2000);
	CHECK_EQ(last()->opt.nsack, 1);
	CHECK_EQ(last()->opt.sack[0].start, b + 1000);
	CHECK_EQ(last()->opt.sack[0].end, b + 2000);
	/* Told once: the next ACK has no block. */
	inject(TCP_ACK | TCP_PSH, b + 2000, pcb->iss + 1, 65535, pattern + 2000, 500);
	inject(TCP_ACK | TCP_PSH, b + 2500, pcb->iss + 1, 65535, pattern + 2500, 500);
	CHECK_EQ(last()->ack, b + 3000);
	CHECK_EQ(last()->opt.nsack, 0);
	/* Half old, half new: the old half is the D-SACK. */
	clear_sent();
	inject(TCP_ACK, b + 2500, pcb->iss + 1, 65535, pattern + 2500, 1000);
	CHECK_EQ(t.count, 1);
	CHECK_EQ(last()->ack, b + 3500);
	CHECK_EQ(last()->opt.nsack, 1);
	CHECK_EQ(last()->opt.sack[0].start, b + 2500);
	CHECK_EQ(last()->opt.sack[0].end, b + 3000);
	/* A duplicate of data held out of order: the D-SACK, then the range holding it. */
	inject(TCP_ACK, b + 5000, pcb->iss + 1, 65535, pattern + 5000, 1000);
	clear_sent();
	inject(TCP_ACK, b + 5000, pcb->iss + 1, 65535, pattern + 5000, 1000);
	CHECK_EQ(t.count, 1);
	CHECK_EQ(last()->opt.nsack, 2);
	CHECK_EQ(last()->opt.sack[0].start, b + 5000);
	CHECK_EQ(last()->opt.sack[0].end, b + 6000);
	CHECK_EQ(last()->opt.sack[1].start, b + 5000);
	CHECK_EQ(last()->opt.sack[1].end, b + 6000);
	CHECK_EQ(tcp_counter(TCP_CTR_DSACK_TX), 3);
}

TEST(reassembly_is_bounded)
{
	struct tcp_pcb *pcb;
	uint32_t b = PEER_ISS + 1;

	setup();
	fill_pattern();
	pcb = open_with(true, false, 65535);
	for (unsigned i = 1; i <= TCP_OOO_MAX + 1; i++)
		inject(TCP_ACK, b + i * 200, pcb->iss + 1, 65535, pattern, 100);
	CHECK_EQ(pcb->n_ooo, TCP_OOO_MAX);
	CHECK_EQ(tcp_counter(TCP_CTR_DROP_OOO_FULL), 1);
	/* Beyond the window: trimmed away, not stored. */
	inject(TCP_ACK, b + 200000, pcb->iss + 1, 65535, pattern, 100);
	CHECK_EQ(pcb->n_ooo, TCP_OOO_MAX);
	CHECK_EQ(tcp_mem(), TCP_SNDBUF_DEFAULT + TCP_RCVBUF_DEFAULT);
}

/* --- closing --- */

TEST(passive_close)
{
	struct tcp_pcb *pcb;
	bool eof;
	char buf[4];

	pcb = setup_open();
	inject(TCP_ACK | TCP_FIN, PEER_ISS + 1, pcb->iss + 1, 65535, NULL, 0);
	CHECK_EQ(tcp_state(pcb), TCP_CLOSE_WAIT);
	CHECK_EQ(last()->ack, PEER_ISS + 2);
	CHECK_EQ(tcp_readable(pcb, &eof), 0);
	CHECK(eof);
	CHECK_EQ(tcp_recv(pcb, buf, sizeof(buf), false, t.now), 0);
	/* We may still send. */
	CHECK_EQ(tcp_send(pcb, "bye", 3, t.now), 3);
	tcp_close(pcb, t.now);
	CHECK_EQ(tcp_state(pcb), TCP_LAST_ACK);
	CHECK(last()->flags & TCP_FIN);
	CHECK_EQ(last()->seq, pcb->iss + 4);
	inject(TCP_ACK, PEER_ISS + 2, pcb->iss + 5, 65535, NULL, 0);
	CHECK_EQ(tcp_pcb_count(), 0); /* closed and freed */
	CHECK_EQ(tcp_mem(), 0);
}

TEST(active_close_through_time_wait)
{
	struct tcp_pcb *pcb;

	pcb = setup_open();
	tcp_close(pcb, t.now);
	CHECK_EQ(tcp_state(pcb), TCP_FIN_WAIT_1);
	CHECK_EQ(last()->flags, TCP_ACK | TCP_FIN);
	inject(TCP_ACK, PEER_ISS + 1, pcb->iss + 2, 65535, NULL, 0);
	CHECK_EQ(tcp_state(pcb), TCP_FIN_WAIT_2);
	clear_sent();
	inject(TCP_ACK | TCP_FIN, PEER_ISS + 1, pcb->iss + 2, 65535, NULL, 0);
	CHECK_EQ(tcp_state(pcb), TCP_TIME_WAIT);
	CHECK_EQ(t.count, 1);
	CHECK_EQ(last()->ack, PEER_ISS + 2);
	CHECK_EQ(tcp_mem(), 0); /* TIME_WAIT keeps no rings */
	/* The FIN again (our ACK was lost): acknowledged again, 2 MSL restarts. */
	advance(10 * NS_PER_S);
	inject(TCP_ACK | TCP_FIN, PEER_ISS + 1, pcb->iss + 2, 65535, NULL, 0);
	CHECK_EQ(t.count, 2);
	CHECK_EQ(tcp_next_deadline(), t.now + 2 * TCP_MSL);
	run_until(t.now + 2 * TCP_MSL - 1);
	CHECK_EQ(tcp_pcb_count(), 1);
	advance(1);
	CHECK_EQ(tcp_pcb_count(), 0);
}

TEST(fin_ack_together_in_fin_wait_1)
{
	struct tcp_pcb *pcb;

	pcb = setup_open();
	tcp_shutdown(pcb, t.now);
	inject(TCP_ACK | TCP_FIN, PEER_ISS + 1, pcb->iss + 2, 65535, NULL, 0);
	CHECK_EQ(tcp_state(pcb), TCP_TIME_WAIT);
}

TEST(simultaneous_close)
{
	struct tcp_pcb *pcb;

	pcb = setup_open();
	CHECK_EQ(tcp_shutdown(pcb, t.now), 0);
	CHECK_EQ(tcp_state(pcb), TCP_FIN_WAIT_1);
	CHECK_EQ(tcp_send(pcb, "x", 1, t.now), -EPIPE);
	/* The peer's FIN crosses ours: it does not acknowledge our FIN. */
	inject(TCP_ACK | TCP_FIN, PEER_ISS + 1, pcb->iss + 1, 65535, NULL, 0);
	CHECK_EQ(tcp_state(pcb), TCP_CLOSING);
	CHECK_EQ(last()->ack, PEER_ISS + 2);
	inject(TCP_ACK, PEER_ISS + 2, pcb->iss + 2, 65535, NULL, 0);
	CHECK_EQ(tcp_state(pcb), TCP_TIME_WAIT);
}

TEST(orphaned_fin_wait_2_times_out)
{
	struct tcp_pcb *pcb;

	pcb = setup_open();
	tcp_close(pcb, t.now);
	inject(TCP_ACK, PEER_ISS + 1, pcb->iss + 2, 65535, NULL, 0);
	CHECK_EQ(tcp_pcb_count(), 1);
	run_until(t.now + TCP_FIN_TIMEOUT);
	CHECK_EQ(tcp_pcb_count(), 0);
}

TEST(close_with_unread_data_resets)
{
	struct tcp_pcb *pcb;

	pcb = setup_open();
	inject(TCP_ACK, PEER_ISS + 1, pcb->iss + 1, 65535, "data", 4);
	clear_sent();
	tcp_close(pcb, t.now);
	CHECK_EQ(t.count, 1);
	CHECK(last()->flags & TCP_RST);
	CHECK_EQ(tcp_pcb_count(), 0);
}

TEST(time_wait_reused_by_a_newer_syn)
{
	struct tcp_pcb *lst, *pcb;
	uint32_t old_iss, new_iss;

	setup();
	lst = listener(8);
	inject(TCP_SYN, PEER_ISS, 0, 65535, NULL, 0);
	old_iss = last()->seq;
	inject(TCP_ACK, PEER_ISS + 1, old_iss + 1, 65535, NULL, 0);
	pcb = tcp_accept(lst);
	tcp_close(pcb, t.now);
	inject(TCP_ACK | TCP_FIN, PEER_ISS + 1, old_iss + 2, 65535, NULL, 0);
	CHECK_EQ(tcp_state(pcb), TCP_TIME_WAIT);
	clear_sent();
	/* An old SYN (lower sequence) is only acknowledged. */
	inject(TCP_SYN, PEER_ISS - 5, 0, 65535, NULL, 0);
	CHECK_EQ(t.count, 1);
	CHECK_EQ(last()->flags, TCP_ACK);
	CHECK_EQ(tcp_pcb_count(), 2);
	/* A newer one replaces the TIME_WAIT block: a SYN-ACK with a higher ISS. */
	t.now += NS_PER_S;
	clear_sent();
	inject(TCP_SYN, PEER_ISS + 100000, 0, 65535, NULL, 0);
	CHECK_EQ(tcp_counter(TCP_CTR_TW_REUSE), 1);
	CHECK_EQ(tcp_pcb_count(), 1);
	CHECK_EQ(last()->flags, TCP_SYN | TCP_ACK);
	new_iss = last()->seq;
	CHECK(tcp_seq_lt(old_iss, new_iss));
}

/* --- resets --- */

TEST(rst_in_syn_sent)
{
	struct tcp_pcb *pcb;

	setup();
	pcb = connecting();
	inject(TCP_RST, 0, 0, 0, NULL, 0); /* no ACK: ignored */
	CHECK_EQ(tcp_state(pcb), TCP_SYN_SENT);
	inject(TCP_RST | TCP_ACK, 0, pcb->iss + 5, 0, NULL, 0); /* bad ACK: ignored */
	CHECK_EQ(tcp_state(pcb), TCP_SYN_SENT);
	inject(TCP_RST | TCP_ACK, 0, pcb->iss + 1, 0, NULL, 0);
	CHECK_EQ(tcp_state(pcb), TCP_CLOSED);
	CHECK_EQ(tcp_error(pcb), -ECONNREFUSED);
	CHECK(t.events & TCP_EV_ERROR);
}

TEST(rst_in_syn_rcvd_after_simultaneous_open)
{
	struct tcp_pcb *pcb;

	setup();
	pcb = connecting();
	inject(TCP_SYN, PEER_ISS, 0, 65535, NULL, 0);
	CHECK_EQ(tcp_state(pcb), TCP_SYN_RCVD);
	inject(TCP_RST, PEER_ISS + 1, 0, 0, NULL, 0);
	CHECK_EQ(tcp_state(pcb), TCP_CLOSED);
	CHECK_EQ(tcp_error(pcb), -ECONNREFUSED);
}

TEST(rst_on_a_listener_is_ignored)
{
	struct tcp_pcb *lst;

	setup();
	lst = listener(8);
	inject(TCP_RST, PEER_ISS, 0, 0, NULL, 0);
	CHECK_EQ(tcp_state(lst), TCP_LISTEN);
	CHECK_EQ(t.count, 0);
}

TEST(rst_rfc5961_exact_in_window_and_outside)
{
	struct tcp_pcb *pcb;

	pcb = setup_open();
	/* In the window but not rcv_nxt: a challenge ACK, nothing else. */
	inject(TCP_RST, PEER_ISS + 1 + 1000, 0, 0, NULL, 0);
	CHECK_EQ(tcp_state(pcb), TCP_ESTABLISHED);
	CHECK_EQ(t.count, 1);
	CHECK_EQ(last()->flags, TCP_ACK);
	CHECK_EQ(last()->ack, PEER_ISS + 1);
	CHECK_EQ(tcp_counter(TCP_CTR_CHALLENGE_ACK), 1);
	/* Outside the window: silence. */
	inject(TCP_RST, PEER_ISS + 1 + 10000000, 0, 0, NULL, 0);
	CHECK_EQ(t.count, 1);
	CHECK_EQ(tcp_state(pcb), TCP_ESTABLISHED);
	/* A SYN on an established connection: a challenge ACK too. */
	inject(TCP_SYN, PEER_ISS + 50, 0, 65535, NULL, 0);
	CHECK_EQ(t.count, 2);
	CHECK_EQ(tcp_state(pcb), TCP_ESTABLISHED);
	/* Exact: the connection is reset. */
	inject(TCP_RST, PEER_ISS + 1, 0, 0, NULL, 0);
	CHECK_EQ(tcp_state(pcb), TCP_CLOSED);
	CHECK_EQ(tcp_error(pcb), -ECONNRESET);
	CHECK_EQ(tcp_recv(pcb, NULL, 0, false, t.now), -ECONNRESET);
}

TEST(challenge_acks_are_rate_limited)
{
	setup();
	open_plain();
	for (int i = 0; i < 50; i++)
		inject(TCP_RST, PEER_ISS + 1 + 1000 + i, 0, 0, NULL, 0);
	CHECK_EQ(t.count, TCP_CHALLENGE_PER_S);
	CHECK_EQ(tcp_counter(TCP_CTR_CHALLENGE_LIMITED), 50 - TCP_CHALLENGE_PER_S);
	advance(NS_PER_S);
	inject(TCP_RST, PEER_ISS + 2000, 0, 0, NULL, 0);
	CHECK_EQ(t.count, TCP_CHALLENGE_PER_S + 1);
}

/* Brings a connection to state st, then sends an exact RST. */
static void rst_in(enum tcp_state st)
{
	struct tcp_pcb *pcb;
	uint32_t r = PEER_ISS + 1;

	pcb = setup_open();
	switch (st) {
	case TCP_FIN_WAIT_1:
		tcp_shutdown(pcb, t.now);
		break;
	case TCP_FIN_WAIT_2:
		tcp_shutdown(pcb, t.now);
		inject(TCP_ACK, r, pcb->iss + 2, 65535, NULL, 0);
		break;
	case TCP_CLOSE_WAIT:
		inject(TCP_ACK | TCP_FIN, r++, pcb->iss + 1, 65535, NULL, 0);
		break;
	case TCP_CLOSING:
		tcp_shutdown(pcb, t.now);
		inject(TCP_ACK | TCP_FIN, r++, pcb->iss + 1, 65535, NULL, 0);
		break;
	case TCP_LAST_ACK:
		inject(TCP_ACK | TCP_FIN, r++, pcb->iss + 1, 65535, NULL, 0);
		tcp_shutdown(pcb, t.now);
		break;
	case TCP_TIME_WAIT:
		tcp_shutdown(pcb, t.now);
		inject(TCP_ACK | TCP_FIN, r++, pcb->iss + 2, 65535, NULL, 0);
		break;
	default:
		break;
	}
	CHECK_CONTEXT("state %d", st);
	CHECK_EQ(tcp_state(pcb), st);
	inject(TCP_RST, r + 5, 0, 0, NULL, 0);
	CHECK_EQ(tcp_state(pcb), st); /* not exact: challenged */
	inject(TCP_RST, r, 0, 0, NULL, 0);
	CHECK_EQ(tcp_state(pcb), TCP_CLOSED);
	if (st == TCP_ESTABLISHED || st == TCP_FIN_WAIT_1 || st == TCP_FIN_WAIT_2 ||
	    st == TCP_CLOSE_WAIT)
		CHECK_EQ(tcp_error(pcb), -ECONNRESET);
	else
		CHECK_EQ(tcp_error(pcb), 0);
}

TEST(rst_in_every_synchronised_state)
{
	static const enum tcp_state states[] = { TCP_ESTABLISHED, TCP_FIN_WAIT_1, TCP_FIN_WAIT_2,
						 TCP_CLOSE_WAIT,  TCP_CLOSING,	  TCP_LAST_ACK,
						 TCP_TIME_WAIT };

	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		rst_in(states[i]);
}

TEST(segment_for_no_connection_gets_a_reset)
{
	setup();
	inject(TCP_ACK, 5000, 7000, 100, "x", 1);
	CHECK_EQ(t.count, 1);
	CHECK_EQ(last()->flags, TCP_RST);
	CHECK_EQ(last()->seq, 7000);
	inject(TCP_SYN, 5000, 0, 100, NULL, 0);
	CHECK_EQ(last()->flags, TCP_RST | TCP_ACK);
	CHECK_EQ(last()->ack, 5001);
	inject(TCP_RST, 5000, 0, 100, NULL, 0); /* never a reset for a reset */
	CHECK_EQ(t.count, 2);
	CHECK_EQ(tcp_counter(TCP_CTR_DROP_NO_PCB), 3);
}

TEST(ack_of_unsent_data_is_refused)
{
	struct tcp_pcb *pcb;

	pcb = setup_open();
	inject(TCP_ACK, PEER_ISS + 1, pcb->iss + 1000, 65535, "x", 1);
	CHECK_EQ(tcp_counter(TCP_CTR_DROP_ACK), 1);
	CHECK_EQ(t.count, 1);
	CHECK_EQ(pcb->rcv.len, 0);
	CHECK_EQ(pcb->snd_una, pcb->iss + 1);
}

/* --- listeners under pressure --- */

TEST(syn_flood_is_bounded)
{
	struct tcp_pcb *lst, *c;
	size_t mem;
	uint32_t iss;

	setup();
	lst = listener(16);
	mem = tcp_mem();
	for (uint32_t i = 0; i < 5000; i++) {
		struct tcp_hdr_args a = {
			.saddr = 0x0b000000u + i, /* spoofed sources */
			.daddr = US_IP,
			.sport = (uint16_t)(1024 + i),
			.dport = US_PORT,
			.seq = i * 77,
			.flags = TCP_SYN,
			.wnd = 1024,
		};

		arrive(&a, NULL, 0);
		t.now += 1000;
	}
	CHECK_EQ(tcp_pcb_count(), 1);
	CHECK_EQ(tcp_mem(), mem);
	CHECK_EQ(tcp_counter(TCP_CTR_SYN_CACHE_EVICT), 5000 - 16);
	/* A real client still gets through. */
	clear_sent();
	inject(TCP_SYN, PEER_ISS, 0, 65535, NULL, 0);
	iss = last()->seq;
	inject(TCP_ACK, PEER_ISS + 1, iss + 1, 65535, NULL, 0);
	c = tcp_accept(lst);
	CHECK(c != NULL);
	CHECK_EQ(tcp_state(c), TCP_ESTABLISHED);
}

TEST(accept_queue_is_bounded_by_the_backlog)
{
	struct tcp_pcb *lst;

	setup();
	lst = listener(2);
	for (int i = 0; i < 3; i++) { /* three clients, from three ports */
		struct tcp_hdr_args a = {
			.saddr = PEER_IP,
			.daddr = US_IP,
			.sport = (uint16_t)(PEER_PORT + i),
			.dport = US_PORT,
			.seq = PEER_ISS,
			.flags = TCP_SYN,
			.wnd = 1024,
		};

		arrive(&a, NULL, 0);
		a.seq = PEER_ISS + 1;
		a.ack = last()->seq + 1;
		a.flags = TCP_ACK;
		arrive(&a, NULL, 0);
	}
	CHECK_EQ(tcp_pcb_count(), 3);
	CHECK_EQ(tcp_counter(TCP_CTR_ACCEPT_FULL), 1);
	CHECK(tcp_accept(lst) != NULL);
	CHECK(tcp_accept(lst) != NULL);
	CHECK(tcp_accept(lst) == NULL);
	/* Closing the listener frees what waited and nothing it handed out. */
	tcp_close(lst, t.now);
	CHECK_EQ(tcp_pcb_count(), 2);
}

/* --- keepalive --- */

TEST(keepalive_probes_then_times_out)
{
	struct tcp_pcb *pcb;

	pcb = setup_open();
	tcp_set_keepalive(pcb, true, 10, 2, 3, t.now);
	run_until(t.now + 10 * NS_PER_S);
	CHECK_EQ(t.count, 1);
	CHECK_EQ(last()->seq, pcb->iss); /* snd_una - 1 */
	CHECK_EQ(last()->len, 0);
	/* An answer resets it. */
	inject(TCP_ACK, PEER_ISS + 1, pcb->iss + 1, 65535, NULL, 0);
	CHECK_EQ(pcb->keep_probes, 0);
	run_until(t.now + 10 * NS_PER_S + 3 * 2 * NS_PER_S);
	CHECK_EQ(t.count, 4);
	CHECK_EQ(tcp_counter(TCP_CTR_KEEPALIVE_PROBES), 4);
	CHECK_EQ(tcp_state(pcb), TCP_CLOSED);
	CHECK_EQ(tcp_error(pcb), -ETIMEDOUT);
}

/* --- malformed segments --- */

static int parse_raw(uint8_t *buf, size_t len)
{
	struct tcp_seg seg;
	uint32_t sum;

	buf[16] = buf[17] = 0;
	sum = net_csum_pseudo(PEER_IP, US_IP, IP_PROTO_TCP, (uint16_t)len);
	sum = net_csum_fold(net_csum_add(sum, buf, len));
	buf[16] = (uint8_t)(sum >> 8);
	buf[17] = (uint8_t)sum;
	return tcp_seg_parse(buf, len, PEER_IP, US_IP, false, &seg);
}

TEST(malformed_segments_are_dropped_and_counted)
{
	uint8_t buf[64] = { 0 };
	struct tcp_seg seg;

	setup();
	CHECK_EQ(tcp_seg_parse(buf, 19, PEER_IP, US_IP, true, &seg), -EINVAL);
	CHECK_EQ(tcp_counter(TCP_CTR_DROP_SHORT), 1);
	buf[12] = 4 << TCP_DOFF_SHIFT; /* below 5 words */
	CHECK_EQ(parse_raw(buf, 20), -EINVAL);
	buf[12] = 8 << TCP_DOFF_SHIFT; /* 32 bytes, 24 came */
	CHECK_EQ(parse_raw(buf, 24), -EINVAL);
	CHECK_EQ(tcp_counter(TCP_CTR_DROP_DOFF), 2);
	buf[12] = 6 << TCP_DOFF_SHIFT; /* 4 option bytes */
	buf[20] = TCP_OPT_MSS;
	buf[21] = 3; /* MSS must be 4 */
	CHECK_EQ(parse_raw(buf, 24), -EINVAL);
	buf[21] = 1; /* below 2 */
	CHECK_EQ(parse_raw(buf, 24), -EINVAL);
	buf[20] = 99; /* unknown, but its length runs past the header */
	buf[21] = 6;
	CHECK_EQ(parse_raw(buf, 24), -EINVAL);
	buf[20] = TCP_OPT_NOP;
	buf[21] = TCP_OPT_NOP;
	buf[22] = TCP_OPT_SACK;
	buf[23] = 2; /* no block */
	CHECK_EQ(parse_raw(buf, 24), -EINVAL);
	buf[20] = TCP_OPT_NOP;
	buf[22] = TCP_OPT_NOP;
	buf[23] = TCP_OPT_EOL;
	CHECK_EQ(tcp_counter(TCP_CTR_DROP_OPTIONS), 4);
	CHECK_EQ(parse_raw(buf, 24), 0);
	/* A good segment with one bit flipped. */
	parse_raw(buf, 24);
	buf[5] ^= 1;
	CHECK_EQ(tcp_seg_parse(buf, 24, PEER_IP, US_IP, false, &seg), -EINVAL);
	CHECK_EQ(tcp_counter(TCP_CTR_DROP_CSUM), 1);
	/* ...unless the device checked it. */
	CHECK_EQ(tcp_seg_parse(buf, 24, PEER_IP, US_IP, true, &seg), 0);
}

TEST(checksum_offload_seeds_the_pseudo_header)
{
	struct tcp_pcb *pcb;
	struct tcp_hdr_args a = { 0 };
	struct tcp_out out = { 0 };

	setup();
	t.cfg.tx_csum_offload = true;
	pcb = tcp_pcb_new(&ops, NULL);
	(void)pcb;
	a.saddr = US_IP;
	a.daddr = PEER_IP;
	a.flags = TCP_SYN;
	tcp_build(&out, &a);
	CHECK(out.csum_offload);
	CHECK_EQ(out.hdr[16] << 8 | out.hdr[17],
		 net_csum_reduce(net_csum_pseudo(US_IP, PEER_IP, IP_PROTO_TCP, TCP_HDR_LEN)));
}

/* --- segmentation offload (TSO) and large received segments --- */

#define TSO_MAX (65535 - 12 - 14 - 20) /* what tcp_ip.c gives for virtio-net */
#define TSO_FRAMES_MAX 64

/* What the device was handed: each TSO segment's first sequence, payload and gso_size. */
static struct {
	unsigned count;
	uint32_t seq[TSO_FRAMES_MAX], len[TSO_FRAMES_MAX];
	uint16_t gso[TSO_FRAMES_MAX];
} tso;

/* One wire segment into t.sent with the checksum completed as a device does, parsed. */
static void record_wire(const struct tcp_out *out)
{
	struct sent *s;

	CHECK(out->csum_offload);
	if (t.count == SENT_MAX)
		return;
	s = &t.sent[t.count++];
	s->len = tcp_out_flatten(out, s->raw, sizeof(s->raw));
	CHECK(s->len > 0);
	complete_csum(s->raw, s->len);
	CHECK_EQ(tcp_seg_parse(s->raw, s->len, out->saddr, out->daddr, false, &s->seg), 0);
}

/* A device with TSO: a large segment is logged, then cut with tcp_out_piece() as it would. */
static int record_tso(const struct tcp_out *out)
{
	uint32_t len = out->len[0] + out->len[1];

	if (!out->gso_size) {
		record_wire(out);
		return t.output_result;
	}
	CHECK(len > out->gso_size);
	CHECK(out->hlen + len <= TSO_MAX);
	CHECK(!(out->hdr[13] & (TCP_SYN | TCP_FIN | TCP_RST)));
	if (tso.count < TSO_FRAMES_MAX) {
		tso.seq[tso.count] = (uint32_t)out->hdr[4] << 24 | (uint32_t)out->hdr[5] << 16 |
				     (uint32_t)out->hdr[6] << 8 | out->hdr[7];
		tso.len[tso.count] = len;
		tso.gso[tso.count++] = out->gso_size;
	}
	for (uint32_t off = 0; off < len; off += out->gso_size) {
		struct tcp_out piece;

		tcp_out_piece(out, off, len - off < out->gso_size ? len - off : out->gso_size,
			      &piece);
		CHECK_EQ(piece.gso_size, 0);
		record_wire(&piece);
	}
	return t.output_result;
}

static void setup_tso(void)
{
	setup();
	memset(&tso, 0, sizeof(tso));
	t.cfg.output = record_tso;
	t.cfg.tx_csum_offload = true;
	t.cfg.tso_max = TSO_MAX;
}

/* Each wire segment since the last clear carries the pattern at its offset from s0. */
static void check_wire_payload(uint32_t s0)
{
	for (unsigned i = 0; i < t.count; i++) {
		const struct tcp_seg *g = &t.sent[i].seg;

		if (g->len)
			CHECK(!memcmp(g->data, pattern + (g->seq - s0), g->len));
	}
}

TEST(tso_sends_the_initial_window_as_one_segment_cut_by_the_device)
{
	struct tcp_pcb *pcb;
	uint64_t seg_tx;
	uint32_t s0;

	setup_tso();
	fill_pattern();
	pcb = open_plain();
	s0 = pcb->snd_nxt;
	seg_tx = tcp_counter(TCP_CTR_SEG_TX);
	CHECK_EQ(tcp_send(pcb, pattern, 10 * MSS, t.now), 10 * MSS);
	/* The initial window (10 segments) goes in one call to the device. */
	CHECK_EQ(tso.count, 1);
	CHECK_EQ(tso.seq[0], s0);
	CHECK_EQ(tso.len[0], 10 * MSS);
	CHECK_EQ(tso.gso[0], MSS);
	CHECK_EQ(tcp_counter(TCP_CTR_TSO_TX), 1);
	CHECK_EQ(tcp_counter(TCP_CTR_SEG_TX) - seg_tx, 1);
	/* The device's pieces: MSS each, in order, PSH on the last only, good checksums. */
	CHECK_EQ(t.count, 10);
	for (unsigned i = 0; i < 10; i++) {
		CHECK_EQ(t.sent[i].seg.seq, s0 + i * MSS);
		CHECK_EQ(t.sent[i].seg.len, MSS);
		CHECK_EQ(t.sent[i].seg.flags, TCP_ACK | (i == 9 ? TCP_PSH : 0));
	}
	check_wire_payload(s0);
	CHECK_EQ(pcb->snd_nxt, s0 + 10 * MSS);
	CHECK_EQ(pcb->snd_max, s0 + 10 * MSS);
	CHECK(pcb->rto_at != TCP_NEVER);
	/* One ACK of all of it: slow start adds one MSS for it (RFC 5681 3.1), as without TSO. */
	inject(TCP_ACK, PEER_ISS + 1, s0 + 10 * MSS, 65535, NULL, 0);
	CHECK_EQ(pcb->snd_una, s0 + 10 * MSS);
	CHECK_EQ(pcb->cwnd, 11 * MSS);
}

TEST(tso_leaves_a_short_tail_to_nagle_and_the_fin_to_a_segment_of_its_own)
{
	struct tcp_pcb *pcb;
	uint32_t s0;

	setup_tso();
	fill_pattern();
	pcb = open_plain();
	s0 = pcb->snd_nxt;
	CHECK_EQ(tcp_send(pcb, pattern, 5 * MSS + 100, t.now), 5 * MSS + 100);
	CHECK_EQ(tso.count, 1);
	CHECK_EQ(tso.len[0], 5 * MSS);
	CHECK_EQ(t.count, 5); /* the 100 bytes wait: data is in flight (Nagle) */
	clear_sent();
	/* The close: the tail and the FIN go as they would without TSO. */
	CHECK_EQ(tcp_shutdown(pcb, t.now), 0);
	CHECK_EQ(t.count, 1);
	CHECK_EQ(last()->seq, s0 + 5 * MSS);
	CHECK_EQ(last()->len, 100);
	CHECK(last()->flags & TCP_FIN);
	CHECK_EQ(tso.count, 1);
	/* With TCP_NODELAY all there is goes, the tail in the same TSO segment. */
	setup_tso();
	pcb = open_plain();
	tcp_set_nodelay(pcb, true, t.now);
	s0 = pcb->snd_nxt;
	CHECK_EQ(tcp_send(pcb, pattern, 3 * MSS + 7, t.now), 3 * MSS + 7);
	CHECK_EQ(tso.count, 1);
	CHECK_EQ(tso.len[0], 3 * MSS + 7);
	CHECK_EQ(t.count, 4);
	CHECK_EQ(last()->len, 7);
	check_wire_payload(s0);
}

TEST(tso_segments_respect_the_peers_window)
{
	struct tcp_pcb *pcb;

	setup_tso();
	fill_pattern();
	pcb = open_with(false, false, 4 * MSS + 500);
	CHECK_EQ(tcp_send(pcb, pattern, 10 * MSS, t.now), 10 * MSS);
	/* 4 whole segments fit the window; the 500 bytes left are less than half of it. */
	CHECK_EQ(tso.count, 1);
	CHECK_EQ(tso.len[0], 4 * MSS);
	CHECK_EQ(pcb->snd_nxt - pcb->snd_una, 4 * MSS);
}

TEST(tso_data_lost_goes_again_a_segment_at_a_time)
{
	struct tcp_pcb *pcb;
	uint32_t s0;

	setup_tso();
	fill_pattern();
	pcb = open_plain();
	s0 = pcb->snd_nxt;
	CHECK_EQ(tcp_send(pcb, pattern, 10 * MSS, t.now), 10 * MSS);
	CHECK_EQ(tso.count, 1);
	clear_sent();
	/* All of it lost: the RTO sends the first segment, MSS-sized, with cwnd 1 MSS. */
	run_until(pcb->rto_at);
	CHECK_EQ(tcp_counter(TCP_CTR_RTO), 1);
	CHECK_EQ(t.count, 1);
	CHECK_EQ(last()->seq, s0);
	CHECK_EQ(last()->len, MSS);
	CHECK_EQ(tso.count, 1);
	clear_sent();
	/* Its ACK: slow start resends the next two, each a segment, not a TSO one. */
	inject(TCP_ACK, PEER_ISS + 1, s0 + MSS, 65535, NULL, 0);
	CHECK_EQ(t.count, 2);
	CHECK_EQ(t.sent[0].seg.seq, s0 + MSS);
	CHECK_EQ(t.sent[1].seg.seq, s0 + 2 * MSS);
	CHECK_EQ(t.sent[0].seg.len, MSS);
	CHECK_EQ(t.sent[1].seg.len, MSS);
	CHECK_EQ(tso.count, 1);
	CHECK_EQ(tcp_counter(TCP_CTR_RETRANS), 3);
	check_wire_payload(s0);
}

TEST(tso_sack_recovery_resends_only_the_lost_piece)
{
	struct tcp_pcb *pcb;
	struct inj o = { .nsack = 1 };
	uint32_t s0;

	setup_tso();
	fill_pattern();
	pcb = open_with(true, false, 65535);
	s0 = pcb->snd_nxt;
	CHECK_EQ(tcp_send(pcb, pattern, 10 * MSS, t.now), 10 * MSS);
	CHECK_EQ(tso.count, 1);
	clear_sent();
	/* The device's third piece was lost; the peer SACKs the seven after it. */
	o.sack_blocks[0].start = s0 + 3 * MSS;
	for (unsigned got = 3; got < 10; got++) {
		o.sack_blocks[0].end = s0 + (got + 1) * MSS;
		inject_full(TCP_ACK, PEER_ISS + 1, s0 + 2 * MSS, 65535, NULL, 0, &o);
	}
	CHECK(pcb->flags & TCP_PCB_F_IN_RECOVERY);
	CHECK_EQ(tcp_counter(TCP_CTR_RETRANS), 1);
	for (unsigned i = 0; i < t.count; i++)
		if (t.sent[i].seg.len && tcp_seq_lt(t.sent[i].seg.seq, s0 + 10 * MSS)) {
			CHECK_EQ(t.sent[i].seg.seq, s0 + 2 * MSS);
			CHECK_EQ(t.sent[i].seg.len, MSS);
		}
	check_wire_payload(s0);
	inject(TCP_ACK, PEER_ISS + 1, pcb->snd_max, 65535, NULL, 0);
	CHECK(!(pcb->flags & TCP_PCB_F_IN_RECOVERY));
	CHECK_EQ(pcb->n_sacked, 0);
}

TEST(tso_is_not_used_without_it_or_for_resends)
{
	struct tcp_pcb *pcb;

	setup();
	fill_pattern();
	t.cfg.tx_csum_offload = true;
	t.cfg.output = record_tso; /* would log any TSO segment */
	memset(&tso, 0, sizeof(tso));
	pcb = open_plain();
	CHECK_EQ(tcp_send(pcb, pattern, 10 * MSS, t.now), 10 * MSS);
	CHECK_EQ(t.count, 10);
	CHECK_EQ(tso.count, 0);
	CHECK_EQ(tcp_counter(TCP_CTR_TSO_TX), 0);
}

TEST(a_tso_segment_is_cut_across_the_ring_wrap)
{
	static uint8_t a[1001], b[3000];
	struct tcp_hdr_args h = { 0 };
	struct tcp_out out = { 0 }, piece;
	struct tcp_seg seg;
	uint8_t buf[TCP_HDR_MAX + MSS];
	uint32_t off = 0, sizes[] = { 1460, 1460, 1081 };

	setup();
	for (size_t i = 0; i < sizeof(a); i++)
		a[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(i + sizeof(a));
	h.saddr = US_IP;
	h.daddr = PEER_IP;
	h.seq = 0xfffffc00u; /* the sequence wraps too */
	h.flags = TCP_ACK | TCP_PSH | TCP_FIN;
	out.data[0] = a;
	out.len[0] = sizeof(a);
	out.data[1] = b;
	out.len[1] = sizeof(b);
	out.gso_size = MSS;
	tcp_build(&out, &h);
	for (unsigned i = 0; i < 3; i++) {
		size_t n;

		tcp_out_piece(&out, off, sizes[i], &piece);
		n = tcp_out_flatten(&piece, buf, sizeof(buf));
		CHECK_EQ(n, TCP_HDR_LEN + sizes[i]);
		/* Summed in full here (no checksum offload), piece by piece. */
		CHECK_EQ(tcp_seg_parse(buf, n, US_IP, PEER_IP, false, &seg), 0);
		CHECK_EQ(seg.seq, 0xfffffc00u + off);
		CHECK_EQ(seg.len, sizes[i]);
		CHECK_EQ(seg.flags, i == 2 ? TCP_ACK | TCP_PSH | TCP_FIN : TCP_ACK);
		for (uint32_t k = 0; k < seg.len; k++)
			CHECK_EQ(seg.data[k], (uint8_t)(off + k));
		off += sizes[i];
	}
}

TEST(a_received_segment_beyond_the_mss_is_taken_whole_and_acked_at_once)
{
	static uint8_t buf[20000], got[20000];
	struct tcp_pcb *pcb;

	pcb = setup_open();
	fill_pattern();
	memcpy(buf, pattern, sizeof(buf));
	inject(TCP_ACK | TCP_PSH, PEER_ISS + 1, pcb->iss + 1, 65535, buf, sizeof(buf));
	CHECK_EQ(pcb->rcv_nxt, PEER_ISS + 1 + sizeof(buf));
	/* Several segments' worth: acknowledged now, not after the delayed-ACK timer. */
	CHECK_EQ(t.count, 1);
	CHECK_EQ(last()->ack, PEER_ISS + 1 + sizeof(buf));
	CHECK_EQ(tcp_recv(pcb, got, sizeof(got), false, t.now), (long)sizeof(got));
	CHECK(!memcmp(got, buf, sizeof(buf)));
	/* One out of order beyond the MSS too: kept in the ring, SACKed, then joined. */
	clear_sent();
	inject(TCP_ACK, PEER_ISS + 1 + 2 * sizeof(buf), pcb->iss + 1, 65535, buf, sizeof(buf));
	CHECK_EQ(pcb->n_ooo, 1);
	inject(TCP_ACK, PEER_ISS + 1 + sizeof(buf), pcb->iss + 1, 65535, buf, sizeof(buf));
	CHECK_EQ(pcb->rcv_nxt, PEER_ISS + 1 + 3 * sizeof(buf));
	CHECK_EQ(pcb->n_ooo, 0);
}

TEST(duplicate_fin_in_close_wait_and_last_ack)
{
	struct tcp_pcb *pcb;

	pcb = setup_open();
	inject(TCP_ACK | TCP_FIN, PEER_ISS + 1, pcb->iss + 1, 65535, NULL, 0);
	clear_sent();
	inject(TCP_ACK | TCP_FIN, PEER_ISS + 1, pcb->iss + 1, 65535, NULL, 0);
	CHECK_EQ(tcp_state(pcb), TCP_CLOSE_WAIT);
	CHECK_EQ(t.count, 1); /* our ACK was lost: again */
	CHECK_EQ(last()->ack, PEER_ISS + 2);
	tcp_shutdown(pcb, t.now);
	clear_sent();
	inject(TCP_ACK | TCP_FIN, PEER_ISS + 1, pcb->iss + 1, 65535, NULL, 0);
	CHECK_EQ(tcp_state(pcb), TCP_LAST_ACK);
	CHECK_EQ(t.count, 1);
	CHECK_EQ(last()->ack, PEER_ISS + 2);
}

TEST(fin_out_of_order_waits_for_the_data)
{
	struct tcp_pcb *pcb;
	bool eof;

	setup();
	fill_pattern();
	pcb = open_plain();
	inject(TCP_ACK | TCP_FIN, PEER_ISS + 101, pcb->iss + 1, 65535, pattern, 50);
	CHECK_EQ(tcp_state(pcb), TCP_ESTABLISHED);
	inject(TCP_ACK, PEER_ISS + 1, pcb->iss + 1, 65535, pattern, 100);
	CHECK_EQ(tcp_state(pcb), TCP_ESTABLISHED); /* the FIN is taken when it comes again */
	inject(TCP_ACK | TCP_FIN, PEER_ISS + 101, pcb->iss + 1, 65535, pattern, 50);
	CHECK_EQ(tcp_state(pcb), TCP_CLOSE_WAIT);
	CHECK_EQ(tcp_readable(pcb, &eof), 150);
	CHECK(eof);
}

TEST(limited_transmit_sends_on_the_first_dupacks)
{
	struct tcp_pcb *pcb;
	uint32_t s0;

	setup();
	fill_pattern();
	pcb = open_plain();
	pcb->cwnd = 4 * MSS;
	CHECK_EQ(tcp_send(pcb, pattern, 8 * MSS, t.now), 8 * MSS);
	CHECK_EQ(t.count, 4);
	s0 = t.sent[0].seg.seq;
	clear_sent();
	inject(TCP_ACK, PEER_ISS + 1, s0, 65535, NULL, 0);
	CHECK_EQ(t.count, 1);
	CHECK_EQ(last()->seq, s0 + 4 * MSS); /* new data, beyond cwnd */
	inject(TCP_ACK, PEER_ISS + 1, s0, 65535, NULL, 0);
	CHECK_EQ(t.count, 2);
	inject(TCP_ACK, PEER_ISS + 1, s0, 65535, NULL, 0);
	CHECK_EQ(t.sent[2].seg.seq, s0); /* then the fast retransmit */
}

TEST(send_ring_grows_when_it_limits_the_flight)
{
	struct tcp_pcb *pcb;

	setup();
	fill_pattern();
	pcb = open_with(false, false, 65535);
	pcb->snd_wnd = 1u << 20;
	pcb->cwnd = 1u << 20;
	tcp_set_nodelay(pcb, true, t.now);
	CHECK_EQ(tcp_send(pcb, pattern, sizeof(pattern), t.now), TCP_SNDBUF_DEFAULT);
	CHECK_EQ(pcb->snd.cap, 2 * TCP_SNDBUF_DEFAULT); /* all of it went: the ring limited */
	CHECK(t.events & TCP_EV_WRITABLE);
	CHECK_EQ(tcp_send(pcb, pattern, sizeof(pattern), t.now), TCP_SNDBUF_DEFAULT);
	/* Sent data is still where it was: the ACK frees the right bytes. */
	inject(TCP_ACK, PEER_ISS + 1, pcb->iss + 1 + MSS, 65535, NULL, 0);
	CHECK_EQ(pcb->snd.len, 2 * TCP_SNDBUF_DEFAULT - MSS);
	/* Not when the socket chose its size. */
	setup();
	pcb = tcp_pcb_new(&ops, NULL);
	tcp_set_bufs(pcb, 8192, 0);
	CHECK_EQ(pcb->sndbuf, 8192);
}

TEST(counters_are_named)
{
	setup();
	CHECK_STREQ(tcp_counter_name(TCP_CTR_SEG_RX), "tcp: segments received");
	CHECK_STREQ(tcp_counter_name(TCP_CTR_TX_FAIL), "tcp: sends the layer below refused");
}

TEST(early_retransmit_with_few_segments_outstanding)
{
	struct tcp_pcb *pcb;
	uint32_t s0;

	setup();
	fill_pattern();
	pcb = open_plain();
	s0 = send_segments(pcb, 3); /* all there is: no new data to clock out dupacks */
	inject(TCP_ACK, PEER_ISS + 1, s0, 65535, NULL, 0);
	CHECK_EQ(t.count, 0);
	inject(TCP_ACK, PEER_ISS + 1, s0, 65535, NULL, 0);
	CHECK_EQ(t.count, 1); /* two duplicates of three segments: RFC 5827 */
	CHECK_EQ(last()->seq, s0);
	CHECK_EQ(tcp_counter(TCP_CTR_FAST_RETRANS), 1);
}

TEST(sequence_numbers_wrap)
{
	struct tcp_pcb *pcb = NULL;
	struct inj o = { .syn_opts = true, .sack = true };
	uint32_t irs = 0xfffff000u, seq = irs + 1;
	uint8_t buf[8192];

	setup();
	fill_pattern();
	pcb = connecting();
	inject_full(TCP_SYN | TCP_ACK, irs, pcb->iss + 1, 65535, NULL, 0, &o);
	CHECK_EQ(tcp_state(pcb), TCP_ESTABLISHED);
	/* Across 2^32, out of order first: the ranges and the window compare by difference. */
	inject(TCP_ACK, seq + 2 * MSS, pcb->iss + 1, 65535, pattern + 2 * MSS, MSS);
	inject(TCP_ACK, seq + MSS, pcb->iss + 1, 65535, pattern + MSS, MSS);
	CHECK_EQ(pcb->n_ooo, 1);
	inject(TCP_ACK, seq, pcb->iss + 1, 65535, pattern, MSS);
	CHECK_EQ(last()->ack, seq + 3 * MSS);
	CHECK(seq + 3 * MSS < irs); /* it did wrap */
	CHECK_EQ(tcp_recv(pcb, buf, sizeof(buf), false, t.now), 3 * MSS);
	CHECK(!memcmp(buf, pattern, 3 * MSS));
}

/* --- what the socket layer calls --- */

/* A copy that fails on its second piece, as copy_from_app on a bad pointer would. */
static int copy_calls;

static int failing_copy(void *arg, size_t off, void *ring, size_t len, bool to_ring)
{
	(void)arg;
	(void)off;
	(void)ring;
	(void)len;
	(void)to_ring;
	return ++copy_calls > 1 ? -EFAULT : 0;
}

/* Copies at offsets of the caller's buffer (arg), as the socket's iovec walk does. */
static int offset_copy(void *arg, size_t off, void *ring, size_t len, bool to_ring)
{
	copy_calls++;
	if (to_ring)
		memcpy(ring, (uint8_t *)arg + off, len);
	else
		memcpy((uint8_t *)arg + off, ring, len);
	return 0;
}

TEST(copies_through_a_callback_move_all_or_nothing)
{
	struct tcp_pcb *pcb = setup_open();
	uint8_t buf[3000];
	bool eof;

	fill_pattern();
	/* A ring that wraps: its head past the middle, so a copy takes two pieces. */
	pcb->snd.head = pcb->snd.cap - 100;
	copy_calls = 0;
	CHECK_EQ(tcp_send_copy(pcb, failing_copy, NULL, 1000, t.now), -EFAULT);
	CHECK_EQ(pcb->snd.len, 0);
	CHECK_EQ(t.count, 0);
	copy_calls = 0;
	CHECK_EQ(tcp_send_copy(pcb, offset_copy, pattern, 1000, t.now), 1000);
	CHECK_EQ(copy_calls, 2);
	CHECK_EQ(last()->len, 1000);
	CHECK(!memcmp(last()->data, pattern, 1000));
	/* Receiving: a failed copy leaves the bytes for the next read. */
	pcb->rcv.head = pcb->rcv.cap - 10;
	inject(TCP_ACK | TCP_PSH, PEER_ISS + 1, pcb->iss + 1001, 65535, pattern, 50);
	copy_calls = 0;
	CHECK_EQ(tcp_recv_copy(pcb, failing_copy, NULL, sizeof(buf), false, t.now), -EFAULT);
	CHECK_EQ(tcp_readable(pcb, &eof), 50);
	copy_calls = 0;
	CHECK_EQ(tcp_recv_copy(pcb, offset_copy, buf, sizeof(buf), true, t.now), 50);
	CHECK_EQ(tcp_readable(pcb, &eof), 50); /* peeked */
	CHECK_EQ(tcp_recv_copy(pcb, offset_copy, buf, sizeof(buf), false, t.now), 50);
	CHECK_EQ(copy_calls, 4);
	CHECK(!memcmp(buf, pattern, 50));
	CHECK_EQ(tcp_readable(pcb, &eof), 0);
}

TEST(ports_held_by_closed_sockets_and_the_accept_queue)
{
	struct tcp_pcb *pcb = setup_open(), *lst;

	CHECK(!tcp_port_held(US_IP, US_PORT)); /* a socket holds it: the socket layer knows */
	tcp_close(pcb, t.now);
	CHECK(tcp_port_held(US_IP, US_PORT)); /* FIN_WAIT_1, the core's now */
	CHECK(tcp_port_held(IPV4_ANY, US_PORT));
	CHECK(!tcp_port_held(US_IP, US_PORT + 1));
	CHECK(!tcp_port_held(US_IP + 5, US_PORT));
	CHECK_EQ(tcp_mss(pcb), MSS);
	lst = tcp_pcb_new(&ops, NULL);
	CHECK_EQ(tcp_mss(lst), 536); /* before a handshake, as Linux shows it */
	CHECK(!tcp_accept_ready(lst));
	CHECK_EQ(tcp_listen(lst, IPV4_ANY, US_PORT + 1, 4), 0);
	CHECK(!tcp_accept_ready(lst));
}

/* An active open from local port lport; its rings are made (the SYN is recorded). */
static struct tcp_pcb *connect_from(uint16_t lport)
{
	struct tcp_pcb *pcb = tcp_pcb_new(&ops, NULL);

	CHECK(pcb);
	CHECK_EQ(tcp_connect(pcb, US_IP, lport, PEER_IP, PEER_PORT, t.now), 0);
	return pcb;
}

TEST(memory_pressure_makes_new_rings_smaller_and_stops_growth)
{
	struct tcp_pcb *a, *b, *c, *d;
	uint64_t pressure;

	setup();
	t.cfg.mem_budget = 3 * (TCP_SNDBUF_DEFAULT + TCP_RCVBUF_DEFAULT) / 2; /* one and a half */
	tcp_init(&t.cfg);
	pressure = tcp_counter(TCP_CTR_MEM_PRESSURE);
	a = connect_from(40001);
	CHECK_EQ(a->snd.cap, TCP_SNDBUF_DEFAULT);
	CHECK_EQ(a->rcv.cap, TCP_RCVBUF_DEFAULT);
	CHECK_EQ(tcp_counter(TCP_CTR_MEM_PRESSURE), pressure);
	CHECK(tcp_ring_may_grow(TCP_SNDBUF_DEFAULT));
	b = connect_from(40002); /* the send ring fits; the receive ring is halved twice */
	CHECK_EQ(b->snd.cap, TCP_SNDBUF_DEFAULT);
	CHECK_EQ(b->rcv.cap, TCP_RCVBUF_DEFAULT / 4);
	CHECK_EQ(tcp_counter(TCP_CTR_MEM_PRESSURE), pressure + 1);
	CHECK(!tcp_ring_may_grow(TCP_RCVBUF_DEFAULT / 4));
	c = connect_from(40003); /* what is left: 16 KiB, and the floor (the blocks count too) */
	CHECK_EQ(c->snd.cap, TCP_SNDBUF_DEFAULT);
	CHECK_EQ(c->rcv.cap, TCP_RING_FLOOR);
	d = connect_from(40004); /* past the budget: the floor, and the connection still opens */
	CHECK_EQ(d->snd.cap, TCP_RING_FLOOR);
	CHECK_EQ(d->rcv.cap, TCP_RING_FLOOR);
	CHECK_EQ(tcp_state(d), TCP_SYN_SENT);
	CHECK_EQ(tcp_counter(TCP_CTR_MEM_PRESSURE), pressure + 4);
	tcp_abort(a);
	tcp_abort(b);
	tcp_abort(c);
	tcp_abort(d);
	CHECK_EQ(tcp_mem(), 0);
}

/* A segment from the peer's port sport (not PEER_PORT), without options. */
static void inject_from(uint16_t sport, uint8_t flags, uint32_t seq, uint32_t ack)
{
	inject_port(sport, flags, seq, ack, 65535, NULL, 0, &no_opts);
}

/* A connection from sport accepted on lst, closed by us and then by the peer: TIME_WAIT. */
static struct tcp_pcb *time_wait_from(struct tcp_pcb *lst, uint16_t sport)
{
	struct tcp_pcb *pcb;
	uint32_t iss;

	clear_sent();
	inject_from(sport, TCP_SYN, PEER_ISS, 0);
	iss = last()->seq;
	inject_from(sport, TCP_ACK, PEER_ISS + 1, iss + 1);
	pcb = tcp_accept(lst);
	CHECK(pcb != NULL);
	tcp_close(pcb, t.now);
	inject_from(sport, TCP_ACK | TCP_FIN, PEER_ISS + 1, iss + 2);
	CHECK_EQ(tcp_state(pcb), TCP_TIME_WAIT);
	return pcb;
}

TEST(time_wait_blocks_end_oldest_first_a_fin_again_goes_last)
{
	struct tcp_pcb *lst, *mine, *tw[4];
	uint64_t t0;

	setup();
	lst = listener(8);
	mine = open_plain(); /* a socket's, shut down and still held: it outlives TIME_WAIT */
	tcp_shutdown(mine, t.now);
	inject(TCP_ACK | TCP_FIN, PEER_ISS + 1, mine->iss + 2, 65535, NULL, 0);
	CHECK_EQ(tcp_state(mine), TCP_TIME_WAIT);
	t0 = t.now;
	for (int i = 0; i < 4; i++) {
		t.now += NS_PER_S;
		tw[i] = time_wait_from(lst, (uint16_t)(50000 + i));
	}
	CHECK_EQ(tcp_pcb_count(), 6);
	CHECK_EQ(tcp_next_deadline(), t0 + 2 * TCP_MSL);
	/* tw[0]'s FIN again, a second later: its 2 MSL starts over, behind the others. */
	t.now += NS_PER_S;
	inject_from(50000, TCP_ACK | TCP_FIN, PEER_ISS + 1, tw[0]->snd_nxt);
	run_until(t0 + 2 * TCP_MSL);
	CHECK_EQ(tcp_state(mine), TCP_CLOSED); /* ended, still the socket's */
	CHECK_EQ(tcp_pcb_count(), 6);
	run_until(t0 + 2 * TCP_MSL + 4 * NS_PER_S);
	CHECK_EQ(tcp_pcb_count(), 3); /* the listener, mine, tw[0] */
	CHECK_EQ(tcp_state(tw[0]), TCP_TIME_WAIT);
	CHECK_EQ(tcp_next_deadline(), t0 + 5 * NS_PER_S + 2 * TCP_MSL);
	run_until(t0 + 5 * NS_PER_S + 2 * TCP_MSL);
	CHECK_EQ(tcp_pcb_count(), 2);
	tcp_close(mine, t.now);
	CHECK_EQ(tcp_pcb_count(), 1);
}

TEST(time_wait_is_bounded_the_oldest_ends_early)
{
	struct tcp_pcb *lst, *last_tw = NULL;

	setup();
	t.cfg.mem_budget = 64 * 4 * sizeof(struct tcp_pcb); /* room for the 64 of TCP_TW_MIN */
	tcp_init(&t.cfg);
	lst = listener(8);
	for (int i = 0; i < 70; i++)
		last_tw = time_wait_from(lst, (uint16_t)(50000 + i));
	CHECK_EQ(tcp_counter(TCP_CTR_TW_RECYCLED), 6);
	CHECK_EQ(tcp_pcb_count(), 1 + 64);
	CHECK_EQ(tcp_state(last_tw), TCP_TIME_WAIT);
	/* The oldest's port is free again: a SYN from it opens at once. */
	clear_sent();
	inject_from(50000, TCP_SYN, PEER_ISS, 0);
	CHECK_EQ(last()->flags, TCP_SYN | TCP_ACK);
}

TEST(a_heap_without_room_gives_smaller_rings_not_a_failure)
{
	struct tcp_pcb *a;
	uint64_t pressure;

	setup();
	pressure = tcp_counter(TCP_CTR_MEM_PRESSURE);
	fake_kmalloc_try_max = 20000; /* no budget set: only the heap says no */
	a = connect_from(40001);
	CHECK_EQ(a->snd.cap, TCP_SNDBUF_DEFAULT);
	CHECK_EQ(a->rcv.cap, TCP_RCVBUF_DEFAULT / 8);
	CHECK_EQ(tcp_counter(TCP_CTR_MEM_PRESSURE), pressure + 1);
	CHECK_EQ(fake_log_count(), 0); /* smaller is not worth a warning */
	fake_kmalloc_try_max = 0;
	tcp_abort(a);
}
