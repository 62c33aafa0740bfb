/*
 * The DHCP client (lib/net/dhcp.c) against a scripted server over the
 * fake device: DISCOVER, OFFER, REQUEST, ACK, the interface configured
 * and logged; retransmission with backoff; renewal at T1; a NAK; bad
 * replies; the late-lease warning.
 */
#define CHECK_SUITE "net_dhcp"
#include "tests/unit/check.h"

#include <errno.h>

#include "lib/net/net_priv.h"
#include "tests/unit/fake_kernel.h"

#define POOL_BUFS 32
#define SENT_MAX 32
#define NS_PER_S 1000000000ull
#define XID 0x11223344u
#define YIADDR 0x0a00020fu /* 10.0.2.15 */
#define SERVER 0x0a000202u /* 10.0.2.2 */
#define MASK 0xffffff00u
#define LEASE_S 86400u

static const uint8_t our_mac[ETH_ADDR_LEN] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t server_mac[ETH_ADDR_LEN] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };

static struct pbuf pool_mem[POOL_BUFS];

static struct {
	struct netdev nd;
	uint8_t frames[SENT_MAX][PBUF_SIZE];
	unsigned lens[SENT_MAX];
	unsigned count;
	uint64_t now;
} fake;

int netdev_xmit(struct netdev *nd, struct pbuf *p)
{
	(void)nd;
	if (fake.count < SENT_MAX) {
		memcpy(fake.frames[fake.count], p->data, p->len);
		fake.lens[fake.count++] = p->len;
	}
	pbuf_free(p);
	return 0;
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
	return XID; /* also the jitter: XID % 2 s */
}

static void setup(void)
{
	memset(&fake, 0, sizeof(fake));
	pbuf_pool_init(pool_mem, sizeof(pool_mem));
	memcpy(fake.nd.addr, our_mac, ETH_ADDR_LEN);
	fake.nd.mtu = 1500;
	fake.now = 5 * NS_PER_S;
	eth_attach(&fake.nd);
	ip_unconfigure();
	arp_reset();
	udp_reset();
	net_stats_reset();
	fake_log_clear();
	dhcp_stop();
	dhcp_start();
}

static const struct ip_hdr *sent_ip(unsigned i)
{
	return (const struct ip_hdr *)(fake.frames[i] + ETH_HDR_LEN);
}

static const struct dhcp_msg *sent_dhcp(unsigned i)
{
	return (const struct dhcp_msg *)(fake.frames[i] + ETH_HDR_LEN + IP_HDR_LEN + UDP_HDR_LEN);
}

/* The value of option code in sent message i, or NULL; *len its length. */
static const uint8_t *sent_option(unsigned i, uint8_t code, unsigned *len)
{
	const uint8_t *o = (const uint8_t *)(sent_dhcp(i) + 1);
	const uint8_t *end = fake.frames[i] + fake.lens[i];

	while (o < end && *o != DHCP_OPT_END) {
		if (*o == DHCP_OPT_PAD) {
			o++;
			continue;
		}
		if (o[0] == code) {
			*len = o[1];
			return o + 2;
		}
		o += 2 + o[1];
	}
	return NULL;
}

static int sent_type(unsigned i)
{
	unsigned len;
	const uint8_t *v = sent_option(i, DHCP_OPT_MSG_TYPE, &len);

	return v && len == 1 ? v[0] : -1;
}

static uint8_t *opt_u32(uint8_t *o, uint8_t code, uint32_t v)
{
	*o++ = code;
	*o++ = 4;
	*o++ = (uint8_t)(v >> 24);
	*o++ = (uint8_t)(v >> 16);
	*o++ = (uint8_t)(v >> 8);
	*o++ = (uint8_t)v;
	return o;
}

/* A server's reply of type type, with the usual options, as a received frame. */
static struct pbuf *reply(uint8_t type, uint32_t xid, bool with_end)
{
	uint8_t msg[400] = { 0 };
	struct dhcp_msg *m = (struct dhcp_msg *)msg;
	uint8_t *o = msg + sizeof(*m);
	struct pbuf *p = pbuf_alloc(PBUF_HEADROOM);
	struct eth_hdr *eh;
	struct ip_hdr *ih;
	struct udp_hdr *uh;
	size_t len;

	m->op = DHCP_OP_REPLY;
	m->htype = DHCP_HTYPE_ETHER;
	m->hlen = ETH_ADDR_LEN;
	m->xid = net_htonl(xid);
	m->yiaddr = net_htonl(YIADDR);
	memcpy(m->chaddr, our_mac, ETH_ADDR_LEN);
	m->magic = net_htonl(DHCP_MAGIC);
	*o++ = DHCP_OPT_MSG_TYPE;
	*o++ = 1;
	*o++ = type;
	o = opt_u32(o, DHCP_OPT_SERVER_ID, SERVER);
	o = opt_u32(o, DHCP_OPT_SUBNET_MASK, MASK);
	o = opt_u32(o, DHCP_OPT_ROUTER, SERVER);
	o = opt_u32(o, DHCP_OPT_LEASE_TIME, LEASE_S);
	*o++ = DHCP_OPT_PAD;
	if (with_end)
		*o++ = DHCP_OPT_END;
	len = (size_t)(o - msg);

	eh = (struct eth_hdr *)pbuf_put(p, ETH_HDR_LEN);
	memset(eh->dst, 0xff, ETH_ADDR_LEN);
	memcpy(eh->src, server_mac, ETH_ADDR_LEN);
	eh->type = net_htons(ETH_TYPE_IPV4);
	ih = (struct ip_hdr *)pbuf_put(p, IP_HDR_LEN);
	memset(ih, 0, sizeof(*ih));
	ih->ver_ihl = 0x45;
	ih->total_len = net_htons((uint16_t)(IP_HDR_LEN + UDP_HDR_LEN + len));
	ih->ttl = 64;
	ih->proto = IP_PROTO_UDP;
	ih->src = net_htonl(SERVER);
	ih->dst = net_htonl(IPV4_BROADCAST);
	ih->csum = net_htons(net_csum(ih, IP_HDR_LEN));
	uh = (struct udp_hdr *)pbuf_put(p, UDP_HDR_LEN);
	uh->sport = net_htons(DHCP_SERVER_PORT);
	uh->dport = net_htons(DHCP_CLIENT_PORT);
	uh->len = net_htons((uint16_t)(UDP_HDR_LEN + len));
	uh->csum = 0;
	memcpy(pbuf_put(p, len), msg, len);
	return p;
}

/* Runs the client's timer now, as the network thread would. */
static uint64_t tick(void)
{
	return dhcp_timer(fake.now);
}

static void check_discover(unsigned i)
{
	const struct dhcp_msg *m = sent_dhcp(i);
	const struct udp_hdr *uh = (const struct udp_hdr *)(sent_ip(i) + 1);

	CHECK_EQ(sent_type(i), DHCP_DISCOVER);
	CHECK_EQ(m->op, DHCP_OP_REQUEST);
	CHECK_EQ(net_ntohl(m->xid), XID);
	CHECK_EQ(net_ntohl(m->magic), DHCP_MAGIC);
	CHECK(!memcmp(m->chaddr, our_mac, ETH_ADDR_LEN));
	CHECK_EQ(net_ntohs(m->flags), DHCP_FLAG_BROADCAST);
	CHECK_EQ(net_ntohl(sent_ip(i)->src), 0);
	CHECK_EQ(net_ntohl(sent_ip(i)->dst), IPV4_BROADCAST);
	CHECK_EQ(net_ntohs(uh->sport), DHCP_CLIENT_PORT);
	CHECK_EQ(net_ntohs(uh->dport), DHCP_SERVER_PORT);
	CHECK_EQ(fake.frames[i][0], 0xff);
}

/* Through DISCOVER, OFFER, REQUEST, ACK. */
static void get_lease(void)
{
	unsigned len;
	const uint8_t *v;

	tick();
	CHECK_EQ(fake.count, 1);
	check_discover(0);
	eth_input(reply(DHCP_OFFER, XID, true));
	CHECK_EQ(fake.count, 2);
	CHECK_EQ(sent_type(1), DHCP_REQUEST);
	v = sent_option(1, DHCP_OPT_REQUESTED_IP, &len);
	CHECK(v && len == 4 && v[0] == 10 && v[3] == 15);
	v = sent_option(1, DHCP_OPT_SERVER_ID, &len);
	CHECK(v && len == 4 && v[0] == 10 && v[3] == 2);
	CHECK(!ip_config()->up);
	eth_input(reply(DHCP_ACK, XID, true));
	CHECK(ip_config()->up);
}

TEST(lease_configures_the_interface)
{
	setup();
	get_lease();
	CHECK_EQ(ip_config()->addr, YIADDR);
	CHECK_EQ(ip_config()->mask, MASK);
	CHECK_EQ(ip_config()->gw, SERVER);
	CHECK_STRSTR(fake_log(), "I: net: 10.0.2.15/24 via 10.0.2.2 (dhcp)");
	/* The next deadline is T1, half the lease. */
	CHECK_EQ(tick(), fake.now + LEASE_S / 2 * NS_PER_S);
}

TEST(discover_backs_off)
{
	uint64_t last, next;
	uint64_t jitter = XID % (2 * NS_PER_S);

	setup();
	next = tick();
	CHECK_EQ(fake.count, 1);
	last = fake.now;
	/* The first wait: 4 s, less a second, plus the jitter. */
	for (uint64_t s = 4; s <= 64; s *= 2) {
		uint64_t want = last + s * NS_PER_S - NS_PER_S + jitter;

		if (!fake_log_count() && next < want) { /* the late-lease warning's deadline */
			fake.now = next;
			next = tick();
		}
		CHECK_EQ(next, want);
		fake.now = next;
		last = fake.now;
		next = tick();
	}
	CHECK_EQ(sent_type(fake.count - 1), DHCP_DISCOVER);
	CHECK_EQ(fake.count, 6);
	fake.now = next;
	next = tick();
	CHECK_EQ(next - fake.now, 64 * NS_PER_S - NS_PER_S + jitter); /* capped */
	CHECK_STRSTR(fake_log(), "W: dhcp: no lease after 10 s");
	CHECK(!ip_config()->up);
}

TEST(renews_at_t1)
{
	uint64_t t1;
	unsigned before;

	setup();
	get_lease();
	t1 = tick();
	fake.now = t1;
	before = fake.count;
	tick();
	/* Unicast to the server: ARP for it first, the REQUEST waits. */
	CHECK_EQ(fake.count, before + 1);
	CHECK_EQ(net_ntohs(((const struct eth_hdr *)fake.frames[before])->type), ETH_TYPE_ARP);
	fake_log_clear();
	eth_input(reply(DHCP_ACK, XID, true));
	CHECK(ip_config()->up);
	CHECK_EQ(fake_log_count(), 0); /* the same lease: nothing to say */
	CHECK_EQ(tick(), fake.now + LEASE_S / 2 * NS_PER_S);
}

TEST(nak_starts_over)
{
	setup();
	tick();
	eth_input(reply(DHCP_OFFER, XID, true));
	eth_input(reply(DHCP_NAK, XID, true));
	CHECK(!ip_config()->up);
	CHECK_STRSTR(fake_log(), "dhcp: the server refused 10.0.2.15");
	CHECK_EQ(sent_type(fake.count - 1), DHCP_DISCOVER);
}

TEST(foreign_and_bad_replies_are_ignored)
{
	setup();
	tick();
	eth_input(reply(DHCP_OFFER, XID + 1, true));
	CHECK_EQ(net_counter(NET_CTR_DHCP_DROP_OTHER), 1);
	eth_input(reply(DHCP_OFFER, XID, false));
	CHECK_EQ(net_counter(NET_CTR_DHCP_DROP_MALFORMED), 1);
	CHECK_STRSTR(fake_log(), "dhcp: dropped a");
	eth_input(reply(DHCP_ACK, XID, true)); /* an ACK before any REQUEST */
	CHECK_EQ(net_counter(NET_CTR_DHCP_DROP_OTHER), 2);
	CHECK_EQ(fake.count, 1);
	CHECK(!ip_config()->up);
}
