/*
 * The transport-independent part of a virtio device (drivers/virtio/virtio.h):
 * the status handshake (virtio 1.x 3.1.1), feature negotiation, queue
 * memory, and device configuration reads.
 */
#include "drivers/virtio/virtio.h"

#include <errno.h>
#include <limits.h>

#include "kernel/page.h"
#include "kernel/printk.h"

#define FEATURES_LEGACY_MASK 0xFFFFFFFFull

static void status_add(struct virtio_dev *vd, uint8_t bits)
{
	vd->ops->set_status(vd, vd->ops->get_status(vd) | bits);
}

void virtio_fail(struct virtio_dev *vd, const char *why)
{
	vd->errors++;
	pr_err("%s: %s; device marked FAILED", vd->name, why);
	status_add(vd, VIRTIO_STATUS_FAILED);
}

/* A modern device must offer VERSION_1; a legacy one has 32 bits only. */
static int pick_features(struct virtio_dev *vd, uint64_t offered, uint64_t wanted)
{
	if (!vd->modern) {
		vd->features = offered & wanted & FEATURES_LEGACY_MASK;
		return 0;
	}
	if (!(offered & VIRTIO_FEATURE(VIRTIO_F_VERSION_1))) {
		pr_err("%s: modern transport, but the device offers features %#lx without "
		       "VERSION_1",
		       vd->name, (unsigned long)offered);
		return -EIO;
	}
	vd->features = offered & (wanted | VIRTIO_FEATURE(VIRTIO_F_VERSION_1));
	return 0;
}

int virtio_negotiate(struct virtio_dev *vd, uint64_t wanted)
{
	uint64_t offered;

	vd->ops->set_status(vd, 0);
	status_add(vd, VIRTIO_STATUS_ACKNOWLEDGE);
	status_add(vd, VIRTIO_STATUS_DRIVER);
	offered = vd->ops->get_features(vd);
	if (pick_features(vd, offered, wanted) < 0) {
		virtio_fail(vd, "feature negotiation");
		return -EIO;
	}
	vd->ops->set_features(vd, vd->features);
	pr_info("%s: features offered %#lx, negotiated %#lx", vd->name, (unsigned long)offered,
		(unsigned long)vd->features);
	if (!vd->modern)
		return 0;
	status_add(vd, VIRTIO_STATUS_FEATURES_OK);
	if (!(vd->ops->get_status(vd) & VIRTIO_STATUS_FEATURES_OK)) {
		virtio_fail(vd, "the device cleared FEATURES_OK: it refused the features");
		return -EIO;
	}
	return 0;
}

static size_t pages_for(size_t bytes)
{
	return (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
}

/* The largest power of 2 not above n (n > 0). */
static uint16_t pow2_floor(uint16_t n)
{
	return (uint16_t)(1u << (sizeof(unsigned) * CHAR_BIT - 1 - __builtin_clz(n)));
}

/*
 * The queue size: a legacy device dictates its own; a modern one takes
 * the largest power of 2 within what it offers and max_size.
 */
static uint16_t pick_size(struct virtio_dev *vd, uint16_t offered, uint16_t max_size)
{
	if (!vd->modern || !offered)
		return offered;
	return pow2_floor(offered < max_size ? offered : max_size);
}

/* Ring and bookkeeping memory for cfg, laid out as vq. 0 or -ENOMEM / -EINVAL. */
static int queue_memory(struct virtq *vq, const struct virtq_config *cfg)
{
	size_t ring_pages = pages_for(virtq_ring_bytes(cfg->num, cfg->align));
	size_t aux_pages = pages_for(virtq_aux_bytes(cfg->num, cfg->indirect_max));
	void *ring = page_alloc(ring_pages), *aux = page_alloc(aux_pages);
	int err = -ENOMEM;

	if (ring && aux && (err = virtq_init(vq, cfg, ring, aux)) == 0)
		return 0;
	if (ring)
		page_free(ring, ring_pages);
	if (aux)
		page_free(aux, aux_pages);
	return err;
}

static void queue_memory_free(struct virtq *vq)
{
	page_free(vq->desc, pages_for(vq->ring_bytes));
	page_free(vq->slots, pages_for(vq->aux_bytes));
}

int virtio_queue_setup(struct virtio_dev *vd, struct virtq *vq, uint16_t index, const char *name,
		       uint16_t max_size, uint16_t indirect_max, uint16_t msix_entry)
{
	uint16_t offered = vd->ops->queue_size(vd, index);
	bool indirect = virtio_has_feature(vd, VIRTIO_RING_F_INDIRECT_DESC);
	struct virtq_config cfg = {
		.num = pick_size(vd, offered, max_size),
		.align = vd->modern ? VIRTQ_USED_ALIGN : VIRTQ_LEGACY_ALIGN,
		.indirect_max = indirect ? indirect_max : 0,
		.event_idx = virtio_has_feature(vd, VIRTIO_RING_F_EVENT_IDX),
		.index = index,
		.name = name,
		.notify = vd->ops->notify,
		.priv = vd,
	};
	int err;

	if (!offered || index >= VIRTIO_QUEUES_MAX) {
		pr_err("%s: queue %u: the device has no such queue", vd->name, index);
		return -ENODEV;
	}
	err = queue_memory(vq, &cfg);
	if (err == -EINVAL)
		pr_err("%s: queue %u: size %u, expected a power of 2 up to %u", vd->name, index,
		       offered, VIRTQ_SIZE_MAX);
	if (err < 0)
		return err;
	err = vd->ops->queue_setup(vd, vq, msix_entry);
	if (err < 0) {
		queue_memory_free(vq);
		return err;
	}
	pr_info("%s: queue %u (%s): %u entries%s%s", vd->name, index, name, cfg.num,
		cfg.indirect_max ? ", indirect" : "", cfg.event_idx ? ", event index" : "");
	return 0;
}

int virtio_set_config_vector(struct virtio_dev *vd, uint16_t msix_entry)
{
	return vd->ops->set_config_vector(vd, msix_entry);
}

int virtio_read_config(struct virtio_dev *vd, unsigned off, void *buf, unsigned len)
{
	if ((uint64_t)off + len > vd->device_cfg_len) {
		vd->errors++;
		pr_err("%s: device configuration read of %u bytes at %u, beyond its %u bytes",
		       vd->name, len, off, vd->device_cfg_len);
		return -EINVAL;
	}
	vd->ops->read_config(vd, off, buf, len);
	return 0;
}

void virtio_driver_ok(struct virtio_dev *vd)
{
	status_add(vd, VIRTIO_STATUS_DRIVER_OK);
}

bool virtio_needs_reset(struct virtio_dev *vd)
{
	uint8_t status = vd->ops->get_status(vd);

	if (!(status & VIRTIO_STATUS_NEEDS_RESET))
		return false;
	vd->errors++;
	pr_err("%s: the device set DEVICE_NEEDS_RESET (status %#x)", vd->name, status);
	return true;
}
