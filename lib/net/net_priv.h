/*
 * What the files of lib/net share. The protocol files (eth, arp, ip, icmp,
 * udp, dhcp, config, stats, checksum) are pure: they reach the device only
 * through netdev_xmit(), time only through net_now() and randomness only
 * through net_random32(), so the host tests link them with fakes of those.
 * net.c (the thread, the lock, the parameters) and socket.c (the files)
 * are the kernel's side.
 *
 * Locking: every function here is called with the stack's lock held
 * (net_lock()), by the network thread or by a socket call; nothing here
 * blocks. Addresses and ports are in host order unless a name says "be".
 */
#ifndef LIB_NET_NET_PRIV_H
#define LIB_NET_NET_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/net/netdev.h"
#include "drivers/net/pbuf.h"
#include "lib/net/checksum.h"
#include "lib/net/proto.h"

#define IPV4_ANY 0u
#define IPV4_BROADCAST 0xffffffffu
#define IPV4_LOOPBACK_NET 0x7f000000u /* 127.0.0.0/8 */
#define IPV4_LOOPBACK_MASK 0xff000000u
#define IPV4_LOOPBACK_ADDR 0x7f000001u
#define IPV4_MULTICAST_NET 0xe0000000u /* 224.0.0.0/4 */
#define IPV4_MULTICAST_MASK 0xf0000000u
#define NET_NEVER UINT64_MAX /* a timer deadline that does not come */

/* For printing an address in host order: pr_info("ip: " IPV4_FMT, IPV4_ARGS(a)). */
#define IPV4_FMT "%u.%u.%u.%u"
#define IPV4_ARGS(a)                                                                          \
	(unsigned)((a) >> 24), (unsigned)(((a) >> 16) & 0xff), (unsigned)(((a) >> 8) & 0xff), \
		(unsigned)((a)&0xff)

static inline uint16_t net_htons(uint16_t v)
{
	return __builtin_bswap16(v);
}

static inline uint16_t net_ntohs(uint16_t v)
{
	return __builtin_bswap16(v);
}

static inline uint32_t net_htonl(uint32_t v)
{
	return __builtin_bswap32(v);
}

static inline uint32_t net_ntohl(uint32_t v)
{
	return __builtin_bswap32(v);
}

static inline uint64_t net_min_deadline(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* The platform (net.c in the kernel, fakes in the host tests). */
uint64_t net_now(void); /* monotonic ns */
uint32_t net_random32(void);

/* The kernel side only (net.c): the stack lock, and a nudge for the network thread. */
void net_lock(void);
void net_unlock(void);
/* Makes the network thread run its timers again (a send may have started one). */
void net_kick(void);

/* Counters (stats.c): one per event and per drop reason. */
#define NET_COUNTERS(X)                                                 \
	X(ETH_RX, "eth: frames received")                               \
	X(ETH_TX, "eth: frames sent")                                   \
	X(ETH_DROP_SHORT, "eth: dropped, shorter than a header")        \
	X(ETH_DROP_TYPE, "eth: dropped, unknown ethertype")             \
	X(ETH_DROP_DST, "eth: dropped, not for our address")            \
	X(ETH_TX_FAIL, "eth: sends the device refused")                 \
	X(NOBUFS, "net: packet buffers not available")                  \
	X(TSO_SOFT, "net: TSO segments cut by the stack instead")       \
	X(ARP_RX, "arp: packets received")                              \
	X(ARP_REQUESTS_SENT, "arp: requests sent")                      \
	X(ARP_REPLIES_SENT, "arp: replies sent")                        \
	X(ARP_DROP_MALFORMED, "arp: dropped, malformed")                \
	X(ARP_DROP_NOT_US, "arp: dropped, not for our address")         \
	X(ARP_QUEUED, "arp: packets queued for resolution")             \
	X(ARP_DROP_QUEUE_FULL, "arp: dropped, resolution queue full")   \
	X(ARP_DROP_UNRESOLVED, "arp: dropped, address did not resolve") \
	X(ARP_DROP_TABLE_FULL, "arp: dropped, cache full of pending")   \
	X(IP_RX, "ip: packets received")                                \
	X(IP_TX, "ip: packets sent")                                    \
	X(IP_DROP_SHORT, "ip: dropped, truncated")                      \
	X(IP_DROP_VERSION, "ip: dropped, not version 4")                \
	X(IP_DROP_HDR_LEN, "ip: dropped, bad header length")            \
	X(IP_DROP_TOTAL_LEN, "ip: dropped, bad total length")           \
	X(IP_DROP_CSUM, "ip: dropped, bad header checksum")             \
	X(IP_DROP_OPTIONS, "ip: dropped, has options")                  \
	X(IP_DROP_FRAGMENT, "ip: dropped, a fragment")                  \
	X(IP_DROP_TTL, "ip: dropped, TTL 0")                            \
	X(IP_DROP_NOT_US, "ip: dropped, not for our address")           \
	X(IP_DROP_SRC, "ip: dropped, bad source address")               \
	X(IP_DROP_PROTO, "ip: dropped, unknown protocol")               \
	X(IP_DROP_NO_ROUTE, "ip: sends with no route")                  \
	X(ICMP_RX, "icmp: messages received")                           \
	X(ICMP_ECHO_REPLIES, "icmp: echo replies sent")                 \
	X(ICMP_DROP_SHORT, "icmp: dropped, truncated")                  \
	X(ICMP_DROP_CSUM, "icmp: dropped, bad checksum")                \
	X(ICMP_DROP_TYPE, "icmp: ignored, type not handled")            \
	X(UDP_RX, "udp: datagrams received")                            \
	X(UDP_TX, "udp: datagrams sent")                                \
	X(UDP_DROP_SHORT, "udp: dropped, truncated")                    \
	X(UDP_DROP_LEN, "udp: dropped, bad length")                     \
	X(UDP_DROP_CSUM, "udp: dropped, bad checksum")                  \
	X(UDP_DROP_NO_PORT, "udp: dropped, no socket on the port")      \
	X(UDP_DROP_RCVBUF, "udp: dropped, receive buffer full")         \
	X(DHCP_TX, "dhcp: messages sent")                               \
	X(DHCP_RX, "dhcp: messages received")                           \
	X(DHCP_DROP_MALFORMED, "dhcp: dropped, malformed")              \
	X(DHCP_DROP_OTHER, "dhcp: ignored, not ours or not expected now")

#define NET_COUNTER_ENUM(name, text) NET_CTR_##name,
enum net_counter { NET_COUNTERS(NET_COUNTER_ENUM) NET_CTR_COUNT };
#undef NET_COUNTER_ENUM

void net_count(enum net_counter c);
uint64_t net_counter(enum net_counter c);
/*
 * Counts c and, for the first few bad packets only (a flood must not fill
 * the log), says at warning level what was wrong with this one.
 */
__attribute__((format(printf, 2, 3))) void net_malformed(enum net_counter c, const char *fmt, ...);
/* Logs every counter that is not zero. */
void net_stats_report(void);
void net_stats_reset(void);

/* Ethernet (eth.c). */
void eth_attach(struct netdev *nd); /* NULL: no device; sends fail */
struct netdev *eth_dev(void);
void eth_input(struct pbuf *p); /* takes the reference */
/* Prepends the header and sends p (always consumed); 0 or a negative errno. */
int eth_output(struct pbuf *p, const uint8_t *dst, uint16_t type);
const uint8_t *eth_addr(void);

/* ARP (arp.c). */
void arp_input(struct pbuf *p);
/* Sends p (an IPv4 packet) to next_hop, resolving it first if need be; consumes p. */
int arp_output(struct pbuf *p, uint32_t next_hop);
/* Expires entries and retries requests; the next deadline. */
uint64_t arp_timer(uint64_t now);
void arp_reset(void);

/* IPv4 (ip.c). The interface's one address. */
struct ip_config {
	uint32_t addr, mask, gw; /* gw 0: none */
	bool up;
};
/* how: "dhcp" or "static", for the boot log line. */
void ip_configure(uint32_t addr, uint32_t mask, uint32_t gw, const char *how);
void ip_unconfigure(void);
const struct ip_config *ip_config(void);
bool ip_is_local(uint32_t addr);
/* 255.255.255.255, or the subnet's broadcast address. */
bool ip_is_broadcast(uint32_t addr);
/* The next hop toward dst, or -ENETUNREACH. */
int ip_route(uint32_t dst, uint32_t *next_hop);
void ip_input(struct pbuf *p);
/*
 * Prepends an IPv4 header to p (which holds the transport header and
 * data) and sends it; consumes p. dst may be IPV4_BROADCAST (sent to the
 * Ethernet broadcast address, configured or not). 0 or a negative errno.
 */
int ip_output(struct pbuf *p, uint32_t src, uint32_t dst, uint8_t proto);

/*
 * Runs what was looped back to our own addresses and queued: TCP segments
 * are not delivered inside ip_output(), which the core calls in the middle
 * of its own work, but here, once the caller is out of TCP. The network
 * thread and every socket call that ran TCP call it before letting go of
 * the lock.
 */
void ip_loop_flush(void);

/* ICMP (icmp.c): p at the ICMP header, ih the datagram's IP header. */
void icmp_input(struct pbuf *p, const struct ip_hdr *ih);

/* UDP (udp.c). */
#define UDP_F_REUSEADDR 0x1
#define UDP_F_REUSEPORT 0x2
#define UDP_F_BROADCAST 0x4
#define UDP_F_CONNECTED 0x8
#define UDP_F_BOUND 0x10
#define UDP_F_ADDR_AUTO 0x20 /* laddr came from connect(), not bind() */

/* Where a queued datagram came from. */
struct udp_from {
	uint32_t addr;
	uint16_t port;
};

struct udp_pcb {
	struct udp_pcb *next; /* udp.c's list of bound pcbs */
	uint32_t laddr, raddr;
	uint16_t lport, rport;
	unsigned flags; /* UDP_F_* */
	/* Received datagrams, p->data at the payload, linked through next. */
	struct pbuf *rxq_head, *rxq_tail;
	size_t rx_mem, rcvbuf; /* rx_mem counts whole buffers, as Linux counts truesize */
	uint64_t rx_drops;
	/* If set, takes each datagram instead of the queue (the DHCP client). */
	void (*deliver)(struct udp_pcb *pcb, struct pbuf *p, const struct udp_from *from);
	/* If set, called after a datagram is queued (a socket wakes its readers). */
	void (*notify)(struct udp_pcb *pcb);
	void *owner;
};

void udp_input(struct pbuf *p, const struct ip_hdr *ih);
/* Binds pcb to addr (IPV4_ANY or ours) and port (0: an ephemeral one). */
int udp_bind(struct udp_pcb *pcb, uint32_t addr, uint16_t port);
int udp_connect(struct udp_pcb *pcb, uint32_t addr, uint16_t port);
void udp_disconnect(struct udp_pcb *pcb);
/* Unbinds pcb and frees what it has queued. */
void udp_close(struct udp_pcb *pcb);
/*
 * Sends p (the payload, with headroom) from pcb to dst:dport (pcb bound
 * first if it is not); consumes p. 0 or a negative errno.
 */
int udp_send(struct udp_pcb *pcb, struct pbuf *p, uint32_t dst, uint16_t dport);
/* The first queued datagram (left queued), or NULL; *from its source. */
struct pbuf *udp_peek(struct udp_pcb *pcb, struct udp_from *from);
/* Takes the first queued datagram off the queue (the caller frees it), or NULL. */
struct pbuf *udp_dequeue(struct udp_pcb *pcb, struct udp_from *from);
/* A fresh pcb's defaults. */
void udp_pcb_init(struct udp_pcb *pcb);
void udp_reset(void);

#define UDP_PORT_EPHEMERAL_MIN 32768 /* Linux's ip_local_port_range */
#define UDP_PORT_EPHEMERAL_MAX 60999

/* TCP over IPv4 (tcp_ip.c): the core's platform side. */
/* Sets up the core for the attached device (or none): its MTU and offloads. */
void tcp_ip_init(void);
/* p at the TCP header, ih the datagram's IP header; takes p. */
void tcp_ip_input(struct pbuf *p, const struct ip_hdr *ih);

/* DHCP client (dhcp.c). */
void dhcp_start(void);
void dhcp_stop(void);
uint64_t dhcp_timer(uint64_t now);

/* Configuration values (config.c): 0 or -EINVAL. */
int net_parse_ipv4(const char *s, uint32_t *addr);
/* "A.B.C.D/N" or "A.B.C.D/N:G.W.A.Y". */
int net_parse_cidr(const char *s, uint32_t *addr, uint32_t *mask, uint32_t *gw);
/* The prefix length of a contiguous mask, or -EINVAL. */
int net_mask_prefix(uint32_t mask);

#endif
