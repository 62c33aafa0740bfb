/*
 * ICMP (RFC 792): the guest answers echo requests (ping) sent to its
 * address; echo requests to a broadcast address are ignored, as Linux
 * does by default. Every other type is counted and ignored.
 */
#include "lib/net/net_priv.h"

#include <string.h>

static void echo_reply(const struct pbuf *req, const struct ip_hdr *ih)
{
	uint32_t dst = net_ntohl(ih->dst), src = net_ntohl(ih->src);
	struct pbuf *p = pbuf_alloc_tx();
	struct icmp_hdr *h;

	if (!p || pbuf_tailroom(p) < req->len) {
		net_count(NET_CTR_NOBUFS);
		pbuf_free(p);
		return;
	}
	h = (struct icmp_hdr *)pbuf_put(p, req->len);
	memcpy(h, req->data, req->len);
	h->type = ICMP_ECHO_REPLY;
	h->code = 0;
	h->csum = 0;
	h->csum = net_htons(net_csum(h, p->len));
	net_count(NET_CTR_ICMP_ECHO_REPLIES);
	ip_output(p, ip_is_local(dst) ? dst : ip_config()->addr, src, IP_PROTO_ICMP);
}

void icmp_input(struct pbuf *p, const struct ip_hdr *ih)
{
	const struct icmp_hdr *h = (const struct icmp_hdr *)p->data;

	net_count(NET_CTR_ICMP_RX);
	if (p->len < ICMP_HDR_LEN) {
		net_malformed(NET_CTR_ICMP_DROP_SHORT, "icmp: dropped a %u-byte message: truncated",
			      p->len);
		goto out;
	}
	if (net_csum(h, p->len)) {
		net_malformed(NET_CTR_ICMP_DROP_CSUM,
			      "icmp: dropped a %u-byte message: bad checksum", p->len);
		goto out;
	}
	if (h->type == ICMP_ECHO_REQUEST && ip_is_local(net_ntohl(ih->dst)))
		echo_reply(p, ih);
	else
		net_count(NET_CTR_ICMP_DROP_TYPE);
out:
	pbuf_free(p);
}
