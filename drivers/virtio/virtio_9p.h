/*
 * virtio-9p (docs/9p.md): every virtio 9P device on the PCI bus, each a
 * struct p9_transport for lib/9p, found by its mount tag. Several requests
 * in flight per device, from any number of threads: each caller sleeps
 * until the device has answered its own request.
 */
#ifndef DRIVERS_VIRTIO_VIRTIO_9P_H
#define DRIVERS_VIRTIO_VIRTIO_9P_H

#include <stdint.h>

#include "lib/9p/p9.h"

#define VIRTIO_9P_DEVICES_MAX 8
#define VIRTIO_9P_TAG_MAX 255 /* the longest mount tag the config can hold */

/*
 * Finds and sets up the devices. A device that cannot be used is reported
 * (which one, and why) and skipped. 0, or -ENOMEM.
 */
int virtio_9p_init(void);
/* How many devices are usable. */
int virtio_9p_count(void);
/* The mount tag of device i (NUL terminated), or NULL past the last. */
const char *virtio_9p_tag(int i);
/* The transport of the device tagged tag, or NULL. */
const struct p9_transport *virtio_9p_find(const char *tag);

struct virtio_9p_stats {
	uint64_t requests, errors, ring_full_waits;
};
/* The counters of device i summed with the others' when i < 0; false if there is none. */
int virtio_9p_stats(int i, struct virtio_9p_stats *st);

#endif
