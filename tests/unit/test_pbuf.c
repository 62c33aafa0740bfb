/*
 * The packet-buffer pool (drivers/net/pbuf.c): every buffer comes back,
 * references keep one alive, an empty pool says NULL and counts, and the
 * head and tail operations refuse to step outside the buffer.
 */
#define CHECK_SUITE "pbuf"
#include "tests/unit/check.h"

#include <errno.h>

#include "drivers/net/pbuf.h"

#define N 8

static struct pbuf mem[N];

TEST(too_small_a_region_is_refused)
{
	CHECK_EQ(pbuf_pool_init(mem, sizeof(mem[0]) - 1), -EINVAL);
}

TEST(the_pool_empties_and_refills)
{
	struct pbuf *p[N];
	struct pbuf_stats st;

	CHECK_EQ(pbuf_pool_init(mem, sizeof(mem)), 0);
	for (int i = 0; i < N; i++)
		CHECK(p[i] = pbuf_alloc_tx());
	CHECK(!pbuf_alloc(0));
	pbuf_stats(&st);
	CHECK_EQ(st.free, 0);
	CHECK_EQ(st.fails, 1);
	for (int i = 0; i < N; i++)
		pbuf_free(p[i]);
	pbuf_stats(&st);
	CHECK_EQ(st.free, N);
	CHECK_EQ(st.total, N);
}

TEST(a_reference_keeps_the_buffer)
{
	struct pbuf *p;
	struct pbuf_stats st;

	pbuf_pool_init(mem, sizeof(mem));
	p = pbuf_alloc(0);
	pbuf_ref(p);
	pbuf_free(p);
	pbuf_stats(&st);
	CHECK_EQ(st.free, N - 1);
	pbuf_free(p);
	pbuf_stats(&st);
	CHECK_EQ(st.free, N);
	pbuf_free(NULL);
}

TEST(headers_go_in_front_within_the_headroom)
{
	struct pbuf *p;

	pbuf_pool_init(mem, sizeof(mem));
	p = pbuf_alloc(16);
	CHECK(pbuf_put(p, 100) == p->buf + 16);
	CHECK_EQ(p->len, 100);
	CHECK(pbuf_push(p, 16) == p->buf);
	CHECK(!pbuf_push(p, 1));
	CHECK_EQ(p->len, 116);
	CHECK(pbuf_pull(p, 30) == p->buf + 30);
	CHECK(!pbuf_pull(p, 87));
	CHECK_EQ(p->len, 86);
	pbuf_trim(p, 10);
	CHECK_EQ(p->len, 10);
	CHECK_EQ(pbuf_tailroom(p), PBUF_SIZE - 40);
	CHECK(!pbuf_put(p, PBUF_SIZE - 39));
	CHECK(pbuf_put(p, PBUF_SIZE - 40));
	CHECK_EQ(pbuf_tailroom(p), 0);
}

TEST(a_fresh_buffer_carries_nothing_over)
{
	struct pbuf *p;

	pbuf_pool_init(mem, sizeof(mem));
	p = pbuf_alloc(0);
	p->flags = PBUF_F_CSUM_VALID;
	p->csum_start = 5;
	pbuf_put(p, 20);
	pbuf_free(p);
	p = pbuf_alloc(PBUF_HEADROOM);
	CHECK_EQ(p->flags, 0);
	CHECK_EQ(p->len, 0);
	CHECK_EQ(p->csum_start, 0);
	CHECK(p->data == p->buf + PBUF_HEADROOM);
}
