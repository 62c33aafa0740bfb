/*
 * Packet buffers: one frame each, with headroom for the headers that the
 * layers below push in front of it and a reference count, taken from a
 * fixed pool (no malloc per packet). A device's receive buffers are pbufs,
 * so a received frame goes up the stack without a copy.
 *
 * The pool is shared by everything and safe in any context (interrupts
 * off inside); pbuf_alloc() never blocks: an empty pool is NULL, and the
 * caller drops and counts.
 */
#ifndef DRIVERS_NET_PBUF_H
#define DRIVERS_NET_PBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Each buffer's storage: room for a 1514-byte frame, the virtio-net header and headroom. */
#define PBUF_SIZE 2048
/* Headroom that pbuf_alloc_tx() leaves: virtio-net, Ethernet, IPv4 and UDP headers fit. */
#define PBUF_HEADROOM 128

/* pbuf.flags */
#define PBUF_F_CSUM_VALID 0x1  /* rx: the device checked the L4 checksum */
#define PBUF_F_CSUM_NEEDED 0x2 /* tx: the device is to fill the L4 checksum (csum_start/offset) */

struct pbuf {
	struct pbuf *next;		  /* for queues of packets: the owner's to use */
	uint8_t *data;			  /* the packet's first byte */
	uint16_t len;			  /* bytes from data */
	uint16_t flags;			  /* PBUF_F_* */
	uint16_t csum_start, csum_offset; /* tx with PBUF_F_CSUM_NEEDED: from data */
	uint16_t refs;
	uint16_t pool_index; /* which buffer of the pool this is */
	uint8_t buf[PBUF_SIZE];
};

struct pbuf_stats {
	uint64_t allocs, fails; /* pbuf_alloc() calls, and how many found the pool empty */
	unsigned total, free;	/* buffers */
};

/*
 * Makes the pool from size bytes at mem (as many whole pbufs as fit).
 * 0, or -EINVAL if not even one fits.
 */
int pbuf_pool_init(void *mem, size_t size);

/* A buffer with refs 1, data at buf + headroom and len 0; NULL if the pool is empty. */
struct pbuf *pbuf_alloc(size_t headroom);
/* pbuf_alloc(PBUF_HEADROOM): for a packet the stack builds. */
struct pbuf *pbuf_alloc_tx(void);
/* Another reference (a queue and a device both holding it). */
void pbuf_ref(struct pbuf *p);
/* Drops a reference; the last returns the buffer to the pool. NULL is ignored. */
void pbuf_free(struct pbuf *p);

/*
 * Grows the packet n bytes in front (a header); the new start, or NULL if
 * the headroom is short (nothing changes then).
 */
uint8_t *pbuf_push(struct pbuf *p, size_t n);
/* Drops n bytes from the front; the new start, or NULL if len < n (nothing changes). */
uint8_t *pbuf_pull(struct pbuf *p, size_t n);
/* Room after the packet's end in the buffer. */
size_t pbuf_tailroom(const struct pbuf *p);
/* Appends n bytes at the end; where they go, or NULL if the tailroom is short. */
uint8_t *pbuf_put(struct pbuf *p, size_t n);
/* Cuts the packet to n bytes (n <= len). */
void pbuf_trim(struct pbuf *p, size_t n);

void pbuf_stats(struct pbuf_stats *st);

#endif
