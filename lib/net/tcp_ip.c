/*
 * TCP over this stack's IPv4 (docs/tcp.md, "Plugging into lib/net"):
 * segments from ip.c to the core, and the core's segments to ip_output().
 * Pure like the other protocol files: the device only through the layers
 * below, time only through net_now(). Called with the stack lock held.
 */
#include "lib/net/net_priv.h"

#include <errno.h>
#include <stddef.h>

#include "lib/net/tcp.h"

#define TCP_MTU_LOOPBACK 1500 /* no device: segments as if on Ethernet (one pbuf each) */

static struct {
	struct tcp_config cfg; /* the core keeps a pointer to it */
} tcp_ip;

/* The core's output: one segment into a packet buffer, to IP. */
static int output(const struct tcp_out *out)
{
	struct pbuf *p = pbuf_alloc_tx();
	size_t n = out->hlen + out->len[0] + out->len[1];
	uint8_t *at;

	if (!p) {
		net_count(NET_CTR_NOBUFS);
		return -ENOBUFS;
	}
	at = pbuf_put(p, n);
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
	return ip_output(p, out->saddr, out->daddr, IP_PROTO_TCP);
}

void tcp_ip_init(void)
{
	struct netdev *nd = eth_dev();

	tcp_ip.cfg.output = output;
	tcp_ip.cfg.mtu = nd ? nd->mtu : TCP_MTU_LOOPBACK;
	tcp_ip.cfg.tx_csum_offload = nd && (nd->features & NETDEV_F_TX_CSUM);
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
