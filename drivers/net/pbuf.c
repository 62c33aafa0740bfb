/*
 * The packet-buffer pool (drivers/net/pbuf.h): a free list of fixed-size
 * buffers in one region, with interrupts off around every list change, so
 * that a device's interrupt, the network thread and an application's send
 * may all allocate and free.
 */
#include "drivers/net/pbuf.h"

#include <errno.h>

#include "arch/x86_64/arch.h"
#include <assert.h>

static struct {
	struct pbuf *bufs; /* the region, as an array */
	struct pbuf *free; /* linked through next */
	unsigned total, nfree;
	uint64_t allocs, fails;
} pool;

int pbuf_pool_init(void *mem, size_t size)
{
	size_t n = size / sizeof(struct pbuf);

	if (!n || n > UINT16_MAX)
		return -EINVAL;
	pool.bufs = mem;
	pool.free = NULL;
	for (size_t i = n; i-- > 0;) {
		pool.bufs[i].pool_index = (uint16_t)i;
		pool.bufs[i].refs = 0;
		pool.bufs[i].next = pool.free;
		pool.free = &pool.bufs[i];
	}
	pool.total = pool.nfree = (unsigned)n;
	return 0;
}

struct pbuf *pbuf_alloc(size_t headroom)
{
	unsigned long flags = irq_save();
	struct pbuf *p = pool.free;

	pool.allocs++;
	if (!p || headroom > PBUF_SIZE) {
		pool.fails++;
		irq_restore(flags);
		return NULL;
	}
	pool.free = p->next;
	pool.nfree--;
	irq_restore(flags);
	p->next = NULL;
	p->data = p->buf + headroom;
	p->len = 0;
	p->flags = 0;
	p->csum_start = p->csum_offset = 0;
	p->refs = 1;
	return p;
}

struct pbuf *pbuf_alloc_tx(void)
{
	return pbuf_alloc(PBUF_HEADROOM);
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

	if (!p)
		return;
	flags = irq_save();
	assert(p->refs > 0 && p == &pool.bufs[p->pool_index]);
	if (!--p->refs) {
		p->next = pool.free;
		pool.free = p;
		pool.nfree++;
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
	return (size_t)(p->buf + PBUF_SIZE - (p->data + p->len));
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

	st->allocs = pool.allocs;
	st->fails = pool.fails;
	st->total = pool.total;
	st->free = pool.nfree;
	irq_restore(flags);
}
