/*
 * Two TCP endpoints talking through a fake link that loses, reorders,
 * delays and queues segments (a deterministic seed per case): a client
 * moves 4 MiB to a server, which sends 1 MiB back at the same time, and
 * both sides check every byte and a checksum. Under loss this runs the
 * RTO, fast retransmit and SACK (or NewReno) recovery for real; a slow
 * reader behind a small window, with window updates lost, must not stall.
 */
#define CHECK_SUITE "tcp_loop"
#include "tests/unit/check.h"

#include "lib/net/net_priv.h"
#include "lib/net/tcp_priv.h"
#include "tests/unit/fake_kernel.h"

#define NS_PER_US 1000ull
#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull
#define A_IP 0x0a000001u
#define B_IP 0x0a000002u
#define A_PORT 33000
#define B_PORT 5000
#define LINK_SLOTS 1024
#define LINK_QUEUE_MAX 200	     /* packets in flight each way: beyond, tail drop */
#define LINK_SER_NS (10 * NS_PER_US) /* serialisation per packet: about 1.2 Gbit/s */
#define LINK_PROP_NS (1 * NS_PER_MS)
#define PKT_MAX (TCP_HDR_MAX + 1500)
#define SIM_LIMIT (3000 * NS_PER_S)
#define IO_CHUNK 6000

static uint32_t rng = 1;

static uint32_t next_rand(void)
{
	rng ^= rng << 13; /* xorshift32 */
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

uint32_t net_random32(void)
{
	return next_rand();
}

struct pkt {
	bool used;
	uint64_t at;
	uint32_t src, dst;
	size_t len;
	uint8_t bytes[PKT_MAX];
};

struct link_cfg {
	unsigned loss_per_10k, reorder_per_10k;
	unsigned ack_loss_from_b_per_10k; /* extra loss of B's pure ACKs (window updates) */
	uint64_t reorder_ns;
};

static struct {
	struct pkt slots[LINK_SLOTS];
	unsigned in_flight[2]; /* by direction: 0 A->B, 1 B->A */
	uint64_t last_depart[2];
	struct link_cfg cfg;
	uint64_t now;
	uint64_t sent, lost;
	struct tcp_config tcfg;
} wire;

static unsigned dir_of(uint32_t src)
{
	return src == A_IP ? 0 : 1;
}

static bool chance(unsigned per_10k)
{
	return next_rand() % 10000 < per_10k;
}

/* With TCP_LOOP_TRACE set, every segment offered to the link, one line each (for debugging). */
static void trace(const struct tcp_out *out, unsigned d)
{
	uint8_t b[PKT_MAX];
	struct tcp_seg sg;
	size_t n;

	if (!getenv("TCP_LOOP_TRACE"))
		return;
	n = tcp_out_flatten(out, b, sizeof(b));
	if (tcp_seg_parse(b, n, out->saddr, out->daddr, false, &sg) < 0)
		return;
	fprintf(stderr, "%.4f %s seq %u len %u ack %u wnd %u flags %#x\n",
		(double)wire.now / NS_PER_S, d ? "B>A" : "A>B", sg.seq, sg.len, sg.ack, sg.wnd,
		sg.flags);
}

static int link_output(const struct tcp_out *out)
{
	unsigned d = dir_of(out->saddr);
	size_t plen = out->len[0] + out->len[1];
	struct pkt *p = NULL;
	uint64_t depart;

	wire.sent++;
	trace(out, d);
	if (chance(wire.cfg.loss_per_10k) ||
	    (d == 1 && !plen && chance(wire.cfg.ack_loss_from_b_per_10k)) ||
	    wire.in_flight[d] >= LINK_QUEUE_MAX) {
		wire.lost++;
		return 0; /* lost on the way: the sender cannot tell */
	}
	for (unsigned i = 0; i < LINK_SLOTS && !p; i++)
		if (!wire.slots[i].used)
			p = &wire.slots[i];
	CHECK(p != NULL);
	if (!p)
		return 0;
	depart = wire.last_depart[d] > wire.now ? wire.last_depart[d] : wire.now;
	depart += LINK_SER_NS;
	wire.last_depart[d] = depart;
	p->used = true;
	p->at = depart + LINK_PROP_NS;
	if (chance(wire.cfg.reorder_per_10k))
		p->at += next_rand() % wire.cfg.reorder_ns;
	p->src = out->saddr;
	p->dst = out->daddr;
	p->len = tcp_out_flatten(out, p->bytes, sizeof(p->bytes));
	CHECK(p->len > 0);
	wire.in_flight[d]++;
	return 0;
}

static uint64_t link_next(void)
{
	uint64_t n = TCP_NEVER;

	for (unsigned i = 0; i < LINK_SLOTS; i++)
		if (wire.slots[i].used && wire.slots[i].at < n)
			n = wire.slots[i].at;
	return n;
}

/* Delivers every packet due by now, earliest first. */
static void link_deliver(void)
{
	for (;;) {
		struct pkt *p = NULL;
		struct tcp_seg seg;

		for (unsigned i = 0; i < LINK_SLOTS; i++)
			if (wire.slots[i].used && wire.slots[i].at <= wire.now &&
			    (!p || wire.slots[i].at < p->at))
				p = &wire.slots[i];
		if (!p)
			return;
		wire.in_flight[dir_of(p->src)]--;
		p->at = TCP_NEVER; /* taken; the slot is free once the segment is processed */
		CHECK_EQ(tcp_seg_parse(p->bytes, p->len, p->src, p->dst, false, &seg), 0);
		tcp_segment_arrives(&seg, wire.now);
		p->used = false;
	}
}

static void on_event(struct tcp_pcb *pcb, unsigned events)
{
	(void)pcb;
	(void)events;
}

static const struct tcp_ops ops = { .event = on_event };

static uint8_t stream_byte(uint64_t i, unsigned dir)
{
	return (uint8_t)((i * 2654435761u) >> 11 ^ (i >> 20) ^ dir * 0x5a);
}

/* One direction of the transfer: who writes it, who reads it, how far each got. */
struct flow {
	struct tcp_pcb *from, *to;
	unsigned dir;
	uint64_t total, written, read;
	uint64_t sum_sent, sum_read; /* Fletcher-style checksums of the stream */
	bool shut, eof, mismatch;
	size_t read_chunk; /* per read; 0: as much as there is */
	uint64_t read_every, next_read;
};

static void sum_add(uint64_t *sum, const uint8_t *b, size_t n)
{
	uint32_t lo = (uint32_t)*sum, hi = (uint32_t)(*sum >> 32);

	for (size_t i = 0; i < n; i++) {
		lo = (lo + b[i]) % 65521u;
		hi = (hi + lo) % 65521u;
	}
	*sum = (uint64_t)hi << 32 | lo;
}

static void flow_write(struct flow *f)
{
	uint8_t buf[IO_CHUNK];

	while (f->written < f->total && tcp_writable(f->from)) {
		size_t n = f->total - f->written < IO_CHUNK ? f->total - f->written : IO_CHUNK;
		long got;

		for (size_t i = 0; i < n; i++)
			buf[i] = stream_byte(f->written + i, f->dir);
		got = tcp_send(f->from, buf, n, wire.now);
		if (got <= 0)
			break;
		sum_add(&f->sum_sent, buf, (size_t)got);
		f->written += (uint64_t)got;
	}
	if (f->written == f->total && !f->shut) {
		tcp_shutdown(f->from, wire.now);
		f->shut = true;
	}
}

static void flow_read(struct flow *f)
{
	uint8_t buf[IO_CHUNK];

	if (f->eof || wire.now < f->next_read)
		return;
	f->next_read = wire.now + f->read_every;
	for (;;) {
		size_t want = f->read_chunk ? f->read_chunk : sizeof(buf);
		long got = tcp_recv(f->to, buf, want, false, wire.now);

		if (got == 0) {
			f->eof = true;
			return;
		}
		if (got < 0)
			return;
		for (long i = 0; i < got; i++)
			if (buf[i] != stream_byte(f->read + (uint64_t)i, f->dir))
				f->mismatch = true;
		sum_add(&f->sum_read, buf, (size_t)got);
		f->read += (uint64_t)got;
		if (f->read_chunk)
			return;
	}
}

static uint64_t next_event(const struct flow *f, unsigned n)
{
	uint64_t t = tcp_min64(link_next(), tcp_next_deadline());

	for (unsigned i = 0; i < n; i++)
		if (!f[i].eof && f[i].read_every)
			t = tcp_min64(t, f[i].next_read > wire.now ? f[i].next_read : wire.now + 1);
	return t;
}

struct run {
	struct link_cfg link;
	uint32_t seed;
	uint64_t a_to_b, b_to_a;
	bool sack;
	uint32_t b_rcvbuf;
	size_t b_read_chunk;
	uint64_t b_read_every;
};

/* Connects A to B's listener over the wire. */
static void connect_pair(const struct run *r, struct tcp_pcb **a, struct tcp_pcb **b)
{
	struct tcp_pcb *lst = tcp_pcb_new(&ops, NULL);

	if (r->b_rcvbuf)
		tcp_set_bufs(lst, 0, r->b_rcvbuf);
	CHECK_EQ(tcp_listen(lst, B_IP, B_PORT, 4), 0);
	*a = tcp_pcb_new(&ops, NULL);
	CHECK_EQ(tcp_connect(*a, A_IP, A_PORT, B_IP, B_PORT, wire.now), 0);
	*b = NULL;
	while (!*b && wire.now < SIM_LIMIT) {
		wire.now = next_event(NULL, 0);
		link_deliver();
		tcp_timer(wire.now);
		*b = tcp_accept(lst);
	}
	CHECK(*b != NULL);
	CHECK_EQ(tcp_state(*a), TCP_ESTABLISHED);
	tcp_close(lst, wire.now);
	if (!r->sack) {
		(*a)->flags &= ~TCP_PCB_F_SACK;
		(*b)->flags &= ~TCP_PCB_F_SACK;
	}
}

/* How far autotuning took the rings of the bulk direction (the largest seen). */
struct tuned {
	uint32_t rcv_cap, snd_cap;
};

static void transfer_tuned(const struct run *r, struct tuned *tune)
{
	struct flow f[2] = { 0 };
	struct tcp_pcb *a, *b;

	memset(&wire, 0, sizeof(wire));
	wire.cfg = r->link;
	wire.tcfg.output = link_output;
	wire.tcfg.mtu = 1500;
	wire.now = 1 * NS_PER_S;
	rng = r->seed;
	tcp_init(&wire.tcfg);
	memset(tune, 0, sizeof(*tune));
	connect_pair(r, &a, &b);
	if (!a || !b)
		return;
	f[0] = (struct flow){ .from = a,
			      .to = b,
			      .dir = 0,
			      .total = r->a_to_b,
			      .read_chunk = r->b_read_chunk,
			      .read_every = r->b_read_every };
	f[1] = (struct flow){ .from = b, .to = a, .dir = 1, .total = r->b_to_a };
	while (!(f[0].eof && f[1].eof) && wire.now < SIM_LIMIT) {
		for (int i = 0; i < 2; i++) {
			flow_write(&f[i]);
			flow_read(&f[i]);
		}
		if (b->rcv.cap > tune->rcv_cap)
			tune->rcv_cap = b->rcv.cap;
		if (a->snd.cap > tune->snd_cap)
			tune->snd_cap = a->snd.cap;
		wire.now = tcp_min64(next_event(f, 2), SIM_LIMIT);
		link_deliver();
		tcp_timer(wire.now);
	}
	for (int i = 0; i < 2; i++) {
		CHECK_CONTEXT("seed %u flow %d", r->seed, i);
		CHECK(f[i].eof);
		CHECK(!f[i].mismatch);
		CHECK_EQ(f[i].read, f[i].total);
		CHECK_EQ(f[i].sum_read, f[i].sum_sent);
	}
	CHECK_CONTEXT("seed %u", r->seed);
	/* Both closed; TIME_WAIT and the last FIN's ACK run out; nothing is left behind. */
	tcp_close(a, wire.now);
	tcp_close(b, wire.now);
	while (wire.now < SIM_LIMIT + 600 * NS_PER_S && tcp_pcb_count()) {
		uint64_t n = next_event(NULL, 0);

		if (n == TCP_NEVER)
			break;
		wire.now = n;
		link_deliver();
		tcp_timer(wire.now);
	}
	CHECK_EQ(tcp_pcb_count(), 0);
	CHECK_EQ(tcp_mem(), 0);
	fprintf(stderr,
		"tcp_loop: seed %u loss %u/10000: %.1f s simulated, %llu segments, %llu lost, "
		"%llu retransmitted, %llu RTOs, %llu fast retransmits, %llu SACK recoveries\n",
		r->seed, r->link.loss_per_10k, (double)wire.now / NS_PER_S,
		(unsigned long long)wire.sent, (unsigned long long)wire.lost,
		(unsigned long long)tcp_counter(TCP_CTR_RETRANS),
		(unsigned long long)tcp_counter(TCP_CTR_RTO),
		(unsigned long long)tcp_counter(TCP_CTR_FAST_RETRANS),
		(unsigned long long)tcp_counter(TCP_CTR_SACK_RECOVERY));
}

static void transfer(const struct run *r)
{
	struct tuned t;

	transfer_tuned(r, &t);
}

#define MIB (1024ull * 1024)

static struct run bulk(unsigned loss, uint32_t seed, bool sack)
{
	struct run r = { .seed = seed, .a_to_b = 4 * MIB, .b_to_a = 1 * MIB, .sack = sack };

	r.link.loss_per_10k = loss;
	r.link.reorder_per_10k = 300;
	r.link.reorder_ns = 3 * NS_PER_MS;
	return r;
}

TEST(clean_link)
{
	struct run r = bulk(0, 1, true);
	struct tuned t;

	r.link.reorder_per_10k = 0;
	r.b_rcvbuf = 128 * 1024; /* a window the link's queue holds: nothing is lost */
	transfer_tuned(&r, &t);
	CHECK_EQ(tcp_counter(TCP_CTR_RETRANS), 0);
	CHECK_EQ(t.rcv_cap, 128 * 1024);
	CHECK(t.snd_cap > TCP_SNDBUF_DEFAULT); /* the send ring grew to fill the window */
}

TEST(autotuned_windows_overflow_the_queue)
{
	struct run r = bulk(0, 8, true);
	struct tuned t;

	r.link.reorder_per_10k = 0;
	transfer_tuned(&r, &t);
	CHECK(t.rcv_cap > TCP_RCVBUF_DEFAULT); /* a fast reader: the window grew */
	CHECK(t.snd_cap > TCP_SNDBUF_DEFAULT);
	CHECK(wire.lost > 0); /* slow start overshot the link's queue, and recovered */
}

TEST(reordering_only)
{
	struct run r = bulk(0, 2, true);

	transfer(&r);
}

TEST(loss_1_percent_sack)
{
	struct run r = bulk(100, 3, true);

	transfer(&r);
	CHECK(tcp_counter(TCP_CTR_SACK_RECOVERY) > 0);
}

TEST(loss_5_percent_sack)
{
	struct run r = bulk(500, 4, true);

	transfer(&r);
}

TEST(loss_10_percent_sack)
{
	struct run r = bulk(1000, 5, true);

	transfer(&r);
}

TEST(loss_2_percent_newreno)
{
	struct run r = bulk(200, 6, false);

	transfer(&r);
	CHECK(tcp_counter(TCP_CTR_FAST_RETRANS) > 0);
	CHECK_EQ(tcp_counter(TCP_CTR_SACK_RECOVERY), 0);
}

TEST(slow_reader_small_window_lost_updates)
{
	struct run r = bulk(100, 7, true);
	struct tuned t;

	r.a_to_b = 256 * 1024;
	r.b_to_a = 64 * 1024;
	r.b_rcvbuf = 8192;
	r.b_read_chunk = 1000;
	r.b_read_every = 1 * NS_PER_MS;
	r.link.ack_loss_from_b_per_10k = 5000; /* half the window updates vanish */
	transfer_tuned(&r, &t);
	CHECK_EQ(t.rcv_cap, 8192); /* set by SO_RCVBUF: never tuned */
}
