/*
 * The protocol core of lib/net on the host: Ethernet demultiplexing, ARP
 * (answers, the cache, resolution queues, expiry with a fake clock), IPv4
 * input checks (checksum, lengths, fragments, options, TTL), ICMP echo and
 * UDP in and out, over a fake device that records the frames it is given.
 */
#define CHECK_SUITE "net"
#include "tests/unit/check.h"

#include <errno.h>

#include "lib/net/net_priv.h"
#include "tests/unit/fake_kernel.h"

#define POOL_BUFS 64
#define SENT_MAX 16
#define NS_PER_S 1000000000ull

static const uint8_t our_mac[ETH_ADDR_LEN] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t peer_mac[ETH_ADDR_LEN] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static const uint8_t bcast_mac[ETH_ADDR_LEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
#define OUR_IP 0x0a00020fu /* 10.0.2.15 */
#define GW_IP 0x0a000202u  /* 10.0.2.2 */
#define MASK_24 0xffffff00u
#define FAR_IP 0x08080808u /* 8.8.8.8, beyond the gateway */

static struct pbuf pool_mem[POOL_BUFS];

static struct {
	struct netdev nd;
	uint8_t frames[SENT_MAX][PBUF_SIZE];
	unsigned lens[SENT_MAX];
	uint16_t flags[SENT_MAX];
	unsigned count;
	uint64_t now;
	int xmit_result;
} fake;

int netdev_xmit(struct netdev *nd, struct pbuf *p)
{
	CHECK(nd == &fake.nd);
	if (fake.count < SENT_MAX) {
		/* A TSO frame is longer: its headers and the start are enough to check. */
		memcpy(fake.frames[fake.count], p->data, p->len < PBUF_SIZE ? p->len : PBUF_SIZE);
		fake.lens[fake.count] = p->len;
		fake.flags[fake.count] = p->flags;
		fake.count++;
	}
	pbuf_free(p);
	return fake.xmit_result;
}

/* TCP has its own tests (test_tcp*.c); here IP only hands it segments. */
static unsigned tcp_given;

void tcp_ip_input(struct pbuf *p, const struct ip_hdr *ih)
{
	(void)ih;
	tcp_given++;
	pbuf_free(p);
}

uint64_t net_now(void)
{
	return fake.now;
}

uint32_t net_random32(void)
{
	return 12345;
}

static void setup(bool configured)
{
	memset(&fake, 0, sizeof(fake));
	pbuf_pool_init(pool_mem, sizeof(pool_mem));
	memcpy(fake.nd.addr, our_mac, ETH_ADDR_LEN);
	fake.nd.mtu = 1500;
	fake.now = 1000 * NS_PER_S;
	eth_attach(&fake.nd);
	ip_unconfigure();
	if (configured)
		ip_configure(OUR_IP, MASK_24, GW_IP, "static");
	arp_reset();
	udp_reset();
	net_stats_reset();
	fake_log_clear();
}

static unsigned pool_free(void)
{
	struct pbuf_stats st;

	pbuf_stats(&st);
	return st.free;
}

/* Frame builders: each returns a received frame, as a driver would hand it up. */
static struct pbuf *frame(const uint8_t *dst, uint16_t type, const void *payload, size_t len)
{
	struct pbuf *p = pbuf_alloc(PBUF_HEADROOM);
	struct eth_hdr *h = (struct eth_hdr *)pbuf_put(p, ETH_HDR_LEN);

	memcpy(h->dst, dst, ETH_ADDR_LEN);
	memcpy(h->src, peer_mac, ETH_ADDR_LEN);
	h->type = net_htons(type);
	memcpy(pbuf_put(p, len), payload, len);
	return p;
}

static struct pbuf *arp_frame(uint16_t op, uint32_t spa, uint32_t tpa)
{
	struct arp_pkt a = { 0 };

	a.htype = net_htons(ARP_HTYPE_ETHER);
	a.ptype = net_htons(ETH_TYPE_IPV4);
	a.hlen = ETH_ADDR_LEN;
	a.plen = 4;
	a.op = net_htons(op);
	memcpy(a.sha, peer_mac, ETH_ADDR_LEN);
	a.spa = net_htonl(spa);
	a.tpa = net_htonl(tpa);
	return frame(op == ARP_OP_REQUEST ? bcast_mac : our_mac, ETH_TYPE_ARP, &a, sizeof(a));
}

/* An IPv4 packet in buf (IP header, then len bytes of l4); its length. */
static size_t ip_packet(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t proto, const void *l4,
			size_t len)
{
	struct ip_hdr *h = (struct ip_hdr *)buf;

	memset(h, 0, sizeof(*h));
	h->ver_ihl = 0x45;
	h->total_len = net_htons((uint16_t)(IP_HDR_LEN + len));
	h->ttl = 64;
	h->proto = proto;
	h->src = net_htonl(src);
	h->dst = net_htonl(dst);
	h->csum = net_htons(net_csum(h, IP_HDR_LEN));
	memcpy(buf + IP_HDR_LEN, l4, len);
	return IP_HDR_LEN + len;
}

static void fix_ip_csum(uint8_t *buf)
{
	struct ip_hdr *h = (struct ip_hdr *)buf;

	h->csum = 0;
	h->csum = net_htons(net_csum(h, (size_t)(h->ver_ihl & 0xf) * 4));
}

static size_t echo_request(uint8_t *buf, size_t data_len)
{
	struct icmp_hdr *h = (struct icmp_hdr *)buf;

	memset(buf, 0, ICMP_HDR_LEN);
	h->type = ICMP_ECHO_REQUEST;
	h->id = net_htons(0x1234);
	h->seq = net_htons(7);
	for (size_t i = 0; i < data_len; i++)
		buf[ICMP_HDR_LEN + i] = (uint8_t)i;
	h->csum = net_htons(net_csum(buf, ICMP_HDR_LEN + data_len));
	return ICMP_HDR_LEN + data_len;
}

/* A UDP datagram with its checksum (or none if !csum). */
static size_t udp_datagram(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
			   const char *text, bool csum)
{
	struct udp_hdr *h = (struct udp_hdr *)buf;
	size_t n = strlen(text), len = UDP_HDR_LEN + n;

	h->sport = net_htons(sport);
	h->dport = net_htons(dport);
	h->len = net_htons((uint16_t)len);
	h->csum = 0;
	memcpy(buf + UDP_HDR_LEN, text, n);
	if (csum) {
		uint32_t sum = net_csum_pseudo(src, dst, IP_PROTO_UDP, (uint16_t)len);

		h->csum = net_htons(net_csum_fold(net_csum_add(sum, buf, len)));
	}
	return len;
}

static struct pbuf *ip_frame(const uint8_t *packet, size_t len)
{
	return frame(our_mac, ETH_TYPE_IPV4, packet, len);
}

static const struct eth_hdr *sent_eth(unsigned i)
{
	return (const struct eth_hdr *)fake.frames[i];
}

static const struct arp_pkt *sent_arp(unsigned i)
{
	return (const struct arp_pkt *)(fake.frames[i] + ETH_HDR_LEN);
}

static const struct ip_hdr *sent_ip(unsigned i)
{
	return (const struct ip_hdr *)(fake.frames[i] + ETH_HDR_LEN);
}

/* Makes the gateway known, as if it had asked for us. */
static void learn_gateway(void)
{
	eth_input(arp_frame(ARP_OP_REQUEST, GW_IP, OUR_IP));
	fake.count = 0;
}

TEST(eth_drops_unknown_types_and_short_frames)
{
	uint8_t junk[32] = { 0 };
	struct pbuf *p;

	setup(true);
	eth_input(frame(our_mac, 0x86dd, junk, sizeof(junk)));
	CHECK_EQ(net_counter(NET_CTR_ETH_DROP_TYPE), 1);
	p = pbuf_alloc(PBUF_HEADROOM);
	pbuf_put(p, 10);
	eth_input(p);
	CHECK_EQ(net_counter(NET_CTR_ETH_DROP_SHORT), 1);
	CHECK_STRSTR(fake_log(), "eth: a 10-byte frame");
	eth_input(frame(peer_mac, ETH_TYPE_IPV4, junk, sizeof(junk)));
	CHECK_EQ(net_counter(NET_CTR_ETH_DROP_DST), 1);
	CHECK_EQ(fake.count, 0);
	CHECK_EQ(pool_free(), POOL_BUFS);
}

TEST(arp_request_for_us_is_answered)
{
	const struct arp_pkt *a;

	setup(true);
	eth_input(arp_frame(ARP_OP_REQUEST, GW_IP, OUR_IP));
	CHECK_EQ(fake.count, 1);
	CHECK(!memcmp(sent_eth(0)->dst, peer_mac, ETH_ADDR_LEN));
	CHECK(!memcmp(sent_eth(0)->src, our_mac, ETH_ADDR_LEN));
	CHECK_EQ(net_ntohs(sent_eth(0)->type), ETH_TYPE_ARP);
	a = sent_arp(0);
	CHECK_EQ(net_ntohs(a->op), ARP_OP_REPLY);
	CHECK(!memcmp(a->sha, our_mac, ETH_ADDR_LEN));
	CHECK_EQ(net_ntohl(a->spa), OUR_IP);
	CHECK(!memcmp(a->tha, peer_mac, ETH_ADDR_LEN));
	CHECK_EQ(net_ntohl(a->tpa), GW_IP);
	CHECK_EQ(net_counter(NET_CTR_ARP_REPLIES_SENT), 1);
	CHECK_EQ(pool_free(), POOL_BUFS);
}

TEST(arp_request_for_others_is_not_answered)
{
	setup(true);
	eth_input(arp_frame(ARP_OP_REQUEST, GW_IP, 0x0a000203u));
	CHECK_EQ(fake.count, 0);
	CHECK_EQ(net_counter(NET_CTR_ARP_DROP_NOT_US), 1);
	setup(false);
	eth_input(arp_frame(ARP_OP_REQUEST, GW_IP, OUR_IP));
	CHECK_EQ(fake.count, 0);
}

TEST(arp_malformed_is_counted_and_logged)
{
	struct pbuf *p;

	setup(true);
	p = arp_frame(ARP_OP_REQUEST, GW_IP, OUR_IP);
	p->data[ETH_HDR_LEN + 4] = 8; /* hlen */
	eth_input(p);
	p = arp_frame(ARP_OP_REQUEST, GW_IP, OUR_IP);
	pbuf_trim(p, ETH_HDR_LEN + 20);
	eth_input(p);
	CHECK_EQ(net_counter(NET_CTR_ARP_DROP_MALFORMED), 2);
	CHECK_STRSTR(fake_log(), "arp: dropped a 28-byte packet: bad address lengths");
	CHECK_STRSTR(fake_log(), "arp: dropped a 20-byte packet: truncated");
	CHECK_EQ(fake.count, 0);
}

TEST(arp_resolves_gateway_and_queues)
{
	struct pbuf *p;

	setup(true);
	for (int i = 0; i < 2; i++) {
		p = pbuf_alloc_tx();
		memset(pbuf_put(p, 8), 0, 8);
		CHECK_EQ(ip_output(p, OUR_IP, FAR_IP, IP_PROTO_UDP), 0);
	}
	/* One request, broadcast, for the gateway; the packets wait. */
	CHECK_EQ(fake.count, 1);
	CHECK(!memcmp(sent_eth(0)->dst, bcast_mac, ETH_ADDR_LEN));
	CHECK_EQ(net_ntohs(sent_arp(0)->op), ARP_OP_REQUEST);
	CHECK_EQ(net_ntohl(sent_arp(0)->tpa), GW_IP);
	CHECK_EQ(net_counter(NET_CTR_ARP_QUEUED), 2);
	eth_input(arp_frame(ARP_OP_REPLY, GW_IP, OUR_IP));
	CHECK_EQ(fake.count, 3);
	for (unsigned i = 1; i < 3; i++) {
		CHECK(!memcmp(sent_eth(i)->dst, peer_mac, ETH_ADDR_LEN));
		CHECK_EQ(net_ntohl(sent_ip(i)->dst), FAR_IP);
	}
	/* Now cached: straight out. */
	p = pbuf_alloc_tx();
	pbuf_put(p, 8);
	CHECK_EQ(ip_output(p, OUR_IP, 0x0a000203u + 0, IP_PROTO_UDP), 0);
	CHECK_EQ(net_counter(NET_CTR_ARP_REQUESTS_SENT), 2); /* a new neighbour: asked */
	CHECK_EQ(pool_free(), POOL_BUFS - 1);		     /* it waits */
}

TEST(arp_queue_is_bounded)
{
	setup(true);
	for (int i = 0; i < 10; i++) {
		struct pbuf *p = pbuf_alloc_tx();

		pbuf_put(p, 8);
		ip_output(p, OUR_IP, GW_IP, IP_PROTO_UDP);
	}
	CHECK_EQ(net_counter(NET_CTR_ARP_QUEUED), 4);
	CHECK_EQ(net_counter(NET_CTR_ARP_DROP_QUEUE_FULL), 6);
	CHECK_EQ(pool_free(), POOL_BUFS - 4);
}

TEST(arp_retries_then_gives_up)
{
	struct pbuf *p;
	uint64_t next;

	setup(true);
	p = pbuf_alloc_tx();
	pbuf_put(p, 8);
	ip_output(p, OUR_IP, GW_IP, IP_PROTO_UDP);
	CHECK_EQ(fake.count, 1);
	next = arp_timer(fake.now);
	CHECK_EQ(next, fake.now + NS_PER_S);
	for (int i = 0; i < 3; i++) {
		fake.now += NS_PER_S;
		arp_timer(fake.now);
	}
	CHECK_EQ(fake.count, 3); /* three tries in all */
	CHECK_EQ(net_counter(NET_CTR_ARP_DROP_UNRESOLVED), 1);
	CHECK_EQ(arp_timer(fake.now), NET_NEVER);
	CHECK_EQ(pool_free(), POOL_BUFS);
}

TEST(arp_entries_expire)
{
	struct pbuf *p;

	setup(true);
	learn_gateway();
	fake.now += 30 * NS_PER_S;
	CHECK_EQ(arp_timer(fake.now), fake.now + 30 * NS_PER_S);
	p = pbuf_alloc_tx();
	pbuf_put(p, 8);
	ip_output(p, OUR_IP, GW_IP, IP_PROTO_UDP);
	CHECK_EQ(fake.count, 1); /* still known */
	CHECK_EQ(net_ntohs(sent_eth(0)->type), ETH_TYPE_IPV4);
	fake.now += 31 * NS_PER_S;
	arp_timer(fake.now);
	p = pbuf_alloc_tx();
	pbuf_put(p, 8);
	ip_output(p, OUR_IP, GW_IP, IP_PROTO_UDP);
	CHECK_EQ(fake.count, 2);
	CHECK_EQ(net_ntohs(sent_eth(1)->type), ETH_TYPE_ARP); /* forgotten: asked again */
}

/* Sends one ping to us and checks the reply. */
static void check_ping(size_t data_len)
{
	uint8_t l4[1500], pkt[1600];
	size_t n = echo_request(l4, data_len);
	const struct icmp_hdr *r;
	const struct ip_hdr *ih;

	fake.count = 0;
	eth_input(ip_frame(pkt, ip_packet(pkt, GW_IP, OUR_IP, IP_PROTO_ICMP, l4, n)));
	CHECK_EQ(fake.count, 1);
	ih = sent_ip(0);
	CHECK_EQ(net_csum(ih, IP_HDR_LEN), 0);
	CHECK_EQ(net_ntohl(ih->src), OUR_IP);
	CHECK_EQ(net_ntohl(ih->dst), GW_IP);
	CHECK_EQ(ih->proto, IP_PROTO_ICMP);
	CHECK_EQ(net_ntohs(ih->total_len), IP_HDR_LEN + n);
	r = (const struct icmp_hdr *)(ih + 1);
	CHECK_EQ(r->type, ICMP_ECHO_REPLY);
	CHECK_EQ(net_ntohs(r->id), 0x1234);
	CHECK_EQ(net_ntohs(r->seq), 7);
	CHECK_EQ(net_csum(r, n), 0);
	CHECK(!memcmp((const uint8_t *)r + ICMP_HDR_LEN, l4 + ICMP_HDR_LEN, data_len));
}

TEST(icmp_echo_is_answered)
{
	setup(true);
	learn_gateway();
	check_ping(56);
	check_ping(1);
	check_ping(0);
	check_ping(1472);
	CHECK_EQ(net_counter(NET_CTR_ICMP_ECHO_REPLIES), 4);
	CHECK_EQ(pool_free(), POOL_BUFS);
}

TEST(icmp_bad_checksum_is_dropped)
{
	uint8_t l4[64], pkt[128];
	size_t n;

	setup(true);
	learn_gateway();
	n = echo_request(l4, 16);
	l4[ICMP_HDR_LEN] ^= 1;
	eth_input(ip_frame(pkt, ip_packet(pkt, GW_IP, OUR_IP, IP_PROTO_ICMP, l4, n)));
	CHECK_EQ(fake.count, 0);
	CHECK_EQ(net_counter(NET_CTR_ICMP_DROP_CSUM), 1);
	/* A broadcast ping is ignored. */
	n = echo_request(l4, 16);
	eth_input(ip_frame(pkt, ip_packet(pkt, GW_IP, 0x0a0002ffu, IP_PROTO_ICMP, l4, n)));
	CHECK_EQ(fake.count, 0);
}

/* Hands the mutilated packet up and checks it was dropped with counter c. */
static void check_ip_drop(uint8_t *pkt, size_t len, enum net_counter c, const char *log)
{
	uint64_t before = net_counter(c);

	fake.count = 0;
	fake_log_clear();
	eth_input(ip_frame(pkt, len));
	CHECK_EQ(fake.count, 0);
	CHECK_EQ(net_counter(c), before + 1);
	if (log)
		CHECK_STRSTR(fake_log(), log);
	CHECK_EQ(pool_free(), POOL_BUFS);
}

TEST(ip_bad_packets_are_dropped)
{
	uint8_t l4[64], pkt[128];
	size_t n, len;

	setup(true);
	learn_gateway();
	n = echo_request(l4, 16);
	len = ip_packet(pkt, GW_IP, OUR_IP, IP_PROTO_ICMP, l4, n);
	pkt[10] ^= 0x40; /* checksum */
	check_ip_drop(pkt, len, NET_CTR_IP_DROP_CSUM,
		      "ip: dropped a 44-byte packet: bad header checksum");
	len = ip_packet(pkt, GW_IP, OUR_IP, IP_PROTO_ICMP, l4, n);
	check_ip_drop(pkt, 19, NET_CTR_IP_DROP_SHORT, "truncated header");
	pkt[0] = 0x65;
	fix_ip_csum(pkt);
	check_ip_drop(pkt, len, NET_CTR_IP_DROP_VERSION, "not version 4");
	pkt[0] = 0x44;
	check_ip_drop(pkt, len, NET_CTR_IP_DROP_HDR_LEN, "bad header length");
	pkt[0] = 0x4f; /* 60 bytes of header in a 44-byte packet */
	check_ip_drop(pkt, len, NET_CTR_IP_DROP_HDR_LEN, NULL);
	len = ip_packet(pkt, GW_IP, OUR_IP, IP_PROTO_ICMP, l4, n);
	((struct ip_hdr *)pkt)->total_len = net_htons(100);
	fix_ip_csum(pkt);
	check_ip_drop(pkt, len, NET_CTR_IP_DROP_TOTAL_LEN, "total length beyond the frame");
	((struct ip_hdr *)pkt)->total_len = net_htons(19);
	fix_ip_csum(pkt);
	check_ip_drop(pkt, len, NET_CTR_IP_DROP_TOTAL_LEN, NULL);
}

TEST(ip_unhandled_packets_are_dropped)
{
	uint8_t l4[64], pkt[128];
	struct ip_hdr *h = (struct ip_hdr *)pkt;
	size_t n, len;

	setup(true);
	learn_gateway();
	n = echo_request(l4, 16);
	len = ip_packet(pkt, GW_IP, OUR_IP, IP_PROTO_ICMP, l4, n);
	h->frag_off = net_htons(IP_FLAG_MF);
	fix_ip_csum(pkt);
	check_ip_drop(pkt, len, NET_CTR_IP_DROP_FRAGMENT, NULL);
	h->frag_off = net_htons(10);
	fix_ip_csum(pkt);
	check_ip_drop(pkt, len, NET_CTR_IP_DROP_FRAGMENT, NULL);
	len = ip_packet(pkt, GW_IP, OUR_IP, IP_PROTO_ICMP, l4, n);
	h->ttl = 0;
	fix_ip_csum(pkt);
	check_ip_drop(pkt, len, NET_CTR_IP_DROP_TTL, NULL);
	len = ip_packet(pkt, GW_IP, 0x0a000203u, IP_PROTO_ICMP, l4, n);
	check_ip_drop(pkt, len, NET_CTR_IP_DROP_NOT_US, NULL);
	len = ip_packet(pkt, GW_IP, OUR_IP, 47, l4, n);
	check_ip_drop(pkt, len, NET_CTR_IP_DROP_PROTO, NULL);
	tcp_given = 0;
	len = ip_packet(pkt, GW_IP, OUR_IP, IP_PROTO_TCP, l4, n);
	eth_input(ip_frame(pkt, len));
	CHECK_EQ(tcp_given, 1); /* TCP is given its segments */
	/* Options: a 24-byte header (one NOP option word). */
	memmove(pkt + 24, pkt + 20, n);
	memset(pkt + 20, 1, 4);
	h->ver_ihl = 0x46;
	h->proto = IP_PROTO_ICMP;
	h->total_len = net_htons((uint16_t)(24 + n));
	fix_ip_csum(pkt);
	check_ip_drop(pkt, 24 + n, NET_CTR_IP_DROP_OPTIONS, NULL);
}

TEST(ip_frame_padding_is_cut)
{
	uint8_t l4[64], pkt[128];
	size_t n, len;

	setup(true);
	learn_gateway();
	n = echo_request(l4, 2);
	len = ip_packet(pkt, GW_IP, OUR_IP, IP_PROTO_ICMP, l4, n);
	memset(pkt + len, 0xee, 16); /* Ethernet's minimum frame pads it */
	eth_input(ip_frame(pkt, len + 16));
	CHECK_EQ(fake.count, 1);
	CHECK_EQ(net_ntohs(sent_ip(0)->total_len), len);
}

TEST(ip_output_routes)
{
	uint32_t hop;
	struct pbuf *p;

	setup(false);
	CHECK_EQ(ip_route(GW_IP, &hop), -ENETUNREACH);
	setup(true);
	CHECK_EQ(ip_route(0x0a000209u, &hop), 0);
	CHECK_EQ(hop, 0x0a000209u);
	CHECK_EQ(ip_route(FAR_IP, &hop), 0);
	CHECK_EQ(hop, GW_IP);
	ip_configure(OUR_IP, MASK_24, 0, "static");
	CHECK_EQ(ip_route(FAR_IP, &hop), -ENETUNREACH);
	p = pbuf_alloc_tx();
	pbuf_put(p, 1481);
	CHECK_EQ(ip_output(p, OUR_IP, 0x0a000209u, IP_PROTO_UDP), -EMSGSIZE);
	CHECK_EQ(pool_free(), POOL_BUFS);
}

/* --- frames beyond the MTU (segmentation offload, docs/net.md "Offload") --- */

#define BIG_BUFS 2

static uint8_t big_mem[BIG_BUFS * (sizeof(struct pbuf) + PBUF_BIG_SIZE)];

static unsigned big_free(void)
{
	struct pbuf_stats st;

	pbuf_stats(&st);
	return st.big_free;
}

TEST(a_tso_frame_goes_past_the_mtu_to_the_device)
{
	struct pbuf *p;
	uint8_t *d;

	setup(true);
	learn_gateway();
	CHECK_EQ(pbuf_big_pool_init(big_mem, sizeof(big_mem)), 0);
	CHECK_EQ(big_free(), BIG_BUFS);
	p = pbuf_alloc_big(PBUF_HEADROOM);
	CHECK(p && p->big);
	d = pbuf_put(p, 20000);
	CHECK(d);
	memset(d, 0x5a, 20000);
	p->flags = PBUF_F_CSUM_NEEDED | PBUF_F_GSO_TCPV4;
	p->gso_size = 1448;
	CHECK_EQ(ip_output(p, OUR_IP, GW_IP, IP_PROTO_TCP), 0);
	CHECK_EQ(fake.count, 1);
	CHECK_EQ(fake.lens[0], ETH_HDR_LEN + IP_HDR_LEN + 20000);
	CHECK_EQ(fake.flags[0], PBUF_F_CSUM_NEEDED | PBUF_F_GSO_TCPV4);
	CHECK_EQ(net_ntohs(sent_ip(0)->total_len), IP_HDR_LEN + 20000);
	CHECK_EQ(net_csum(sent_ip(0), IP_HDR_LEN), 0);
	CHECK_EQ(big_free(), BIG_BUFS);
	/* The same length without the mark is refused, as before. */
	p = pbuf_alloc_big(PBUF_HEADROOM);
	pbuf_put(p, 20000);
	CHECK_EQ(ip_output(p, OUR_IP, GW_IP, IP_PROTO_TCP), -EMSGSIZE);
	CHECK_EQ(big_free(), BIG_BUFS);
	CHECK_EQ(pool_free(), POOL_BUFS);
}

TEST(a_large_received_segment_reaches_tcp_whole)
{
	static uint8_t pkt[IP_HDR_LEN + 30000], l4[30000];
	struct eth_hdr *eh;
	struct pbuf *p;
	size_t len;

	setup(true);
	CHECK_EQ(pbuf_big_pool_init(big_mem, sizeof(big_mem)), 0);
	tcp_given = 0;
	len = ip_packet(pkt, GW_IP, OUR_IP, IP_PROTO_TCP, l4, sizeof(l4));
	p = pbuf_alloc_big(0);
	eh = (struct eth_hdr *)pbuf_put(p, ETH_HDR_LEN);
	memcpy(eh->dst, our_mac, ETH_ADDR_LEN);
	memcpy(eh->src, peer_mac, ETH_ADDR_LEN);
	eh->type = net_htons(ETH_TYPE_IPV4);
	memcpy(pbuf_put(p, len), pkt, len);
	p->flags = PBUF_F_CSUM_VALID | PBUF_F_GSO_TCPV4;
	eth_input(p);
	CHECK_EQ(tcp_given, 1);
	CHECK_EQ(net_counter(NET_CTR_IP_DROP_TOTAL_LEN), 0);
	CHECK_EQ(big_free(), BIG_BUFS);
	CHECK_EQ(pool_free(), POOL_BUFS);
}

static struct pbuf *udp_frame(uint16_t dport, const char *text, bool csum)
{
	uint8_t l4[256], pkt[300];
	size_t n = udp_datagram(l4, GW_IP, OUR_IP, 5555, dport, text, csum);

	return ip_frame(pkt, ip_packet(pkt, GW_IP, OUR_IP, IP_PROTO_UDP, l4, n));
}

TEST(udp_datagrams_reach_the_bound_pcb)
{
	struct udp_pcb pcb;
	struct udp_from from;
	struct pbuf *p;

	setup(true);
	udp_pcb_init(&pcb);
	CHECK_EQ(udp_bind(&pcb, IPV4_ANY, 7777), 0);
	eth_input(udp_frame(7777, "hello", true));
	eth_input(udp_frame(7777, "no checksum", false));
	eth_input(udp_frame(7778, "nobody", true));
	CHECK_EQ(net_counter(NET_CTR_UDP_DROP_NO_PORT), 1);
	p = udp_dequeue(&pcb, &from);
	CHECK(p != NULL);
	CHECK_EQ(p->len, 5);
	CHECK(!memcmp(p->data, "hello", 5));
	CHECK_EQ(from.addr, GW_IP);
	CHECK_EQ(from.port, 5555);
	pbuf_free(p);
	p = udp_dequeue(&pcb, &from);
	CHECK(p && p->len == 11);
	pbuf_free(p);
	CHECK(udp_dequeue(&pcb, &from) == NULL);
	udp_close(&pcb);
	CHECK_EQ(pool_free(), POOL_BUFS);
}

TEST(udp_bad_datagrams_are_dropped)
{
	struct udp_pcb pcb;
	struct pbuf *p;

	setup(true);
	udp_pcb_init(&pcb);
	udp_bind(&pcb, IPV4_ANY, 7777);
	p = udp_frame(7777, "hello", true);
	p->data[p->len - 1] ^= 1;
	eth_input(p);
	CHECK_EQ(net_counter(NET_CTR_UDP_DROP_CSUM), 1);
	p = udp_frame(7777, "hello", true);
	p->flags = PBUF_F_CSUM_VALID; /* the device says so: not checked again */
	p->data[p->len - 1] ^= 1;
	eth_input(p);
	CHECK(pcb.rxq_head != NULL);
	p = udp_frame(7777, "hello", false);
	p->data[ETH_HDR_LEN + IP_HDR_LEN + 5] = 200; /* length beyond the packet */
	eth_input(p);
	CHECK_EQ(net_counter(NET_CTR_UDP_DROP_LEN), 1);
	CHECK_STRSTR(fake_log(), "udp: dropped a datagram: length field 200, 13 bytes came");
	udp_close(&pcb);
	CHECK_EQ(pool_free(), POOL_BUFS);
}

TEST(udp_receive_queue_is_bounded)
{
	struct udp_pcb pcb;

	setup(true);
	udp_pcb_init(&pcb);
	pcb.rcvbuf = 3 * sizeof(struct pbuf);
	udp_bind(&pcb, IPV4_ANY, 7777);
	for (int i = 0; i < 5; i++)
		eth_input(udp_frame(7777, "x", true));
	CHECK_EQ(net_counter(NET_CTR_UDP_DROP_RCVBUF), 2);
	CHECK_EQ(pcb.rx_drops, 2);
	udp_close(&pcb);
	CHECK_EQ(pool_free(), POOL_BUFS);
}

TEST(udp_bind_rules)
{
	struct udp_pcb a, b, c;

	setup(true);
	udp_pcb_init(&a);
	udp_pcb_init(&b);
	udp_pcb_init(&c);
	CHECK_EQ(udp_bind(&a, IPV4_ANY, 7777), 0);
	CHECK_EQ(udp_bind(&a, IPV4_ANY, 7778), -EINVAL);
	CHECK_EQ(udp_bind(&b, OUR_IP, 7777), -EADDRINUSE);
	CHECK_EQ(udp_bind(&b, 0x0a000203u, 7779), -EADDRNOTAVAIL);
	CHECK_EQ(udp_bind(&b, IPV4_LOOPBACK_ADDR, 7779), 0);
	udp_close(&a);
	udp_pcb_init(&a);
	a.flags = c.flags = UDP_F_REUSEADDR;
	CHECK_EQ(udp_bind(&a, IPV4_ANY, 7777), 0);
	CHECK_EQ(udp_bind(&c, IPV4_ANY, 7777), 0);
	udp_close(&a);
	udp_close(&c);
	udp_pcb_init(&a);
	CHECK_EQ(udp_bind(&a, IPV4_ANY, 0), 0);
	CHECK(a.lport >= UDP_PORT_EPHEMERAL_MIN && a.lport <= UDP_PORT_EPHEMERAL_MAX);
}

TEST(udp_send_computes_the_checksum)
{
	struct udp_pcb pcb;
	struct pbuf *p;
	const struct ip_hdr *ih;
	const struct udp_hdr *uh;
	uint32_t sum;

	setup(true);
	learn_gateway();
	udp_pcb_init(&pcb);
	udp_bind(&pcb, IPV4_ANY, 4000);
	p = pbuf_alloc_tx();
	memcpy(pbuf_put(p, 5), "hello", 5);
	CHECK_EQ(udp_send(&pcb, p, GW_IP, 9), 0);
	CHECK_EQ(fake.count, 1);
	ih = sent_ip(0);
	uh = (const struct udp_hdr *)(ih + 1);
	CHECK_EQ(net_ntohs(uh->sport), 4000);
	CHECK_EQ(net_ntohs(uh->dport), 9);
	CHECK_EQ(net_ntohs(uh->len), 13);
	CHECK(uh->csum != 0);
	sum = net_csum_pseudo(OUR_IP, GW_IP, IP_PROTO_UDP, 13);
	CHECK_EQ(net_csum_fold(net_csum_add(sum, uh, 13)), 0);
	CHECK_EQ(fake.flags[0] & PBUF_F_CSUM_NEEDED, 0);
	udp_close(&pcb);
}

TEST(udp_send_offloads_the_checksum)
{
	struct udp_pcb pcb;
	struct pbuf *p;
	uint8_t *f;
	const struct udp_hdr *uh;
	uint32_t sum;
	uint16_t c;

	setup(true);
	fake.nd.features = NETDEV_F_TX_CSUM;
	learn_gateway();
	udp_pcb_init(&pcb);
	udp_bind(&pcb, IPV4_ANY, 4000);
	p = pbuf_alloc_tx();
	memcpy(pbuf_put(p, 5), "hello", 5);
	CHECK_EQ(udp_send(&pcb, p, GW_IP, 9), 0);
	CHECK(fake.flags[0] & PBUF_F_CSUM_NEEDED);
	/* Do what the device would: sum from csum_start, store at csum_offset. */
	f = fake.frames[0];
	c = net_csum(f + ETH_HDR_LEN + IP_HDR_LEN, 13);
	f[ETH_HDR_LEN + IP_HDR_LEN + 6] = (uint8_t)(c >> 8);
	f[ETH_HDR_LEN + IP_HDR_LEN + 7] = (uint8_t)c;
	uh = (const struct udp_hdr *)(f + ETH_HDR_LEN + IP_HDR_LEN);
	sum = net_csum_pseudo(OUR_IP, GW_IP, IP_PROTO_UDP, 13);
	CHECK_EQ(net_csum_fold(net_csum_add(sum, uh, 13)), 0);
	udp_close(&pcb);
}

TEST(udp_send_errors)
{
	struct udp_pcb pcb;
	struct pbuf *p;

	setup(false);
	udp_pcb_init(&pcb);
	p = pbuf_alloc_tx();
	pbuf_put(p, 4);
	CHECK_EQ(udp_send(&pcb, p, GW_IP, 9), -ENETUNREACH);
	setup(true);
	udp_pcb_init(&pcb);
	p = pbuf_alloc_tx();
	pbuf_put(p, 4);
	CHECK_EQ(udp_send(&pcb, p, IPV4_BROADCAST, 9), -EACCES);
	p = pbuf_alloc_tx();
	pbuf_put(p, 4);
	CHECK_EQ(udp_send(&pcb, p, 0x0a0002ffu, 9), -EACCES); /* the subnet's broadcast */
	CHECK_EQ(pool_free(), POOL_BUFS);
	pcb.flags |= UDP_F_BROADCAST; /* SO_BROADCAST */
	p = pbuf_alloc_tx();
	pbuf_put(p, 4);
	CHECK_EQ(udp_send(&pcb, p, 0x0a0002ffu, 9), 0);
	CHECK_EQ(fake.count, 1);
	CHECK(!memcmp(sent_eth(0)->dst, bcast_mac, ETH_ADDR_LEN));
	udp_close(&pcb);
	CHECK_EQ(pool_free(), POOL_BUFS);
}

TEST(udp_loopback)
{
	struct udp_pcb a, b;
	struct udp_from from;
	struct pbuf *p;

	setup(true);
	udp_pcb_init(&a);
	udp_pcb_init(&b);
	udp_bind(&a, IPV4_ANY, 5000);
	udp_bind(&b, IPV4_LOOPBACK_ADDR, 0);
	p = pbuf_alloc_tx();
	memcpy(pbuf_put(p, 3), "abc", 3);
	CHECK_EQ(udp_send(&b, p, IPV4_LOOPBACK_ADDR, 5000), 0);
	p = pbuf_alloc_tx();
	memcpy(pbuf_put(p, 3), "def", 3);
	CHECK_EQ(udp_send(&b, p, OUR_IP, 5000), 0);
	CHECK_EQ(fake.count, 0);
	p = udp_dequeue(&a, &from);
	CHECK(p && p->len == 3 && !memcmp(p->data, "abc", 3));
	CHECK_EQ(from.addr, IPV4_LOOPBACK_ADDR);
	CHECK_EQ(from.port, b.lport);
	pbuf_free(p);
	p = udp_dequeue(&a, &from);
	CHECK(p && p->len == 3 && !memcmp(p->data, "def", 3));
	pbuf_free(p);
	udp_close(&a);
	udp_close(&b);
	CHECK_EQ(pool_free(), POOL_BUFS);
}

TEST(udp_connected_pcb_filters_sources)
{
	struct udp_pcb pcb;

	setup(true);
	udp_pcb_init(&pcb);
	CHECK_EQ(udp_connect(&pcb, GW_IP, 6000), 0);
	CHECK(pcb.flags & UDP_F_BOUND);
	CHECK_EQ(pcb.laddr, OUR_IP);
	eth_input(udp_frame(pcb.lport, "from 5555", true));
	CHECK(pcb.rxq_head == NULL);
	udp_disconnect(&pcb);
	CHECK_EQ(pcb.laddr, IPV4_ANY);
	eth_input(udp_frame(pcb.lport, "from 5555", true));
	CHECK(pcb.rxq_head != NULL);
	udp_close(&pcb);
	CHECK_EQ(pool_free(), POOL_BUFS);
}

TEST(udp_broadcast_reaches_every_matching_pcb)
{
	uint8_t l4[64], pkt[128];
	struct udp_pcb a, b, c;
	size_t n;

	setup(true);
	udp_pcb_init(&a);
	udp_pcb_init(&b);
	udp_pcb_init(&c);
	a.flags = b.flags = UDP_F_REUSEADDR;
	udp_bind(&a, IPV4_ANY, 7777);
	udp_bind(&b, IPV4_ANY, 7777);
	udp_bind(&c, OUR_IP, 7778); /* bound to a unicast address: no broadcasts */
	n = udp_datagram(l4, GW_IP, 0x0a0002ffu, 5555, 7777, "to all", true);
	eth_input(ip_frame(pkt, ip_packet(pkt, GW_IP, 0x0a0002ffu, IP_PROTO_UDP, l4, n)));
	CHECK(a.rxq_head && a.rxq_head->len == 6 && !memcmp(a.rxq_head->data, "to all", 6));
	CHECK(b.rxq_head && b.rxq_head->len == 6 && !memcmp(b.rxq_head->data, "to all", 6));
	n = udp_datagram(l4, GW_IP, IPV4_BROADCAST, 5555, 7778, "none", true);
	eth_input(ip_frame(pkt, ip_packet(pkt, GW_IP, IPV4_BROADCAST, IP_PROTO_UDP, l4, n)));
	CHECK(c.rxq_head == NULL);
	CHECK_EQ(net_counter(NET_CTR_UDP_DROP_NO_PORT), 1);
	udp_close(&a);
	udp_close(&b);
	udp_close(&c);
	CHECK_EQ(pool_free(), POOL_BUFS);
}

TEST(malformed_log_is_rate_limited)
{
	setup(true);
	for (int i = 0; i < 20; i++) {
		struct pbuf *p = pbuf_alloc(PBUF_HEADROOM);

		pbuf_put(p, 3);
		eth_input(p);
	}
	CHECK_EQ(fake_log_count(), 8);
	CHECK_STRSTR(fake_log(), "no more bad packets are described");
	CHECK_EQ(net_counter(NET_CTR_ETH_DROP_SHORT), 20);
}
