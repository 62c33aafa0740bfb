/*
 * virtio wire formats common to every transport and device (virtio 1.x,
 * sections 2.1, 2.2 and 2.7; legacy devices use the same ring in the
 * guest's byte order, which on x86 is little endian too). Layout only.
 *
 * The ring structs have no padding in their natural layout (checked
 * below), so they are not packed: the ring code takes their fields'
 * addresses for volatile access, which packed members would not allow.
 */
#ifndef DRIVERS_VIRTIO_VIRTIO_REGS_H
#define DRIVERS_VIRTIO_VIRTIO_REGS_H

#include <stdint.h>

/* Device status (2.1) */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01
#define VIRTIO_STATUS_DRIVER 0x02
#define VIRTIO_STATUS_DRIVER_OK 0x04
#define VIRTIO_STATUS_FEATURES_OK 0x08
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED 0x80

/* Feature bits that are the transport's and the ring's (6) */
#define VIRTIO_F_NOTIFY_ON_EMPTY 24
#define VIRTIO_F_ANY_LAYOUT 27
#define VIRTIO_RING_F_INDIRECT_DESC 28
#define VIRTIO_RING_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

#define VIRTIO_FEATURE(bit) (1ULL << (bit))

/* Device types (5) */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_9P 9

/* The split virtqueue (2.7) */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4

#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1

#define VIRTQ_SIZE_MAX 32768 /* queue sizes are powers of 2 up to this */

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* Followed by ring[queue size] and, with EVENT_IDX, used_event. */
struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
};

struct virtq_used_elem {
	uint32_t id;  /* the head of the chain that was used */
	uint32_t len; /* bytes the device wrote into it */
};

/* Followed by ring[queue size] and, with EVENT_IDX, avail_event. */
struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[];
};

_Static_assert(sizeof(struct virtq_desc) == 16, "virtq_desc is 16 bytes");
_Static_assert(sizeof(struct virtq_avail) == 4, "virtq_avail header is 4 bytes");
_Static_assert(sizeof(struct virtq_used_elem) == 8, "virtq_used_elem is 8 bytes");
_Static_assert(sizeof(struct virtq_used) == 4, "virtq_used header is 4 bytes");

/* Alignment each part needs (2.7: desc 16, avail 2, used 4). */
#define VIRTQ_DESC_ALIGN 16
#define VIRTQ_AVAIL_ALIGN 2
#define VIRTQ_USED_ALIGN 4
/* The legacy interface puts the used ring on the next 4096-byte boundary. */
#define VIRTQ_LEGACY_ALIGN 4096

#endif
