/*
 * The range tree (kernel/rtree.c): lookups by address, order, removal from
 * anywhere, and a long random run against a model (an array of flags, one
 * per slot of address space), with the tree's height watched: a treap that
 * stops balancing would show as a height far above log n.
 */
#define CHECK_SUITE "rtree"
#include "tests/unit/check.h"

#include "kernel/rtree.h"

#define SLOTS 4096 /* slot i is [i * 16, i * 16 + 16) */

static struct rtree t;
static struct rnode node[SLOTS];
static int owner[SLOTS]; /* the node index covering slot i, or -1 */

static void reset(void)
{
	memset(&t, 0, sizeof(t));
	memset(node, 0, sizeof(node));
	for (int i = 0; i < SLOTS; i++)
		owner[i] = -1;
}

/* Node k covers slots [first, first + n). */
static void add(int k, int first, int n)
{
	node[k].start = (uint64_t)first * 16;
	node[k].end = (uint64_t)(first + n) * 16;
	rtree_insert(&t, &node[k]);
	for (int i = first; i < first + n; i++)
		owner[i] = k;
}

static void drop(int k)
{
	rtree_remove(&t, &node[k]);
	for (int i = 0; i < SLOTS; i++)
		if (owner[i] == k)
			owner[i] = -1;
}

static int height(const struct rnode *n)
{
	int l, r;

	if (!n)
		return 0;
	l = height(n->left);
	r = height(n->right);
	return 1 + (l > r ? l : r);
}

TEST(empty_finds_nothing)
{
	reset();
	CHECK(rtree_find(&t, 0) == NULL);
	CHECK(rtree_first_after(&t, 12345) == NULL);
	CHECK_EQ(t.count, 0);
}

TEST(find_and_walk_in_order)
{
	reset();
	add(0, 100, 10);
	add(1, 10, 5);
	add(2, 50, 1);
	CHECK(rtree_find(&t, 100 * 16) == &node[0]);
	CHECK(rtree_find(&t, 110 * 16 - 1) == &node[0]);
	CHECK(rtree_find(&t, 110 * 16) == NULL); /* the end is not in it */
	CHECK(rtree_find(&t, 9 * 16) == NULL);
	CHECK(rtree_first_after(&t, 0) == &node[1]);
	CHECK(rtree_first_after(&t, 12 * 16) == &node[1]); /* it ends after */
	CHECK(rtree_first_after(&t, 15 * 16) == &node[2]);
	CHECK(rtree_next(&t, &node[1]) == &node[2]);
	CHECK(rtree_next(&t, &node[2]) == &node[0]);
	CHECK(rtree_next(&t, &node[0]) == NULL);
	drop(2);
	CHECK(rtree_next(&t, &node[1]) == &node[0]);
	CHECK_EQ(t.count, 2);
}

TEST(random_run_agrees_with_a_model)
{
	uint64_t x = 0x2545F4914F6CDD1DULL;
	int live = 0, max_height = 0;

	reset();
	for (int op = 0; op < 200000; op++) {
		int k;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		k = (int)(x % SLOTS);
		if (node[k].end) { /* in the tree: take it out */
			drop(k);
			node[k].end = 0;
			live--;
		} else {
			int first = (int)((x >> 20) % SLOTS), n = 1 + (int)((x >> 40) % 8),
			    free = 1;

			for (int i = first; i < first + n; i++)
				free = free && i < SLOTS && owner[i] < 0;
			if (!free)
				continue;
			add(k, first, n);
			live++;
		}
		if (op % 1000 == 0) {
			int h = height(t.root);
			const struct rnode *prev = NULL;

			CHECK_EQ(t.count, (size_t)live);
			max_height = h > max_height ? h : max_height;
			for (int i = 0; i < SLOTS; i += 7) {
				const struct rnode *n = rtree_find(&t, (uint64_t)i * 16 + 3);

				CHECK_CONTEXT("op %d, slot %d", op, i);
				CHECK(n == (owner[i] < 0 ? NULL : &node[owner[i]]));
			}
			/* A walk in order visits every node once, by rising address. */
			int seen = 0;
			for (const struct rnode *n = rtree_first_after(&t, 0); n;
			     n = rtree_next(&t, n)) {
				CHECK(!prev || prev->end <= n->start);
				prev = n;
				seen++;
			}
			CHECK_EQ(seen, live);
		}
	}
	fprintf(stderr, "rtree: height at most %d with up to %d nodes\n", max_height, SLOTS);
	CHECK(max_height < 40); /* log2(4096) is 12; a list would be in the hundreds */
}
