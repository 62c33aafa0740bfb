/*
 * UDP (RFC 768, RFC 1122 4.1): the table of bound pcbs, input with the
 * checksum checked (unless the device did) and a bounded queue per pcb,
 * and output with the checksum computed here or left to the device.
 *
 * A queued datagram keeps its source in the bytes its UDP header had
 * (struct queued_from, just before p->data), so the queue needs no memory
 * of its own. A unicast datagram goes to one pcb, the best match; a
 * broadcast to every pcb that matches (a copy each), as on Linux.
 */
#include "lib/net/net_priv.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#define UDP_PORT_RANGE (UDP_PORT_EPHEMERAL_MAX - UDP_PORT_EPHEMERAL_MIN + 1)
#define UDP_RCVBUF_DEFAULT 212992 /* Linux's net.core.rmem_default */
#define UDP_CSUM_OF_ZERO 0xffff	  /* a computed 0 is sent as its other form, all ones */

struct queued_from {
	uint32_t addr;
	uint16_t port;
	uint16_t unused;
} __attribute__((packed)); /* the header lies where the frame put it */

_Static_assert(sizeof(struct queued_from) <= UDP_HDR_LEN, "the source fits the UDP header");

static struct {
	struct udp_pcb *bound; /* every bound pcb */
} udp;

void udp_pcb_init(struct udp_pcb *pcb)
{
	memset(pcb, 0, sizeof(*pcb));
	pcb->rcvbuf = UDP_RCVBUF_DEFAULT;
}

/* How well pcb matches a datagram to dst:dport from src:sport; -1: not at all. */
static int match(const struct udp_pcb *pcb, uint32_t src, uint16_t sport, uint32_t dst,
		 uint16_t dport)
{
	int score = 0;

	if (pcb->lport != dport)
		return -1;
	if (pcb->laddr != IPV4_ANY) {
		if (pcb->laddr != dst)
			return -1;
		score += 2;
	}
	if (pcb->flags & UDP_F_CONNECTED) {
		if (pcb->raddr != src || pcb->rport != sport)
			return -1;
		score += 4;
	}
	return score;
}

static struct udp_pcb *lookup(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport)
{
	struct udp_pcb *best = NULL;
	int best_score = -1;

	for (struct udp_pcb *pcb = udp.bound; pcb; pcb = pcb->next) {
		int s = match(pcb, src, sport, dst, dport);

		if (s > best_score) {
			best = pcb;
			best_score = s;
		}
	}
	return best;
}

static void enqueue(struct udp_pcb *pcb, struct pbuf *p, const struct udp_from *from)
{
	struct queued_from *q = (struct queued_from *)(p->data - UDP_HDR_LEN);

	if (pcb->rxq_head && pcb->rx_mem + sizeof(*p) > pcb->rcvbuf) {
		net_count(NET_CTR_UDP_DROP_RCVBUF);
		pcb->rx_drops++;
		pbuf_free(p);
		return;
	}
	q->addr = from->addr;
	q->port = from->port;
	p->next = NULL;
	if (pcb->rxq_tail)
		pcb->rxq_tail->next = p;
	else
		pcb->rxq_head = p;
	pcb->rxq_tail = p;
	pcb->rx_mem += sizeof(*p);
	if (pcb->notify)
		pcb->notify(pcb);
}

static void deliver_to(struct udp_pcb *pcb, struct pbuf *p, const struct udp_from *from)
{
	if (pcb->deliver)
		pcb->deliver(pcb, p, from);
	else
		enqueue(pcb, p, from);
}

/* A copy of the datagram p, with the headroom a queued one needs; NULL if the pool is empty. */
static struct pbuf *copy_of(const struct pbuf *p)
{
	struct pbuf *c = pbuf_alloc(PBUF_HEADROOM);

	if (!c || pbuf_tailroom(c) < p->len) {
		net_count(NET_CTR_NOBUFS);
		pbuf_free(c);
		return NULL;
	}
	memcpy(pbuf_put(c, p->len), p->data, p->len);
	c->flags = p->flags;
	return c;
}

/* A broadcast datagram p (at its payload) to every pcb that matches: copies for all but the last. */
static void fan_out(struct pbuf *p, const struct udp_from *from, uint32_t dst, uint16_t dport)
{
	struct udp_pcb *last = NULL;

	for (struct udp_pcb *pcb = udp.bound; pcb; pcb = pcb->next) {
		struct pbuf *c;

		if (match(pcb, from->addr, from->port, dst, dport) < 0)
			continue;
		if (last && (c = copy_of(p)))
			deliver_to(last, c, from);
		last = pcb;
	}
	if (last) {
		deliver_to(last, p, from);
		return;
	}
	net_count(NET_CTR_UDP_DROP_NO_PORT);
	pbuf_free(p);
}

static bool csum_ok(const struct pbuf *p, const struct ip_hdr *ih, const struct udp_hdr *h)
{
	uint32_t sum;

	if (!h->csum || (p->flags & PBUF_F_CSUM_VALID))
		return true; /* zero: the sender computed none (RFC 768) */
	sum = net_csum_pseudo(net_ntohl(ih->src), net_ntohl(ih->dst), IP_PROTO_UDP, p->len);
	return net_csum_fold(net_csum_add(sum, h, p->len)) == 0;
}

void udp_input(struct pbuf *p, const struct ip_hdr *ih)
{
	const struct udp_hdr *h = (const struct udp_hdr *)p->data;
	struct udp_from from;
	struct udp_pcb *pcb;
	uint32_t dst;
	uint16_t dport;
	unsigned len;

	net_count(NET_CTR_UDP_RX);
	if (p->len < UDP_HDR_LEN) {
		net_malformed(NET_CTR_UDP_DROP_SHORT, "udp: dropped a %u-byte datagram: truncated",
			      p->len);
		goto drop;
	}
	len = net_ntohs(h->len);
	if (len < UDP_HDR_LEN || len > p->len) {
		net_malformed(NET_CTR_UDP_DROP_LEN,
			      "udp: dropped a datagram: length field %u, %u bytes came", len,
			      p->len);
		goto drop;
	}
	pbuf_trim(p, len);
	if (!csum_ok(p, ih, h)) {
		net_malformed(NET_CTR_UDP_DROP_CSUM,
			      "udp: dropped a %u-byte datagram: bad checksum", len);
		goto drop;
	}
	from.addr = net_ntohl(ih->src);
	from.port = net_ntohs(h->sport);
	dst = net_ntohl(ih->dst);
	dport = net_ntohs(h->dport);
	pbuf_pull(p, UDP_HDR_LEN);
	if (ip_is_broadcast(dst)) {
		fan_out(p, &from, dst, dport);
		return;
	}
	pcb = lookup(from.addr, from.port, dst, dport);
	if (!pcb) {
		net_count(NET_CTR_UDP_DROP_NO_PORT);
		goto drop;
	}
	deliver_to(pcb, p, &from);
	return;
drop:
	pbuf_free(p);
}

static bool port_conflict(const struct udp_pcb *pcb, uint32_t addr, uint16_t port)
{
	for (const struct udp_pcb *o = udp.bound; o; o = o->next) {
		bool shared = (pcb->flags & o->flags & (UDP_F_REUSEADDR | UDP_F_REUSEPORT)) != 0;

		if (o == pcb || o->lport != port)
			continue;
		if ((o->laddr == addr || o->laddr == IPV4_ANY || addr == IPV4_ANY) && !shared)
			return true;
	}
	return false;
}

/* A free ephemeral port, from a random start (RFC 6056's simplest), or 0. */
static uint16_t ephemeral_port(const struct udp_pcb *pcb)
{
	unsigned start = net_random32() % UDP_PORT_RANGE;

	for (unsigned i = 0; i < UDP_PORT_RANGE; i++) {
		uint16_t port = (uint16_t)(UDP_PORT_EPHEMERAL_MIN + (start + i) % UDP_PORT_RANGE);
		bool used = false;

		for (const struct udp_pcb *o = udp.bound; o && !used; o = o->next)
			used = o != pcb && o->lport == port;
		if (!used)
			return port;
	}
	return 0;
}

int udp_bind(struct udp_pcb *pcb, uint32_t addr, uint16_t port)
{
	if (pcb->flags & UDP_F_BOUND)
		return -EINVAL;
	if (addr != IPV4_ANY && !ip_is_broadcast(addr) && !ip_is_local(addr))
		return -EADDRNOTAVAIL;
	if (!port) {
		port = ephemeral_port(pcb);
		if (!port)
			return -EAGAIN; /* what Linux answers when the range is used up */
	} else if (port_conflict(pcb, addr, port)) {
		return -EADDRINUSE;
	}
	pcb->laddr = addr;
	pcb->lport = port;
	pcb->flags |= UDP_F_BOUND;
	pcb->next = udp.bound;
	udp.bound = pcb;
	return 0;
}

static void unbind(struct udp_pcb *pcb)
{
	struct udp_pcb **pp = &udp.bound;

	while (*pp && *pp != pcb)
		pp = &(*pp)->next;
	if (*pp)
		*pp = pcb->next;
	pcb->next = NULL;
	pcb->flags &= ~UDP_F_BOUND;
}

/* The source address a datagram to dst gets from pcb; 0 before configuration. */
static uint32_t source_for(const struct udp_pcb *pcb, uint32_t dst)
{
	if (pcb->laddr != IPV4_ANY && !ip_is_broadcast(pcb->laddr))
		return pcb->laddr;
	if ((dst & IPV4_LOOPBACK_MASK) == IPV4_LOOPBACK_NET)
		return IPV4_LOOPBACK_ADDR;
	return ip_config()->up ? ip_config()->addr : IPV4_ANY;
}

/* Can a datagram from pcb go to dst? 0 or the errno Linux gives. */
static int reachable(const struct udp_pcb *pcb, uint32_t dst)
{
	uint32_t next_hop;

	if (ip_is_broadcast(dst))
		return (pcb->flags & UDP_F_BROADCAST) ? 0 : -EACCES;
	if (ip_is_local(dst))
		return 0;
	return ip_route(dst, &next_hop);
}

int udp_connect(struct udp_pcb *pcb, uint32_t addr, uint16_t port)
{
	int err;

	if (addr == IPV4_ANY) /* Linux: the local host */
		addr = ip_config()->up ? ip_config()->addr : IPV4_LOOPBACK_ADDR;
	err = reachable(pcb, addr);
	if (err < 0)
		return err;
	if (!(pcb->flags & UDP_F_BOUND)) {
		err = udp_bind(pcb, IPV4_ANY, 0);
		if (err < 0)
			return err;
	}
	if (pcb->laddr == IPV4_ANY) {
		pcb->laddr = source_for(pcb, addr);
		pcb->flags |= UDP_F_ADDR_AUTO;
	}
	pcb->raddr = addr;
	pcb->rport = port;
	pcb->flags |= UDP_F_CONNECTED;
	return 0;
}

void udp_disconnect(struct udp_pcb *pcb)
{
	if (pcb->flags & UDP_F_ADDR_AUTO)
		pcb->laddr = IPV4_ANY;
	pcb->flags &= ~(UDP_F_CONNECTED | UDP_F_ADDR_AUTO);
	pcb->raddr = IPV4_ANY;
	pcb->rport = 0;
}

static void rxq_flush(struct udp_pcb *pcb)
{
	struct pbuf *p;

	while ((p = udp_dequeue(pcb, NULL)))
		pbuf_free(p);
}

void udp_close(struct udp_pcb *pcb)
{
	unbind(pcb);
	rxq_flush(pcb);
	pcb->flags = 0;
}

/* Fills the header's checksum, or leaves it to the device (NETDEV_F_TX_CSUM). */
static void set_csum(struct pbuf *p, struct udp_hdr *h, uint32_t src, uint32_t dst)
{
	struct netdev *nd = eth_dev();
	uint32_t sum = net_csum_pseudo(src, dst, IP_PROTO_UDP, p->len);
	uint16_t c;

	h->csum = 0;
	if (nd && (nd->features & NETDEV_F_TX_CSUM) && !ip_is_local(dst)) {
		p->flags |= PBUF_F_CSUM_NEEDED;
		p->csum_start = ETH_HDR_LEN + IP_HDR_LEN; /* from data once both are pushed */
		p->csum_offset = offsetof(struct udp_hdr, csum);
		h->csum = net_htons(net_csum_reduce(sum));
		return;
	}
	c = net_csum_fold(net_csum_add(sum, h, p->len));
	h->csum = net_htons(c ? c : UDP_CSUM_OF_ZERO); /* zero would mean "none" (RFC 768) */
}

int udp_send(struct udp_pcb *pcb, struct pbuf *p, uint32_t dst, uint16_t dport)
{
	struct udp_hdr *h;
	uint32_t src;
	int err = reachable(pcb, dst);

	if (!err && !(pcb->flags & UDP_F_BOUND))
		err = udp_bind(pcb, IPV4_ANY, 0);
	if (err < 0)
		goto drop;
	h = (struct udp_hdr *)pbuf_push(p, UDP_HDR_LEN);
	if (!h) {
		net_count(NET_CTR_NOBUFS);
		err = -ENOBUFS;
		goto drop;
	}
	src = source_for(pcb, dst);
	h->sport = net_htons(pcb->lport);
	h->dport = net_htons(dport);
	h->len = net_htons(p->len);
	set_csum(p, h, src, dst);
	net_count(NET_CTR_UDP_TX);
	return ip_output(p, src, dst, IP_PROTO_UDP);
drop:
	pbuf_free(p);
	return err;
}

static void read_from(const struct pbuf *p, struct udp_from *from)
{
	const struct queued_from *q = (const struct queued_from *)(p->data - UDP_HDR_LEN);

	if (from) {
		from->addr = q->addr;
		from->port = q->port;
	}
}

struct pbuf *udp_peek(struct udp_pcb *pcb, struct udp_from *from)
{
	struct pbuf *p = pcb->rxq_head;

	if (p)
		read_from(p, from);
	return p;
}

struct pbuf *udp_dequeue(struct udp_pcb *pcb, struct udp_from *from)
{
	struct pbuf *p = pcb->rxq_head;

	if (!p)
		return NULL;
	read_from(p, from);
	pcb->rxq_head = p->next;
	if (!pcb->rxq_head)
		pcb->rxq_tail = NULL;
	p->next = NULL;
	pcb->rx_mem -= sizeof(*p);
	return p;
}

void udp_reset(void)
{
	while (udp.bound)
		udp_close(udp.bound);
}
