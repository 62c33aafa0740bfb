/*
 * 9pfs: the VFS's file system over the 9P2000.L client (docs/9pfs.md).
 *
 * A vnode holds the file's qid, its path fid and its cached attributes.
 * The path fid is walked but never opened (9P forbids walking an open
 * fid), so lookups can walk on from it; every open clones it and opens
 * the clone. A lookup walks up to P9_WALK_MAX names in one Twalk, which
 * gives a fid for the last name only: the vnodes before it are "lazy",
 * holding their parent and their name until a fid is needed, then walked
 * from the nearest ancestor that has one. Files this guest creates start
 * lazy too (Tlcreate turns the directory's clone into the open fid). A
 * read-only open fid of a regular file is kept at close for the next
 * read-only open, within the attribute TTL of its Tlopen. Reads of a small
 * regular file through a read-only open come from a copy of the whole
 * file, good for the attribute TTL after it was read and only while the
 * file's attributes and this guest's writes say it has not changed.
 *
 * Locking: the VFS core serialises namespace calls; I/O calls come from
 * several threads. fs->fid_lock covers the lazy list and every lazy
 * vnode's fid, parent and name; a vnode's fid, once set, never changes
 * until release, so it is read without the lock. node->attr_lock covers
 * the attribute cache; node->append serialises appends; node->open_lock
 * covers the list of open fids and keeps the one a getattr or setattr
 * uses from being clunked under it; fs->kept_lock covers the kept fids;
 * node->fill serialises the reads that fill a vnode's data cache, and
 * fs->data_lock covers every vnode's cached data and the mount's list of
 * it. No other lock is held over a request.
 */
#include "lib/vfs/fs_9p.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "drivers/virtio/virtio_9p.h"
#include "kernel/errname.h"
#include "kernel/list.h"
#include "kernel/page.h"
#include "kernel/params.h"
#include "kernel/printk.h"
#include "kernel/time.h"
#include "lib/9p/p9.h"
#include "lib/kc/include/stdlib.h" /* kmalloc(), by its path: the host test finds it too */
#include "sched/sync.h"

#define NS_PER_MS 1000000ull
#define FS9P_DENTRY_TTL_NS (1000 * NS_PER_MS)
#define FS9P_ATTR_TTL_MS_DEFAULT 1000
#define FS9P_ATTR_TTL_MS_MAX 60000
#define FS9P_MODE_BITS 07777 /* what Tsetattr, Tlcreate and Tmkdir take of a mode */
#define FS9P_TAGS_SHOWN 256  /* room for the list of tags in the missing-device message */
#define FS9P_DEFAULT_TAG "rootfs"
#define FS9P_DEFAULT_TAG2 "fs0"
#define FS9P_GEN_BITS 8 /* 256 attribute generations per mount, by qid.path */
#define FS9P_GOLDEN 0x9e3779b97f4a7c15ull
#define FS9P_KEPT_MAX 64   /* read-only open fids kept after close, per mount */
#define FS9P_DATA_SHARE 16 /* the data cache's default: a sixteenth of RAM, per mount */
#define FS9P_DATA_FILE_MAX (256 * 1024) /* the largest file whose contents are cached */
#define FS9P_DATA_KB_MAX (1 << 20)

static struct {
	int attr_ttl_ms;
	int data_cache_kb;
} fs9p = { .attr_ttl_ms = FS9P_ATTR_TTL_MS_DEFAULT, .data_cache_kb = -1 };

PARAM_INT("9pfs.attr_ttl_ms", fs9p.attr_ttl_ms, 0, FS9P_ATTR_TTL_MS_MAX,
	  "how long 9pfs trusts cached attributes and file contents: host-side changes show "
	  "after this");
PARAM_INT("9pfs.data_cache_kb", fs9p.data_cache_kb, -1, FS9P_DATA_KB_MAX,
	  "the contents of small files that 9pfs keeps, per mount (-1: a sixteenth of RAM, "
	  "0: none)");

/* A mount: mnt->priv. */
struct p9fs {
	struct p9_client c;
	struct mutex fid_lock;
	struct list_head lazy; /* struct p9fs_node.lazy_link of the vnodes without a fid */
	uint64_t fids;	       /* held on the server (atomic) */
	uint64_t epoch;	       /* bumped by unlink, rename and link: every cache is old (atomic) */
	/*
	 * Bumped by this guest's changes to a file, found by its qid.path:
	 * shared by the vnodes of one file (a hard link is another vnode, and
	 * so is a name looked up again after its dentry expired). Files that
	 * share a slot only drop each other's cache now and then (atomic).
	 */
	uint64_t gen[1u << FS9P_GEN_BITS];
	struct mutex kept_lock; /* kept, nkept and every vnode's kept_* */
	struct list_head kept;	/* struct p9fs_node.kept_link: oldest first */
	unsigned nkept;
	struct mutex data_lock; /* data_* below and every vnode's data_* */
	struct list_head data;	/* struct p9fs_node.data_link: least recently read first */
	size_t data_bytes, data_max, data_file_max;
	struct fs_9p_stats stats; /* atomic */
	char tag[VIRTIO_9P_TAG_MAX + 1];
};

/* A vnode: vn->priv. */
struct p9fs_node {
	struct p9_qid qid;
	uint32_t fid;	      /* the path fid, never opened; P9_NOFID while lazy */
	struct vnode *parent; /* lazy: the directory the name is in (held until release) */
	char *name;	      /* lazy: its name there */
	struct list_head lazy_link;
	struct mutex attr_lock; /* the four fields below */
	struct p9_attr attr;
	uint64_t attr_until; /* monotonic ns: attr is good before this, with these two */
	uint64_t attr_epoch; /* fs->epoch when it was asked for */
	uint64_t attr_gen;   /* the file's fs->gen[] when it was asked for */
	struct mutex append;
	struct mutex open_lock;
	struct list_head opens; /* struct p9fs_handle.link */
	/*
	 * A read-only open fid its last user closed, kept for the next
	 * read-only open (P9_NOFID: none), until kept_until (monotonic ns),
	 * when it was opened plus the attribute TTL; under fs->kept_lock.
	 */
	uint32_t kept_fid;
	uint64_t kept_until;
	struct list_head kept_link;
	/*
	 * The whole file as read at data_attr (data_len is its size) by this
	 * guest's file generation data_gen, good before data_until
	 * (monotonic ns); data_link is unlinked when there is none. Under
	 * fs->data_lock; filled under fill.
	 */
	struct mutex fill;
	void *data;
	size_t data_len;
	struct p9_attr data_attr;
	uint64_t data_gen, data_until;
	struct list_head data_link;
};

/* An open: vfs_handle.priv. */
struct p9fs_handle {
	uint32_t fid; /* walked from the path fid and opened (the client splits I/O by msize) */
	uint64_t keep_until; /* a read-only open of a regular file: kept at close before this */
	bool cached;	     /* reads may come from the vnode's data cache */
	struct list_head link;
	struct mutex dir_lock; /* a directory's: the kept Rreaddir data below */
	void *dbuf;	       /* NULL: none kept */
	uint32_t dlen, dpos;   /* its bytes; where the entries not handed out yet start */
	uint64_t dcookie;      /* the cookie that reads from dpos */
};

static const struct vnode_ops fs9p_ops;
static void data_drop(struct p9fs *fs, struct p9fs_node *nd);

static struct p9fs *fs_of(const struct vnode *vn)
{
	return vn->mnt->priv;
}

static struct p9fs_node *node_of(const struct vnode *vn)
{
	return vn->priv;
}

uint64_t fs_9p_fids(const struct mount *mnt)
{
	const struct p9fs *fs = mnt->priv;

	return __atomic_load_n(&fs->fids, __ATOMIC_RELAXED);
}

/* ---- fids ---- */

/*
 * Walks n names from fid to a new fid: the count walked. *newfid is held
 * (and counted) if all n were, else P9_NOFID.
 */
static int walk_new(struct p9fs *fs, uint32_t fid, unsigned n, const char *const *names,
		    struct p9_qid *qids, uint32_t *newfid)
{
	uint32_t nf = p9_fid_alloc(&fs->c);
	int r;

	*newfid = P9_NOFID;
	if (nf == P9_NOFID)
		return -ENFILE;
	r = p9_walk(&fs->c, fid, nf, n, names, qids);
	if (r != (int)n) {
		p9_fid_release(&fs->c, nf);
		return r;
	}
	__atomic_add_fetch(&fs->fids, 1, __ATOMIC_RELAXED);
	*newfid = nf;
	return r;
}

/* Clunks a held fid (P9_NOFID: nothing). The fid is gone whatever the server says. */
static void fid_put(struct p9fs *fs, uint32_t fid)
{
	if (fid == P9_NOFID)
		return;
	p9_clunk(&fs->c, fid);
	__atomic_sub_fetch(&fs->fids, 1, __ATOMIC_RELAXED);
}

/*
 * Gives the lazy nd a fid: one walk, from its nearest ancestor with a fid,
 * of the names in between. The walk must reach the file nd was (its
 * qid.path), else -ESTALE: the host has put another file under the name.
 * Called with fs->fid_lock held.
 */
static int walk_lazy(struct p9fs *fs, struct p9fs_node *nd)
{
	const char *names[P9_WALK_MAX];
	struct p9_qid qids[P9_WALK_MAX];
	struct p9fs_node *p = nd;
	uint32_t fid;
	int n = 0, r;

	if (nd->fid != P9_NOFID)
		return 0;
	/* A lookup makes at most P9_WALK_MAX - 1 lazy vnodes in a row: longer is a bug. */
	for (; p->fid == P9_NOFID; p = node_of(p->parent)) {
		if (n == P9_WALK_MAX)
			return -EIO;
		names[n++] = p->name;
	}
	for (int i = 0; i < n / 2; i++) {
		const char *t = names[i];

		names[i] = names[n - 1 - i];
		names[n - 1 - i] = t;
	}
	r = walk_new(fs, p->fid, (unsigned)n, names, qids, &fid);
	if (r != n)
		return r < 0 ? r : -ENOENT;
	if (qids[n - 1].path != nd->qid.path) {
		fid_put(fs, fid);
		return -ESTALE;
	}
	list_del(&nd->lazy_link);
	kfree(nd->name);
	nd->name = NULL;
	__atomic_store_n(&nd->fid, fid, __ATOMIC_RELEASE);
	return 0;
}

/* The path fid of vn in *fid, walked now if vn is lazy. */
static int node_fid(struct vnode *vn, uint32_t *fid)
{
	struct p9fs_node *nd = node_of(vn);
	struct p9fs *fs = fs_of(vn);
	int r;

	*fid = __atomic_load_n(&nd->fid, __ATOMIC_ACQUIRE);
	if (*fid != P9_NOFID)
		return 0;
	mutex_lock(&fs->fid_lock);
	r = walk_lazy(fs, nd);
	mutex_unlock(&fs->fid_lock);
	*fid = nd->fid;
	return r;
}

/* A new fid for vn that may be opened: a clone (a walk of no names) of its path fid. */
static int clone_fid(struct vnode *vn, uint32_t *fid)
{
	uint32_t pfid;
	int r = node_fid(vn, &pfid);

	return r < 0 ? r : walk_new(fs_of(vn), pfid, 0, NULL, NULL, fid);
}

/*
 * Before name in dir is renamed, the lazy vnodes that reach their file by
 * that name get a fid, which follows the file wherever it goes. A walk
 * that fails leaves its vnode lazy: it is -ESTALE or -ENOENT later, as the
 * host changed it under us anyway. (An unlinked file needs no fid: a
 * server that works by path finds nothing by one, and its open fids serve
 * getattr and setattr.)
 */
static void materialise_name(struct vnode *dir, const char *name)
{
	struct p9fs *fs = fs_of(dir);
	struct list_head *p, *next;

	mutex_lock(&fs->fid_lock);
	for (p = fs->lazy.next; p != &fs->lazy; p = next) {
		struct p9fs_node *nd = list_entry(p, struct p9fs_node, lazy_link);

		next = p->next;
		/* By ino: the directory may have several vnodes (a dentry expired, looked up again). */
		if (nd->parent->ino == dir->ino && !strcmp(nd->name, name))
			walk_lazy(fs, nd);
	}
	mutex_unlock(&fs->fid_lock);
}

/*
 * The fid for a getattr or setattr of vn: an open one if there is one
 * (the server then works on the open file, which outlives its name: fstat
 * of an unlinked file), with open_lock held until fid_done(); else the
 * path fid.
 */
static int attr_fid(struct vnode *vn, uint32_t *fid, bool *locked)
{
	struct p9fs_node *nd = node_of(vn);

	mutex_lock(&nd->open_lock);
	*locked = !list_empty(&nd->opens);
	if (*locked) {
		*fid = list_entry(list_first(&nd->opens), struct p9fs_handle, link)->fid;
		return 0;
	}
	mutex_unlock(&nd->open_lock);
	return node_fid(vn, fid);
}

static void fid_done(struct vnode *vn, bool locked)
{
	if (locked)
		mutex_unlock(&node_of(vn)->open_lock);
}

/* ---- vnodes ---- */

static uint32_t qid_type(const struct p9_qid *q)
{
	if (q->type & P9_QTDIR)
		return VFS_IFDIR;
	if (q->type & P9_QTSYMLINK)
		return VFS_IFLNK;
	return 0; /* a file of some kind: getattr tells which */
}

/* A vnode for the file qid with the held fid (consumed on success only). */
static struct vnode *node_new(struct mount *mnt, const struct p9_qid *qid, uint32_t type,
			      uint32_t fid)
{
	struct p9fs_node *nd = kcalloc(1, sizeof(*nd));
	struct vnode *vn;

	if (!nd)
		return NULL;
	nd->qid = *qid;
	nd->fid = fid;
	nd->kept_fid = P9_NOFID;
	list_init(&nd->opens);
	vn = vnode_new(mnt, &fs9p_ops, type, qid->path, nd);
	if (!vn)
		kfree(nd);
	return vn;
}

/* A lazy vnode: the file qid, reached by name from parent. */
static struct vnode *node_new_lazy(struct vnode *parent, const char *name, const struct p9_qid *qid,
				   uint32_t type)
{
	struct p9fs *fs = fs_of(parent);
	size_t len = strlen(name) + 1;
	char *copy = kmalloc(len);
	struct vnode *vn;

	if (!copy)
		return NULL;
	memcpy(copy, name, len);
	vn = node_new(parent->mnt, qid, type, P9_NOFID);
	if (!vn) {
		kfree(copy);
		return NULL;
	}
	node_of(vn)->name = copy;
	node_of(vn)->parent = vnode_hold(parent);
	mutex_lock(&fs->fid_lock);
	list_add_tail(&node_of(vn)->lazy_link, &fs->lazy);
	mutex_unlock(&fs->fid_lock);
	return vn;
}

/* ---- kept open fids ---- */

/* Takes vn's kept fid (P9_NOFID: none), and in *until the time it is good before. */
static uint32_t kept_take(struct vnode *vn, uint64_t *until)
{
	struct p9fs_node *nd = node_of(vn);
	struct p9fs *fs = fs_of(vn);
	uint32_t fid;

	mutex_lock(&fs->kept_lock);
	fid = nd->kept_fid;
	*until = nd->kept_until;
	if (fid != P9_NOFID) {
		list_del(&nd->kept_link);
		fs->nkept--;
		nd->kept_fid = P9_NOFID;
	}
	mutex_unlock(&fs->kept_lock);
	return fid;
}

/*
 * Keeps fid, good before until, as vn's kept fid if vn keeps none yet:
 * true if kept. Past FS9P_KEPT_MAX on the mount, the oldest kept fid is
 * taken from its vnode and handed back in *evicted for the caller to clunk.
 */
static bool kept_put(struct vnode *vn, uint32_t fid, uint64_t until, uint32_t *evicted)
{
	struct p9fs_node *nd = node_of(vn);
	struct p9fs *fs = fs_of(vn);
	bool kept = false;

	*evicted = P9_NOFID;
	mutex_lock(&fs->kept_lock);
	if (nd->kept_fid == P9_NOFID) {
		nd->kept_fid = fid;
		nd->kept_until = until;
		list_add_tail(&nd->kept_link, &fs->kept);
		kept = true;
		if (++fs->nkept > FS9P_KEPT_MAX) {
			struct p9fs_node *old =
				list_entry(list_first(&fs->kept), struct p9fs_node, kept_link);

			list_del(&old->kept_link);
			fs->nkept--;
			*evicted = old->kept_fid;
			old->kept_fid = P9_NOFID;
		}
	}
	mutex_unlock(&fs->kept_lock);
	return kept;
}

static void fs9p_release(struct vnode *vn)
{
	struct p9fs_node *nd = node_of(vn);
	struct p9fs *fs = fs_of(vn);
	uint64_t until;

	mutex_lock(&fs->fid_lock);
	if (list_linked(&nd->lazy_link))
		list_del(&nd->lazy_link);
	mutex_unlock(&fs->fid_lock);
	fid_put(fs, kept_take(vn, &until));
	fid_put(fs, nd->fid);
	mutex_lock(&fs->data_lock);
	data_drop(fs, nd);
	mutex_unlock(&fs->data_lock);
	if (nd->parent)
		vnode_put(nd->parent);
	kfree(nd->name);
	kfree(nd);
}

/* ---- the attribute cache ---- */

static uint64_t epoch_now(struct p9fs *fs)
{
	return __atomic_load_n(&fs->epoch, __ATOMIC_ACQUIRE);
}

static uint64_t *gen_of(struct p9fs *fs, uint64_t qid_path)
{
	return &fs->gen[(qid_path * FS9P_GOLDEN) >> (64 - FS9P_GEN_BITS)];
}

static uint64_t gen_now(struct p9fs *fs, uint64_t qid_path)
{
	return __atomic_load_n(gen_of(fs, qid_path), __ATOMIC_ACQUIRE);
}

/*
 * This guest changed vn's file: the next getattr of any of its vnodes
 * asks the server, and one in flight now is not kept.
 */
static void attr_invalidate(struct vnode *vn)
{
	__atomic_add_fetch(gen_of(fs_of(vn), vn->ino), 1, __ATOMIC_RELEASE);
}

/* This guest changed names: a file's link count or ctime may have changed, whichever it is. */
static void attr_invalidate_all(struct p9fs *fs)
{
	__atomic_add_fetch(&fs->epoch, 1, __ATOMIC_RELEASE);
}

/* Keeps a, asked for at generation gen and epoch; a later check finds it old if they moved on. */
static void attr_store(struct vnode *vn, const struct p9_attr *a, uint64_t gen, uint64_t epoch)
{
	struct p9fs_node *nd = node_of(vn);
	uint64_t ttl = (uint64_t)fs9p.attr_ttl_ms * NS_PER_MS;

	if (!ttl)
		return;
	mutex_lock(&nd->attr_lock);
	nd->attr = *a;
	nd->attr_until = clock_monotonic_ns() + ttl;
	nd->attr_epoch = epoch;
	nd->attr_gen = gen;
	mutex_unlock(&nd->attr_lock);
}

/* vn's attributes: cached if still good, else the server's. */
static int attr_get(struct vnode *vn, struct p9_attr *a)
{
	struct p9fs_node *nd = node_of(vn);
	struct p9fs *fs = fs_of(vn);
	uint64_t gen = gen_now(fs, vn->ino), epoch = epoch_now(fs);
	bool hit, locked;
	uint32_t fid;
	int r;

	mutex_lock(&nd->attr_lock);
	hit = nd->attr_epoch == epoch && nd->attr_gen == gen &&
	      clock_monotonic_ns() < nd->attr_until;
	if (hit)
		*a = nd->attr;
	mutex_unlock(&nd->attr_lock);
	if (hit)
		return 0;
	r = attr_fid(vn, &fid, &locked);
	if (r == 0)
		r = p9_getattr(&fs->c, fid, P9_GETATTR_BASIC, a);
	fid_done(vn, locked);
	if (r < 0)
		return r;
	attr_store(vn, a, gen, epoch);
	return 0;
}

static void attr_to_vattr(const struct p9_attr *a, uint64_t ino, struct vattr *va)
{
	*va = (struct vattr){
		.mode = a->mode,
		.uid = a->uid,
		.gid = a->gid,
		.ino = ino,
		.nlink = a->nlink,
		.rdev = a->rdev,
		.size = a->size,
		.blocks = a->blocks, /* 512-byte units, as stat's */
		.blksize = a->blksize,
		.atime = { (int64_t)a->atime_sec, (int64_t)a->atime_nsec },
		.mtime = { (int64_t)a->mtime_sec, (int64_t)a->mtime_nsec },
		.ctime = { (int64_t)a->ctime_sec, (int64_t)a->ctime_nsec },
	};
}

static int fs9p_getattr(struct vnode *vn, struct vattr *va)
{
	struct p9_attr a;
	int r = attr_get(vn, &a);

	if (r < 0)
		return r;
	attr_to_vattr(&a, vn->ino, va);
	return 0;
}

/* ---- the data cache ---- */

void fs_9p_stats(struct mount *mnt, struct fs_9p_stats *st)
{
	struct p9fs *fs = mnt->priv;

	*st = fs->stats;
	mutex_lock(&fs->data_lock);
	st->data_bytes = fs->data_bytes;
	mutex_unlock(&fs->data_lock);
}

static void count(uint64_t *counter)
{
	__atomic_add_fetch(counter, 1, __ATOMIC_RELAXED);
}

/* Drops nd's copy, if it has one. Called with fs->data_lock held. */
static void data_drop(struct p9fs *fs, struct p9fs_node *nd)
{
	if (!list_linked(&nd->data_link))
		return;
	list_del(&nd->data_link);
	fs->data_bytes -= nd->data_len;
	kfree(nd->data);
	nd->data = NULL;
	nd->data_len = 0;
}

/*
 * Is nd's copy good for the file that has attributes a now, at generation
 * gen: this guest has not written it since, its TTL has not run out, and
 * neither its size, times nor qid version changed? Under fs->data_lock.
 */
static bool data_good(const struct p9fs_node *nd, const struct p9_attr *a, uint64_t gen)
{
	const struct p9_attr *d = &nd->data_attr;

	return list_linked(&nd->data_link) && nd->data_gen == gen &&
	       clock_monotonic_ns() < nd->data_until && d->size == a->size &&
	       d->mtime_sec == a->mtime_sec && d->mtime_nsec == a->mtime_nsec &&
	       d->ctime_sec == a->ctime_sec && d->ctime_nsec == a->ctime_nsec &&
	       d->qid.version == a->qid.version;
}

/* Up to n bytes of nd's copy at off into buf. Under fs->data_lock. */
static long data_copy(struct p9fs *fs, struct p9fs_node *nd, void *buf, size_t n, uint64_t off)
{
	list_del(&nd->data_link); /* now the most recently read */
	list_add_tail(&nd->data_link, &fs->data);
	if (off >= nd->data_len)
		return 0;
	if (n > nd->data_len - off)
		n = nd->data_len - off;
	memcpy(buf, (const char *)nd->data + off, n);
	return (long)n;
}

/* A read from nd's copy if it is good for a at gen: true, with the count in *r. */
static bool data_hit(struct vnode *vn, const struct p9_attr *a, uint64_t gen, void *buf, size_t n,
		     uint64_t off, long *r)
{
	struct p9fs_node *nd = node_of(vn);
	struct p9fs *fs = fs_of(vn);
	bool hit;

	mutex_lock(&fs->data_lock);
	hit = data_good(nd, a, gen);
	if (hit)
		*r = data_copy(fs, nd, buf, n, off);
	mutex_unlock(&fs->data_lock);
	if (hit)
		count(&fs->stats.data_hits);
	return hit;
}

/*
 * Reads the whole file, whose attributes are a at generation gen, through
 * fid into a new copy for vn, and from it the read asked for: true, with
 * its result in *r. The copy replaces the old one, and the least recently
 * read copies of the mount go until the rest fit. False, with nothing
 * kept, when the heap has no room, or when the file's length is not its
 * size (the host is changing it).
 */
static bool data_fill(struct vnode *vn, uint32_t fid, const struct p9_attr *a, uint64_t gen,
		      void *buf, size_t n, uint64_t off, long *r)
{
	struct p9fs_node *nd = node_of(vn);
	struct p9fs *fs = fs_of(vn);
	size_t len = a->size, got = 0;
	char *copy = len ? kmalloc_try(len) : NULL;
	long rr = 0;

	if (len && !copy) {
		count(&fs->stats.data_no_room);
		return false;
	}
	while (got < len) {
		rr = p9_read(&fs->c, fid, got, copy + got, len - got);
		if (rr <= 0)
			break;
		got += (size_t)rr;
	}
	if (got != len) {
		kfree(copy);
		*r = rr;
		return rr < 0;
	}
	mutex_lock(&fs->data_lock);
	if (list_linked(&nd->data_link))
		count(&fs->stats.data_stale);
	data_drop(fs, nd);
	nd->data = copy;
	nd->data_len = len;
	nd->data_attr = *a;
	nd->data_gen = gen;
	nd->data_until = clock_monotonic_ns() + (uint64_t)fs9p.attr_ttl_ms * NS_PER_MS;
	list_add_tail(&nd->data_link, &fs->data);
	fs->data_bytes += len;
	while (fs->data_bytes > fs->data_max) {
		data_drop(fs, list_entry(list_first(&fs->data), struct p9fs_node, data_link));
		count(&fs->stats.data_evicted);
	}
	*r = data_copy(fs, nd, buf, n, off); /* no file over a quarter of the room: nd stays */
	mutex_unlock(&fs->data_lock);
	count(&fs->stats.data_fills);
	return true;
}

/*
 * A read through a read-only open fid of vn: true, with its result in *r,
 * when it came from vn's copy of the whole file, which is used while it is
 * good (data_good) and else read anew at the attributes a Tgetattr gives;
 * the attribute cache keeps those too, so that a stat and the copy agree.
 * False for a file over fs->data_file_max, or when data_fill() could not
 * keep it: the caller asks the server.
 */
static bool data_read(struct vnode *vn, uint32_t fid, void *buf, size_t n, uint64_t off, long *r)
{
	struct p9fs_node *nd = node_of(vn);
	struct p9fs *fs = fs_of(vn);
	uint64_t gen = gen_now(fs, vn->ino), epoch;
	struct p9_attr a;
	bool done = false;

	*r = attr_get(vn, &a);
	if (*r < 0)
		return true;
	if (a.size <= fs->data_file_max) {
		if (data_hit(vn, &a, gen, buf, n, off, r))
			return true;
		mutex_lock(&nd->fill);
		done = data_hit(vn, &a, gen, buf, n, off,
				r); /* another reader filled it meanwhile */
		if (!done) {
			gen = gen_now(fs, vn->ino);
			epoch = epoch_now(fs);
			*r = p9_getattr(&fs->c, fid, P9_GETATTR_BASIC, &a);
			done = *r < 0;
			if (!done) {
				attr_store(vn, &a, gen, epoch);
				done = a.size <= fs->data_file_max &&
				       data_fill(vn, fid, &a, gen, buf, n, off, r);
			}
		}
		mutex_unlock(&nd->fill);
	}
	if (!done) { /* a stale copy, of a file grown past the largest cached, goes */
		mutex_lock(&fs->data_lock);
		data_drop(fs, nd);
		mutex_unlock(&fs->data_lock);
	}
	return done;
}

/* What Tsetattr sends for s: the *_NOW bits are the server's clock, so no *_SET. */
static void setattr_from(const struct vattr_set *s, struct p9_setattr *sa)
{
	*sa = (struct p9_setattr){
		.mode = s->mode & FS9P_MODE_BITS,
		.uid = s->uid,
		.gid = s->gid,
		.size = s->size,
		.atime_sec = (uint64_t)s->atime.sec,
		.atime_nsec = (uint64_t)s->atime.nsec,
		.mtime_sec = (uint64_t)s->mtime.sec,
		.mtime_nsec = (uint64_t)s->mtime.nsec,
	};
	if (s->mask & VSET_MODE)
		sa->valid |= P9_SETATTR_MODE;
	if (s->mask & VSET_UID)
		sa->valid |= P9_SETATTR_UID;
	if (s->mask & VSET_GID)
		sa->valid |= P9_SETATTR_GID;
	if (s->mask & VSET_SIZE)
		sa->valid |= P9_SETATTR_SIZE;
	if (s->mask & VSET_ATIME)
		sa->valid |= P9_SETATTR_ATIME | P9_SETATTR_ATIME_SET;
	else if (s->mask & VSET_ATIME_NOW)
		sa->valid |= P9_SETATTR_ATIME;
	if (s->mask & VSET_MTIME)
		sa->valid |= P9_SETATTR_MTIME | P9_SETATTR_MTIME_SET;
	else if (s->mask & VSET_MTIME_NOW)
		sa->valid |= P9_SETATTR_MTIME;
}

static int fs9p_setattr(struct vnode *vn, const struct vattr_set *s)
{
	struct p9_setattr sa;
	uint32_t fid;
	bool locked;
	int r;

	setattr_from(s, &sa);
	if (!sa.valid)
		return 0;
	r = attr_fid(vn, &fid, &locked);
	if (r == 0)
		r = p9_setattr(&fs_of(vn)->c, fid, &sa);
	fid_done(vn, locked);
	attr_invalidate(vn);
	return r;
}

/* ---- lookup ---- */

/* How many of the r names walked a lookup keeps: up to the first that is no directory. */
static int walk_keep(const struct p9_qid *qids, int r)
{
	for (int i = 0; i < r; i++)
		if (qid_type(&qids[i]) != VFS_IFDIR)
			return i + 1;
	return r;
}

/*
 * The vnodes of the k names walked: lazy ones, then the last with fid
 * (consumed, on success only). Its type comes from the qid, or from a
 * getattr whose answer seeds its attribute cache.
 */
static int lookup_nodes(struct vnode *dir, const char *const *names, const struct p9_qid *qids,
			int k, uint32_t fid, struct vnode **out)
{
	struct p9fs *fs = fs_of(dir);
	uint32_t type = qid_type(&qids[k - 1]);
	uint64_t epoch = epoch_now(fs), gen = gen_now(fs, qids[k - 1].path);
	struct p9_attr a;
	struct vnode *parent = dir;
	int i, r;

	if (!type) {
		r = p9_getattr(&fs->c, fid, P9_GETATTR_BASIC, &a);
		if (r < 0)
			return r;
		type = a.mode & VFS_IFMT;
	}
	for (i = 0; i < k - 1; i++) {
		out[i] = node_new_lazy(parent, names[i], &qids[i], VFS_IFDIR);
		if (!out[i])
			goto err_put;
		parent = out[i];
	}
	out[i] = node_new(dir->mnt, &qids[i], type, fid);
	if (!out[i])
		goto err_put;
	if (!qid_type(&qids[i]))
		attr_store(out[i], &a, gen, epoch);
	return k;
err_put:
	while (i--)
		vnode_put(out[i]);
	return -ENOMEM;
}

/*
 * One Twalk for up to P9_WALK_MAX names. Past a symlink or a file the
 * server may have walked on (the host resolves the path), so the lookup
 * keeps what comes up to there; then, or when the walk stopped short, the
 * names kept are walked again for a fid of the last.
 */
static int fs9p_lookup(struct vnode *dir, const char *const *names, int n, struct vnode **out)
{
	struct p9_qid qids[P9_WALK_MAX];
	struct p9fs *fs = fs_of(dir);
	uint32_t dfid, fid;
	int k, r;

	r = node_fid(dir, &dfid);
	if (r < 0)
		return r;
	if (n > P9_WALK_MAX)
		n = P9_WALK_MAX;
	r = walk_new(fs, dfid, (unsigned)n, names, qids, &fid);
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	k = walk_keep(qids, r);
	if (k != r || fid == P9_NOFID) {
		fid_put(fs, fid);
		r = walk_new(fs, dfid, (unsigned)k, names, qids, &fid);
		if (r != k)
			return r < 0 ? r : -ENOENT;
	}
	r = lookup_nodes(dir, names, qids, k, fid, out);
	if (r < 0)
		fid_put(fs, fid);
	return r;
}

/* ---- open files ---- */

/* Tlopen's and Tlcreate's flags: the access mode and sync; the core does the rest. */
static uint32_t open_flags(int flags)
{
	return (uint32_t)flags & (O_ACCMODE | VFS_O_SYNC);
}

/*
 * The open fid of vn as h, known to vn for its getattrs; kept at close if
 * that is before keep_until (0: never).
 */
static int handle_new(struct vnode *vn, uint32_t fid, uint64_t keep_until, struct vfs_handle *h)
{
	struct p9fs_handle *hd = kcalloc(1, sizeof(*hd));
	struct p9fs_node *nd = node_of(vn);

	if (!hd)
		return -ENOMEM;
	hd->fid = fid;
	hd->keep_until = keep_until;
	hd->cached = keep_until && fs_of(vn)->data_max;
	mutex_lock(&nd->open_lock);
	list_add_tail(&hd->link, &nd->opens);
	mutex_unlock(&nd->open_lock);
	h->priv = hd;
	return 0;
}

static struct p9fs_handle *handle_of(const struct vfs_handle *h)
{
	return h->priv;
}

/*
 * A read-only open of a regular file takes the fid a close kept, if it
 * is still within the attribute TTL of its Tlopen: no Twalk, Tlopen or
 * Tclunk, and a file the host replaced is seen as late as a stat sees it.
 */
static int fs9p_open(struct vnode *vn, int flags, struct vfs_handle *h)
{
	struct p9fs *fs = fs_of(vn);
	uint64_t ttl = (uint64_t)fs9p.attr_ttl_ms * NS_PER_MS, until = 0;
	bool keep = ttl && vn->type == VFS_IFREG && open_flags(flags) == O_RDONLY;
	struct p9_qid qid;
	uint32_t fid, iounit;
	int r;

	if (keep) {
		fid = kept_take(vn, &until);
		if (fid != P9_NOFID && clock_monotonic_ns() < until) {
			r = handle_new(vn, fid, until, h);
			if (r < 0)
				fid_put(fs, fid);
			return r;
		}
		fid_put(fs, fid);
		until = clock_monotonic_ns() + ttl;
	}
	r = clone_fid(vn, &fid);
	if (r < 0)
		return r;
	r = p9_lopen(&fs->c, fid, open_flags(flags), &qid, &iounit);
	if (r == 0)
		r = handle_new(vn, fid, keep ? until : 0, h);
	if (r < 0)
		fid_put(fs, fid);
	return r;
}

static void fs9p_close(struct vnode *vn, struct vfs_handle *h)
{
	struct p9fs_handle *hd = handle_of(h);
	struct p9fs_node *nd = node_of(vn);
	uint32_t evicted = P9_NOFID;

	mutex_lock(&nd->open_lock);
	list_del(&hd->link);
	mutex_unlock(&nd->open_lock);
	if (!hd->keep_until || clock_monotonic_ns() >= hd->keep_until ||
	    !kept_put(vn, hd->fid, hd->keep_until, &evicted))
		fid_put(fs_of(vn), hd->fid);
	fid_put(fs_of(vn), evicted);
	kfree(hd->dbuf);
	kfree(hd);
	h->priv = NULL;
}

/*
 * Tlcreate on a clone of the directory's fid, which becomes the open fid;
 * the new vnode is lazy. O_EXCL goes along so that a file the host made
 * meanwhile is EEXIST for a caller who asked for that.
 */
static int fs9p_create(struct vnode *dir, const char *name, uint32_t mode, int flags,
		       struct vnode **out, struct vfs_handle *h)
{
	struct p9fs *fs = fs_of(dir);
	uint32_t fid, iounit, cflags;
	struct p9_qid qid;
	int r;

	r = clone_fid(dir, &fid);
	if (r < 0)
		return r;
	cflags = flags < 0 ? O_RDONLY : open_flags(flags) | ((uint32_t)flags & VFS_O_EXCL);
	r = p9_lcreate(&fs->c, fid, name, cflags, mode & FS9P_MODE_BITS, 0, &qid, &iounit);
	attr_invalidate(dir);
	if (r < 0)
		goto err_clunk;
	*out = node_new_lazy(dir, name, &qid, VFS_IFREG);
	r = -ENOMEM;
	if (!*out)
		goto err_clunk;
	if (flags < 0) {
		fid_put(fs, fid);
		return 0;
	}
	r = handle_new(*out, fid, 0, h);
	if (r == 0)
		return 0;
	vnode_put(*out);
	*out = NULL;
err_clunk:
	fid_put(fs, fid);
	return r;
}

static long fs9p_read(struct vnode *vn, struct vfs_handle *h, void *buf, size_t n, uint64_t off)
{
	struct p9fs_handle *hd = handle_of(h);
	long r;

	if (!n)
		return 0;
	if (hd->cached && data_read(vn, hd->fid, buf, n, off, &r))
		return r;
	return p9_read(&fs_of(vn)->c, hd->fid, off, buf, n);
}

/*
 * 9P has no append mode a server must honour: write at the size the
 * server gives now, one append at a time per vnode (this guest's appends
 * do not overlap; the host's may, as two Linux hosts' over NFS).
 */
static long write_append(struct vnode *vn, uint32_t fid, const void *buf, size_t n, uint64_t *off)
{
	struct p9fs_node *nd = node_of(vn);
	struct p9fs *fs = fs_of(vn);
	struct p9_attr a;
	long r;

	mutex_lock(&nd->append);
	r = p9_getattr(&fs->c, fid, P9_GETATTR_SIZE, &a);
	if (r == 0) {
		r = p9_write(&fs->c, fid, a.size, buf, n);
		if (r > 0)
			*off = a.size + (uint64_t)r;
	}
	attr_invalidate(vn);
	mutex_unlock(&nd->append);
	return r;
}

static long fs9p_write(struct vnode *vn, struct vfs_handle *h, const void *buf, size_t n,
		       uint64_t *off, bool append)
{
	uint32_t fid = handle_of(h)->fid;
	long r;

	if (!n)
		return 0;
	if (append)
		return write_append(vn, fid, buf, n, off);
	r = p9_write(&fs_of(vn)->c, fid, *off, buf, n);
	if (r > 0)
		*off += (uint64_t)r;
	attr_invalidate(vn);
	return r;
}

/*
 * Hands out the kept entries from hd->dpos (at least one is there): 1 when
 * they are all out, 0 when fill wants no more, -EIO for data that is no
 * entry.
 */
static int readdir_fill(struct p9fs_handle *hd, vfs_filldir fill, void *ctx)
{
	struct p9_dirent d;
	uint32_t pos = hd->dpos;
	int r;

	while ((r = p9_dirent_next(hd->dbuf, hd->dlen, &pos, &d)) == 1) {
		if (!fill(ctx, d.name, d.name_len, d.qid.path, d.type, d.offset))
			return 0;
		hd->dpos = pos;
		hd->dcookie = d.offset;
	}
	return r == 0 ? 1 : -EIO;
}

/* The next Rreaddir's entries from cookie into hd's buffer: 1, 0 at the end, or an error. */
static int readdir_fetch(struct p9fs *fs, struct p9fs_handle *hd, uint64_t cookie)
{
	uint32_t size = fs->c.msize - P9_IOHDR;
	long n;

	if (!hd->dbuf)
		hd->dbuf = kmalloc(size);
	if (!hd->dbuf)
		return -ENOMEM;
	n = p9_readdir(&fs->c, hd->fid, cookie, hd->dbuf, size);
	hd->dlen = n > 0 ? (uint32_t)n : 0;
	hd->dpos = 0;
	hd->dcookie = cookie;
	return n > 0 ? 1 : (int)n;
}

/*
 * One Rreaddir holds many getdents' worth (msize - P9_IOHDR bytes of
 * entries): what the caller had no room for is kept in the handle for
 * the next call from the cookie where it stopped; any other cookie (a
 * seek, a rewind) asks the server again. The buffer goes at the end of
 * the directory and at close.
 */
static int fs9p_readdir(struct vnode *vn, struct vfs_handle *h, uint64_t cookie, vfs_filldir fill,
			void *ctx)
{
	struct p9fs_handle *hd = handle_of(h);
	int r = 1;

	mutex_lock(&hd->dir_lock);
	if (!hd->dbuf || hd->dpos >= hd->dlen || hd->dcookie != cookie)
		r = readdir_fetch(fs_of(vn), hd, cookie);
	while (r == 1) {
		r = readdir_fill(hd, fill, ctx);
		if (r == 1)
			r = readdir_fetch(fs_of(vn), hd, hd->dcookie);
	}
	if (r != 0 || hd->dpos >= hd->dlen) {
		kfree(hd->dbuf);
		hd->dbuf = NULL;
	}
	mutex_unlock(&hd->dir_lock);
	return r < 0 ? r : 0;
}

static int fs9p_fsync(struct vnode *vn, struct vfs_handle *h, bool datasync)
{
	return p9_fsync(&fs_of(vn)->c, handle_of(h)->fid, datasync);
}

static int fs9p_statfs(struct vnode *vn, struct vfs_statfs *st)
{
	struct p9_statfs s;
	uint32_t fid;
	int r;

	r = node_fid(vn, &fid);
	if (r < 0)
		return r;
	r = p9_statfs(&fs_of(vn)->c, fid, &s);
	if (r < 0)
		return r;
	*st = (struct vfs_statfs){
		.type = s.type,
		.bsize = s.bsize,
		.blocks = s.blocks,
		.bfree = s.bfree,
		.bavail = s.bavail,
		.files = s.files,
		.ffree = s.ffree,
		.fsid = s.fsid,
		.namelen = s.namelen,
		.frsize = s.bsize,
	};
	return 0;
}

/* ---- the namespace (under the VFS core's mutex) ---- */

static int fs9p_mkdir(struct vnode *dir, const char *name, uint32_t mode)
{
	struct p9_qid qid;
	uint32_t dfid;
	int r;

	r = node_fid(dir, &dfid);
	if (r < 0)
		return r;
	r = p9_mkdir(&fs_of(dir)->c, dfid, name, mode & FS9P_MODE_BITS, 0, &qid);
	attr_invalidate(dir);
	return r;
}

static int fs9p_unlink(struct vnode *dir, const char *name, bool rmdir)
{
	uint32_t dfid;
	int r;

	r = node_fid(dir, &dfid);
	if (r < 0)
		return r;
	r = p9_unlinkat(&fs_of(dir)->c, dfid, name, rmdir ? P9_AT_REMOVEDIR : 0);
	attr_invalidate_all(fs_of(dir));
	return r;
}

static int fs9p_rename(struct vnode *odir, const char *oname, struct vnode *ndir, const char *nname)
{
	uint32_t ofid, nfid;
	int r;

	r = node_fid(odir, &ofid);
	if (r == 0)
		r = node_fid(ndir, &nfid);
	if (r < 0)
		return r;
	materialise_name(odir, oname);
	r = p9_renameat(&fs_of(odir)->c, ofid, oname, nfid, nname);
	attr_invalidate_all(fs_of(odir));
	return r;
}

static int fs9p_symlink(struct vnode *dir, const char *name, const char *target)
{
	struct p9_qid qid;
	uint32_t dfid;
	int r;

	r = node_fid(dir, &dfid);
	if (r < 0)
		return r;
	r = p9_symlink(&fs_of(dir)->c, dfid, name, target, 0, &qid);
	attr_invalidate(dir);
	return r;
}

/* Linux's readlink truncates to the caller's size; the client refuses to, so read it whole. */
static long fs9p_readlink(struct vnode *vn, char *buf, size_t size)
{
	char *target = kmalloc(VFS_PATH_MAX + 1);
	uint32_t fid;
	long r;

	if (!target)
		return -ENOMEM;
	r = node_fid(vn, &fid);
	if (r == 0)
		r = p9_readlink(&fs_of(vn)->c, fid, target, VFS_PATH_MAX + 1);
	if (r > (long)size)
		r = (long)size;
	if (r > 0)
		memcpy(buf, target, (size_t)r);
	kfree(target);
	return r;
}

static int fs9p_link(struct vnode *dir, const char *name, struct vnode *vn)
{
	uint32_t dfid, fid;
	int r;

	r = node_fid(dir, &dfid);
	if (r == 0)
		r = node_fid(vn, &fid);
	if (r < 0)
		return r;
	r = p9_link(&fs_of(dir)->c, dfid, fid, name);
	attr_invalidate_all(fs_of(dir));
	return r;
}

static const struct vnode_ops fs9p_ops = {
	.lookup = fs9p_lookup,
	.getattr = fs9p_getattr,
	.setattr = fs9p_setattr,
	.create = fs9p_create,
	.mkdir = fs9p_mkdir,
	.unlink = fs9p_unlink,
	.rename = fs9p_rename,
	.symlink = fs9p_symlink,
	.readlink = fs9p_readlink,
	.link = fs9p_link,
	.open = fs9p_open,
	.close = fs9p_close,
	.read = fs9p_read,
	.write = fs9p_write,
	.readdir = fs9p_readdir,
	.fsync = fs9p_fsync,
	.statfs = fs9p_statfs,
	.release = fs9p_release,
};

/* ---- mount ---- */

/*
 * The one message for a tag that is not there: what there is, and what to
 * do. An error, but for the default tag on a machine with no 9p device at
 * all, which is a machine started without a share: a warning.
 */
static void report_missing(const char *want, const char *tag, bool asked)
{
	char found[FS9P_TAGS_SHOWN];
	size_t len = 0;
	int n = virtio_9p_count();

	if (n == 0) {
		printk(asked ? LOG_ERR : LOG_WARN,
		       "9pfs: no virtio-9p device found, so no %s to mount: attach a host "
		       "directory with run.sh --fs DIR, or with QEMU's -fsdev local,id=fs0,"
		       "path=DIR,security_model=none -device virtio-9p-pci,fsdev=fs0,mount_tag=%s, "
		       "or libvirt's <filesystem type='mount'> with <target dir='%s'/>",
		       want, tag, tag);
		return;
	}
	found[0] = '\0';
	for (int i = 0; i < n && len < sizeof(found) - 1; i++) {
		int w = snprintf(found + len, sizeof(found) - len, "%s'%s'", i ? ", " : "",
				 virtio_9p_tag(i));

		len += w > 0 ? (size_t)w : 0;
	}
	pr_err("9pfs: no virtio-9p device tagged %s; found %s. Set vfs.rootdev=<tag> to mount "
	       "one of those, or attach the directory with mount_tag=%s (run.sh --fs DIR, or "
	       "-fsdev local,id=fs0,path=DIR,security_model=none "
	       "-device virtio-9p-pci,fsdev=fs0,mount_tag=%s, or libvirt's <target dir='%s'/>)",
	       want, found, tag, tag, tag);
}

/* The transport for dev; NULL (the default): "rootfs", else "fs0". */
static const struct p9_transport *find_transport(const char **dev)
{
	const struct p9_transport *t;
	char want[VIRTIO_9P_TAG_MAX + 3];

	if (*dev) {
		t = virtio_9p_find(*dev);
		if (!t) {
			snprintf(want, sizeof(want), "'%s'", *dev);
			report_missing(want, *dev, true);
		}
		return t;
	}
	*dev = FS9P_DEFAULT_TAG;
	t = virtio_9p_find(*dev);
	if (t)
		return t;
	*dev = FS9P_DEFAULT_TAG2;
	t = virtio_9p_find(*dev);
	if (!t)
		report_missing("'" FS9P_DEFAULT_TAG "' (or '" FS9P_DEFAULT_TAG2 "')",
			       FS9P_DEFAULT_TAG, false);
	return t;
}

static int mount_failed(const char *tag, const char *step, int r)
{
	pr_err("9pfs: cannot mount '%s': %s failed: %s (%d)", tag, step, err_name(r), r);
	return r;
}

/* Version, attach and the root's attributes: the root vnode. */
static int mount_root(struct mount *mnt, struct p9fs *fs, const struct p9_transport *t,
		      struct vnode **root)
{
	struct p9_attr a;
	struct p9_qid qid;
	uint32_t fid;
	int r;

	r = p9_client_init(&fs->c, t, t->msize_max);
	if (r < 0)
		return mount_failed(fs->tag, "Tversion", r);
	fid = p9_fid_alloc(&fs->c);
	r = fid == P9_NOFID ? -ENFILE : p9_attach(&fs->c, fid, &qid);
	if (r < 0) {
		p9_fid_release(&fs->c, fid);
		return mount_failed(fs->tag, "Tattach", r);
	}
	fs->fids = 1;
	r = p9_getattr(&fs->c, fid, P9_GETATTR_BASIC, &a);
	if (r == 0 && !VFS_ISDIR(a.mode))
		r = -ENOTDIR;
	if (r == 0)
		*root = node_new(mnt, &qid, VFS_IFDIR, fid);
	if (r == 0 && !*root)
		r = -ENOMEM;
	if (r < 0) {
		fid_put(fs, fid);
		return mount_failed(fs->tag, "Tgetattr of the root", r);
	}
	return 0;
}

/*
 * The data cache's room: 9pfs.data_cache_kb, or a sixteenth of RAM; a file
 * over a quarter of it, or over FS9P_DATA_FILE_MAX, is not cached. With
 * the attribute TTL 0 there is none: a copy is good only within it.
 */
static void data_room(struct p9fs *fs)
{
	struct page_stats ps;

	if (fs9p.data_cache_kb >= 0) {
		fs->data_max = (size_t)fs9p.data_cache_kb << 10;
	} else {
		page_stats(&ps);
		fs->data_max = (size_t)(ps.total / FS9P_DATA_SHARE);
	}
	if (!fs9p.attr_ttl_ms)
		fs->data_max = 0;
	fs->data_file_max =
		fs->data_max / 4 < FS9P_DATA_FILE_MAX ? fs->data_max / 4 : FS9P_DATA_FILE_MAX;
}

/* The exit report's line: what the data cache did. */
static void fs9p_report(struct mount *mnt)
{
	struct p9fs *fs = mnt->priv;
	struct fs_9p_stats st;

	fs_9p_stats(mnt, &st);
	if (!st.data_fills && !st.data_no_room)
		return;
	pr_info("9pfs: '%s': %lu reads from cached files, %lu files read whole, %lu copies "
		"stale, %lu evicted, %lu without room; %zu KiB cached",
		fs->tag, (unsigned long)st.data_hits, (unsigned long)st.data_fills,
		(unsigned long)st.data_stale, (unsigned long)st.data_evicted,
		(unsigned long)st.data_no_room, (unsigned long)(st.data_bytes >> 10));
}

static int fs9p_mount(struct mount *mnt, const char *dev, const char *opts, struct vnode **root)
{
	const struct p9_transport *t = find_transport(&dev);
	struct p9fs *fs;
	int r;

	if (!t)
		return -ENODEV;
	if (opts && *opts)
		pr_warn("9pfs: '%s': options '%s' ignored: 9pfs has none", dev, opts);
	fs = kcalloc(1, sizeof(*fs));
	if (!fs)
		return -ENOMEM;
	list_init(&fs->lazy);
	list_init(&fs->kept);
	list_init(&fs->data);
	data_room(fs);
	snprintf(fs->tag, sizeof(fs->tag), "%s", dev);
	mnt->priv = fs;
	r = mount_root(mnt, fs, t, root);
	if (r < 0) {
		mnt->priv = NULL;
		kfree(fs);
		return r;
	}
	pr_info("9pfs: mounted tag '%s' (%s), its root directory attached: msize %u, "
		"attributes and files up to %zu KiB (%zu KiB in all) cached %d ms",
		fs->tag, t->name, fs->c.msize, fs->data_file_max >> 10, fs->data_max >> 10,
		fs9p.attr_ttl_ms);
	return 0;
}

const struct vfs_fstype fs_9p_type = {
	.name = "9pfs",
	.mount = fs9p_mount,
	.report = fs9p_report,
	.dentry_ttl_ns = FS9P_DENTRY_TTL_NS,
};
