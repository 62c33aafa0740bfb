/*
 * The virtio-net driver (docs/virtio.md): the first virtio network device
 * becomes a struct netdev ("virtio-net0") for the stack.
 */
#ifndef DRIVERS_VIRTIO_VIRTIO_NET_H
#define DRIVERS_VIRTIO_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/virtio/virtio_ring.h"

/*
 * Finds the device, negotiates, posts receive buffers and registers it
 * (netdev_register). After pci_init() and pbuf_pool_init(). 0, or
 * -ENOMEM. No device is no error (said at info level); neither is a device
 * that cannot be used (reported at error level, counted, left alone), so
 * that the boot goes on without a network.
 */
int virtio_net_init(void);

/* The driver's own counters; the packet counters are in the netdev's stats. */
struct virtio_net_stats {
	uint64_t irqs, config_irqs; /* MSI-X interrupts taken */
	uint64_t timer_polls;	    /* wakes from the polling timer (no MSI-X) */
	uint64_t rx_no_buffer;	    /* refills that found the pbuf pool empty */
	uint64_t rx_short;	    /* frames shorter than the virtio-net header */
	uint64_t rx_merge_drops;    /* merged frames dropped: no big pbuf, or too long */
	uint64_t rx_bad_gso;	    /* received gso_type that was not negotiated */
	uint64_t device_errors;	    /* broken rings, DEVICE_NEEDS_RESET */
	uint64_t tx_stalls;	    /* the device sat on transmits: notified again */
	unsigned rx_posted;	    /* receive buffers with the device now */
	bool polling;		    /* no MSI-X: a timer polls */
	bool stopped;		    /* the device misbehaved and is no longer used */
	struct virtq_stats rx_ring, tx_ring;
	const char *transport; /* "modern" or "legacy" */
};

/* false if there is no device. */
bool virtio_net_stats(struct virtio_net_stats *st);

#endif
