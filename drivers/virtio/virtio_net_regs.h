/*
 * virtio-net wire formats (virtio 1.x 5.1): feature bits, the device
 * configuration and the header in front of every frame. Layout only.
 */
#ifndef DRIVERS_VIRTIO_VIRTIO_NET_REGS_H
#define DRIVERS_VIRTIO_VIRTIO_NET_REGS_H

#include <stdint.h>

/* Feature bits (5.1.3) */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_F_CTRL_VQ 17

/* Queues (5.1.2) */
#define VIRTIO_NET_QUEUE_RX 0
#define VIRTIO_NET_QUEUE_TX 1

/* struct virtio_net_config: byte offsets (5.1.4) */
#define VIRTIO_NET_CFG_MAC 0
#define VIRTIO_NET_CFG_STATUS 6
#define VIRTIO_NET_CFG_MAX_PAIRS 8
#define VIRTIO_NET_CFG_MTU 10

#define VIRTIO_NET_S_LINK_UP 1

/* The header (5.1.6) */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE 0
#define VIRTIO_NET_HDR_GSO_TCPV4 1
#define VIRTIO_NET_HDR_GSO_ECN 0x80 /* with GUEST_ECN / HOST_ECN only */

struct virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers; /* with VERSION_1 or MRG_RXBUF only: rx buffers the frame spans */
} __attribute__((packed));

/* Without VERSION_1 and MRG_RXBUF the header ends before num_buffers. */
#define VIRTIO_NET_HDR_LEN_LEGACY 10
#define VIRTIO_NET_HDR_LEN_V1 12

_Static_assert(sizeof(struct virtio_net_hdr) == VIRTIO_NET_HDR_LEN_V1, "virtio_net_hdr");

#endif
