/*
 * The virtio device API (docs/virtio.md): what a device driver (net, 9p)
 * calls to find its device, run the status handshake, negotiate features
 * and set up its queues, over either PCI transport. The transports sit
 * behind struct virtio_transport_ops; drivers call the wrappers below.
 *
 * Thread context (boot, the driver's thread) unless a function says so.
 */
#ifndef DRIVERS_VIRTIO_VIRTIO_H
#define DRIVERS_VIRTIO_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/pci.h"
#include "drivers/virtio/virtio_pci_regs.h"
#include "drivers/virtio/virtio_regs.h"
#include "drivers/virtio/virtio_ring.h"

#define VIRTIO_QUEUES_MAX 8 /* queues a device may set up */

struct virtio_dev;

/* One PCI transport: modern (virtio 1.0, memory BARs) or legacy (0.9.5, I/O BAR 0). */
struct virtio_transport_ops {
	const char *name;
	uint8_t (*get_status)(struct virtio_dev *vd);
	/* 0 resets the device. */
	void (*set_status)(struct virtio_dev *vd, uint8_t status);
	uint64_t (*get_features)(struct virtio_dev *vd);
	void (*set_features)(struct virtio_dev *vd, uint64_t features);
	/* len bytes of device configuration from off (bounds checked by the caller). */
	void (*read_config)(struct virtio_dev *vd, unsigned off, void *buf, unsigned len);
	/* Entries the device offers for queue index; 0: no such queue. */
	uint16_t (*queue_size)(struct virtio_dev *vd, uint16_t index);
	/* Tells the device where vq lives and which MSI-X entry it signals; 0 or -EIO. */
	int (*queue_setup)(struct virtio_dev *vd, struct virtq *vq, uint16_t msix_entry);
	/* The MSI-X entry for configuration changes; 0 or -EIO. */
	int (*set_config_vector)(struct virtio_dev *vd, uint16_t msix_entry);
	/* Reads (and so acknowledges) the ISR status byte: VIRTIO_PCI_ISR_*. */
	uint8_t (*read_isr)(struct virtio_dev *vd);
	/* The doorbell of vq (vq->priv is the struct virtio_dev). Any context. */
	void (*notify)(struct virtq *vq);
};

struct virtio_dev {
	const struct virtio_transport_ops *ops;
	struct pci_dev *pci;
	const char *name;  /* for messages: "virtio-net" */
	uint16_t type;	   /* VIRTIO_ID_* */
	uint64_t features; /* negotiated */
	bool modern;
	/* The legacy transport's */
	uint16_t io_base;
	/* The modern transport's windows, mapped uncached */
	volatile uint8_t *common, *notify_base, *isr, *device_cfg;
	uint32_t notify_mult, notify_len, device_cfg_len;
	uint16_t queue_notify_off[VIRTIO_QUEUES_MAX];
	uint64_t errors; /* device trouble reported */
};

/* The next PCI function after prev (NULL: from the start) that is a virtio device of type. */
struct pci_dev *virtio_pci_find(uint16_t type, struct pci_dev *prev);

/*
 * Picks the transport of pd (modern if it has the capabilities, else
 * legacy) and fills vd. 0, or -ENODEV if it has neither usable.
 */
int virtio_pci_probe(struct virtio_dev *vd, struct pci_dev *pd, uint16_t type, const char *name);

/*
 * Resets the device and runs the handshake to FEATURES_OK: the features
 * negotiated are the device's and wanted's (VIRTIO_F_VERSION_1 added for
 * a modern device), in vd->features. 0, or -EIO (the device failed or
 * refused them; the status says FAILED).
 */
int virtio_negotiate(struct virtio_dev *vd, uint64_t wanted);

static inline bool virtio_has_feature(const struct virtio_dev *vd, unsigned bit)
{
	return vd->features & VIRTIO_FEATURE(bit);
}

/*
 * Sets up queue index as vq: at most max_size entries (a modern device
 * may be given fewer than it offers; a legacy one dictates its size),
 * indirect tables of indirect_max buffers (0: none; only with
 * VIRTIO_RING_F_INDIRECT_DESC), signalling MSI-X entry msix_entry
 * (VIRTIO_MSI_NO_VECTOR: none). Memory from the page allocator.
 * 0, -ENODEV (no such queue), -ENOMEM, -EIO (the device refused).
 */
int virtio_queue_setup(struct virtio_dev *vd, struct virtq *vq, uint16_t index, const char *name,
		       uint16_t max_size, uint16_t indirect_max, uint16_t msix_entry);

int virtio_set_config_vector(struct virtio_dev *vd, uint16_t msix_entry);

/* Reads len bytes of device configuration at off, consistently; -EINVAL out of range. */
int virtio_read_config(struct virtio_dev *vd, unsigned off, void *buf, unsigned len);

/* The driver is ready: DRIVER_OK. Queues may be kicked from now on. */
void virtio_driver_ok(struct virtio_dev *vd);
/* Gives up on the device: FAILED, and says why (counted). */
void virtio_fail(struct virtio_dev *vd, const char *why);

/* Does the device say it needs a reset (DEVICE_NEEDS_RESET)? Reported and counted. */
bool virtio_needs_reset(struct virtio_dev *vd);

static inline uint8_t virtio_read_isr(struct virtio_dev *vd)
{
	return vd->ops->read_isr(vd);
}

#endif
