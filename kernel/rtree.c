#include "kernel/rtree.h"

/* A node's priority: a hash of where it lives, as good as random and the same on every run. */
static uint32_t prio_of(const struct rnode *n)
{
	uint64_t x = (uint64_t)(uintptr_t)n * 0x9E3779B97F4A7C15ULL;

	return (uint32_t)(x >> 32);
}

static struct rnode *rotate_right(struct rnode *r)
{
	struct rnode *l = r->left;

	r->left = l->right;
	l->right = r;
	return l;
}

static struct rnode *rotate_left(struct rnode *r)
{
	struct rnode *n = r->right;

	r->right = n->left;
	n->left = r;
	return n;
}

/* Recursion depth is the tree's height: O(log n) expected. */
static struct rnode *insert(struct rnode *root, struct rnode *n)
{
	if (!root)
		return n;
	if (n->start < root->start) {
		root->left = insert(root->left, n);
		if (root->left->prio > root->prio)
			root = rotate_right(root);
	} else {
		root->right = insert(root->right, n);
		if (root->right->prio > root->prio)
			root = rotate_left(root);
	}
	return root;
}

/* One tree of a's nodes and b's, all of a's before all of b's. */
static struct rnode *merge(struct rnode *a, struct rnode *b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	if (a->prio > b->prio) {
		a->right = merge(a->right, b);
		return a;
	}
	b->left = merge(a, b->left);
	return b;
}

static struct rnode *remove(struct rnode *root, struct rnode *n)
{
	if (!root)
		return NULL;
	if (root == n)
		return merge(n->left, n->right);
	if (n->start < root->start)
		root->left = remove(root->left, n);
	else
		root->right = remove(root->right, n);
	return root;
}

void rtree_insert(struct rtree *t, struct rnode *n)
{
	n->left = n->right = NULL;
	n->prio = prio_of(n);
	t->root = insert(t->root, n);
	t->count++;
}

void rtree_remove(struct rtree *t, struct rnode *n)
{
	t->root = remove(t->root, n);
	n->left = n->right = NULL;
	t->count--;
}

/* The ranges are disjoint, so their ends are in the same order as their starts. */
struct rnode *rtree_first_after(const struct rtree *t, uint64_t addr)
{
	struct rnode *best = NULL;

	for (struct rnode *n = t->root; n;) {
		if (n->end > addr) {
			best = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

struct rnode *rtree_find(const struct rtree *t, uint64_t addr)
{
	struct rnode *n = rtree_first_after(t, addr);

	return n && n->start <= addr ? n : NULL;
}

struct rnode *rtree_next(const struct rtree *t, const struct rnode *after)
{
	struct rnode *best = NULL;

	for (struct rnode *n = t->root; n;) {
		if (n->start > after->start) {
			best = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}
