/*
 * A set of disjoint address ranges [start, end), kept in a treap (a binary
 * search tree by start, balanced by random priorities), so that finding,
 * adding and removing one are O(log n) expected. Pure logic with no
 * locking and no allocation: the nodes live in their owners' structures
 * (kernel/mmap.c's mappings), and the host tests run it as is.
 */
#ifndef KERNEL_RTREE_H
#define KERNEL_RTREE_H

#include <stddef.h>
#include <stdint.h>

struct rnode {
	uint64_t start, end;
	struct rnode *left, *right;
	uint32_t prio;
};

struct rtree {
	struct rnode *root; /* zeroed: empty */
	size_t count;
};

/* Adds n, whose range must overlap none in t. */
void rtree_insert(struct rtree *t, struct rnode *n);
/* Takes n, which is in t, out. */
void rtree_remove(struct rtree *t, struct rnode *n);
/* The node whose range holds addr, or NULL. */
struct rnode *rtree_find(const struct rtree *t, uint64_t addr);
/* The first node (by address) that ends after addr, or NULL. */
struct rnode *rtree_first_after(const struct rtree *t, uint64_t addr);
/* The node after n (by address), or NULL. */
struct rnode *rtree_next(const struct rtree *t, const struct rnode *n);

#endif
