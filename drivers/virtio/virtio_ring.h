/*
 * The split virtqueue, one implementation for every virtio device
 * (docs/virtio.md). Pure logic over memory the caller provides (the
 * kernel's is identity mapped, so a pointer is the address the device
 * sees), so the host unit test drives it with a fake device.
 *
 * A request is n_out device-readable buffers followed by n_in
 * device-writable ones, and a token (non-NULL) that comes back from
 * virtq_get_used() when the device is done with it. More than one buffer
 * takes a single slot and an indirect table when indirect descriptors are
 * on and the request fits the table, else a chain.
 *
 * Everything the device writes is checked before use; a device that breaks
 * the rules breaks the ring: it is logged and counted, and from then on
 * virtq_add() returns -EIO and virtq_get_used() NULL (the memory stays
 * the driver's, nothing the device wrote is followed).
 *
 * Not locked: the caller serialises calls on one ring (a driver whose
 * interrupt handler calls virtq_disable_cb() holds interrupts off around
 * the rest).
 */
#ifndef DRIVERS_VIRTIO_VIRTIO_RING_H
#define DRIVERS_VIRTIO_VIRTIO_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/virtio/virtio_regs.h"

/* One buffer of a request: a device address and a length. */
struct virtq_sg {
	uint64_t addr;
	uint32_t len;
};

struct virtq_stats {
	uint64_t added, used;
	uint64_t kicks, kicks_suppressed, kicks_forced;
	uint64_t full; /* virtq_add() found no room */
	/* The device broke the rules: */
	uint64_t bad_used_idx; /* the used index ran ahead of what was outstanding */
	uint64_t bad_used_id;  /* a used id out of range or never posted */
	uint64_t bad_used_len; /* a used length beyond the request's buffers (clamped) */
};

/* Per descriptor, in the driver's memory only. */
struct virtq_slot {
	void *token;	 /* set at a chain's head while it is outstanding */
	uint64_t in_len; /* bytes the device may write into the request */
	uint16_t ndesc;	 /* descriptors the request took (at its head) */
	uint16_t next;	 /* the free list, and a chain's order */
};

struct virtq;
typedef void (*virtq_notify_fn)(struct virtq *vq);

struct virtq_config {
	uint16_t num;		/* entries: a power of 2 up to VIRTQ_SIZE_MAX */
	size_t align;		/* of the used ring from the start of the ring memory */
	uint16_t indirect_max;	/* buffers per indirect table; 0: no indirect descriptors */
	bool event_idx;		/* VIRTIO_RING_F_EVENT_IDX negotiated */
	uint16_t index;		/* the queue's number on its device */
	const char *name;	/* for messages: "virtio-net rx" */
	virtq_notify_fn notify; /* rings the device's doorbell */
	void *priv;		/* the transport's */
};

struct virtq {
	/* Shared with the device */
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	/* The driver's own */
	struct virtq_slot *slots;
	struct virtq_desc *indirect; /* num tables of indirect_max entries, or NULL */
	uint16_t num, indirect_max, index;
	uint16_t num_free, free_head;
	uint16_t in_flight;	      /* requests the device holds */
	size_t ring_bytes, aux_bytes; /* the memory virtq_init() was given, for freeing it */
	uint16_t avail_idx;	      /* the next avail->idx */
	uint16_t kicked_idx;	      /* avail_idx when the device was last told */
	uint16_t last_used;	      /* the next used entry to read */
	bool event_idx, cb_disabled, broken;
	const char *name;
	virtq_notify_fn notify;
	void *priv;
	struct virtq_stats stats;
};

/* Bytes of ring memory (shared with the device) for num entries, used ring at align. */
size_t virtq_ring_bytes(uint16_t num, size_t align);
/* Bytes of driver memory for the bookkeeping and indirect tables. */
size_t virtq_aux_bytes(uint16_t num, uint16_t indirect_max);

/*
 * Lays the ring out in ring (virtq_ring_bytes() bytes, aligned to align
 * and to 16; a legacy device takes its address as a 4096-byte frame
 * number) and aux (virtq_aux_bytes() bytes, 16-byte aligned: it holds the
 * indirect tables), zeroing both. 0, or -EINVAL for a size that is not a
 * power of 2 up to VIRTQ_SIZE_MAX or an align that is not a power of 2.
 */
int virtq_init(struct virtq *vq, const struct virtq_config *cfg, void *ring, void *aux);

/* Device addresses of the three parts, for the transport. */
uint64_t virtq_desc_addr(const struct virtq *vq);
uint64_t virtq_avail_addr(const struct virtq *vq);
uint64_t virtq_used_addr(const struct virtq *vq);

/*
 * Makes a request available to the device (it is not told: virtq_kick()).
 * 0; -ENOSPC if the ring is full; -EINVAL for no buffers, a NULL token,
 * or more buffers than the ring holds; -EIO if the ring is broken.
 */
int virtq_add(struct virtq *vq, const struct virtq_sg *out, unsigned n_out,
	      const struct virtq_sg *in, unsigned n_in, void *token);

/*
 * Should the device be told about what was added since the last call?
 * Only false when the device asked not to be (NO_NOTIFY, avail_event).
 */
bool virtq_kick_prepare(struct virtq *vq);
/* virtq_kick_prepare(), and the doorbell if it says so. */
void virtq_kick(struct virtq *vq);
/*
 * Notifies the device whatever it asked: for a ring the device has left
 * full, in case a notification went missing (docs/virtio.md).
 */
void virtq_kick_force(struct virtq *vq);

/*
 * The token of the next request the device finished, and in *len the
 * bytes it wrote (clamped to what the request offered); NULL if none is
 * done or the ring is broken.
 */
void *virtq_get_used(struct virtq *vq, uint32_t *len);
/* Has the device finished a request not yet taken? */
bool virtq_has_used(const struct virtq *vq);
/* The device's used index as it reads now: how far it has got. */
uint16_t virtq_device_used(const struct virtq *vq);

/* Asks the device for no interrupts for this ring. Any context. */
void virtq_disable_cb(struct virtq *vq);
/*
 * Asks for an interrupt at the next finished request. True if none is
 * waiting now; false if one came meanwhile (take it: no interrupt will).
 */
bool virtq_enable_cb(struct virtq *vq);

/* Takes back one request the device has not finished (after a reset); its token or NULL. */
void *virtq_detach_unused(struct virtq *vq);

/* Has the device broken the rules on this ring? */
static inline bool virtq_is_broken(const struct virtq *vq)
{
	return vq->broken;
}

#endif
