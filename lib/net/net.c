/*
 * The stack's kernel side: the parameters, the network thread, the lock.
 *
 * The device's interrupt calls wake(), which records that there is work
 * and wakes the thread; the thread polls the device until it has nothing,
 * with the stack lock held (received frames go up through rx() on the
 * thread's stack), runs the protocol timers, and sleeps until the next
 * wake or timer deadline (ARP, DHCP and TCP each say theirs). Socket calls take the same lock, so protocol
 * state has one owner at a time; netdev_xmit() runs with it held.
 */
#include "lib/net/net.h"

#include <errno.h>
#include <stddef.h>

#include "drivers/net/netdev.h"
#include "kernel/params.h"
#include "kernel/printk.h"
#include "kernel/random.h"
#include "kernel/time.h"
#include "lib/net/net_priv.h"
#include "lib/net/tcp.h"
#include "sched/sched.h"
#include "sched/sync.h"

#define POLL_BUDGET 64 /* frames per netdev_poll() call: then timers and sockets get a turn */
#define DEFAULT_MASK 0xffffff00u /* netdev.ipv4_addr without a mask: a /24 */

static const char *param_ip;
static const char *param_addr;
static const char *param_gw;
static const char *param_mask;
PARAM_STRING("netdev.ip", param_ip,
	     "static IPv4 address as ADDR/PREFIX[:GATEWAY], e.g. 172.44.0.2/24:172.44.0.1; "
	     "without it (or netdev.ipv4_addr) the address comes from DHCP");
PARAM_STRING("netdev.ipv4_addr", param_addr, "static IPv4 address (with netdev.ipv4_subnet_mask)");
PARAM_STRING("netdev.ipv4_gw_addr", param_gw, "static IPv4 gateway");
PARAM_STRING("netdev.ipv4_subnet_mask", param_mask,
	     "static IPv4 subnet mask (default 255.255.255.0)");

static struct {
	struct netdev *nd;
	struct mutex lock;
	struct waitq wq; /* the network thread sleeps here */
	bool work;	 /* wake() came since the thread last looked */
	struct thread *thread;
} net;

uint64_t net_now(void)
{
	return clock_monotonic_ns();
}

uint32_t net_random32(void)
{
	uint32_t v;

	random_fill(&v, sizeof(v));
	return v;
}

void net_lock(void)
{
	mutex_lock(&net.lock);
}

void net_unlock(void)
{
	mutex_unlock(&net.lock);
}

/* Any context (the device's interrupt): records work, wakes the thread; never blocks. */
static void wake(struct netdev *nd)
{
	unsigned long flags = irq_save();

	(void)nd;
	net.work = true;
	waitq_wake_all(&net.wq);
	irq_restore(flags);
}

void net_kick(void)
{
	if (net.thread)
		wake(net.nd);
}

/* From netdev_poll(), in the network thread, with the stack lock held. */
static void rx(struct netdev *nd, struct pbuf *p)
{
	(void)nd;
	eth_input(p);
}

/* One round: the device drained, the timers run; the next deadline. */
static uint64_t net_round(void)
{
	unsigned long flags = irq_save();
	uint64_t now, next;

	net.work = false;
	irq_restore(flags);
	net_lock();
	while (net.nd && netdev_poll(net.nd, POLL_BUDGET) > 0) {
		ip_loop_flush();
		net_unlock(); /* let socket calls in between batches */
		net_lock();
	}
	now = net_now();
	next = net_min_deadline(arp_timer(now), dhcp_timer(now));
	next = net_min_deadline(next, tcp_timer(now));
	ip_loop_flush();
	net_unlock();
	return next;
}

static void *net_thread(void *arg)
{
	(void)arg;
	for (;;) {
		uint64_t next = net_round();
		unsigned long flags = irq_save();

		if (!net.work)
			waitq_wait(&net.wq, next == NET_NEVER ? 0 : next);
		irq_restore(flags);
	}
	return NULL;
}

/* The seed's three parameters; 0 if they configured the interface. */
static int config_seed(void)
{
	uint32_t addr, gw = 0, mask = DEFAULT_MASK;

	if (net_parse_ipv4(param_addr, &addr) < 0) {
		pr_err("net: netdev.ipv4_addr=%s is no IPv4 address; using DHCP", param_addr);
		return -EINVAL;
	}
	if (param_mask && (net_parse_ipv4(param_mask, &mask) < 0 || net_mask_prefix(mask) < 0)) {
		pr_err("net: netdev.ipv4_subnet_mask=%s is no subnet mask; using DHCP", param_mask);
		return -EINVAL;
	}
	if (param_gw && net_parse_ipv4(param_gw, &gw) < 0) {
		pr_err("net: netdev.ipv4_gw_addr=%s is no IPv4 address; using DHCP", param_gw);
		return -EINVAL;
	}
	ip_configure(addr, mask, gw, "static");
	return 0;
}

/* The static configuration, if one is given and good; 0 if it configured the interface. */
static int config_static(void)
{
	uint32_t addr, mask, gw;

	if (param_ip) {
		if (net_parse_cidr(param_ip, &addr, &mask, &gw) < 0) {
			pr_err("net: netdev.ip=%s is not ADDR/PREFIX[:GATEWAY] (e.g. "
			       "172.44.0.2/24:172.44.0.1); using DHCP",
			       param_ip);
			return -EINVAL;
		}
		ip_configure(addr, mask, gw, "static");
		return 0;
	}
	if (param_addr)
		return config_seed();
	if (param_gw || param_mask) {
		pr_err("net: netdev.ipv4_gw_addr or netdev.ipv4_subnet_mask without "
		       "netdev.ipv4_addr; using DHCP");
		return -EINVAL;
	}
	return -ENOENT;
}

int net_init(void)
{
	struct netdev *nd = netdev_first();

	net.wq.input = true; /* the thread waits for the device, not for a thread */
	net.nd = nd;
	net_lock();
	if (nd) {
		eth_attach(nd);
		if (config_static() < 0)
			dhcp_start();
	} else {
		pr_info("net: no network device; sockets reach only 127.0.0.0/8");
	}
	tcp_ip_init(); /* after eth_attach: the MSS comes from the device's MTU */
	net_unlock();
	if (nd)
		netdev_attach(nd, rx, wake, NULL);
	/* Even without a device: TCP's timers run on it, loopback included. */
	net.thread = thread_create("net", net_thread, NULL, THREAD_STACK_DEFAULT, false);
	if (!net.thread) {
		pr_err("net: no memory for the network thread");
		return -ENOMEM;
	}
	return 0;
}

/* TCP's unacknowledged bytes, waited for while this thread may sleep (not in idle). */
static void tcp_drain(void)
{
	uint64_t end = clock_monotonic_ns() + NET_TCP_DRAIN_MS * NSEC_PER_MSEC;
	uint64_t left;

	for (;;) {
		net_lock();
		left = tcp_unacked();
		net_unlock();
		if (!left || !irqs_enabled() || clock_monotonic_ns() >= end)
			break;
		thread_sleep_ns(NSEC_PER_MSEC, false);
	}
	if (left)
		pr_warn("net: %lu bytes written to TCP connections were still unacknowledged "
			"at exit; they are lost",
			(unsigned long)left);
}

void net_drain(void)
{
	tcp_drain();
	if (net.nd && !netdev_drain(net.nd, NET_DRAIN_MS * NSEC_PER_MSEC))
		pr_warn("net: %s still held frames to send after %d ms; they are lost",
			net.nd->name, NET_DRAIN_MS);
}

void net_report(void)
{
	struct pbuf_stats pb;

	net_stats_report();
	tcp_stats_report();
	pr_info("tcp: %u control blocks, %lu bytes in their rings", tcp_pcb_count(),
		(unsigned long)tcp_mem());
	if (net.nd)
		netdev_report(net.nd);
	pbuf_stats(&pb);
	pr_info("net: packet buffers: %u of %u free, %lu taken, %lu found none", pb.free, pb.total,
		(unsigned long)pb.allocs, (unsigned long)pb.fails);
}
