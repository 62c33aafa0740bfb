/*
 * What the tcp_*.c files share: the control block, the byte rings,
 * sequence arithmetic, the limits and the internal calls. Every function
 * here is called with the stack's lock held; none blocks.
 */
#ifndef LIB_NET_TCP_PRIV_H
#define LIB_NET_TCP_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/net/tcp.h"

#define TCP_NEVER UINT64_MAX
#define TCP_NS_PER_MS 1000000ull
#define TCP_NS_PER_S 1000000000ull

/* Sizes */
#define TCP_IP_TCP_HDRS 40	  /* IPv4 and TCP headers without options */
#define TCP_MSS_DEFAULT 536	  /* the peer sent no MSS (RFC 9293 3.7.1) */
#define TCP_MSS_MIN 88		  /* below this a peer's MSS is raised (Linux's floor) */
#define TCP_SNDBUF_DEFAULT 16384  /* Linux's tcp_wmem[1] */
#define TCP_RCVBUF_DEFAULT 131072 /* Linux's tcp_rmem[1] */
#define TCP_SNDBUF_MAX (4u << 20) /* tcp_wmem[2] */
#define TCP_RCVBUF_MAX (6u << 20) /* tcp_rmem[2] */
#define TCP_BUF_MIN 2048
#define TCP_RING_FLOOR 4096   /* memory pressure halves a ring down to this */
#define TCP_WSCALE_OURS 7     /* windows up to 8 MiB */
#define TCP_INIT_CWND_SEGS 10 /* RFC 6928 */
/*
 * Out-of-order ranges a receiver keeps (their bytes are in the ring: a range
 * costs 8 bytes), and SACKed ranges a sender keeps; tcp_range_add() handles
 * up to TCP_RANGES_MAX.
 */
#define TCP_OOO_MAX 64
#define TCP_SACK_MAX 64
#define TCP_RANGES_MAX 64
#define TCP_DUPTHRESH 3
#define TCP_SYNQ_MAX 1024 /* half-open entries per listener */
#define TCP_BACKLOG_MAX 4096

/* Times (ns) */
#define TCP_RTO_INIT (1 * TCP_NS_PER_S) /* RFC 6298 2.1 */
#define TCP_RTO_MIN (200 * TCP_NS_PER_MS)
#define TCP_RTO_MAX (120 * TCP_NS_PER_S)
#define TCP_CLOCK_G TCP_NS_PER_MS /* the granularity of our RTT samples */
#define TCP_DELACK (40 * TCP_NS_PER_MS)
#define TCP_MSL (30 * TCP_NS_PER_S)
#define TCP_PAWS_SLACK 1 /* ticks of the peer's clock a TSval may lag ts_recent (Linux's) */
#define TCP_FIN_TIMEOUT (60 * TCP_NS_PER_S)
#define TCP_PERSIST_MIN (200 * TCP_NS_PER_MS)
#define TCP_CORK_MAX (200 * TCP_NS_PER_MS) /* how long TCP_CORK holds a short segment, as Linux */
#define TCP_RETRIES_SYN 6
#define TCP_RETRIES_DATA 15
#define TCP_RETRIES_SYNACK 5
#define TCP_KEEP_IDLE_S 7200
#define TCP_KEEP_INTVL_S 75
#define TCP_KEEP_CNT 9
#define TCP_CHALLENGE_PER_S 10 /* RFC 5961 7 */

/* Sequence arithmetic: by the sign of the 32-bit difference. */
static inline bool tcp_seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool tcp_seq_leq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static inline uint32_t tcp_seq_max(uint32_t a, uint32_t b)
{
	return tcp_seq_lt(a, b) ? b : a;
}

static inline uint32_t tcp_seq_min(uint32_t a, uint32_t b)
{
	return tcp_seq_lt(a, b) ? a : b;
}

static inline uint32_t tcp_min32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static inline uint64_t tcp_min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/*
 * A byte ring: len bytes from head, in a buffer of cap bytes. The receive
 * ring also holds out-of-order bytes beyond len, at their offsets.
 */
struct tcp_ring {
	uint8_t *buf;
	uint32_t cap, head, len;
};

/* cap, or less under memory pressure (tcp_config.mem_budget): what a new ring gets. */
uint32_t tcp_ring_fit(uint32_t cap);
/* Whether the rings may hold more bytes more, memory pressure allowing. */
bool tcp_ring_may_grow(uint32_t more);
/* A ring of cap bytes, or tcp_ring_fit(cap) (counted); -ENOMEM. */
int tcp_ring_alloc(struct tcp_ring *r, uint32_t cap);
void tcp_ring_free(struct tcp_ring *r);
/* Copies n bytes to offset off from head (beyond len too, up to cap). */
void tcp_ring_write_at(struct tcp_ring *r, uint32_t off, const void *src, uint32_t n);
/* Copies n bytes from offset off into dst. */
void tcp_ring_read_at(const struct tcp_ring *r, uint32_t off, void *dst, uint32_t n);
/* Drops n bytes from the front. */
void tcp_ring_consume(struct tcp_ring *r, uint32_t n);
/* Where n bytes at offset off lie: up to two pieces. */
void tcp_ring_pieces(const struct tcp_ring *r, uint32_t off, uint32_t n, const uint8_t *p[2],
		     uint32_t l[2]);
/* Moves the contents into a buffer of cap bytes (cap >= what is held); 0 or -ENOMEM. */
int tcp_ring_resize(struct tcp_ring *r, uint32_t cap, uint32_t held);

/* A range of sequence numbers [start, end). */
struct tcp_range {
	uint32_t start, end;
};

/*
 * Adds [s, e) to n sorted, disjoint ranges (at most max), merging what it
 * touches; *at: the index of the range that holds it. False (nothing
 * changes) if that would need more than max ranges.
 */
bool tcp_range_add(struct tcp_range *r, unsigned *n, unsigned max, uint32_t s, uint32_t e,
		   unsigned *at);

/* A listener's half-open connection (tcp_listen.c). */
struct tcp_syn_entry {
	uint32_t raddr, laddr, iss, irs, ts_recent, ts_offset;
	uint16_t rport, lport, mss;
	uint8_t wscale, retries;
	bool used, sack_ok, ts_ok, ws_ok;
	uint64_t deadline, born;
};

struct tcp_listen_state {
	struct tcp_syn_entry *synq;
	unsigned synq_cap, backlog, acceptq_len;
	struct tcp_pcb *acceptq_head, *acceptq_tail;
};

#define TCP_PCB_F_USER 0x1	  /* a socket holds it (until tcp_close) */
#define TCP_PCB_F_NODELAY 0x2	  /* TCP_NODELAY */
#define TCP_PCB_F_KEEPALIVE 0x4	  /* SO_KEEPALIVE */
#define TCP_PCB_F_TS 0x8	  /* timestamps agreed */
#define TCP_PCB_F_SACK 0x10	  /* SACK agreed */
#define TCP_PCB_F_WSCALE 0x20	  /* window scaling agreed */
#define TCP_PCB_F_FIN_QUEUED 0x40 /* a FIN follows the ring's data */
#define TCP_PCB_F_FIN_RCVD 0x80
#define TCP_PCB_F_ACK_NOW 0x100	    /* send an ACK at the next output */
#define TCP_PCB_F_IN_RECOVERY 0x200 /* fast recovery until snd_una passes recover */
#define TCP_PCB_F_RTT_TIMING 0x400  /* rtt_seq is being timed (no timestamps) */
#define TCP_PCB_F_PASSIVE 0x800	    /* came from a listener */
#define TCP_PCB_F_HASHED 0x1000
#define TCP_PCB_F_BUFS_SET 0x2000 /* SO_SNDBUF/SO_RCVBUF given: no autotuning */
#define TCP_PCB_F_IN_ACCEPTQ 0x4000
#define TCP_PCB_F_FIN_ACKED 0x8000  /* our FIN is acknowledged: it is never sent again */
#define TCP_PCB_F_SYN_ACKED 0x10000 /* our SYN is acknowledged (snd_una == iss may recur) */
#define TCP_PCB_F_CORK 0x20000	    /* TCP_CORK: only whole segments (and a FIN) go */
#define TCP_PCB_F_DSACK 0x40000	    /* dsack is a duplicate the next ACK reports (RFC 2883) */
#define TCP_PCB_F_PUSH 0x80000 /* the next output sends the tail Nagle holds (uncork, NODELAY) */
#define TCP_PCB_F_TWQ 0x100000 /* on the TIME_WAIT list (tcp.tw), not on tcp.all */

struct tcp_pcb {
	struct tcp_pcb *hnext, **hprev; /* the 4-tuple table or the listener list */
	struct tcp_pcb *all_next, **all_prev;
	enum tcp_state state;
	unsigned flags; /* TCP_PCB_F_* */
	const struct tcp_ops *ops;
	void *owner;
	int error;
	uint32_t laddr, raddr;
	uint16_t lport, rport;

	/* Send side: ring byte 0 is sequence snd_una (once the SYN is acknowledged). */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, max_sndwnd, snd_wl1, snd_wl2;
	uint32_t peer_mss; /* the MSS the peer sent, clamped to ours */
	uint8_t snd_wscale, rcv_wscale;
	struct tcp_ring snd;
	uint32_t sndbuf, rcvbuf;

	/* Receive side. */
	uint32_t irs, rcv_nxt, rcv_adv, last_ack_sent;
	struct tcp_ring rcv;
	struct tcp_range ooo[TCP_OOO_MAX];
	unsigned n_ooo, ooo_last; /* ooo_last: the range the latest arrival went to */
	struct tcp_range dsack;	  /* with TCP_PCB_F_DSACK */
	unsigned segs_unacked;	  /* in-order segments not yet acknowledged */
	uint32_t rcv_copied;	  /* read by the application since rcv_tune_at (autotuning) */
	uint64_t rcv_tune_at;

	/* Timestamps. ts_rto: our clock at the last timeout; older echoes give no RTT sample. */
	uint32_t ts_recent, ts_offset, ts_rto;

	/* RTT, RTO, congestion control. */
	uint64_t srtt, rttvar, rto, rtt_start;
	uint32_t rtt_seq;
	unsigned backoff, retries;
	uint32_t cwnd, ssthresh, recover, high_rxt, dupacks;
	struct tcp_range sacked[TCP_SACK_MAX];
	unsigned n_sacked;

	/* Timers: absolute deadlines, TCP_NEVER when off. */
	uint64_t rto_at, delack_at, persist_at, keep_at, tw_at, cork_at;
	unsigned persist_backoff, keep_probes;
	uint32_t keep_idle_s, keep_intvl_s, keep_cnt;
	uint64_t challenge_window;
	unsigned challenge_count;

	/* Listeners and their children. */
	struct tcp_listen_state *listen;
	struct tcp_pcb *parent, *accept_next;
};

/* tcp_pcb.c */
const struct tcp_config *tcp_cfg(void); /* what tcp_init() was given */
void tcp_count(enum tcp_counter c);
struct tcp_pcb *tcp_lookup(uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport);
struct tcp_pcb *tcp_lookup_listener(uint32_t laddr, uint16_t lport);
void tcp_hash(struct tcp_pcb *pcb);
void tcp_unhash(struct tcp_pcb *pcb);
int tcp_listener_add(struct tcp_pcb *pcb);
/* Allocates the rings (and sizes them); 0 or -ENOMEM. */
int tcp_alloc_rings(struct tcp_pcb *pcb);
/* Our MSS: the device's MTU less the headers. */
uint32_t tcp_our_mss(void);
uint32_t tcp_isn(uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport, uint64_t now);
uint32_t tcp_ts_now(const struct tcp_pcb *pcb, uint64_t now);
/* Enters CLOSED: timers off, events; the block goes at tcp_reap() if no socket holds it. */
void tcp_enter_closed(struct tcp_pcb *pcb, int error);
void tcp_enter_time_wait(struct tcp_pcb *pcb, uint64_t now);
/* Frees pcb if it is CLOSED and no socket holds it. */
void tcp_reap(struct tcp_pcb *pcb);
void tcp_pcb_destroy(struct tcp_pcb *pcb);
void tcp_event(struct tcp_pcb *pcb, unsigned events);
struct tcp_pcb *tcp_pcb_first(void);	   /* tcp.all: every block not in TIME_WAIT */
struct tcp_pcb *tcp_time_wait_first(void); /* the TIME_WAIT list, oldest (next to end) first */
/* A FIN came again in TIME_WAIT: 2 MSL from now, at the list's end. */
void tcp_time_wait_again(struct tcp_pcb *pcb, uint64_t now);
/* pcb leaves the TIME_WAIT list for tcp.all (tcp_enter_closed does it). */
void tcp_time_wait_done(struct tcp_pcb *pcb);

/* tcp_seg.c */
/* Builds a segment's header and options; the payload pieces are the caller's. */
struct tcp_hdr_args {
	uint32_t saddr, daddr, seq, ack;
	uint16_t sport, dport, wnd;
	uint8_t flags;
	uint8_t opt[TCP_OPT_SPACE];
	unsigned optlen;
};
/* Fills out's header from a and sums it with the payload pieces already in out. */
void tcp_build(struct tcp_out *out, const struct tcp_hdr_args *a);
/* Option writers: each appends to a->opt (the caller keeps to TCP_OPT_SPACE). */
void tcp_opt_syn(struct tcp_hdr_args *a, uint16_t mss, bool ws, uint8_t shift, bool sack, bool ts,
		 uint32_t tsval, uint32_t tsecr);
void tcp_opt_ts(struct tcp_hdr_args *a, uint32_t tsval, uint32_t tsecr);
void tcp_opt_sack(struct tcp_hdr_args *a, const struct tcp_sack_block *b, unsigned n);
/* Sends a RST (or RST|ACK) answering seg, which found no connection. */
void tcp_send_reset_for(const struct tcp_seg *seg);

/* tcp_in.c */
void tcp_input(struct tcp_pcb *pcb, const struct tcp_seg *seg, uint64_t now);
/* Takes the options of a SYN into pcb (agreed options, MSS, window shift). */
void tcp_take_syn_options(struct tcp_pcb *pcb, const struct tcp_opts *o);

/* tcp_out.c */
/* Sends what may be sent now: data, FIN, SYN, and the ACK if one is due. */
void tcp_output(struct tcp_pcb *pcb, uint64_t now);
void tcp_push(struct tcp_pcb *pcb, uint64_t now);
/* Sends the bytes [seq, seq + n) again (n capped to a segment); the bytes sent. */
uint32_t tcp_send_range(struct tcp_pcb *pcb, uint32_t seq, uint32_t n, uint64_t now);
void tcp_send_ack(struct tcp_pcb *pcb, uint64_t now);
void tcp_send_challenge_ack(struct tcp_pcb *pcb, uint64_t now);
void tcp_send_rst(struct tcp_pcb *pcb, uint64_t now);
void tcp_send_probe(struct tcp_pcb *pcb, uint64_t now, bool keepalive);
/* The segment size for data: the peer's MSS less the options every segment carries. */
uint32_t tcp_eff_mss(const struct tcp_pcb *pcb);
/* The window to advertise (unscaled bytes), and rcv_adv moved to match. */
uint32_t tcp_rcv_window(struct tcp_pcb *pcb);
/* Sequence where the ring's data ends (the FIN's, if queued). */
uint32_t tcp_data_end(const struct tcp_pcb *pcb);
/* A FIN is queued and not yet acknowledged. */
bool tcp_fin_pending(const struct tcp_pcb *pcb);

/* tcp_cc.c */
void tcp_cc_init(struct tcp_pcb *pcb);
void tcp_rtt_sample(struct tcp_pcb *pcb, uint64_t rtt);
/* An ACK that moved snd_una forward by acked (already done). */
void tcp_cc_ack(struct tcp_pcb *pcb, uint32_t acked, uint64_t now);
/* A duplicate ACK (RFC 5681 2). */
void tcp_cc_dupack(struct tcp_pcb *pcb, uint64_t now);
void tcp_cc_timeout(struct tcp_pcb *pcb);
/* Takes SACK blocks into the scoreboard; whether it learnt of more SACKed bytes. */
bool tcp_sack_update(struct tcp_pcb *pcb, const struct tcp_opts *o);
/*
 * New SACK information on a segment that is no duplicate ACK (it carried
 * data): enough SACKed starts recovery all the same, as Linux counts it.
 */
void tcp_cc_sacked(struct tcp_pcb *pcb, uint64_t now);
/* Drops scoreboard ranges below snd_una. */
void tcp_sack_trim(struct tcp_pcb *pcb);
uint32_t tcp_sacked_bytes(const struct tcp_pcb *pcb);
/*
 * Resending after a timeout (snd_nxt < snd_max): moves snd_nxt past SACKed
 * data; the SACKed bytes below it (not in flight), and in *room the bytes
 * up to the next SACKed range.
 */
uint32_t tcp_sack_skip(struct tcp_pcb *pcb, uint32_t *room);
/* Sends in SACK recovery while the pipe allows (RFC 6675 5). */
void tcp_sack_output(struct tcp_pcb *pcb, uint64_t now);

/* tcp_timer.c */
void tcp_rto_arm(struct tcp_pcb *pcb, uint64_t now);
void tcp_pcb_timers_off(struct tcp_pcb *pcb);
void tcp_keep_reset(struct tcp_pcb *pcb, uint64_t now);
uint64_t tcp_pcb_deadline(const struct tcp_pcb *pcb);

/* tcp_listen.c */
void tcp_listen_input(struct tcp_pcb *lst, const struct tcp_seg *seg, uint64_t now);
uint64_t tcp_listen_timer(struct tcp_pcb *lst, uint64_t now);
uint64_t tcp_listen_deadline(const struct tcp_pcb *lst);
/* A child reached ESTABLISHED: onto the parent's accept queue. */
void tcp_listen_established(struct tcp_pcb *child);
void tcp_listen_close(struct tcp_pcb *lst);
/* Takes a child that is going away off its parent's accept queue. */
void tcp_listen_unlink(struct tcp_pcb *child);

#endif
