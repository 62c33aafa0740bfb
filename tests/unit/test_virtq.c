/*
 * The split virtqueue (drivers/virtio/virtio_ring.c) against a fake device
 * that reads the avail ring and descriptors as a device would and writes
 * the used ring, honestly or not: a used index that runs ahead, ids out of
 * range, never posted or used twice, lengths beyond the buffers. The ring
 * memory is allocated at its exact size, so ASan catches any overrun.
 */
#define CHECK_SUITE "virtq"
#include "tests/unit/check.h"

#include <errno.h>

#include "drivers/virtio/virtio_ring.h"
#include "tests/unit/fake_kernel.h"

#define NUM 8
#define ALIGN 4096
#define WALK_MAX 64 /* buffers the fake device follows in one request */

struct seen_buf {
	uint64_t addr;
	uint32_t len;
	bool write;
};

static struct {
	struct virtq vq;
	void *ring, *aux;
	int notified;
	uint16_t avail_seen;		/* the device's next avail entry */
	uint16_t used_idx;		/* the device's used index */
	uint16_t heads[VIRTQ_SIZE_MAX]; /* taken from avail, not yet used */
	unsigned nheads;
} f;

static uint8_t bufs[NUM * 4][64]; /* buffers the requests point at */

static void on_notify(struct virtq *vq)
{
	(void)vq;
	f.notified++;
}

static void *xalloc(size_t align, size_t n)
{
	void *p = NULL;

	if (posix_memalign(&p, align, n))
		abort();
	return p;
}

static void setup(uint16_t num, uint16_t indirect_max, bool event_idx)
{
	struct virtq_config cfg = { .num = num,
				    .align = ALIGN,
				    .indirect_max = indirect_max,
				    .event_idx = event_idx,
				    .name = "test",
				    .notify = on_notify };

	free(f.ring);
	free(f.aux);
	memset(&f, 0, sizeof(f));
	f.ring = xalloc(ALIGN, virtq_ring_bytes(num, ALIGN));
	f.aux = xalloc(16, virtq_aux_bytes(num, indirect_max));
	CHECK_EQ(virtq_init(&f.vq, &cfg, f.ring, f.aux), 0);
	fake_log_clear();
}

static struct virtq_sg sg(int i, uint32_t len)
{
	return (struct virtq_sg){ (uint64_t)(uintptr_t)bufs[i], len };
}

/* One request of one device-writable buffer (i), token &bufs[i]. */
static int add_in(int i, uint32_t len)
{
	struct virtq_sg in = sg(i, len);

	return virtq_add(&f.vq, NULL, 0, &in, 1, bufs[i]);
}

/* The device takes what is new in the avail ring. */
static void dev_take(void)
{
	while (f.avail_seen != f.vq.avail->idx) {
		f.heads[f.nheads++] = f.vq.avail->ring[f.avail_seen % f.vq.num];
		f.avail_seen++;
	}
}

/* The device follows the request at head, as QEMU would; how many buffers. */
static unsigned dev_walk(uint16_t head, struct seen_buf *out)
{
	const struct virtq_desc *table = f.vq.desc;
	unsigned n = 0, i = head, limit = f.vq.num;

	if (f.vq.desc[head].flags & VIRTQ_DESC_F_INDIRECT) {
		table = (const struct virtq_desc *)(uintptr_t)f.vq.desc[head].addr;
		limit = f.vq.desc[head].len / sizeof(struct virtq_desc);
		i = 0;
	}
	while (n < WALK_MAX && i < limit) {
		out[n++] = (struct seen_buf){ table[i].addr, table[i].len,
					      table[i].flags & VIRTQ_DESC_F_WRITE };
		if (!(table[i].flags & VIRTQ_DESC_F_NEXT))
			break;
		i = table[i].next;
	}
	return n;
}

/* The device writes a used entry (any id, any length) and publishes it. */
static void dev_use(uint32_t id, uint32_t len)
{
	f.vq.used->ring[f.used_idx % f.vq.num] = (struct virtq_used_elem){ id, len };
	f.used_idx++;
	f.vq.used->idx = f.used_idx;
}

/* Completes the k-th request the device holds. */
static uint16_t dev_complete(unsigned k, uint32_t len)
{
	uint16_t head = f.heads[k];

	f.heads[k] = f.heads[--f.nheads];
	dev_use(head, len);
	return head;
}

static uint16_t *avail_event(void)
{
	return (uint16_t *)&f.vq.used->ring[f.vq.num];
}

static uint16_t used_event(void)
{
	return f.vq.avail->ring[f.vq.num];
}

/* The device's side of VIRTIO_RING_F_EVENT_IDX (2.7.10). */
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

TEST(init_rejects_bad_sizes)
{
	struct virtq vq;
	static uint8_t ring[1 << 16], aux[1 << 16];
	const uint16_t bad[] = { 0, 3, 6, 100 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct virtq_config cfg = { .num = bad[i], .align = ALIGN };

		CHECK_CONTEXT("num %u", bad[i]);
		CHECK_EQ(virtq_init(&vq, &cfg, ring, aux), -EINVAL);
	}
}

TEST(layout_is_the_legacy_one)
{
	setup(256, 0, false);
	/* desc 4096 bytes, avail 4 + 512 + 2, used at the next 4096: 3 pages in all. */
	CHECK_EQ(virtq_ring_bytes(256, ALIGN), 8192 + 4 + 8 * 256 + 2);
	CHECK_EQ((char *)f.vq.avail - (char *)f.ring, 4096);
	CHECK_EQ((char *)f.vq.used - (char *)f.ring, 8192);
}

TEST(add_and_get_one_chain)
{
	struct virtq_sg out = sg(0, 10), in = sg(1, 20);
	struct seen_buf seen[WALK_MAX];
	uint32_t len = 0;

	setup(NUM, 0, false);
	CHECK_EQ(virtq_add(&f.vq, &out, 1, &in, 1, bufs[0]), 0);
	CHECK_EQ(f.vq.num_free, NUM - 2);
	CHECK(virtq_get_used(&f.vq, &len) == NULL);
	dev_take();
	CHECK_EQ(f.nheads, 1);
	CHECK_EQ(dev_walk(f.heads[0], seen), 2);
	CHECK_EQ(seen[0].addr, out.addr);
	CHECK_EQ(seen[0].len, 10);
	CHECK(!seen[0].write);
	CHECK_EQ(seen[1].addr, in.addr);
	CHECK_EQ(seen[1].len, 20);
	CHECK(seen[1].write);
	dev_complete(0, 7);
	CHECK(virtq_has_used(&f.vq));
	CHECK(virtq_get_used(&f.vq, &len) == bufs[0]);
	CHECK_EQ(len, 7);
	CHECK_EQ(f.vq.num_free, NUM);
	CHECK(virtq_get_used(&f.vq, &len) == NULL);
	CHECK_EQ(f.vq.stats.added, 1);
	CHECK_EQ(f.vq.stats.used, 1);
}

TEST(bad_requests_are_refused)
{
	struct virtq_sg many[NUM + 1];

	setup(NUM, 0, false);
	for (int i = 0; i < NUM + 1; i++)
		many[i] = sg(i, 8);
	CHECK_EQ(virtq_add(&f.vq, NULL, 0, NULL, 0, bufs[0]), -EINVAL);
	CHECK_EQ(virtq_add(&f.vq, many, 1, NULL, 0, NULL), -EINVAL);
	CHECK_EQ(virtq_add(&f.vq, many, NUM + 1, NULL, 0, bufs[0]), -EINVAL);
	CHECK_EQ(f.vq.num_free, NUM);
	CHECK_EQ(f.vq.avail->idx, 0);
}

TEST(full_ring_is_enospc_until_one_completes)
{
	uint32_t len;

	setup(NUM, 0, false);
	for (int i = 0; i < NUM; i++)
		CHECK_EQ(add_in(i, 16), 0);
	CHECK_EQ(add_in(NUM, 16), -ENOSPC);
	CHECK_EQ(f.vq.stats.full, 1);
	dev_take();
	dev_complete(3, 16);
	CHECK(virtq_get_used(&f.vq, &len) != NULL);
	CHECK_EQ(add_in(NUM, 16), 0);
	CHECK_EQ(add_in(NUM + 1, 16), -ENOSPC);
}

TEST(chain_of_two_needs_two_free_slots)
{
	struct virtq_sg two[2] = { sg(0, 4), sg(1, 4) };

	setup(NUM, 0, false);
	for (int i = 0; i < NUM - 1; i++)
		CHECK_EQ(add_in(i, 16), 0);
	CHECK_EQ(virtq_add(&f.vq, two, 2, NULL, 0, bufs[0]), -ENOSPC);
	CHECK_EQ(add_in(NUM, 16), 0);
}

TEST(indirect_takes_one_slot)
{
	struct virtq_sg out[2] = { sg(0, 12), sg(1, 100) }, in[1] = { sg(2, 30) };
	struct seen_buf seen[WALK_MAX];
	uint32_t len;

	setup(NUM, 4, false);
	CHECK_EQ(virtq_add(&f.vq, out, 2, in, 1, bufs[0]), 0);
	CHECK_EQ(f.vq.num_free, NUM - 1);
	dev_take();
	CHECK(f.vq.desc[f.heads[0]].flags == VIRTQ_DESC_F_INDIRECT);
	CHECK_EQ(f.vq.desc[f.heads[0]].len, 3 * sizeof(struct virtq_desc));
	CHECK_EQ(dev_walk(f.heads[0], seen), 3);
	CHECK_EQ(seen[0].len, 12);
	CHECK_EQ(seen[1].len, 100);
	CHECK_EQ(seen[2].len, 30);
	CHECK(!seen[0].write && !seen[1].write && seen[2].write);
	dev_complete(0, 30);
	CHECK(virtq_get_used(&f.vq, &len) == bufs[0]);
	CHECK_EQ(len, 30);
	CHECK_EQ(f.vq.num_free, NUM);
}

TEST(indirect_too_long_falls_back_to_a_chain)
{
	struct virtq_sg out[5] = { sg(0, 1), sg(1, 2), sg(2, 3), sg(3, 4), sg(4, 5) };
	struct seen_buf seen[WALK_MAX];

	setup(NUM, 4, false);
	CHECK_EQ(virtq_add(&f.vq, out, 5, NULL, 0, bufs[0]), 0);
	CHECK_EQ(f.vq.num_free, NUM - 5);
	dev_take();
	CHECK(!(f.vq.desc[f.heads[0]].flags & VIRTQ_DESC_F_INDIRECT));
	CHECK_EQ(dev_walk(f.heads[0], seen), 5);
	for (int i = 0; i < 5; i++)
		CHECK_EQ(seen[i].len, i + 1);
}

TEST(out_of_order_completion_recovers_every_slot)
{
	struct virtq_sg two[2] = { sg(0, 4), sg(1, 4) };
	uint32_t len;

	setup(NUM, 0, false);
	CHECK_EQ(virtq_add(&f.vq, two, 1, two + 1, 1, bufs[0]), 0);
	CHECK_EQ(add_in(1, 8), 0);
	CHECK_EQ(virtq_add(&f.vq, two, 2, NULL, 0, bufs[2]), 0);
	dev_take();
	dev_complete(2, 0); /* the third request first */
	dev_complete(0, 4);
	dev_complete(0, 8);
	CHECK(virtq_get_used(&f.vq, &len) == bufs[2]);
	CHECK(virtq_get_used(&f.vq, &len) == bufs[0]);
	CHECK(virtq_get_used(&f.vq, &len) == bufs[1]);
	CHECK_EQ(f.vq.num_free, NUM);
	for (int i = 0; i < NUM; i++)
		CHECK_EQ(add_in(i, 8), 0);
	CHECK_EQ(add_in(0, 8), -ENOSPC);
}

TEST(used_index_running_ahead_breaks_the_ring)
{
	uint32_t len;

	setup(NUM, 0, false);
	CHECK_EQ(add_in(0, 16), 0);
	CHECK_EQ(add_in(1, 16), 0);
	f.vq.used->idx = 5; /* 5 done, with 2 outstanding */
	CHECK(virtq_get_used(&f.vq, &len) == NULL);
	CHECK(virtq_is_broken(&f.vq));
	CHECK_EQ(f.vq.stats.bad_used_idx, 1);
	CHECK_STRSTR(fake_log(), "ahead");
	CHECK_EQ(add_in(2, 16), -EIO);
	CHECK(virtq_get_used(&f.vq, &len) == NULL);
	CHECK(!virtq_has_used(&f.vq));
	CHECK(!virtq_kick_prepare(&f.vq));
}

/* Requests, not descriptors, bound the used index: two chains of three are two. */
TEST(used_index_counts_requests_not_descriptors)
{
	struct virtq_sg three[3] = { sg(0, 4), sg(1, 4), sg(2, 4) };
	uint32_t len;

	setup(NUM, 0, false);
	CHECK_EQ(virtq_add(&f.vq, three, 3, NULL, 0, bufs[0]), 0);
	CHECK_EQ(virtq_add(&f.vq, three, 3, NULL, 0, bufs[1]), 0);
	f.vq.used->idx = 3;
	CHECK(virtq_get_used(&f.vq, &len) == NULL);
	CHECK(virtq_is_broken(&f.vq));
	CHECK_EQ(f.vq.stats.bad_used_idx, 1);
}

TEST(used_id_out_of_range_breaks_the_ring)
{
	uint32_t len;
	const uint32_t ids[] = { NUM, NUM + 3, 0xFFFFFFFFu };

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		CHECK_CONTEXT("id %#x", ids[i]);
		setup(NUM, 0, false);
		CHECK_EQ(add_in(0, 16), 0);
		dev_use(ids[i], 4);
		CHECK(virtq_get_used(&f.vq, &len) == NULL);
		CHECK(virtq_is_broken(&f.vq));
		CHECK_EQ(f.vq.stats.bad_used_id, 1);
		CHECK_STRSTR(fake_log(), "below the ring size");
	}
}

TEST(used_id_never_posted_breaks_the_ring)
{
	uint32_t len;

	setup(NUM, 0, false);
	CHECK_EQ(add_in(0, 16), 0);
	dev_use(5, 4);
	CHECK(virtq_get_used(&f.vq, &len) == NULL);
	CHECK(virtq_is_broken(&f.vq));
	CHECK_EQ(f.vq.stats.bad_used_id, 1);
	CHECK_STRSTR(fake_log(), "never posted");
}

TEST(used_id_inside_a_chain_breaks_the_ring)
{
	struct virtq_sg two[2] = { sg(0, 4), sg(1, 4) };
	uint32_t len;

	setup(NUM, 0, false);
	CHECK_EQ(virtq_add(&f.vq, two, 2, NULL, 0, bufs[0]), 0);
	CHECK_EQ(add_in(2, 4), 0);
	dev_take();
	dev_use((uint32_t)f.heads[0] + 1, 0); /* the chain's second descriptor */
	CHECK(virtq_get_used(&f.vq, &len) == NULL);
	CHECK(virtq_is_broken(&f.vq));
}

TEST(used_id_twice_breaks_the_ring)
{
	uint32_t len;

	setup(NUM, 0, false);
	CHECK_EQ(add_in(0, 16), 0);
	CHECK_EQ(add_in(1, 16), 0);
	dev_take();
	dev_use(f.heads[0], 16);
	dev_use(f.heads[0], 16);
	CHECK(virtq_get_used(&f.vq, &len) == bufs[0]);
	CHECK(virtq_get_used(&f.vq, &len) == NULL);
	CHECK(virtq_is_broken(&f.vq));
	CHECK_EQ(f.vq.stats.bad_used_id, 1);
	/* Broken, the ring still gives back what it holds, for a reset. */
	CHECK(virtq_detach_unused(&f.vq) == bufs[1]);
	CHECK(virtq_detach_unused(&f.vq) == NULL);
	CHECK_EQ(f.vq.num_free, NUM);
}

TEST(used_length_beyond_the_buffers_is_clamped)
{
	struct virtq_sg out = sg(1, 10), in[2] = { sg(2, 16), sg(3, 8) };
	uint32_t len;

	setup(NUM, 4, false);
	CHECK_EQ(virtq_add(&f.vq, NULL, 0, in, 2, bufs[2]), 0);
	CHECK_EQ(virtq_add(&f.vq, &out, 1, NULL, 0, bufs[1]), 0);
	dev_take();
	dev_complete(0, 1000);
	dev_complete(0, 10); /* an out-only request has nothing to write into */
	CHECK(virtq_get_used(&f.vq, &len) == bufs[2]);
	CHECK_EQ(len, 24);
	CHECK(virtq_get_used(&f.vq, &len) == bufs[1]);
	CHECK_EQ(len, 0);
	CHECK_EQ(f.vq.stats.bad_used_len, 2);
	CHECK(!virtq_is_broken(&f.vq));
	CHECK_EQ(fake_log_count(), 1); /* said once */
	CHECK_STRSTR(fake_log(), "clamped");
}

TEST(kick_without_event_idx_follows_no_notify)
{
	setup(NUM, 0, false);
	CHECK(!virtq_kick_prepare(&f.vq)); /* nothing added */
	CHECK_EQ(add_in(0, 8), 0);
	virtq_kick(&f.vq);
	CHECK_EQ(f.notified, 1);
	f.vq.used->flags = VIRTQ_USED_F_NO_NOTIFY;
	CHECK_EQ(add_in(1, 8), 0);
	virtq_kick(&f.vq);
	CHECK_EQ(f.notified, 1);
	CHECK_EQ(f.vq.stats.kicks_suppressed, 1);
	f.vq.used->flags = 0;
	CHECK_EQ(add_in(2, 8), 0);
	CHECK(virtq_kick_prepare(&f.vq));
}

TEST(kick_with_event_idx_follows_avail_event)
{
	setup(NUM, 0, true);
	/* The device asks to be told once avail->idx passes 0: the first add. */
	*avail_event() = 0;
	CHECK_EQ(add_in(0, 8), 0);
	CHECK(virtq_kick_prepare(&f.vq));
	/* It has not caught up (still wants 0): a second add needs no kick. */
	CHECK_EQ(add_in(1, 8), 0);
	CHECK(!virtq_kick_prepare(&f.vq));
	/* It caught up to 2 and wants to hear of entry 2: two adds cross it. */
	*avail_event() = 2;
	CHECK_EQ(add_in(2, 8), 0);
	CHECK_EQ(add_in(3, 8), 0);
	CHECK(virtq_kick_prepare(&f.vq));
	/* Far ahead: no kick. */
	*avail_event() = 100;
	CHECK_EQ(add_in(4, 8), 0);
	CHECK(!virtq_kick_prepare(&f.vq));
}

TEST(event_idx_callbacks_ask_at_the_right_index)
{
	uint32_t len;
	uint16_t old;

	setup(NUM, 0, true);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(add_in(i, 8), 0);
	dev_take();
	CHECK(virtq_enable_cb(&f.vq));
	CHECK_EQ(used_event(), 0);
	old = f.used_idx;
	dev_complete(0, 8);
	CHECK(need_event(used_event(), f.used_idx, old)); /* the device interrupts */
	virtq_disable_cb(&f.vq);
	/* Disabled: no completion of all outstanding may reach used_event. */
	old = f.used_idx;
	while (f.nheads)
		dev_complete(0, 8);
	CHECK(!need_event(used_event(), f.used_idx, old));
	while (virtq_get_used(&f.vq, &len))
		;
	CHECK_EQ(f.vq.num_free, NUM);
	CHECK(virtq_enable_cb(&f.vq));
	CHECK_EQ(used_event(), f.vq.last_used);
}

TEST(enable_cb_reports_work_that_came_meanwhile)
{
	uint32_t len;

	setup(NUM, 0, true);
	CHECK_EQ(add_in(0, 8), 0);
	dev_take();
	virtq_disable_cb(&f.vq);
	dev_complete(0, 8); /* arrives while callbacks are off: no interrupt */
	CHECK(!virtq_enable_cb(&f.vq));
	CHECK(virtq_get_used(&f.vq, &len) == bufs[0]);
	CHECK(virtq_enable_cb(&f.vq));
}

TEST(callbacks_without_event_idx_use_the_flag)
{
	setup(NUM, 0, false);
	virtq_disable_cb(&f.vq);
	CHECK_EQ(f.vq.avail->flags, VIRTQ_AVAIL_F_NO_INTERRUPT);
	CHECK(virtq_enable_cb(&f.vq));
	CHECK_EQ(f.vq.avail->flags, 0);
}

TEST(detach_unused_returns_every_outstanding_token)
{
	struct virtq_sg two[2] = { sg(0, 4), sg(1, 4) };
	int n = 0;

	setup(NUM, 0, false);
	CHECK_EQ(add_in(0, 8), 0);
	CHECK_EQ(virtq_add(&f.vq, two, 2, NULL, 0, bufs[1]), 0);
	CHECK_EQ(add_in(2, 8), 0);
	while (virtq_detach_unused(&f.vq))
		n++;
	CHECK_EQ(n, 3);
	CHECK_EQ(f.vq.num_free, NUM);
}

/* Random requests, completed in random order, against a count of what is outstanding. */
TEST(random_run_keeps_the_books)
{
	struct virtq_sg s[6];
	unsigned outstanding = 0;
	uint32_t len;

	setup(NUM * 2, 3, true);
	srand(1);
	for (int step = 0; step < 20000; step++) {
		unsigned n = 1 + (unsigned)rand() % 6, i = (unsigned)rand() % (NUM * 4);
		void *tok;

		CHECK_CONTEXT("step %d", step);
		for (unsigned k = 0; k < n; k++)
			s[k] = sg((int)i, 64);
		if (rand() % 2) {
			int err = virtq_add(&f.vq, s, n / 2, s + n / 2, n - n / 2, bufs[i]);

			CHECK(err == 0 || err == -ENOSPC);
			outstanding += !err;
		}
		dev_take();
		if (f.nheads && rand() % 2)
			dev_complete((unsigned)rand() % f.nheads, 64);
		if ((tok = virtq_get_used(&f.vq, &len)) != NULL) {
			CHECK(len <= 64 * 6);
			outstanding--;
		}
		CHECK(!virtq_is_broken(&f.vq));
		if (check_failed)
			return;
	}
	while (f.nheads)
		dev_complete(0, 0);
	while (virtq_get_used(&f.vq, &len))
		outstanding--;
	CHECK_EQ(outstanding, 0);
	CHECK_EQ(f.vq.num_free, NUM * 2);
	CHECK_EQ(f.vq.stats.bad_used_len, 0);
}
