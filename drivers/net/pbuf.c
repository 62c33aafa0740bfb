/*
 * The packet-buffer pools (drivers/net/pbuf.h): free lists of fixed-size
 * buffers in one region each (small ones, and the big ones of offload), with interrupts off around every list change, so
 * that a device's interrupt, the network thread and an application's send
 * may all allocate and free.
 */
#include "drivers/net/pbuf.h"

#include <errno.h>

#include "arch/x86_64/arch.h"
#include <assert.h>

struct pool {
	struct pbuf *bufs; /* the region, as an array */
	struct pbuf *free; /* linked through next */
	unsigned total, nfree;
	uint64_t allocs, fails;
};

static struct pool small, big;

/* Makes a pool of n headers at bufs; storage for each is at store + i * size, or its own mem. */
static void pool_make(struct pool *pl, struct pbuf *bufs, size_t n, uint8_t *store, size_t size)
{
	pl->bufs = bufs;
	pl->free = NULL;
	for (size_t i = n; i-- > 0;) {
		struct pbuf *p = &bufs[i];

		p->pool_index = (uint16_t)i;
		p->big = store != NULL;
		p->buf = store ? store + i * size : p->mem;
		p->size = (uint32_t)size;
		p->refs = 0;
		p->next = pl->free;
		pl->free = p;
	}
	pl->total = pl->nfree = (unsigned)n;
	pl->allocs = pl->fails = 0;
}

int pbuf_pool_init(void *mem, size_t size)
{
	size_t n = size / sizeof(struct pbuf);

	if (!n || n > UINT16_MAX)
		return -EINVAL;
	pool_make(&small, mem, n, NULL, PBUF_SIZE);
	return 0;
}

int pbuf_big_pool_init(void *mem, size_t size)
{
	size_t n = size / (sizeof(struct pbuf) + PBUF_BIG_SIZE);

	if (!n || n > UINT16_MAX)
		return -EINVAL;
	pool_make(&big, mem, n, (uint8_t *)mem + n * sizeof(struct pbuf), PBUF_BIG_SIZE);
	return 0;
}

static struct pbuf *pool_alloc(struct pool *pl, size_t headroom)
{
	unsigned long flags = irq_save();
	struct pbuf *p = pl->free;

	pl->allocs++;
	if (!p || headroom > p->size) {
		pl->fails++;
		irq_restore(flags);
		return NULL;
	}
	pl->free = p->next;
	pl->nfree--;
	irq_restore(flags);
	p->next = NULL;
	p->data = p->buf + headroom;
	p->len = 0;
	p->flags = 0;
	p->csum_start = p->csum_offset = p->gso_size = 0;
	p->refs = 1;
	return p;
}

struct pbuf *pbuf_alloc(size_t headroom)
{
	return pool_alloc(&small, headroom);
}

struct pbuf *pbuf_alloc_tx(void)
{
	return pbuf_alloc(PBUF_HEADROOM);
}

struct pbuf *pbuf_alloc_big(size_t headroom)
{
	return pool_alloc(&big, headroom);
}

unsigned pbuf_big_free(void)
{
	return big.nfree;
}

void pbuf_ref(struct pbuf *p)
{
	unsigned long flags = irq_save();

	assert(p->refs > 0);
	p->refs++;
	irq_restore(flags);
}

void pbuf_free(struct pbuf *p)
{
	unsigned long flags;
	struct pool *pl;

	if (!p)
		return;
	pl = p->big ? &big : &small;
	flags = irq_save();
	assert(p->refs > 0 && p == &pl->bufs[p->pool_index]);
	if (!--p->refs) {
		p->next = pl->free;
		pl->free = p;
		pl->nfree++;
	}
	irq_restore(flags);
}

uint8_t *pbuf_push(struct pbuf *p, size_t n)
{
	if ((size_t)(p->data - p->buf) < n)
		return NULL;
	p->data -= n;
	p->len = (uint16_t)(p->len + n);
	return p->data;
}

uint8_t *pbuf_pull(struct pbuf *p, size_t n)
{
	if (p->len < n)
		return NULL;
	p->data += n;
	p->len = (uint16_t)(p->len - n);
	return p->data;
}

size_t pbuf_tailroom(const struct pbuf *p)
{
	return (size_t)(p->buf + p->size - (p->data + p->len));
}

uint8_t *pbuf_put(struct pbuf *p, size_t n)
{
	uint8_t *end = p->data + p->len;

	if (pbuf_tailroom(p) < n)
		return NULL;
	p->len = (uint16_t)(p->len + n);
	return end;
}

void pbuf_trim(struct pbuf *p, size_t n)
{
	assert(n <= p->len);
	p->len = (uint16_t)n;
}

void pbuf_stats(struct pbuf_stats *st)
{
	unsigned long flags = irq_save();

	st->allocs = small.allocs;
	st->fails = small.fails;
	st->total = small.total;
	st->free = small.nfree;
	st->big_allocs = big.allocs;
	st->big_fails = big.fails;
	st->big_total = big.total;
	st->big_free = big.nfree;
	irq_restore(flags);
}
