/*
 * The dentry cache (docs/vfs.md): (parent dentry, name) -> dentry, in a
 * hash table. A dentry nobody holds (no open file, no cwd, no child, no
 * walk) goes on an LRU list and stays findable; past DCACHE_MAX such
 * dentries the oldest is evicted, which drops its vnode and its hold on
 * its parent. A dentry of a file system with a dentry_ttl_ns expires that
 * long after it was looked up: the next walk looks the name up again.
 * Everything here runs with the namespace lock held.
 */
#include "lib/vfs/vfs_priv.h"

#include <string.h>

#include "lib/kc/include/stdlib.h" /* kmalloc(), by its path: the host test finds it too */
#include "kernel/time.h"

static struct {
	struct list_head buckets[DCACHE_BUCKETS];
	struct list_head lru; /* unreferenced dentries, oldest first */
	uint64_t unused;      /* on the LRU */
	uint64_t entries, evictions;
	bool ready;
} dc;

static void ready(void)
{
	if (dc.ready)
		return;
	for (int i = 0; i < DCACHE_BUCKETS; i++)
		list_init(&dc.buckets[i]);
	list_init(&dc.lru);
	dc.ready = true;
}

static struct list_head *bucket(const struct dentry *parent, const char *name, size_t len)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)(uintptr_t)parent;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)name[i]) * 1099511628211ull;
	return &dc.buckets[(h ^ h >> 29) & (DCACHE_BUCKETS - 1)];
}

struct dentry *dentry_hold(struct dentry *d)
{
	if (d->refs++ == 0 && list_linked(&d->lru)) {
		list_del(&d->lru);
		dc.unused--;
	}
	return d;
}

/* Unhashes and frees d (no references left), then drops what it held. */
static void destroy(struct dentry *d)
{
	struct dentry *parent = d->parent;

	if (list_linked(&d->hash))
		list_del(&d->hash);
	if (list_linked(&d->lru)) {
		list_del(&d->lru);
		dc.unused--;
	}
	dc.entries--;
	vnode_put(d->vn);
	kfree(d);
	if (parent)
		dentry_put(parent);
}

static void evict_excess(void)
{
	while (dc.unused > DCACHE_MAX) {
		struct dentry *old = list_entry(list_first(&dc.lru), struct dentry, lru);

		dc.evictions++;
		destroy(old);
	}
}

void dentry_put(struct dentry *d)
{
	if (--d->refs > 0)
		return;
	/* A name nobody can find again is of no use. */
	if (!list_linked(&d->hash)) {
		destroy(d);
		return;
	}
	list_add_tail(&d->lru, &dc.lru);
	dc.unused++;
	evict_excess();
}

static struct dentry *alloc(struct dentry *parent, const char *name, size_t len, struct vnode *vn)
{
	struct dentry *d = kmalloc(sizeof(*d) + len + 1);

	if (!d)
		return NULL;
	*d = (struct dentry){ .parent = parent ? dentry_hold(parent) : NULL, .vn = vn, .refs = 1 };
	d->len = (uint8_t)len;
	memcpy(d->name, name, len);
	d->name[len] = '\0';
	dc.entries++;
	return d;
}

struct dentry *dentry_new_root(struct dentry *parent, const char *name, size_t len,
			       struct vnode *vn)
{
	struct dentry *d;

	ready();
	d = alloc(parent, name, len, vn);
	if (d)
		d->is_mount_root = true;
	return d;
}

struct dentry *dcache_add(struct dentry *parent, const char *name, size_t len, struct vnode *vn)
{
	struct dentry *d;
	uint64_t ttl = vn->mnt && vn->mnt->type ? vn->mnt->type->dentry_ttl_ns : 0;

	ready();
	dcache_drop(parent, name, len);
	d = alloc(parent, name, len, vn);
	if (!d)
		return NULL;
	d->expires = ttl ? clock_monotonic_ns() + ttl : 0;
	list_add_tail(&d->hash, bucket(parent, name, len));
	return d;
}

/* The hashed dentry for name in parent, expired or not. */
static struct dentry *find(struct dentry *parent, const char *name, size_t len)
{
	struct list_head *b = bucket(parent, name, len);

	list_for_each(p, b)
	{
		struct dentry *d = list_entry(p, struct dentry, hash);

		if (d->parent == parent && d->len == len && !memcmp(d->name, name, len))
			return d;
	}
	return NULL;
}

struct dentry *dcache_find(struct dentry *parent, const char *name, size_t len)
{
	struct dentry *d;

	ready();
	d = find(parent, name, len);
	if (!d)
		return NULL;
	if (d->expires && !d->under_mount && clock_monotonic_ns() >= d->expires) {
		dcache_drop(parent, name, len);
		return NULL;
	}
	return dentry_hold(d);
}

void dcache_drop(struct dentry *parent, const char *name, size_t len)
{
	struct dentry *d;

	ready();
	d = find(parent, name, len);
	if (!d)
		return;
	list_del(&d->hash);
	if (!d->refs) /* only the LRU had it */
		destroy(d);
}

void dcache_remove(struct dentry *parent, const char *name, size_t len)
{
	struct dentry *d;

	ready();
	d = find(parent, name, len);
	if (d)
		d->removed = true;
	dcache_drop(parent, name, len);
}

void dcache_counts(uint64_t *entries, uint64_t *evictions)
{
	*entries = dc.entries;
	*evictions = dc.evictions;
}
