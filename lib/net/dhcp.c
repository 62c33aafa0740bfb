/*
 * The DHCP client (RFC 2131, options RFC 2132): DISCOVER, OFFER, REQUEST,
 * ACK, then renewal at T1 (unicast to the server) and rebinding at T2
 * (broadcast); a lease that runs out takes the address away and starts
 * over. Retransmissions wait 4 s, doubling up to 64 s, with a second of
 * randomness either way (RFC 2131 4.1). Nothing here waits: the network
 * thread calls dhcp_timer() at the deadline it returns.
 */
#include "lib/net/net_priv.h"

#include <errno.h>
#include <string.h>

#include "kernel/printk.h"

#define NS_PER_S 1000000000ull
#define RETRY_FIRST_S 4
#define RETRY_MAX_S 64
#define RETRY_JITTER_NS NS_PER_S
#define REQUEST_TRIES 4	     /* REQUESTs before going back to DISCOVER */
#define RENEW_RETRY_MIN_S 60 /* RFC 2131 4.4.5 */
#define WARN_AFTER_S 10	     /* a lease this late is worth a warning */
#define LEASE_INFINITE 0xffffffffu
#define OPTIONS_MAX 312		/* the options field a client must accept (RFC 2131 2) */
#define MSG_SIZE_MAX 576	/* what a client may always receive (RFC 2131 2) */
#define CLASS_A_BIT 0x80000000u /* clear: class A */
#define CLASS_B_BIT 0x40000000u /* with the class A bit: clear B, set C */
#define CLASS_A_MASK 0xff000000u
#define CLASS_B_MASK 0xffff0000u
#define CLASS_C_MASK 0xffffff00u

enum dhcp_state {
	DHCP_STOPPED,
	DHCP_SELECTING,
	DHCP_REQUESTING,
	DHCP_BOUND,
	DHCP_RENEWING,
	DHCP_REBINDING
};

/* What a server's message said. */
struct dhcp_reply {
	uint8_t type;
	uint32_t yiaddr, server, mask, router;
	uint32_t lease, t1, t2; /* seconds; 0: not given */
};

static struct {
	enum dhcp_state state;
	struct udp_pcb pcb;
	uint32_t xid;
	uint32_t offered, server; /* the offer being requested, or the lease */
	uint64_t started;	  /* the first DISCOVER of this attempt */
	uint64_t deadline;	  /* the next retransmission or state change */
	unsigned tries;		  /* messages sent in this state */
	uint64_t t1, t2, expiry;  /* the lease's times */
	bool warned;
} dhcp;

static uint64_t retry_delay(unsigned tries)
{
	uint64_t s = RETRY_FIRST_S;

	while (tries-- > 1 && s < RETRY_MAX_S)
		s *= 2;
	return s * NS_PER_S - RETRY_JITTER_NS + net_random32() % (2 * RETRY_JITTER_NS);
}

static uint8_t *put_option(uint8_t *o, uint8_t code, const void *val, uint8_t len)
{
	*o++ = code;
	*o++ = len;
	memcpy(o, val, len);
	return o + len;
}

static uint8_t *put_u32_option(uint8_t *o, uint8_t code, uint32_t v)
{
	uint32_t be = net_htonl(v);

	return put_option(o, code, &be, sizeof(be));
}

/* Fills the options of a message of type type; their end. */
static uint8_t *put_options(uint8_t *o, uint8_t type)
{
	static const uint8_t wanted[] = { DHCP_OPT_SUBNET_MASK, DHCP_OPT_ROUTER,
					  DHCP_OPT_LEASE_TIME,	DHCP_OPT_SERVER_ID,
					  DHCP_OPT_T1,		DHCP_OPT_T2 };
	uint16_t max = net_htons(MSG_SIZE_MAX);

	o = put_option(o, DHCP_OPT_MSG_TYPE, &type, sizeof(type));
	if (type == DHCP_REQUEST && dhcp.state == DHCP_REQUESTING) {
		o = put_u32_option(o, DHCP_OPT_REQUESTED_IP, dhcp.offered);
		o = put_u32_option(o, DHCP_OPT_SERVER_ID, dhcp.server);
	}
	o = put_option(o, DHCP_OPT_MAX_MSG_SIZE, &max, sizeof(max));
	o = put_option(o, DHCP_OPT_PARAM_LIST, wanted, sizeof(wanted));
	*o++ = DHCP_OPT_END;
	return o;
}

/* Sends a DISCOVER or REQUEST for the current state: broadcast, or to the server when renewing. */
static void send_msg(uint8_t type)
{
	struct pbuf *p = pbuf_alloc_tx();
	bool renewing = dhcp.state == DHCP_RENEWING || dhcp.state == DHCP_REBINDING;
	struct dhcp_msg *m;
	uint8_t *end;

	if (!p || pbuf_tailroom(p) < sizeof(*m) + OPTIONS_MAX) {
		net_count(NET_CTR_NOBUFS);
		pbuf_free(p);
		return;
	}
	m = (struct dhcp_msg *)pbuf_put(p, sizeof(*m) + OPTIONS_MAX); /* trimmed below */
	memset(m, 0, sizeof(*m) + OPTIONS_MAX);
	m->op = DHCP_OP_REQUEST;
	m->htype = DHCP_HTYPE_ETHER;
	m->hlen = ETH_ADDR_LEN;
	m->xid = net_htonl(dhcp.xid);
	m->secs = net_htons((uint16_t)((net_now() - dhcp.started) / NS_PER_S));
	m->flags = renewing ? 0 : net_htons(DHCP_FLAG_BROADCAST);
	m->ciaddr = renewing ? net_htonl(ip_config()->addr) : 0;
	memcpy(m->chaddr, eth_addr(), ETH_ADDR_LEN);
	m->magic = net_htonl(DHCP_MAGIC);
	end = put_options((uint8_t *)(m + 1), type);
	pbuf_trim(p, (size_t)(end - p->data));
	net_count(NET_CTR_DHCP_TX);
	udp_send(&dhcp.pcb, p, dhcp.state == DHCP_RENEWING ? dhcp.server : IPV4_BROADCAST,
		 DHCP_SERVER_PORT);
}

static void enter(enum dhcp_state state, uint64_t deadline)
{
	dhcp.state = state;
	dhcp.tries = 0;
	dhcp.deadline = deadline;
}

static void discover(void)
{
	dhcp.xid = net_random32();
	enter(DHCP_SELECTING, 0);
	dhcp.started = net_now();
}

/*
 * When a renewing (or rebinding) client asks again: after half the time
 * left until T2 (or the lease's end), but not sooner than a minute, and
 * never after that end (RFC 2131 4.4.5).
 */
static uint64_t renew_retry(uint64_t now)
{
	uint64_t until = dhcp.state == DHCP_RENEWING ? dhcp.t2 : dhcp.expiry;
	uint64_t wait = until > now ? (until - now) / 2 : 0;

	if (wait < RENEW_RETRY_MIN_S * NS_PER_S)
		wait = RENEW_RETRY_MIN_S * NS_PER_S;
	return net_min_deadline(until, now + wait);
}

/* Sends this state's message (again) and sets when to retry. */
static void transmit(void)
{
	uint64_t now = net_now();

	dhcp.tries++;
	send_msg(dhcp.state == DHCP_SELECTING ? DHCP_DISCOVER : DHCP_REQUEST);
	if (dhcp.state == DHCP_RENEWING || dhcp.state == DHCP_REBINDING)
		dhcp.deadline = renew_retry(now);
	else
		dhcp.deadline = now + retry_delay(dhcp.tries);
}

static uint32_t u32_at(const uint8_t *v)
{
	return (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
}

/* Records one option; false if it is malformed. */
static bool take_option(struct dhcp_reply *r, uint8_t code, const uint8_t *v, uint8_t len)
{
	uint32_t *u32 = NULL;

	switch (code) {
	case DHCP_OPT_MSG_TYPE:
		if (len != 1)
			return false;
		r->type = v[0];
		return true;
	case DHCP_OPT_SUBNET_MASK:
		u32 = &r->mask;
		break;
	case DHCP_OPT_ROUTER: /* a list: the first is the one to use */
		u32 = &r->router;
		break;
	case DHCP_OPT_SERVER_ID:
		u32 = &r->server;
		break;
	case DHCP_OPT_LEASE_TIME:
		u32 = &r->lease;
		break;
	case DHCP_OPT_T1:
		u32 = &r->t1;
		break;
	case DHCP_OPT_T2:
		u32 = &r->t2;
		break;
	default:
		return true;
	}
	if (len < sizeof(uint32_t))
		return false;
	*u32 = u32_at(v);
	return true;
}

/* Reads the options after the fixed part; false if they are malformed. */
static bool parse_options(struct dhcp_reply *r, const uint8_t *o, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t code = o[i++], n;

		if (code == DHCP_OPT_END)
			return r->type != 0;
		if (code == DHCP_OPT_PAD)
			continue;
		if (i >= len)
			return false;
		n = o[i++];
		if (n > len - i || !take_option(r, code, o + i, n))
			return false;
		i += n;
	}
	return false; /* no end option */
}

/* Parses p into r if it is a reply to our current transaction. */
static bool parse(const struct pbuf *p, struct dhcp_reply *r)
{
	const struct dhcp_msg *m = (const struct dhcp_msg *)p->data;

	memset(r, 0, sizeof(*r));
	if (p->len < sizeof(*m) || m->op != DHCP_OP_REPLY || net_ntohl(m->magic) != DHCP_MAGIC ||
	    !parse_options(r, (const uint8_t *)(m + 1), p->len - sizeof(*m))) {
		net_malformed(NET_CTR_DHCP_DROP_MALFORMED,
			      "dhcp: dropped a %u-byte reply: malformed", p->len);
		return false;
	}
	if (net_ntohl(m->xid) != dhcp.xid || m->hlen != ETH_ADDR_LEN ||
	    memcmp(m->chaddr, eth_addr(), ETH_ADDR_LEN)) {
		net_count(NET_CTR_DHCP_DROP_OTHER);
		return false;
	}
	r->yiaddr = net_ntohl(m->yiaddr);
	return true;
}

static uint32_t classful_mask(uint32_t a)
{
	if (!(a & CLASS_A_BIT))
		return CLASS_A_MASK;
	return (a & CLASS_B_BIT) ? CLASS_C_MASK : CLASS_B_MASK;
}

static void bound(const struct dhcp_reply *r)
{
	const struct ip_config *cfg = ip_config();
	uint32_t mask =
		r->mask && net_mask_prefix(r->mask) >= 0 ? r->mask : classful_mask(r->yiaddr);
	uint64_t now = net_now(), lease = r->lease;

	if (!cfg->up || cfg->addr != r->yiaddr || cfg->mask != mask || cfg->gw != r->router)
		ip_configure(r->yiaddr, mask, r->router, "dhcp");
	dhcp.offered = r->yiaddr;
	if (r->server)
		dhcp.server = r->server;
	if (!lease || lease == LEASE_INFINITE) {
		enter(DHCP_BOUND, NET_NEVER);
		dhcp.t1 = dhcp.t2 = dhcp.expiry = NET_NEVER;
		return;
	}
	dhcp.expiry = now + lease * NS_PER_S;
	dhcp.t1 = now + (r->t1 && r->t1 < lease ? r->t1 : lease / 2) * NS_PER_S;
	dhcp.t2 = now + (r->t2 && r->t2 < lease ? r->t2 : lease * 7 / 8) * NS_PER_S;
	enter(DHCP_BOUND, dhcp.t1);
}

static void on_reply(const struct dhcp_reply *r)
{
	bool requesting = dhcp.state == DHCP_REQUESTING || dhcp.state == DHCP_RENEWING ||
			  dhcp.state == DHCP_REBINDING;

	if (dhcp.state == DHCP_SELECTING && r->type == DHCP_OFFER && r->server && r->yiaddr) {
		dhcp.offered = r->yiaddr;
		dhcp.server = r->server;
		enter(DHCP_REQUESTING, 0);
	} else if (requesting && r->type == DHCP_ACK && r->yiaddr) {
		bound(r);
	} else if (requesting && r->type == DHCP_NAK) {
		pr_warn("dhcp: the server refused " IPV4_FMT ", asking again",
			IPV4_ARGS(dhcp.offered));
		if (dhcp.state != DHCP_REQUESTING)
			ip_unconfigure();
		discover();
	} else {
		net_count(NET_CTR_DHCP_DROP_OTHER);
	}
}

static void deliver(struct udp_pcb *pcb, struct pbuf *p, const struct udp_from *from)
{
	struct dhcp_reply r;

	(void)pcb;
	net_count(NET_CTR_DHCP_RX);
	if (from->port == DHCP_SERVER_PORT && parse(p, &r))
		on_reply(&r);
	pbuf_free(p);
	if (dhcp.deadline == 0)
		dhcp_timer(net_now()); /* a new state's first message goes now */
}

void dhcp_start(void)
{
	if (dhcp.state != DHCP_STOPPED)
		return;
	udp_pcb_init(&dhcp.pcb);
	dhcp.pcb.flags = UDP_F_BROADCAST | UDP_F_REUSEADDR;
	dhcp.pcb.deliver = deliver;
	if (udp_bind(&dhcp.pcb, IPV4_ANY, DHCP_CLIENT_PORT) < 0) {
		pr_err("dhcp: port %d is taken; no DHCP", DHCP_CLIENT_PORT);
		return;
	}
	dhcp.warned = false;
	discover();
}

void dhcp_stop(void)
{
	if (dhcp.state == DHCP_STOPPED)
		return;
	udp_close(&dhcp.pcb);
	dhcp.state = DHCP_STOPPED;
}

/* The deadline of a state came. */
static void due(uint64_t now)
{
	switch (dhcp.state) {
	case DHCP_REQUESTING:
		if (dhcp.tries >= REQUEST_TRIES) {
			discover();
			break;
		}
		/* fall through */
	case DHCP_SELECTING:
		break;
	case DHCP_BOUND:
		enter(DHCP_RENEWING, 0);
		break;
	case DHCP_RENEWING:
		if (now >= dhcp.t2)
			enter(DHCP_REBINDING, 0);
		break;
	case DHCP_REBINDING:
		if (now >= dhcp.expiry) {
			pr_warn("dhcp: the lease on " IPV4_FMT " ran out", IPV4_ARGS(dhcp.offered));
			ip_unconfigure();
			discover();
		}
		break;
	case DHCP_STOPPED:
		return;
	}
	if (dhcp.state != DHCP_BOUND)
		transmit();
}

static void warn_if_late(uint64_t now)
{
	if (dhcp.warned || ip_config()->up || now - dhcp.started < WARN_AFTER_S * NS_PER_S)
		return;
	dhcp.warned = true;
	pr_warn("dhcp: no lease after %d s, still asking (set netdev.ip= for a static address)",
		WARN_AFTER_S);
}

uint64_t dhcp_timer(uint64_t now)
{
	if (dhcp.state == DHCP_STOPPED)
		return NET_NEVER;
	if (now >= dhcp.deadline)
		due(now);
	if (dhcp.state == DHCP_SELECTING || dhcp.state == DHCP_REQUESTING) {
		warn_if_late(now);
		if (!dhcp.warned)
			return net_min_deadline(dhcp.deadline,
						dhcp.started + WARN_AFTER_S * NS_PER_S);
	}
	return dhcp.deadline;
}
