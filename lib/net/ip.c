/*
 * IPv4 (RFC 791, RFC 1122 3.2.1): the interface's one address, input
 * checks, routing to the subnet or the gateway, and output. Neither
 * fragments nor options are handled: such packets are dropped and
 * counted, and a send larger than the device's MTU is -EMSGSIZE. Packets
 * to our own address or to 127.0.0.0/8 loop back without the device
 * (TCP's through a queue, ip_loop_flush()).
 */
#include "lib/net/net_priv.h"

#include <errno.h>

#include "kernel/printk.h"

#define IHL_MASK 0x0f
#define VERSION_SHIFT 4
#define IHL_UNIT 4 /* bytes per IHL count */

static struct {
	struct ip_config cfg;
	uint16_t next_id;
	struct pbuf *loop_head, *loop_tail; /* looped-back TCP, for ip_loop_flush() */
	bool flushing;
} ip;

void ip_configure(uint32_t addr, uint32_t mask, uint32_t gw, const char *how)
{
	ip.cfg.addr = addr;
	ip.cfg.mask = mask;
	ip.cfg.gw = gw;
	ip.cfg.up = true;
	if (gw)
		pr_info("net: " IPV4_FMT "/%d via " IPV4_FMT " (%s)", IPV4_ARGS(addr),
			net_mask_prefix(mask), IPV4_ARGS(gw), how);
	else
		pr_info("net: " IPV4_FMT "/%d, no gateway (%s)", IPV4_ARGS(addr),
			net_mask_prefix(mask), how);
}

void ip_unconfigure(void)
{
	ip.cfg.up = false;
	ip.cfg.addr = ip.cfg.mask = ip.cfg.gw = 0;
}

const struct ip_config *ip_config(void)
{
	return &ip.cfg;
}

static bool is_loopback(uint32_t addr)
{
	return (addr & IPV4_LOOPBACK_MASK) == IPV4_LOOPBACK_NET;
}

static bool is_group(uint32_t addr)
{
	return (addr & IPV4_MULTICAST_MASK) == IPV4_MULTICAST_NET;
}

bool ip_is_local(uint32_t addr)
{
	return is_loopback(addr) || (ip.cfg.up && addr == ip.cfg.addr);
}

bool ip_is_broadcast(uint32_t addr)
{
	return addr == IPV4_BROADCAST ||
	       (ip.cfg.up && ip.cfg.mask != IPV4_BROADCAST && addr == (ip.cfg.addr | ~ip.cfg.mask));
}

int ip_route(uint32_t dst, uint32_t *next_hop)
{
	if (!ip.cfg.up)
		return -ENETUNREACH;
	if ((dst & ip.cfg.mask) == (ip.cfg.addr & ip.cfg.mask))
		*next_hop = dst;
	else if (ip.cfg.gw)
		*next_hop = ip.cfg.gw;
	else
		return -ENETUNREACH;
	return 0;
}

/* Which counter a bad header earns, or NET_CTR_COUNT if it is good; p is cut to its length. */
static enum net_counter check_header(struct pbuf *p, const struct ip_hdr *h, const char **what)
{
	unsigned hlen, total;

	if (p->len < IP_HDR_LEN)
		return *what = "truncated header", NET_CTR_IP_DROP_SHORT;
	hlen = (unsigned)(h->ver_ihl & IHL_MASK) * IHL_UNIT;
	total = net_ntohs(h->total_len);
	if (h->ver_ihl >> VERSION_SHIFT != IP_VERSION)
		return *what = "not version 4", NET_CTR_IP_DROP_VERSION;
	if (hlen < IP_HDR_LEN || hlen > p->len)
		return *what = "bad header length", NET_CTR_IP_DROP_HDR_LEN;
	if (net_csum(h, hlen))
		return *what = "bad header checksum", NET_CTR_IP_DROP_CSUM;
	if (total < hlen || total > p->len)
		return *what = "total length beyond the frame", NET_CTR_IP_DROP_TOTAL_LEN;
	pbuf_trim(p, total); /* Ethernet pads short frames */
	return NET_CTR_COUNT;
}

/* Drops that are no sign of a bad packet: counted, not logged. */
static enum net_counter check_policy(const struct ip_hdr *h, bool looped)
{
	uint32_t dst = net_ntohl(h->dst), src = net_ntohl(h->src);

	if ((h->ver_ihl & IHL_MASK) != IP_IHL_MIN)
		return NET_CTR_IP_DROP_OPTIONS;
	if (net_ntohs(h->frag_off) & (IP_FLAG_MF | IP_OFFSET_MASK))
		return NET_CTR_IP_DROP_FRAGMENT;
	if (!h->ttl)
		return NET_CTR_IP_DROP_TTL;
	if (src == IPV4_BROADCAST || is_group(src) || (!looped && is_loopback(src)))
		return NET_CTR_IP_DROP_SRC;
	if (looped || !ip.cfg.up) /* unconfigured: the DHCP client's offers */
		return NET_CTR_COUNT;
	if (dst != ip.cfg.addr && !ip_is_broadcast(dst))
		return NET_CTR_IP_DROP_NOT_US;
	return NET_CTR_COUNT;
}

static void deliver(struct pbuf *p, bool looped)
{
	const struct ip_hdr *h = (const struct ip_hdr *)p->data;
	const char *what = "";
	enum net_counter bad;

	net_count(NET_CTR_IP_RX);
	bad = check_header(p, h, &what);
	if (bad != NET_CTR_COUNT) {
		net_malformed(bad, "ip: dropped a %u-byte packet: %s", p->len, what);
		goto drop;
	}
	bad = check_policy(h, looped);
	if (bad != NET_CTR_COUNT) {
		net_count(bad);
		goto drop;
	}
	pbuf_pull(p, IP_HDR_LEN);
	if (h->proto == IP_PROTO_UDP)
		udp_input(p, h);
	else if (h->proto == IP_PROTO_TCP)
		tcp_ip_input(p, h);
	else if (h->proto == IP_PROTO_ICMP)
		icmp_input(p, h);
	else {
		net_count(NET_CTR_IP_DROP_PROTO);
		goto drop;
	}
	return;
drop:
	pbuf_free(p);
}

void ip_input(struct pbuf *p)
{
	deliver(p, false);
}

static void loop_queue(struct pbuf *p)
{
	p->next = NULL;
	if (ip.loop_tail)
		ip.loop_tail->next = p;
	else
		ip.loop_head = p;
	ip.loop_tail = p;
}

void ip_loop_flush(void)
{
	if (ip.flushing)
		return; /* the outer call takes what this one's deliveries queue */
	ip.flushing = true;
	while (ip.loop_head) {
		struct pbuf *p = ip.loop_head;

		ip.loop_head = p->next;
		if (!ip.loop_head)
			ip.loop_tail = NULL;
		p->next = NULL;
		deliver(p, true);
	}
	ip.flushing = false;
}

/* Sends the finished packet p to dst: looped back, broadcast, or to the next hop. */
static int route_out(struct pbuf *p, uint32_t dst)
{
	uint32_t next_hop;
	int err;

	if (ip_is_local(dst)) {
		if (p->flags & PBUF_F_CSUM_NEEDED)
			p->flags = (uint16_t)((p->flags & ~PBUF_F_CSUM_NEEDED) | PBUF_F_CSUM_VALID);
		if (((const struct ip_hdr *)p->data)->proto == IP_PROTO_TCP)
			loop_queue(p); /* the sender is inside TCP: not now (ip_loop_flush) */
		else
			deliver(p, true);
		return 0;
	}
	if (ip_is_broadcast(dst))
		return eth_output(p, NULL, ETH_TYPE_IPV4);
	err = ip_route(dst, &next_hop);
	if (err < 0) {
		net_count(NET_CTR_IP_DROP_NO_ROUTE);
		pbuf_free(p);
		return err;
	}
	return arp_output(p, next_hop);
}

int ip_output(struct pbuf *p, uint32_t src, uint32_t dst, uint8_t proto)
{
	struct netdev *nd = eth_dev();
	struct ip_hdr *h;

	/* A TSO segment is longer on purpose: netdev_xmit() checks it against the device's limit. */
	if (!ip_is_local(dst) && nd && !(p->flags & PBUF_F_GSO_TCPV4) &&
	    p->len + IP_HDR_LEN > nd->mtu) {
		pbuf_free(p);
		return -EMSGSIZE;
	}
	h = (struct ip_hdr *)pbuf_push(p, IP_HDR_LEN);
	if (!h) {
		net_count(NET_CTR_NOBUFS);
		pbuf_free(p);
		return -ENOBUFS;
	}
	h->ver_ihl = IP_VERSION << VERSION_SHIFT | IP_IHL_MIN;
	h->tos = 0;
	h->total_len = net_htons(p->len);
	h->id = net_htons(ip.next_id++);
	h->frag_off = net_htons(IP_FLAG_DF);
	h->ttl = IP_TTL_DEFAULT;
	h->proto = proto;
	h->csum = 0;
	h->src = net_htonl(src);
	h->dst = net_htonl(dst);
	h->csum = net_htons(net_csum(h, IP_HDR_LEN));
	net_count(NET_CTR_IP_TX);
	return route_out(p, dst);
}
