/*
 * TCP (docs/tcp.md): a control block per connection and the RFC 9293
 * state machine as pure logic. It is given parsed segments and the time
 * ("now", monotonic ns) and answers through callbacks: segments to send
 * go to the output function given to tcp_init(), events go to each
 * block's ops. It never sleeps, reads a clock or takes a lock: the caller
 * holds the stack's lock (net_lock()) around every call.
 *
 * Callbacks must not call back into TCP for the same block (an event
 * handler wakes waiters; it does not send or close).
 */
#ifndef LIB_NET_TCP_H
#define LIB_NET_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/net/tcp_wire.h"

enum tcp_state {
	TCP_CLOSED,
	TCP_LISTEN,
	TCP_SYN_SENT,
	TCP_SYN_RCVD,
	TCP_ESTABLISHED,
	TCP_FIN_WAIT_1,
	TCP_FIN_WAIT_2,
	TCP_CLOSE_WAIT,
	TCP_CLOSING,
	TCP_LAST_ACK,
	TCP_TIME_WAIT,
};

/* One SACK block: the sequence numbers [start, end). */
struct tcp_sack_block {
	uint32_t start, end;
};

/* The options a segment carried (tcp_seg_parse()). */
struct tcp_opts {
	bool has_mss, has_wscale, sack_ok, has_ts;
	uint8_t wscale;
	uint8_t nsack;
	uint16_t mss;
	uint32_t tsval, tsecr;
	struct tcp_sack_block sack[TCP_SACK_BLOCKS_MAX];
};

/* A received segment, parsed and checked; addresses and numbers in host order. */
struct tcp_seg {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint16_t wnd; /* as it came, not yet scaled */
	uint8_t flags;
	struct tcp_opts opt;
	const uint8_t *data;
	uint32_t len; /* payload bytes */
};

/*
 * A segment to send: the finished header with its options (hdr, hlen)
 * and the payload in up to two pieces (the ring may wrap). The checksum
 * is filled, or with csum_offload holds the pseudo-header sum for the
 * device to complete (PBUF_F_CSUM_NEEDED, csum_offset 16 from the header).
 * With gso_size (only with tso_max, and then csum_offload) the payload is
 * longer than a segment: the device is to cut it into segments of gso_size
 * bytes, each with this header (TSO); tcp_out_piece() makes them when the
 * platform cannot. Such a segment carries no SYN, FIN or RST.
 */
struct tcp_out {
	uint32_t saddr, daddr;
	uint8_t hdr[TCP_HDR_MAX];
	unsigned hlen;
	const uint8_t *data[2];
	uint32_t len[2];
	bool csum_offload;
	uint16_t gso_size;
};

struct tcp_config {
	/* Sends one segment; 0 or a negative errno (the core retransmits later). */
	int (*output)(const struct tcp_out *out);
	uint16_t mtu;	      /* the device's: our MSS is mtu - 40 */
	bool tx_csum_offload; /* NETDEV_F_TX_CSUM */
	/*
	 * NETDEV_F_TSO4 (with tx_csum_offload): the longest segment, TCP
	 * header included, that output() takes to be cut; 0: no TSO.
	 */
	uint32_t tso_max;
	/*
	 * Bytes the rings and control blocks may hold before a new ring, or
	 * one that would grow, is made smaller (halved, down to
	 * TCP_RING_FLOOR): memory pressure, as Linux's tcp_mem. 0: no limit.
	 */
	size_t mem_budget;
};

/* Events (a mask) for struct tcp_ops.event. */
#define TCP_EV_CONNECTED 0x01 /* ESTABLISHED reached (active open) */
#define TCP_EV_READABLE 0x02  /* data arrived, or the peer's FIN */
#define TCP_EV_WRITABLE 0x04  /* send space freed */
#define TCP_EV_ERROR 0x08     /* tcp_error() is set: refused, reset or timed out */
#define TCP_EV_CLOSED 0x10    /* the block reached CLOSED */
#define TCP_EV_ACCEPT 0x20    /* on a listener: a connection waits in tcp_accept() */

struct tcp_pcb;

struct tcp_ops {
	void (*event)(struct tcp_pcb *pcb, unsigned events);
};

/* Resets all TCP state and sets the platform's callbacks (boot; each host test). */
void tcp_init(const struct tcp_config *cfg);

/* A new block in CLOSED for the socket owner; NULL without memory. */
struct tcp_pcb *tcp_pcb_new(const struct tcp_ops *ops, void *owner);
void *tcp_owner(const struct tcp_pcb *pcb);
void tcp_set_owner(struct tcp_pcb *pcb, const struct tcp_ops *ops, void *owner);
enum tcp_state tcp_state(const struct tcp_pcb *pcb);
/* The error that ended the connection (-ECONNREFUSED, ...), or 0. */
int tcp_error(const struct tcp_pcb *pcb);
void tcp_addrs(const struct tcp_pcb *pcb, uint32_t *laddr, uint16_t *lport, uint32_t *raddr,
	       uint16_t *rport);

/* The payload a segment to the peer carries at most (TCP_MAXSEG): 536 before a handshake. */
uint32_t tcp_mss(const struct tcp_pcb *pcb);

/*
 * Options; buffer sizes apply before the connection starts (0: the default).
 * Switching TCP_NODELAY on sends what Nagle held back, as on Linux.
 */
void tcp_set_nodelay(struct tcp_pcb *pcb, bool on, uint64_t now);
/* TCP_CORK; taking it off sends what it held back, Nagle or not, as on Linux. */
void tcp_set_cork(struct tcp_pcb *pcb, bool on, uint64_t now);
/* SO_KEEPALIVE with TCP_KEEPIDLE/INTVL/CNT (0: the default); counts idleness from now. */
void tcp_set_keepalive(struct tcp_pcb *pcb, bool on, uint32_t idle_s, uint32_t intvl_s,
		       uint32_t cnt, uint64_t now);
int tcp_set_bufs(struct tcp_pcb *pcb, uint32_t sndbuf, uint32_t rcvbuf);

/*
 * Listens on laddr (0: any):lport, with at most backlog connections
 * waiting for tcp_accept(). 0, -EADDRINUSE, -EINVAL (not CLOSED) or -ENOMEM.
 */
int tcp_listen(struct tcp_pcb *pcb, uint32_t laddr, uint16_t lport, unsigned backlog);
/* A connection waits in the listener's accept queue (poll's POLLIN). */
bool tcp_accept_ready(const struct tcp_pcb *listener);
/*
 * Whether a block the socket layer does not see (closed by its socket:
 * TIME_WAIT, FIN_WAIT_2, ..., or waiting in an accept queue) holds
 * laddr:lport; laddr or its own 0 matches any. For bind()'s checks.
 */
bool tcp_port_held(uint32_t laddr, uint16_t lport);
/* The oldest established connection of a listener, now the caller's; NULL if none. */
struct tcp_pcb *tcp_accept(struct tcp_pcb *listener);
/*
 * Active open from laddr:lport (the caller chose them) to raddr:rport:
 * sends the SYN. 0, -EADDRINUSE (the 4-tuple is taken), -EINVAL or -ENOMEM.
 */
int tcp_connect(struct tcp_pcb *pcb, uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport,
		uint64_t now);

/*
 * Moves len bytes between a ring and the caller's memory at offset off of
 * its buffer: to_ring says which way. 0, or a negative errno (-EFAULT),
 * and then the call moves nothing. The socket passes one that reaches the
 * application through copy_from_app/copy_to_app, so no bounce is needed.
 */
typedef int (*tcp_copy_fn)(void *arg, size_t off, void *ring, size_t len, bool to_ring);

/* Copies up to n bytes into the send ring: how many (0: full), or -EPIPE, -ENOTCONN. */
long tcp_send(struct tcp_pcb *pcb, const void *buf, size_t n, uint64_t now);
/* tcp_send() through copy (arg its own); also the copy's error. */
long tcp_send_copy(struct tcp_pcb *pcb, tcp_copy_fn copy, void *arg, size_t n, uint64_t now);
/*
 * Takes up to n received bytes (peek: leaves them): how many; 0 at the
 * end of the stream; -EAGAIN when none waits; the connection's error.
 */
long tcp_recv(struct tcp_pcb *pcb, void *buf, size_t n, bool peek, uint64_t now);
/* tcp_recv() through copy (arg its own); also the copy's error. */
long tcp_recv_copy(struct tcp_pcb *pcb, tcp_copy_fn copy, void *arg, size_t n, bool peek,
		   uint64_t now);
/* Bytes waiting to be read, and whether the peer's FIN or an error came. */
size_t tcp_readable(const struct tcp_pcb *pcb, bool *eof);
/* Bytes in the send ring: not yet acknowledged (SIOCOUTQ). */
size_t tcp_queued(const struct tcp_pcb *pcb);
/* Free space in the send ring (0 once shut down for writing). */
size_t tcp_writable(const struct tcp_pcb *pcb);

/* shutdown(SHUT_WR): a FIN after the queued data. 0 or -ENOTCONN. */
int tcp_shutdown(struct tcp_pcb *pcb, uint64_t now);
/*
 * The socket lets go: a FIN after the queued data (a RST if received data
 * was left unread, RFC 9293 3.10.4 / RFC 2525), and the core frees the
 * block once it reaches CLOSED. pcb must not be used afterwards.
 */
void tcp_close(struct tcp_pcb *pcb, uint64_t now);
/* SO_LINGER 0: a RST now and the block is freed. */
void tcp_abort(struct tcp_pcb *pcb);

/*
 * Parses and checks a segment of len bytes (header and payload) that
 * came from saddr to daddr: the checksum unless csum_valid, the data
 * offset, the options. 0, or -EINVAL (counted by reason). seg->data
 * points into buf.
 */
int tcp_seg_parse(const uint8_t *buf, size_t len, uint32_t saddr, uint32_t daddr, bool csum_valid,
		  struct tcp_seg *seg);
/* A received segment to whichever block it belongs to (or a RST answers it). */
void tcp_segment_arrives(const struct tcp_seg *seg, uint64_t now);
/* Copies a segment to send into buf (room for hlen + payload); its length. */
size_t tcp_out_flatten(const struct tcp_out *out, uint8_t *buf, size_t room);
/*
 * Of a TSO segment, the segment with payload bytes [off, off + n) as the
 * device would cut it: its sequence, FIN and PSH on the last piece only,
 * its own checksum (or pseudo-header sum), no gso_size.
 */
void tcp_out_piece(const struct tcp_out *out, uint32_t off, uint32_t n, struct tcp_out *piece);

/* Runs the timers that are due; the next deadline (NET_NEVER: none). */
uint64_t tcp_timer(uint64_t now);
uint64_t tcp_next_deadline(void);

/* Bytes held by all rings, and the number of blocks. */
size_t tcp_mem(void);
/* Bytes written to connections that the peers have not acknowledged yet (net_drain). */
uint64_t tcp_unacked(void);
unsigned tcp_pcb_count(void);

#define TCP_COUNTERS(X)                                                       \
	X(SEG_RX, "tcp: segments received")                                   \
	X(SEG_TX, "tcp: segments sent")                                       \
	X(RETRANS, "tcp: segments retransmitted")                             \
	X(RTO, "tcp: retransmission timeouts")                                \
	X(FAST_RETRANS, "tcp: fast retransmits")                              \
	X(SACK_RECOVERY, "tcp: recoveries using SACK")                        \
	X(DROP_SHORT, "tcp: dropped, truncated")                              \
	X(DROP_CSUM, "tcp: dropped, bad checksum")                            \
	X(DROP_DOFF, "tcp: dropped, bad data offset")                         \
	X(DROP_OPTIONS, "tcp: dropped, bad option length")                    \
	X(DROP_NO_PCB, "tcp: no connection, answered with a reset")           \
	X(DROP_SEQ, "tcp: dropped, outside the window")                       \
	X(DROP_PAWS, "tcp: dropped, old timestamp (PAWS)")                    \
	X(DROP_ACK, "tcp: dropped, unacceptable ACK")                         \
	X(DROP_OOO_FULL, "tcp: dropped, reassembly ranges full")              \
	X(CHALLENGE_ACK, "tcp: challenge ACKs sent (RFC 5961)")               \
	X(CHALLENGE_LIMITED, "tcp: challenge ACKs not sent, over the limit")  \
	X(RST_RX, "tcp: resets acted on")                                     \
	X(RST_TX, "tcp: resets sent")                                         \
	X(SYN_CACHE_ADD, "tcp: half-open connections")                        \
	X(SYN_CACHE_EVICT, "tcp: half-open connections evicted (queue full)") \
	X(SYN_CACHE_EXPIRE, "tcp: half-open connections timed out")           \
	X(ACCEPT_FULL, "tcp: handshakes dropped, accept queue full")          \
	X(TW_REUSE, "tcp: TIME_WAIT connections reused by a new SYN")         \
	X(OOO_SEGS, "tcp: segments received out of order")                    \
	X(DSACK_TX, "tcp: duplicates reported to the sender (D-SACK)")        \
	X(ZERO_WINDOW_PROBES, "tcp: zero-window probes sent")                 \
	X(KEEPALIVE_PROBES, "tcp: keepalive probes sent")                     \
	X(TIMEOUTS, "tcp: connections timed out")                             \
	X(TX_FAIL, "tcp: sends the layer below refused")                      \
	X(TSO_TX, "tcp: large segments sent for the device to cut (TSO)")     \
	X(MEM_PRESSURE, "tcp: buffers made smaller, memory pressure")         \
	X(TW_RECYCLED, "tcp: TIME_WAIT ended early, too many")

#define TCP_COUNTER_ENUM(name, text) TCP_CTR_##name,
enum tcp_counter { TCP_COUNTERS(TCP_COUNTER_ENUM) TCP_CTR_COUNT };
#undef TCP_COUNTER_ENUM

uint64_t tcp_counter(enum tcp_counter c);
const char *tcp_counter_name(enum tcp_counter c);
/* Logs every counter that is not zero (for the exit report, beside net_report()). */
void tcp_stats_report(void);

#endif
