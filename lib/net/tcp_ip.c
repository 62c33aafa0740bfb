/*
 * TCP over this stack's IPv4 (docs/tcp.md, "Plugging into lib/net"):
 * segments from ip.c to the core, and the core's segments to ip_output().
 * Pure like the other protocol files: the device only through the layers
 * below, time only through net_now(). Called with the stack lock held.
 */
#include "lib/net/net_priv.h"

#include <errno.h>
#include <stddef.h>

#include "kernel/page.h"
#include "lib/net/tcp.h"

#define TCP_MTU_LOOPBACK 1500 /* no device: segments as if on Ethernet (one pbuf each) */
/*
 * Big pbufs that sends leave for the frames a device merges on receipt: a
 * bulk send must not take them all and make the other direction drop.
 */
#define TCP_BIG_RX_RESERVE 8
/* The rings may hold a quarter of RAM before memory pressure makes new ones smaller. */
#define TCP_MEM_SHARE 4

static struct {
	struct tcp_config cfg; /* the core keeps a pointer to it */
} tcp_ip;

/* One segment flattened into p, to IP; a TSO segment marked for the device to cut. */
static int send_in(struct pbuf *p, const struct tcp_out *out)
{
	size_t n = out->hlen + out->len[0] + out->len[1];
	uint8_t *at = pbuf_put(p, n);

	if (!at) {
		pbuf_free(p);
		return -EMSGSIZE;
	}
	tcp_out_flatten(out, at, n);
	if (out->csum_offload) {
		p->flags |= PBUF_F_CSUM_NEEDED;
		p->csum_start = ETH_HDR_LEN + IP_HDR_LEN; /* from data once both are pushed */
		p->csum_offset = offsetof(struct tcp_hdr, csum);
	}
	if (out->gso_size) {
		p->flags |= PBUF_F_GSO_TCPV4;
		p->gso_size = out->gso_size;
	}
	return ip_output(p, out->saddr, out->daddr, IP_PROTO_TCP);
}

static int send_one(const struct tcp_out *out)
{
	struct pbuf *p = pbuf_alloc_tx();

	if (!p) {
		net_count(NET_CTR_NOBUFS);
		return -ENOBUFS;
	}
	return send_in(p, out);
}

/*
 * A TSO segment goes whole in a big pbuf; to one of our own addresses (no
 * device to cut it) or when few big pbufs are free, it is cut here into the
 * segments the device would have made. The first failure ends it: the
 * rest is in the ring, and the RTO sends it.
 */
static int send_tso(const struct tcp_out *out)
{
	uint32_t len = out->len[0] + out->len[1];
	struct pbuf *p = NULL;
	int err = 0;

	if (!ip_is_local(out->daddr) && pbuf_big_free() > TCP_BIG_RX_RESERVE)
		p = pbuf_alloc_big(PBUF_HEADROOM);
	if (p)
		return send_in(p, out);
	net_count(NET_CTR_TSO_SOFT);
	for (uint32_t off = 0; off < len && !err; off += out->gso_size) {
		struct tcp_out piece;

		tcp_out_piece(out, off, len - off < out->gso_size ? len - off : out->gso_size,
			      &piece);
		err = send_one(&piece);
	}
	return err;
}

/* The core's output: one segment into a packet buffer, to IP. */
static int output(const struct tcp_out *out)
{
	return out->gso_size ? send_tso(out) : send_one(out);
}

void tcp_ip_init(void)
{
	struct netdev *nd = eth_dev();
	struct page_stats ps;

	tcp_ip.cfg.output = output;
	tcp_ip.cfg.mtu = nd ? nd->mtu : TCP_MTU_LOOPBACK;
	tcp_ip.cfg.tx_csum_offload = nd && (nd->features & NETDEV_F_TX_CSUM);
	/* TSO needs the device to fill the checksums of the segments it cuts. */
	tcp_ip.cfg.tso_max = 0;
	if (tcp_ip.cfg.tx_csum_offload && (nd->features & NETDEV_F_TSO4) &&
	    nd->tso_max > ETH_HDR_LEN + IP_HDR_LEN)
		tcp_ip.cfg.tso_max = nd->tso_max - ETH_HDR_LEN - IP_HDR_LEN;
	page_stats(&ps);
	tcp_ip.cfg.mem_budget = (size_t)(ps.total / TCP_MEM_SHARE);
	tcp_init(&tcp_ip.cfg);
}

void tcp_ip_input(struct pbuf *p, const struct ip_hdr *ih)
{
	struct tcp_seg seg;

	if (tcp_seg_parse(p->data, p->len, net_ntohl(ih->src), net_ntohl(ih->dst),
			  p->flags & PBUF_F_CSUM_VALID, &seg) == 0)
		tcp_segment_arrives(&seg, net_now());
	pbuf_free(p); /* the core copied what it keeps */
}
