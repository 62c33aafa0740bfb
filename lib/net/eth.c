/*
 * Ethernet II in and out: frames for our address or broadcast go to ARP
 * or IPv4 by type; everything else is counted and dropped.
 */
#include "lib/net/net_priv.h"

#include <errno.h>
#include <string.h>

static const uint8_t broadcast[ETH_ADDR_LEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static struct {
	struct netdev *nd;
} eth;

void eth_attach(struct netdev *nd)
{
	eth.nd = nd;
}

struct netdev *eth_dev(void)
{
	return eth.nd;
}

const uint8_t *eth_addr(void)
{
	return eth.nd ? eth.nd->addr : broadcast;
}

/* Unicast to us, or any group address (broadcast included: bit 0 of the first byte). */
static bool for_us(const struct eth_hdr *h)
{
	return (h->dst[0] & 1) || !memcmp(h->dst, eth.nd->addr, ETH_ADDR_LEN);
}

void eth_input(struct pbuf *p)
{
	const struct eth_hdr *h = (const struct eth_hdr *)p->data;

	net_count(NET_CTR_ETH_RX);
	if (p->len < ETH_HDR_LEN) {
		net_malformed(NET_CTR_ETH_DROP_SHORT, "eth: a %u-byte frame, shorter than a header",
			      p->len);
		goto drop;
	}
	if (!for_us(h)) {
		net_count(NET_CTR_ETH_DROP_DST);
		goto drop;
	}
	pbuf_pull(p, ETH_HDR_LEN);
	switch (net_ntohs(h->type)) {
	case ETH_TYPE_IPV4:
		ip_input(p);
		return;
	case ETH_TYPE_ARP:
		arp_input(p);
		return;
	default:
		net_count(NET_CTR_ETH_DROP_TYPE);
		goto drop;
	}
drop:
	pbuf_free(p);
}

int eth_output(struct pbuf *p, const uint8_t *dst, uint16_t type)
{
	struct eth_hdr *h;
	int err;

	if (!eth.nd) {
		pbuf_free(p);
		return -ENETUNREACH;
	}
	h = (struct eth_hdr *)pbuf_push(p, ETH_HDR_LEN);
	if (!h) {
		net_count(NET_CTR_NOBUFS);
		pbuf_free(p);
		return -ENOBUFS;
	}
	memcpy(h->dst, dst ? dst : broadcast, ETH_ADDR_LEN);
	memcpy(h->src, eth.nd->addr, ETH_ADDR_LEN);
	h->type = net_htons(type);
	err = netdev_xmit(eth.nd, p);
	if (err < 0) {
		net_count(NET_CTR_ETH_TX_FAIL);
		return err;
	}
	net_count(NET_CTR_ETH_TX);
	return 0;
}
