/*
 * The byte rings that hold a connection's data: the send ring from
 * snd_una on, the receive ring with the in-order bytes first and the
 * out-of-order ones at their places after them. A ring is one kmalloc'd
 * buffer, counted in tcp_mem(). Past the configured budget (memory
 * pressure) a new ring is made smaller, and a ring does not grow.
 */
#include "lib/net/tcp_priv.h"

#include <errno.h>
#include <string.h>

#include "lib/kc/include/stdlib.h" /* kmalloc(), by its path: the host test finds it too */

static struct {
	size_t bytes; /* held by every ring */
} tcp_buf;

size_t tcp_mem(void)
{
	return tcp_buf.bytes;
}

/* What counts against the budget: the rings and every control block (TIME_WAIT's too). */
static size_t used(void)
{
	return tcp_buf.bytes + (size_t)tcp_pcb_count() * sizeof(struct tcp_pcb);
}

uint32_t tcp_ring_fit(uint32_t cap)
{
	size_t budget = tcp_cfg()->mem_budget;

	while (budget && cap > TCP_RING_FLOOR && used() + cap > budget)
		cap = cap / 2 > TCP_RING_FLOOR ? cap / 2 : TCP_RING_FLOOR;
	return cap;
}

bool tcp_ring_may_grow(uint32_t more)
{
	size_t budget = tcp_cfg()->mem_budget;

	return !budget || used() + more <= budget;
}

int tcp_ring_alloc(struct tcp_ring *r, uint32_t cap)
{
	uint32_t want = cap;

	/* Past the budget, or when the heap has no room for it: smaller, down to the floor. */
	cap = tcp_ring_fit(cap);
	while (!(r->buf = cap > TCP_RING_FLOOR ? kmalloc_try(cap) : kmalloc(cap)) &&
	       cap > TCP_RING_FLOOR)
		cap = cap / 2 > TCP_RING_FLOOR ? cap / 2 : TCP_RING_FLOOR;
	if (cap < want)
		tcp_count(TCP_CTR_MEM_PRESSURE);
	if (!r->buf)
		return -ENOMEM;
	r->cap = cap;
	r->head = r->len = 0;
	tcp_buf.bytes += cap;
	return 0;
}

void tcp_ring_free(struct tcp_ring *r)
{
	if (r->buf) {
		kfree(r->buf);
		tcp_buf.bytes -= r->cap;
	}
	r->buf = NULL;
	r->cap = r->head = r->len = 0;
}

/* Where offset off from head lies in the buffer. */
static uint32_t pos(const struct tcp_ring *r, uint32_t off)
{
	uint32_t p = r->head + off;

	return p >= r->cap ? p - r->cap : p;
}

void tcp_ring_write_at(struct tcp_ring *r, uint32_t off, const void *src, uint32_t n)
{
	uint32_t p = pos(r, off), first = tcp_min32(n, r->cap - p);

	memcpy(r->buf + p, src, first);
	memcpy(r->buf, (const uint8_t *)src + first, n - first);
}

void tcp_ring_read_at(const struct tcp_ring *r, uint32_t off, void *dst, uint32_t n)
{
	uint32_t p = pos(r, off), first = tcp_min32(n, r->cap - p);

	memcpy(dst, r->buf + p, first);
	memcpy((uint8_t *)dst + first, r->buf, n - first);
}

void tcp_ring_consume(struct tcp_ring *r, uint32_t n)
{
	r->head = pos(r, n);
	r->len -= n;
}

void tcp_ring_pieces(const struct tcp_ring *r, uint32_t off, uint32_t n, const uint8_t *p[2],
		     uint32_t l[2])
{
	uint32_t at = pos(r, off);

	l[0] = tcp_min32(n, r->cap - at);
	p[0] = r->buf + at;
	l[1] = n - l[0];
	p[1] = r->buf;
}

int tcp_ring_resize(struct tcp_ring *r, uint32_t cap, uint32_t held)
{
	uint8_t *nb = kmalloc_try(cap); /* no room: the old ring stays, no harm done */

	if (!nb)
		return -ENOMEM;
	tcp_ring_read_at(r, 0, nb, held);
	kfree(r->buf);
	tcp_buf.bytes += cap;
	tcp_buf.bytes -= r->cap;
	r->buf = nb;
	r->cap = cap;
	r->head = 0;
	return 0;
}

bool tcp_range_add(struct tcp_range *r, unsigned *n, unsigned max, uint32_t s, uint32_t e,
		   unsigned *at)
{
	struct tcp_range out[TCP_RANGES_MAX + 1];
	unsigned k = 0, i = 0, where;

	if (max > TCP_RANGES_MAX)
		max = TCP_RANGES_MAX;
	while (i < *n && tcp_seq_lt(r[i].end, s))
		out[k++] = r[i++];
	out[k].start = s;
	out[k].end = e;
	while (i < *n && tcp_seq_leq(r[i].start, out[k].end)) {
		out[k].start = tcp_seq_min(out[k].start, r[i].start);
		out[k].end = tcp_seq_max(out[k].end, r[i].end);
		i++;
	}
	where = k++;
	while (i < *n && k <= max)
		out[k++] = r[i++];
	if (k > max)
		return false;
	memcpy(r, out, k * sizeof(out[0]));
	*n = k;
	if (at)
		*at = where;
	return true;
}
