/*
 * TCP segments on the wire: parsing a received one (checksum, data
 * offset, options, each fault counted) and building the header and
 * options of one to send, with its checksum or the seed for the device's.
 */
#include "lib/net/tcp_priv.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "lib/net/checksum.h"
#include "lib/net/net_priv.h"

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* One option of kind k and length n at p: false if its length is wrong for its kind. */
static bool take_option(struct tcp_opts *o, uint8_t k, const uint8_t *p, unsigned n)
{
	switch (k) {
	case TCP_OPT_MSS:
		o->has_mss = true;
		o->mss = get16(p + 2);
		return n == TCP_OPTLEN_MSS;
	case TCP_OPT_WSCALE:
		o->has_wscale = true;
		o->wscale = (uint8_t)(p[2] > TCP_WSCALE_MAX ? TCP_WSCALE_MAX : p[2]);
		return n == TCP_OPTLEN_WSCALE;
	case TCP_OPT_SACK_PERM:
		o->sack_ok = true;
		return n == TCP_OPTLEN_SACK_PERM;
	case TCP_OPT_TS:
		if (n != TCP_OPTLEN_TS)
			return false;
		o->has_ts = true;
		o->tsval = get32(p + 2);
		o->tsecr = get32(p + 6);
		return true;
	case TCP_OPT_SACK:
		if (n < TCP_OPTLEN_SACK_BASE + TCP_OPTLEN_SACK_BLOCK ||
		    (n - TCP_OPTLEN_SACK_BASE) % TCP_OPTLEN_SACK_BLOCK)
			return false;
		for (unsigned off = TCP_OPTLEN_SACK_BASE; off < n; off += TCP_OPTLEN_SACK_BLOCK) {
			if (o->nsack == TCP_SACK_BLOCKS_MAX)
				break;
			o->sack[o->nsack].start = get32(p + off);
			o->sack[o->nsack].end = get32(p + off + 4);
			o->nsack++;
		}
		return true;
	default:
		return true; /* unknown: skipped by its length */
	}
}

/* The options in p[0..n); false if one is malformed. */
static bool parse_options(struct tcp_opts *o, const uint8_t *p, unsigned n)
{
	unsigned i = 0;

	memset(o, 0, sizeof(*o));
	while (i < n) {
		uint8_t k = p[i];
		unsigned len;

		if (k == TCP_OPT_EOL)
			break;
		if (k == TCP_OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= n)
			return false;
		len = p[i + 1];
		if (len < 2 || i + len > n)
			return false;
		if (!take_option(o, k, p + i, len))
			return false;
		i += len;
	}
	return true;
}

static int bad(enum tcp_counter c)
{
	tcp_count(c);
	return -EINVAL;
}

int tcp_seg_parse(const uint8_t *buf, size_t len, uint32_t saddr, uint32_t daddr, bool csum_valid,
		  struct tcp_seg *seg)
{
	unsigned hlen;

	tcp_count(TCP_CTR_SEG_RX);
	if (len < TCP_HDR_LEN || len > IP_LEN_MAX)
		return bad(TCP_CTR_DROP_SHORT);
	hlen = (unsigned)(buf[12] >> TCP_DOFF_SHIFT) * TCP_DOFF_UNIT;
	if (hlen < TCP_HDR_LEN || hlen > len)
		return bad(TCP_CTR_DROP_DOFF);
	if (!csum_valid) {
		uint32_t sum = net_csum_pseudo(saddr, daddr, IP_PROTO_TCP, (uint16_t)len);

		if (net_csum_fold(net_csum_add(sum, buf, len)))
			return bad(TCP_CTR_DROP_CSUM);
	}
	if (!parse_options(&seg->opt, buf + TCP_HDR_LEN, hlen - TCP_HDR_LEN))
		return bad(TCP_CTR_DROP_OPTIONS);
	seg->saddr = saddr;
	seg->daddr = daddr;
	seg->sport = get16(buf);
	seg->dport = get16(buf + 2);
	seg->seq = get32(buf + 4);
	seg->ack = get32(buf + 8);
	seg->flags = buf[13];
	seg->wnd = get16(buf + 14);
	seg->data = buf + hlen;
	seg->len = (uint32_t)(len - hlen);
	return 0;
}

/* Appends n option bytes; the caller checked the room. */
static uint8_t *opt_room(struct tcp_hdr_args *a, unsigned n)
{
	uint8_t *p = a->opt + a->optlen;

	a->optlen += n;
	return p;
}

static void put_ts(uint8_t *p, uint32_t tsval, uint32_t tsecr)
{
	p[0] = TCP_OPT_TS;
	p[1] = TCP_OPTLEN_TS;
	put32(p + 2, tsval);
	put32(p + 6, tsecr);
}

/* MSS, SACK-permitted with the timestamps, then NOP and the window scale (20 bytes at most). */
void tcp_opt_syn(struct tcp_hdr_args *a, uint16_t mss, bool ws, uint8_t shift, bool sack, bool ts,
		 uint32_t tsval, uint32_t tsecr)
{
	uint8_t *p = opt_room(a, TCP_OPTLEN_MSS);

	p[0] = TCP_OPT_MSS;
	p[1] = TCP_OPTLEN_MSS;
	put16(p + 2, mss);
	if (sack && ts) {
		p = opt_room(a, TCP_OPTLEN_SACK_PERM + TCP_OPTLEN_TS);
		p[0] = TCP_OPT_SACK_PERM;
		p[1] = TCP_OPTLEN_SACK_PERM;
		put_ts(p + 2, tsval, tsecr);
	} else if (ts) {
		p = opt_room(a, 2 + TCP_OPTLEN_TS);
		p[0] = p[1] = TCP_OPT_NOP;
		put_ts(p + 2, tsval, tsecr);
	} else if (sack) {
		p = opt_room(a, 2 + TCP_OPTLEN_SACK_PERM);
		p[0] = p[1] = TCP_OPT_NOP;
		p[2] = TCP_OPT_SACK_PERM;
		p[3] = TCP_OPTLEN_SACK_PERM;
	}
	if (ws) {
		p = opt_room(a, 1 + TCP_OPTLEN_WSCALE);
		p[0] = TCP_OPT_NOP;
		p[1] = TCP_OPT_WSCALE;
		p[2] = TCP_OPTLEN_WSCALE;
		p[3] = shift;
	}
}

void tcp_opt_ts(struct tcp_hdr_args *a, uint32_t tsval, uint32_t tsecr)
{
	uint8_t *p = opt_room(a, 2 + TCP_OPTLEN_TS);

	p[0] = p[1] = TCP_OPT_NOP;
	put_ts(p + 2, tsval, tsecr);
}

void tcp_opt_sack(struct tcp_hdr_args *a, const struct tcp_sack_block *b, unsigned n)
{
	unsigned room =
		(TCP_OPT_SPACE - a->optlen - 2 - TCP_OPTLEN_SACK_BASE) / TCP_OPTLEN_SACK_BLOCK;
	uint8_t *p;

	if (n > room)
		n = room;
	if (!n)
		return;
	p = opt_room(a, 2 + TCP_OPTLEN_SACK_BASE + n * TCP_OPTLEN_SACK_BLOCK);
	p[0] = p[1] = TCP_OPT_NOP;
	p[2] = TCP_OPT_SACK;
	p[3] = (uint8_t)(TCP_OPTLEN_SACK_BASE + n * TCP_OPTLEN_SACK_BLOCK);
	for (unsigned i = 0; i < n; i++) {
		put32(p + 4 + i * TCP_OPTLEN_SACK_BLOCK, b[i].start);
		put32(p + 8 + i * TCP_OPTLEN_SACK_BLOCK, b[i].end);
	}
}

/*
 * The checksum of out's header and payload into its field, or with
 * csum_offload the pseudo-header sum for the device to complete.
 */
static void out_csum(struct tcp_out *out)
{
	uint8_t *h = out->hdr;
	uint32_t plen = out->len[0] + out->len[1];
	uint32_t sum =
		net_csum_pseudo(out->saddr, out->daddr, IP_PROTO_TCP, (uint16_t)(out->hlen + plen));

	put16(h + offsetof(struct tcp_hdr, csum), 0);
	if (out->csum_offload) {
		put16(h + offsetof(struct tcp_hdr, csum), net_csum_reduce(sum));
		return;
	}
	sum = net_csum_add(sum, h, out->hlen);
	/* The pieces are summed at even offsets only if the first is even: else flatten. */
	if (out->len[0] % 2 && out->len[1]) {
		uint8_t buf[2];

		sum = net_csum_add(sum, out->data[0], out->len[0] - 1);
		buf[0] = out->data[0][out->len[0] - 1];
		buf[1] = out->data[1][0];
		sum = net_csum_add(sum, buf, 2);
		sum = net_csum_add(sum, out->data[1] + 1, out->len[1] - 1);
	} else {
		sum = net_csum_add(sum, out->data[0], out->len[0]);
		sum = net_csum_add(sum, out->data[1], out->len[1]);
	}
	put16(h + offsetof(struct tcp_hdr, csum), net_csum_fold(sum));
}

void tcp_build(struct tcp_out *out, const struct tcp_hdr_args *a)
{
	uint8_t *h = out->hdr;

	out->saddr = a->saddr;
	out->daddr = a->daddr;
	out->hlen = TCP_HDR_LEN + a->optlen;
	put16(h, a->sport);
	put16(h + 2, a->dport);
	put32(h + 4, a->seq);
	put32(h + 8, a->ack);
	h[12] = (uint8_t)((out->hlen / TCP_DOFF_UNIT) << TCP_DOFF_SHIFT);
	h[13] = a->flags;
	put16(h + 14, a->wnd);
	put16(h + 16, 0);
	put16(h + 18, 0);
	memcpy(h + TCP_HDR_LEN, a->opt, a->optlen);
	out->csum_offload = tcp_cfg()->tx_csum_offload;
	out_csum(out);
}

void tcp_out_piece(const struct tcp_out *out, uint32_t off, uint32_t n, struct tcp_out *piece)
{
	unsigned k = 0;

	*piece = *out;
	piece->gso_size = 0;
	put32(piece->hdr + 4, get32(out->hdr + 4) + off);
	if (off + n < out->len[0] + out->len[1])
		piece->hdr[13] &=
			(uint8_t) ~(TCP_FIN | TCP_PSH); /* as a device cuts (RFC 9293 3.1) */
	piece->data[0] = piece->data[1] = NULL;
	piece->len[0] = piece->len[1] = 0;
	for (unsigned i = 0; i < 2 && n; i++) {
		uint32_t take;

		if (off >= out->len[i]) {
			off -= out->len[i];
			continue;
		}
		take = tcp_min32(out->len[i] - off, n);
		piece->data[k] = out->data[i] + off;
		piece->len[k++] = take;
		off = 0;
		n -= take;
	}
	out_csum(piece);
}

size_t tcp_out_flatten(const struct tcp_out *out, uint8_t *buf, size_t room)
{
	size_t n = out->hlen + out->len[0] + out->len[1];

	if (n > room)
		return 0;
	memcpy(buf, out->hdr, out->hlen);
	if (out->len[0])
		memcpy(buf + out->hlen, out->data[0], out->len[0]);
	if (out->len[1])
		memcpy(buf + out->hlen + out->len[0], out->data[1], out->len[1]);
	return n;
}

void tcp_send_reset_for(const struct tcp_seg *seg)
{
	struct tcp_hdr_args a = { 0 };
	struct tcp_out out = { 0 };

	if (seg->flags & TCP_RST)
		return;
	a.saddr = seg->daddr;
	a.daddr = seg->saddr;
	a.sport = seg->dport;
	a.dport = seg->sport;
	if (seg->flags & TCP_ACK) {
		a.seq = seg->ack;
		a.flags = TCP_RST;
	} else {
		uint32_t n = seg->len + !!(seg->flags & TCP_SYN) + !!(seg->flags & TCP_FIN);

		a.ack = seg->seq + n;
		a.flags = TCP_RST | TCP_ACK;
	}
	tcp_build(&out, &a);
	tcp_count(TCP_CTR_RST_TX);
	tcp_count(TCP_CTR_SEG_TX);
	tcp_cfg()->output(&out);
}
