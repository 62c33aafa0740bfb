/*
 * virtio-net from the inside (a kernel test: ktest.h): finds the netdev,
 * says what it is, and makes ARP round trips to QEMU's user-network
 * gateway, which answers for 10.0.2.2. Run with --net user, on any of the
 * three transports (transitional, disable-legacy=on, disable-modern=on).
 * The test takes the device over from the stack (netdev_attach) for its
 * duration. Exits with the number of failures.
 *
 * With the argument "udp-echo" it also sends a UDP datagram to port 7 of
 * 10.0.2.2 and waits for the echo: for a tap peer running an echo server
 * (QEMU offers checksum offload only there), which shows that the device
 * filled the checksum the stack left to it, and that the echo comes back
 * marked checked. The peer needs a static neighbour entry for 10.0.2.15:
 * the test answers no ARP.
 */
#include "tests/ktests/ktest.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "drivers/net/netdev.h"
#include "drivers/net/pbuf.h"
#include "drivers/virtio/virtio_net.h"
#include "kernel/time.h"
#include "sched/sched.h"

#define ETH_ALEN 6
#define ETH_HLEN 14
#define ETH_OFF_SRC 6
#define ETH_OFF_TYPE 12
#define ETH_TYPE_ARP 0x0806
#define ETH_MIN_FRAME 60 /* without the FCS: shorter frames are padded */
#define ARP_HTYPE_ETHER 1
#define ARP_PTYPE_IPV4 0x0800
#define ARP_LEN 28
/* Field offsets in an Ethernet/IPv4 ARP packet */
#define ARP_OFF_HTYPE 0
#define ARP_OFF_PTYPE 2
#define ARP_OFF_HLEN 4
#define ARP_OFF_PLEN 5
#define ARP_OFF_OP 6
#define ARP_OFF_SHA 8
#define ARP_OFF_SPA 14
#define ARP_OFF_THA 18
#define ARP_OFF_TPA 24
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2
#define ETH_TYPE_IPV4 0x0800
#define IP_HLEN 20
#define IP_VERSION_IHL 0x45 /* IPv4, 5 words of header */
#define IP_TTL 64
#define IP_PROTO_UDP 17
#define IP_OFF_LEN 2
#define IP_OFF_TTL 8
#define IP_OFF_PROTO 9
#define IP_OFF_CSUM 10
#define IP_OFF_SRC 12
#define IP_OFF_DST 16
#define UDP_HLEN 8
#define UDP_OFF_SPORT 0
#define UDP_OFF_DPORT 2
#define UDP_OFF_LEN 4
#define UDP_OFF_CSUM 6
#define UDP_ECHO_PORT 7
#define UDP_TEST_PORT 40007
#define UDP_PAYLOAD "ceres: virtio-net checksum offload"
#define UDP_PAYLOAD_LEN (sizeof(UDP_PAYLOAD) - 1)
#define POLL_BUDGET 16
#define REPLY_TIMEOUT_NS (3 * NSEC_PER_SEC)
#define BURST 32 /* requests sent back to back in the burst test */

static const uint8_t guest_ip[4] = { 10, 0, 2, 15 };
static const uint8_t gateway_ip[4] = { 10, 0, 2, 2 };

static struct {
	struct netdev *nd;
	struct waitq wq;
	bool woken;
	unsigned replies, frames;
	uint8_t gateway_mac[ETH_ALEN];
	bool reply_to_us;	      /* the last reply's target was our MAC and address */
	unsigned echoes;	      /* UDP echoes from 10.0.2.2:7 */
	bool echo_same, echo_checked; /* the last one's payload was ours; PBUF_F_CSUM_VALID */
} t;

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* An ARP request for gateway_ip from guest_ip, broadcast. */
static struct pbuf *arp_request(void)
{
	struct pbuf *p = pbuf_alloc_tx();
	uint8_t *f = p ? pbuf_put(p, ETH_MIN_FRAME) : NULL;

	if (!f)
		return NULL;
	memset(f, 0, ETH_MIN_FRAME);
	memset(f, 0xFF, ETH_ALEN);
	memcpy(f + ETH_OFF_SRC, t.nd->addr, ETH_ALEN);
	put16(f + ETH_OFF_TYPE, ETH_TYPE_ARP);
	f += ETH_HLEN;
	put16(f + ARP_OFF_HTYPE, ARP_HTYPE_ETHER);
	put16(f + ARP_OFF_PTYPE, ARP_PTYPE_IPV4);
	f[ARP_OFF_HLEN] = ETH_ALEN;
	f[ARP_OFF_PLEN] = sizeof(guest_ip);
	put16(f + ARP_OFF_OP, ARP_OP_REQUEST);
	memcpy(f + ARP_OFF_SHA, t.nd->addr, ETH_ALEN);
	memcpy(f + ARP_OFF_SPA, guest_ip, sizeof(guest_ip));
	memcpy(f + ARP_OFF_TPA, gateway_ip, sizeof(gateway_ip));
	return p;
}

/* The 16-bit ones' complement sum of n bytes, added to sum (unfolded). */
static uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += get16(p + i);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	return (uint16_t)sum;
}

static void ip_header(uint8_t *ip, size_t len)
{
	ip[0] = IP_VERSION_IHL;
	put16(ip + IP_OFF_LEN, (uint16_t)len);
	ip[IP_OFF_TTL] = IP_TTL;
	ip[IP_OFF_PROTO] = IP_PROTO_UDP;
	memcpy(ip + IP_OFF_SRC, guest_ip, sizeof(guest_ip));
	memcpy(ip + IP_OFF_DST, gateway_ip, sizeof(gateway_ip));
	put16(ip + IP_OFF_CSUM, (uint16_t)~fold(sum16(ip, IP_HLEN, 0)));
}

/*
 * The UDP checksum: left to the device when it offers to fill it (then
 * the field holds the pseudo-header's sum, as virtio asks), else whole.
 */
static void udp_checksum(struct pbuf *p, uint8_t *udp, size_t len)
{
	uint32_t pseudo = sum16(guest_ip, sizeof(guest_ip), 0);

	pseudo = sum16(gateway_ip, sizeof(gateway_ip), pseudo) + IP_PROTO_UDP + (uint32_t)len;
	if (t.nd->features & NETDEV_F_TX_CSUM) {
		put16(udp + UDP_OFF_CSUM, fold(pseudo));
		p->flags |= PBUF_F_CSUM_NEEDED;
		p->csum_start = ETH_HLEN + IP_HLEN;
		p->csum_offset = UDP_OFF_CSUM;
		return;
	}
	put16(udp + UDP_OFF_CSUM, (uint16_t)~fold(sum16(udp, len, pseudo)) ?: 0xFFFF);
}

/* A UDP datagram from guest_ip:UDP_TEST_PORT to the gateway's echo port. */
static struct pbuf *udp_datagram(void)
{
	size_t udp_len = UDP_HLEN + UDP_PAYLOAD_LEN, ip_len = IP_HLEN + udp_len;
	struct pbuf *p = pbuf_alloc_tx();
	uint8_t *f = p ? pbuf_put(p, ETH_HLEN + ip_len) : NULL, *udp;

	if (!f)
		return NULL;
	memset(f, 0, ETH_HLEN + ip_len);
	memcpy(f, t.gateway_mac, ETH_ALEN);
	memcpy(f + ETH_OFF_SRC, t.nd->addr, ETH_ALEN);
	put16(f + ETH_OFF_TYPE, ETH_TYPE_IPV4);
	ip_header(f + ETH_HLEN, ip_len);
	udp = f + ETH_HLEN + IP_HLEN;
	put16(udp + UDP_OFF_SPORT, UDP_TEST_PORT);
	put16(udp + UDP_OFF_DPORT, UDP_ECHO_PORT);
	put16(udp + UDP_OFF_LEN, (uint16_t)udp_len);
	memcpy(udp + UDP_HLEN, UDP_PAYLOAD, UDP_PAYLOAD_LEN);
	udp_checksum(p, udp, udp_len);
	return p;
}

/* An echo from the gateway's port 7 to ours? Records what it carried. */
static void check_echo(const struct pbuf *p)
{
	const uint8_t *ip = p->data + ETH_HLEN, *udp = ip + IP_HLEN;

	if (p->len < ETH_HLEN + IP_HLEN + UDP_HLEN ||
	    get16(p->data + ETH_OFF_TYPE) != ETH_TYPE_IPV4 || ip[0] != IP_VERSION_IHL ||
	    ip[IP_OFF_PROTO] != IP_PROTO_UDP ||
	    memcmp(ip + IP_OFF_SRC, gateway_ip, sizeof(gateway_ip)) ||
	    get16(udp + UDP_OFF_SPORT) != UDP_ECHO_PORT ||
	    get16(udp + UDP_OFF_DPORT) != UDP_TEST_PORT)
		return;
	t.echoes++;
	t.echo_same = p->len >= ETH_HLEN + IP_HLEN + UDP_HLEN + UDP_PAYLOAD_LEN &&
		      !memcmp(udp + UDP_HLEN, UDP_PAYLOAD, UDP_PAYLOAD_LEN);
	t.echo_checked = p->flags & PBUF_F_CSUM_VALID;
}

/* Wakes the test's wait: from the driver's interrupt, or from a poll in another thread. */
static void wake_test(void)
{
	unsigned long flags = irq_save();

	t.woken = true;
	waitq_wake_all(&t.wq);
	irq_restore(flags);
}

/*
 * Counts ARP replies from the gateway and UDP echoes; everything is
 * counted as a frame. The stack's thread may be the one polling (its
 * timers run on), so each frame wakes the test.
 */
static void on_rx(struct netdev *nd, struct pbuf *p)
{
	const uint8_t *f = p->data, *arp = p->data + ETH_HLEN;

	(void)nd;
	t.frames++;
	check_echo(p);
	if (p->len >= ETH_HLEN + ARP_LEN && get16(f + ETH_OFF_TYPE) == ETH_TYPE_ARP &&
	    get16(arp + ARP_OFF_OP) == ARP_OP_REPLY &&
	    !memcmp(arp + ARP_OFF_SPA, gateway_ip, sizeof(gateway_ip))) {
		t.replies++;
		memcpy(t.gateway_mac, arp + ARP_OFF_SHA, ETH_ALEN);
		t.reply_to_us = !memcmp(arp + ARP_OFF_THA, t.nd->addr, ETH_ALEN) &&
				!memcmp(arp + ARP_OFF_TPA, guest_ip, sizeof(guest_ip));
	}
	pbuf_free(p);
	wake_test();
}

/* The driver's interrupt (or polling timer). */
static void on_wake(struct netdev *nd)
{
	(void)nd;
	wake_test();
}

/* Polls until *count reaches want or the time is up; whether it did. */
static bool wait_for(const unsigned *count, unsigned want)
{
	uint64_t deadline = clock_monotonic_ns() + REPLY_TIMEOUT_NS;

	while (*count < want && clock_monotonic_ns() < deadline) {
		unsigned long flags;

		while (netdev_poll(t.nd, POLL_BUDGET) > 0)
			;
		flags = irq_save();
		if (!t.woken && *count < want)
			waitq_wait(&t.wq, deadline);
		t.woken = false;
		irq_restore(flags);
	}
	while (netdev_poll(t.nd, POLL_BUDGET) > 0)
		;
	return *count >= want;
}

static bool wait_replies(unsigned want)
{
	return wait_for(&t.replies, want);
}

static void test_describe(void)
{
	const uint8_t *a = t.nd->addr;
	struct virtio_net_stats st;

	virtio_net_stats(&st);
	ktest_print("# %s: %s transport, mac %02x:%02x:%02x:%02x:%02x:%02x, link %s, mtu %u, "
		    "features%s%s%s",
		    t.nd->name, st.transport, a[0], a[1], a[2], a[3], a[4], a[5],
		    t.nd->link_up ? "up" : "down", t.nd->mtu,
		    t.nd->features & NETDEV_F_TX_CSUM ? " tx-csum" : "",
		    t.nd->features & NETDEV_F_RX_CSUM ? " rx-csum" : "",
		    st.polling ? ", polling (no MSI-X)" : ", MSI-X");
	ktest_check(!(a[0] & 1) && (a[0] | a[1] | a[2] | a[3] | a[4] | a[5]),
		    "netdev: a unicast MAC address");
	ktest_check(t.nd->link_up, "netdev: link up");
	ktest_check(st.rx_posted > 0, "netdev: receive buffers posted");
}

static void test_arp(void)
{
	struct pbuf *p = arp_request();
	const uint8_t *g = t.gateway_mac;
	uint64_t start = clock_monotonic_ns();

	ktest_check(p && netdev_xmit(t.nd, p) == 0, "arp: request for 10.0.2.2 sent");
	ktest_check(wait_replies(1), "arp: the gateway answered");
	ktest_print("# arp: reply after %lu us from %02x:%02x:%02x:%02x:%02x:%02x, %u frames",
		    (unsigned long)((clock_monotonic_ns() - start) / NSEC_PER_USEC), g[0], g[1],
		    g[2], g[3], g[4], g[5], t.frames);
	ktest_check(t.reply_to_us, "arp: the reply names our MAC and 10.0.2.15");
}

/* Back-to-back requests: the transmit ring fills and is reclaimed, every one answered. */
static void test_burst(void)
{
	unsigned before = t.replies, sent = 0;

	for (int i = 0; i < BURST; i++) {
		struct pbuf *p = arp_request();

		if (p && netdev_xmit(t.nd, p) == 0)
			sent++;
	}
	ktest_check(sent == BURST, "burst: every request queued");
	wait_replies(before + sent);
	ktest_print("# burst: %u sent, %u answered", sent, t.replies - before);
	ktest_check(t.replies - before == sent, "burst: every request answered");
}

static void test_udp_echo(void)
{
	struct pbuf *p = udp_datagram();
	bool offload = t.nd->features & NETDEV_F_TX_CSUM;

	ktest_print("# udp-echo: checksum %s", offload ? "left to the device" : "computed");
	ktest_check(p && netdev_xmit(t.nd, p) == 0, "udp-echo: datagram to 10.0.2.2:7 sent");
	ktest_check(wait_for(&t.echoes, 1),
		    "udp-echo: the echo came back (its checksum was right)");
	ktest_check(t.echo_same, "udp-echo: the echo carries what was sent");
	if (t.nd->features & NETDEV_F_RX_CSUM)
		ktest_check(t.echo_checked, "udp-echo: the echo is marked checked by the device");
}

static void test_counters(void)
{
	const struct netdev_stats *s = &t.nd->stats;
	struct virtio_net_stats st;

	virtio_net_stats(&st);
	ktest_print("# rx %lu packets %lu bytes, tx %lu packets, %lu interrupts, %lu timer polls",
		    (unsigned long)s->rx_packets, (unsigned long)s->rx_bytes,
		    (unsigned long)s->tx_packets, (unsigned long)st.irqs,
		    (unsigned long)st.timer_polls);
	ktest_check(s->tx_packets >= 1 + BURST && s->rx_packets >= 1, "counters: packets counted");
	ktest_check(!s->rx_errors && !s->tx_errors && !st.device_errors && !st.stopped,
		    "counters: no errors");
	/* Polling: the replies may all be there before the timer looks. */
	ktest_check(st.polling || st.irqs > 0,
		    "counters: MSI-X interrupts came (or the driver polls)");
}

int ktest_main(int argc, char **argv)
{
	bool udp_echo = argc > 1 && !strcmp(argv[1], "udp-echo");

	t.nd = netdev_first();
	ktest_check(t.nd != NULL, "netdev: a network device registered");
	if (t.nd) {
		netdev_attach(t.nd, on_rx, on_wake, NULL);
		test_describe();
		test_arp();
		test_burst();
		if (udp_echo)
			test_udp_echo();
		test_counters();
		netdev_report(t.nd);
	}
	ktest_print("netdev: %d failed", ktest_failures);
	return ktest_failures;
}
