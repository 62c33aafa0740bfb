/*
 * Packet buffers: one frame each, with headroom for the headers that the
 * layers below push in front of it and a reference count, taken from a
 * fixed pool (no malloc per packet). A device's receive buffers are pbufs,
 * so a received frame goes up the stack without a copy.
 *
 * A second, smaller pool holds big buffers (PBUF_BIG_SIZE) for the frames
 * of segmentation offload: a TCP segment of up to 64 KiB that the device
 * cuts (PBUF_F_GSO_TCPV4), or one that it merged on receipt. It exists
 * only once a driver that uses them gave it memory (pbuf_big_pool_init).
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
/* The longest packet a pbuf holds (len is 16 bits), device headers included. */
#define PBUF_LEN_MAX 65535u
/* A big buffer's storage: the headroom and the longest packet. */
#define PBUF_BIG_SIZE (PBUF_HEADROOM + PBUF_LEN_MAX + 1)

/* pbuf.flags */
#define PBUF_F_CSUM_VALID 0x1  /* rx: the device checked the L4 checksum */
#define PBUF_F_CSUM_NEEDED 0x2 /* tx: the device is to fill the L4 checksum (csum_start/offset) */
/*
 * A TCP/IPv4 segment longer than one frame: on tx the device cuts it into
 * segments of gso_size payload bytes (with PBUF_F_CSUM_NEEDED); on rx the
 * device merged segments of gso_size into it.
 */
#define PBUF_F_GSO_TCPV4 0x4

struct pbuf {
	struct pbuf *next;		  /* for queues of packets: the owner's to use */
	uint8_t *data;			  /* the packet's first byte */
	uint8_t *buf;			  /* the storage: mem, or a big buffer's */
	uint32_t size;			  /* bytes at buf */
	uint16_t len;			  /* bytes from data */
	uint16_t flags;			  /* PBUF_F_* */
	uint16_t csum_start, csum_offset; /* tx with PBUF_F_CSUM_NEEDED: from data */
	uint16_t gso_size;		  /* with PBUF_F_GSO_TCPV4: payload bytes per segment */
	uint16_t refs;
	uint16_t pool_index; /* which buffer of its pool this is */
	bool big;	     /* from the big pool */
	uint8_t mem[PBUF_SIZE];
};

struct pbuf_stats {
	uint64_t allocs, fails;		/* pbuf_alloc() calls, and how many found the pool empty */
	unsigned total, free;		/* buffers */
	uint64_t big_allocs, big_fails; /* the same for pbuf_alloc_big() */
	unsigned big_total, big_free;
};

/*
 * Makes the pool from size bytes at mem (as many whole pbufs as fit).
 * 0, or -EINVAL if not even one fits.
 */
int pbuf_pool_init(void *mem, size_t size);

/*
 * The big pool from size bytes at mem: as many big buffers (a struct pbuf
 * and PBUF_BIG_SIZE bytes each) as fit. Once, by the driver that wants
 * them. 0, or -EINVAL if not even one fits.
 */
int pbuf_big_pool_init(void *mem, size_t size);

/* A buffer with refs 1, data at buf + headroom and len 0; NULL if the pool is empty. */
struct pbuf *pbuf_alloc(size_t headroom);
/* pbuf_alloc(PBUF_HEADROOM): for a packet the stack builds. */
struct pbuf *pbuf_alloc_tx(void);
/* The same from the big pool; NULL if it is empty or was never made. */
struct pbuf *pbuf_alloc_big(size_t headroom);
/* Big buffers free now (a hint: any context may take one meanwhile). */
unsigned pbuf_big_free(void);
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
