/*
 * ARP for IPv4 over Ethernet (RFC 826): a small cache of neighbours, the
 * answers to requests for our address, and resolution of next hops with a
 * bounded queue of packets waiting on each. Entries expire ARP_TTL after
 * they were last confirmed; a request unanswered after ARP_TRIES tries
 * drops what waited on it.
 */
#include "lib/net/net_priv.h"

#include <errno.h>
#include <string.h>

#include "kernel/printk.h"

#define ARP_ENTRIES 16
#define ARP_QUEUE_MAX 4 /* packets waiting on one resolution */
#define ARP_TRIES 3
#define ARP_RETRY_NS 1000000000ull
#define ARP_TTL_NS (60 * 1000000000ull)

enum arp_state { ARP_FREE, ARP_PENDING, ARP_VALID };

struct arp_entry {
	enum arp_state state;
	uint32_t ip;
	uint8_t mac[ETH_ADDR_LEN];
	uint64_t deadline; /* VALID: expiry; PENDING: the next try */
	unsigned tries;
	struct pbuf *queue; /* PENDING: packets to send once resolved, oldest first */
	unsigned queued;
};

static struct {
	struct arp_entry table[ARP_ENTRIES];
} arp;

static struct arp_entry *lookup(uint32_t ip)
{
	for (int i = 0; i < ARP_ENTRIES; i++)
		if (arp.table[i].state != ARP_FREE && arp.table[i].ip == ip)
			return &arp.table[i];
	return NULL;
}

/* Drops what waits on e and frees it. */
static void entry_free(struct arp_entry *e, enum net_counter why)
{
	while (e->queue) {
		struct pbuf *p = e->queue;

		e->queue = p->next;
		p->next = NULL;
		net_count(why);
		pbuf_free(p);
	}
	e->queued = 0;
	e->state = ARP_FREE;
}

/* A free entry, or the valid one that expires first; NULL if all are pending. */
static struct arp_entry *entry_alloc(void)
{
	struct arp_entry *victim = NULL;

	for (int i = 0; i < ARP_ENTRIES; i++) {
		struct arp_entry *e = &arp.table[i];

		if (e->state == ARP_FREE)
			return e;
		if (e->state == ARP_VALID && (!victim || e->deadline < victim->deadline))
			victim = e;
	}
	if (victim)
		entry_free(victim, NET_CTR_ARP_DROP_UNRESOLVED);
	return victim;
}

static int send_arp(uint16_t op, const uint8_t *tha, uint32_t tpa, const uint8_t *dst)
{
	struct pbuf *p = pbuf_alloc_tx();
	struct arp_pkt *a;

	if (!p) {
		net_count(NET_CTR_NOBUFS);
		return -ENOBUFS;
	}
	a = (struct arp_pkt *)pbuf_put(p, sizeof(*a));
	a->htype = net_htons(ARP_HTYPE_ETHER);
	a->ptype = net_htons(ETH_TYPE_IPV4);
	a->hlen = ETH_ADDR_LEN;
	a->plen = sizeof(uint32_t);
	a->op = net_htons(op);
	memcpy(a->sha, eth_addr(), ETH_ADDR_LEN);
	a->spa = net_htonl(ip_config()->addr);
	memcpy(a->tha, tha, ETH_ADDR_LEN);
	a->tpa = net_htonl(tpa);
	return eth_output(p, dst, ETH_TYPE_ARP);
}

static void send_request(struct arp_entry *e)
{
	static const uint8_t unknown[ETH_ADDR_LEN];

	e->tries++;
	e->deadline = net_now() + ARP_RETRY_NS;
	net_count(NET_CTR_ARP_REQUESTS_SENT);
	send_arp(ARP_OP_REQUEST, unknown, e->ip, NULL);
}

/* e now knows its address: it becomes valid and what waited on it is sent. */
static void entry_resolved(struct arp_entry *e, const uint8_t *mac)
{
	struct pbuf *q = e->queue;

	memcpy(e->mac, mac, ETH_ADDR_LEN);
	e->state = ARP_VALID;
	e->deadline = net_now() + ARP_TTL_NS;
	e->queue = NULL;
	e->queued = 0;
	while (q) {
		struct pbuf *p = q;

		q = p->next;
		p->next = NULL;
		eth_output(p, e->mac, ETH_TYPE_IPV4);
	}
}

static bool arp_valid(const struct arp_pkt *a, uint16_t len)
{
	const char *what = NULL;

	if (len < sizeof(*a))
		what = "truncated";
	else if (net_ntohs(a->htype) != ARP_HTYPE_ETHER || net_ntohs(a->ptype) != ETH_TYPE_IPV4)
		what = "not IPv4 over Ethernet";
	else if (a->hlen != ETH_ADDR_LEN || a->plen != sizeof(uint32_t))
		what = "bad address lengths";
	else if (net_ntohs(a->op) != ARP_OP_REQUEST && net_ntohs(a->op) != ARP_OP_REPLY)
		what = "unknown operation";
	if (what)
		net_malformed(NET_CTR_ARP_DROP_MALFORMED, "arp: dropped a %u-byte packet: %s", len,
			      what);
	return !what;
}

/* RFC 826's merge: update a known sender; add it if the packet is for us. */
static void merge(const struct arp_pkt *a, bool for_us)
{
	uint32_t spa = net_ntohl(a->spa);
	struct arp_entry *e = lookup(spa);

	if (!spa || (a->sha[0] & 1))
		return; /* an unconfigured prober, or a group address: never a neighbour */
	if (!e && for_us) {
		e = entry_alloc();
		if (!e)
			return;
		e->ip = spa;
		e->state = ARP_PENDING;
		e->queue = NULL;
		e->queued = 0;
	}
	if (e)
		entry_resolved(e, a->sha);
}

void arp_input(struct pbuf *p)
{
	const struct arp_pkt *a = (const struct arp_pkt *)p->data;
	const struct ip_config *cfg = ip_config();
	bool for_us;

	net_count(NET_CTR_ARP_RX);
	if (!arp_valid(a, p->len))
		goto out;
	for_us = cfg->up && net_ntohl(a->tpa) == cfg->addr;
	merge(a, for_us);
	if (!for_us) {
		net_count(NET_CTR_ARP_DROP_NOT_US);
		goto out;
	}
	if (net_ntohs(a->op) == ARP_OP_REQUEST) {
		net_count(NET_CTR_ARP_REPLIES_SENT);
		send_arp(ARP_OP_REPLY, a->sha, net_ntohl(a->spa), a->sha);
	}
out:
	pbuf_free(p);
}

static int enqueue(struct arp_entry *e, struct pbuf *p)
{
	struct pbuf **tail = &e->queue;

	if (e->queued >= ARP_QUEUE_MAX) {
		net_count(NET_CTR_ARP_DROP_QUEUE_FULL);
		pbuf_free(p);
		return -ENOBUFS;
	}
	while (*tail)
		tail = &(*tail)->next;
	p->next = NULL;
	*tail = p;
	e->queued++;
	net_count(NET_CTR_ARP_QUEUED);
	return 0;
}

int arp_output(struct pbuf *p, uint32_t next_hop)
{
	struct arp_entry *e = lookup(next_hop);

	if (e && e->state == ARP_VALID)
		return eth_output(p, e->mac, ETH_TYPE_IPV4);
	if (e)
		return enqueue(e, p);
	e = entry_alloc();
	if (!e) {
		net_count(NET_CTR_ARP_DROP_TABLE_FULL);
		pbuf_free(p);
		return -ENOBUFS;
	}
	e->state = ARP_PENDING;
	e->ip = next_hop;
	e->tries = 0;
	e->queue = NULL;
	e->queued = 0;
	enqueue(e, p);
	send_request(e);
	return 0;
}

/* One entry's deadline came: it expires, or its request is tried again or given up. */
static void entry_due(struct arp_entry *e)
{
	if (e->state == ARP_VALID) {
		e->state = ARP_FREE;
		return;
	}
	if (e->tries < ARP_TRIES) {
		send_request(e);
		return;
	}
	pr_debug("arp: no answer for " IPV4_FMT " after %u requests", IPV4_ARGS(e->ip), e->tries);
	entry_free(e, NET_CTR_ARP_DROP_UNRESOLVED);
}

uint64_t arp_timer(uint64_t now)
{
	uint64_t next = NET_NEVER;

	for (int i = 0; i < ARP_ENTRIES; i++) {
		struct arp_entry *e = &arp.table[i];

		if (e->state != ARP_FREE && now >= e->deadline)
			entry_due(e);
		if (e->state != ARP_FREE)
			next = net_min_deadline(next, e->deadline);
	}
	return next;
}

void arp_reset(void)
{
	for (int i = 0; i < ARP_ENTRIES; i++)
		if (arp.table[i].state != ARP_FREE)
			entry_free(&arp.table[i], NET_CTR_ARP_DROP_UNRESOLVED);
}
