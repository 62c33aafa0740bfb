/*
 * A network device as the stack sees it (lib/net registers itself from
 * above, as the layering asks). A driver fills a struct netdev and calls
 * netdev_register(); the stack finds it with netdev_first() and attaches
 * with netdev_attach(), giving the callbacks by which the driver reaches
 * up: rx for each received frame, wake when the device has work.
 *
 * The work itself runs in the stack's network thread: the device's
 * interrupt only calls wake (which must not block), and the thread then
 * calls netdev_poll() until it returns 0, which hands received frames to
 * rx and reclaims finished transmits. Interrupts are suppressed while the
 * thread polls and enabled again by netdev_poll() when it finds no work.
 */
#ifndef DRIVERS_NET_NETDEV_H
#define DRIVERS_NET_NETDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/net/pbuf.h"

#define NETDEV_ADDR_LEN 6
#define NETDEV_NAME_MAX 16
#define NETDEV_ETH_HLEN 14 /* destination, source, type: what mtu does not count */

/* netdev.features: what the device does for the stack */
#define NETDEV_F_TX_CSUM 0x1 /* fills L4 checksums of PBUF_F_CSUM_NEEDED frames */
#define NETDEV_F_RX_CSUM 0x2 /* may mark received frames PBUF_F_CSUM_VALID */
/*
 * Takes TCP/IPv4 frames marked PBUF_F_GSO_TCPV4 (and PBUF_F_CSUM_NEEDED) of
 * up to tso_max bytes and cuts them into segments of gso_size payload bytes.
 */
#define NETDEV_F_TSO4 0x4
/*
 * May hand up TCP/IPv4 frames beyond mtu (up to PBUF_LEN_MAX, in a big
 * pbuf): segments the device merged, PBUF_F_GSO_TCPV4 with their gso_size.
 */
#define NETDEV_F_RX_LARGE 0x8

struct netdev;

struct netdev_ops {
	/*
	 * Queues p (a whole Ethernet frame, or with NETDEV_F_TSO4 a large TCP
	 * segment to cut) for sending; the reference passes
	 * to the device. 0, or -ENOBUFS if the transmit ring is full (p is
	 * freed, counted as a drop). Until the transmit completes, p->data
	 * and p->len are the driver's: it pushes its header and pulls it off
	 * again before dropping its reference. Thread context; the caller
	 * holds the stack's lock, so calls do not overlap.
	 */
	int (*xmit)(struct netdev *nd, struct pbuf *p);
	/*
	 * Does up to budget units of work (received frames handed to rx,
	 * finished transmits reclaimed); how many. When it finds none it
	 * enables the interrupt again (and looks once more, so nothing that
	 * came meanwhile waits for the next one). Network thread only.
	 */
	int (*poll)(struct netdev *nd, int budget);
	/*
	 * Reclaims finished transmits; true if the device holds none. For the
	 * way out (netdev_drain); any context, interrupts may be off.
	 */
	bool (*tx_idle)(struct netdev *nd);
};

struct netdev_stats {
	uint64_t rx_packets, rx_bytes, rx_drops, rx_errors;
	uint64_t tx_packets, tx_bytes, tx_drops, tx_errors;
	uint64_t rx_gso, tx_gso; /* of the packets: merged by the device, or for it to cut */
};

struct netdev {
	const struct netdev_ops *ops;
	char name[NETDEV_NAME_MAX]; /* "virtio-net0" */
	uint8_t addr[NETDEV_ADDR_LEN];
	uint16_t mtu;	   /* IP payload bytes a frame may carry (1500) */
	unsigned features; /* NETDEV_F_* */
	uint16_t
		tso_max; /* with NETDEV_F_TSO4: the longest frame to cut, Ethernet header included */
	bool link_up;
	struct netdev_stats stats; /* kept by the driver */

	/* Set by netdev_attach(); called by the driver. */
	void (*rx)(struct netdev *nd, struct pbuf *p); /* takes the reference */
	void (*wake)(struct netdev *nd);	       /* any context, never blocks */
	void *stack;				       /* the stack's, for the callbacks */
	struct netdev *next;			       /* netdev_register()'s list */
};

/* Makes nd known (boot, from the driver's probe). */
void netdev_register(struct netdev *nd);
/* The first registered device, or NULL. */
struct netdev *netdev_first(void);
/* Gives nd the stack's callbacks; the driver calls them from then on. */
void netdev_attach(struct netdev *nd, void (*rx)(struct netdev *, struct pbuf *),
		   void (*wake)(struct netdev *), void *stack);

/*
 * Wrappers that check what the ops may assume: xmit refuses an empty frame,
 * one longer than mtu + NETDEV_ETH_HLEN, or a PBUF_F_GSO_TCPV4 one that the
 * device cannot cut or that is longer than tso_max (-EMSGSIZE, freed, counted).
 */
int netdev_xmit(struct netdev *nd, struct pbuf *p);
int netdev_poll(struct netdev *nd, int budget);

/*
 * Waits, polling, until nd has sent every frame it was given or timeout_ns
 * has passed; true if it has. The VM's power-off would otherwise cut off
 * the last replies (an application that answers and exits). Any context.
 */
bool netdev_drain(struct netdev *nd, uint64_t timeout_ns);

/* Logs nd's counters (the exit report). */
void netdev_report(const struct netdev *nd);

#endif
