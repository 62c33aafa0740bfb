/*
 * The list of network devices and the checked way into their operations
 * (drivers/net/netdev.h).
 */
#include "drivers/net/netdev.h"

#include <assert.h>
#include <errno.h>

#include "arch/x86_64/arch.h"
#include "kernel/printk.h"
#include "kernel/time.h"

static struct {
	struct netdev *first, *last;
} devs;

void netdev_register(struct netdev *nd)
{
	assert(nd->ops && nd->ops->xmit && nd->ops->poll && nd->ops->tx_idle);
	nd->next = NULL;
	if (devs.last)
		devs.last->next = nd;
	else
		devs.first = nd;
	devs.last = nd;
	pr_info("%s: %02x:%02x:%02x:%02x:%02x:%02x, link %s, mtu %u", nd->name, nd->addr[0],
		nd->addr[1], nd->addr[2], nd->addr[3], nd->addr[4], nd->addr[5],
		nd->link_up ? "up" : "down", nd->mtu);
}

struct netdev *netdev_first(void)
{
	return devs.first;
}

void netdev_attach(struct netdev *nd, void (*rx)(struct netdev *, struct pbuf *),
		   void (*wake)(struct netdev *), void *stack)
{
	nd->stack = stack;
	nd->rx = rx;
	nd->wake = wake;
}

static bool xmit_fits(const struct netdev *nd, const struct pbuf *p)
{
	if (!p->len)
		return false;
	if (p->flags & PBUF_F_GSO_TCPV4)
		return (nd->features & NETDEV_F_TSO4) && (p->flags & PBUF_F_CSUM_NEEDED) &&
		       p->gso_size && p->len <= nd->tso_max;
	return p->len <= nd->mtu + NETDEV_ETH_HLEN;
}

int netdev_xmit(struct netdev *nd, struct pbuf *p)
{
	if (!xmit_fits(nd, p)) {
		nd->stats.tx_errors++;
		pbuf_free(p);
		return -EMSGSIZE;
	}
	return nd->ops->xmit(nd, p);
}

int netdev_poll(struct netdev *nd, int budget)
{
	assert(nd->rx); /* attached: received frames have somewhere to go */
	return nd->ops->poll(nd, budget);
}

bool netdev_drain(struct netdev *nd, uint64_t timeout_ns)
{
	uint64_t end = clock_monotonic_ns() + timeout_ns;

	while (!nd->ops->tx_idle(nd)) {
		if (clock_monotonic_ns() >= end)
			return false;
		cpu_relax();
	}
	return true;
}

void netdev_report(const struct netdev *nd)
{
	const struct netdev_stats *s = &nd->stats;

	pr_info("%s: rx %lu packets %lu bytes %lu drops %lu errors; "
		"tx %lu packets %lu bytes %lu drops %lu errors",
		nd->name, (unsigned long)s->rx_packets, (unsigned long)s->rx_bytes,
		(unsigned long)s->rx_drops, (unsigned long)s->rx_errors,
		(unsigned long)s->tx_packets, (unsigned long)s->tx_bytes,
		(unsigned long)s->tx_drops, (unsigned long)s->tx_errors);
	if (nd->features & (NETDEV_F_TSO4 | NETDEV_F_RX_LARGE))
		pr_info("%s: offload: %lu large frames received (merged by the device), "
			"%lu sent (cut by the device)",
			nd->name, (unsigned long)s->rx_gso, (unsigned long)s->tx_gso);
}
