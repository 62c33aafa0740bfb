/*
 * ramfs (lib/vfs/vfs.h, docs/vfs.md): files in memory, the root when there
 * is no 9p device and /tmp on request (vfs.tmp=ramfs). Directories are
 * lists of entries, each with an id that never repeats, which serves as
 * readdir's cookie, so a listing resumes correctly across unlinks. File
 * data is an array of pages from the page allocator; a page never written
 * is a hole that reads as zeros. Each node keeps one vnode for its life,
 * with one reference of its own while a name links it (nlink > 0); the
 * last reference frees it, so an unlinked file lives while it is open.
 * One mutex per mount covers every node of the mount.
 */
#include <errno.h>
#include <string.h>

#include "lib/kc/include/stdlib.h" /* kmalloc(), by its path: the host test finds it too */
#include "kernel/page.h"
#include "kernel/time.h"
#include "lib/vfs/vfs.h"

#define RAMFS_MAGIC 0x01021994 /* Linux's tmpfs, as statfs shows it */
#define RAM_PAGE 4096u
#define DIRENT_BOGO 20 /* a directory's st_size per entry, as tmpfs counts */
#define DT_DIR 4
#define DT_REG 8
#define DT_LNK 10
#define FIRST_ID 3 /* readdir cookies: 1 after ".", 2 after "..", then entries' ids + 1 */

struct ramfs {
	struct mutex lock;
	uint64_t next_ino;
};

struct rnode {
	struct vnode *vn;
	struct ramfs *fs;
	uint32_t mode, uid, gid;
	uint64_t nlink, size;
	struct vfs_time atime, mtime, ctime;
	union {
		struct {
			char **pages; /* [npages], NULL: a hole */
			size_t npages;
		} file;
		struct {
			struct list_head entries; /* struct rdirent, by id */
			uint64_t next_id;
			struct rnode *parent;
		} dir;
		char *target; /* a symlink's */
	};
};

struct rdirent {
	struct list_head link;
	struct rnode *node;
	uint64_t id;
	size_t len;
	char name[];
};

static const struct vnode_ops ram_ops;

static struct vfs_time now(void)
{
	uint64_t ns = clock_realtime_ns();

	return (struct vfs_time){ (int64_t)(ns / 1000000000u), (int64_t)(ns % 1000000000u) };
}

static struct rnode *node_of(struct vnode *vn)
{
	return vn->priv;
}

static void lock(struct rnode *n)
{
	mutex_lock(&n->fs->lock);
}

static void unlock(struct rnode *n)
{
	mutex_unlock(&n->fs->lock);
}

/* A new node of mode in mnt, linked once: its vnode holds the link's reference. */
static struct rnode *node_new(struct mount *mnt, uint32_t mode)
{
	struct ramfs *fs = mnt->priv;
	struct rnode *n = kcalloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->vn = vnode_new(mnt, &ram_ops, mode, ++fs->next_ino, n);
	if (!n->vn) {
		kfree(n);
		return NULL;
	}
	n->fs = fs;
	n->mode = mode;
	n->nlink = VFS_ISDIR(mode) ? 2 : 1;
	n->atime = n->mtime = n->ctime = now();
	if (VFS_ISDIR(mode)) {
		list_init(&n->dir.entries);
		n->dir.next_id = FIRST_ID;
	}
	return n;
}

/* Frees pages from index first on. Locked, or the node is unreachable. */
static void drop_pages(struct rnode *n, size_t first)
{
	for (size_t i = first; i < n->file.npages; i++) {
		if (n->file.pages[i])
			page_free(n->file.pages[i], 1);
	}
	if (first < n->file.npages)
		n->file.npages = first;
}

/*
 * The last reference is gone: the node has no name and no opener, so
 * nobody else can reach it, and the mount's lock (which the caller may
 * hold: a failed create drops its new node) is not needed.
 */
static void ram_release(struct vnode *vn)
{
	struct rnode *n = node_of(vn);

	if (VFS_ISREG(n->mode)) {
		drop_pages(n, 0);
		kfree(n->file.pages);
	} else if (VFS_ISLNK(n->mode)) {
		kfree(n->target);
	}
	kfree(n);
}

static struct rdirent *find(struct rnode *dir, const char *name)
{
	size_t len = strlen(name);

	list_for_each(p, &dir->dir.entries)
	{
		struct rdirent *e = list_entry(p, struct rdirent, link);

		if (e->len == len && !memcmp(e->name, name, len))
			return e;
	}
	return NULL;
}

/* An entry naming n, not yet in a directory: NULL when there is no memory. */
static struct rdirent *entry_new(const char *name, struct rnode *n)
{
	size_t len = strlen(name);
	struct rdirent *e = kmalloc(sizeof(*e) + len + 1);

	if (!e)
		return NULL;
	e->node = n;
	e->len = len;
	memcpy(e->name, name, len + 1);
	return e;
}

/* Puts e into dir. Locked. */
static void attach(struct rnode *dir, struct rdirent *e)
{
	e->id = dir->dir.next_id++;
	list_add_tail(&e->link, &dir->dir.entries);
	dir->size += DIRENT_BOGO;
	dir->mtime = dir->ctime = e->node->ctime = now();
	if (VFS_ISDIR(e->node->mode)) {
		e->node->dir.parent = dir;
		dir->nlink++;
	}
}

/* Takes e out of dir; the node keeps its link count. Locked. */
static void detach(struct rnode *dir, struct rdirent *e)
{
	list_del(&e->link);
	dir->size -= DIRENT_BOGO;
	dir->mtime = dir->ctime = e->node->ctime = now();
	if (VFS_ISDIR(e->node->mode))
		dir->nlink--;
}

/* Links n as name in dir. Locked. 0 or -ENOSPC. */
static int add_entry(struct rnode *dir, const char *name, struct rnode *n)
{
	struct rdirent *e = entry_new(name, n);

	if (!e)
		return -ENOSPC;
	attach(dir, e);
	return 0;
}

/* Unlinks entry e from dir; a node left with no name loses its own reference. Locked. */
static void remove_entry(struct rnode *dir, struct rdirent *e)
{
	struct rnode *n = e->node;

	detach(dir, e);
	kfree(e);
	n->nlink = VFS_ISDIR(n->mode) ? 0 : n->nlink - 1;
	if (!n->nlink)
		vnode_put(n->vn);
}

static int ram_lookup(struct vnode *dvn, const char *const *names, int count, struct vnode **out)
{
	struct rnode *dir = node_of(dvn);
	struct ramfs *fs = dir->fs;
	int i;

	mutex_lock(&fs->lock);
	for (i = 0; i < count; i++) {
		struct rdirent *e = find(dir, names[i]);

		if (!e)
			break;
		out[i] = vnode_hold(e->node->vn);
		dir = e->node;
		if (!VFS_ISDIR(dir->mode)) {
			i++;
			break;
		}
	}
	mutex_unlock(&fs->lock);
	return i ? i : -ENOENT;
}

static int ram_getattr(struct vnode *vn, struct vattr *a)
{
	struct rnode *n = node_of(vn);
	uint64_t pages = 0;

	lock(n);
	if (VFS_ISREG(n->mode))
		for (size_t i = 0; i < n->file.npages; i++)
			pages += n->file.pages[i] != NULL;
	*a = (struct vattr){ .mode = n->mode,
			     .uid = n->uid,
			     .gid = n->gid,
			     .ino = vn->ino,
			     .nlink = n->nlink,
			     .size = n->size,
			     .blocks = pages * (RAM_PAGE / 512),
			     .blksize = RAM_PAGE,
			     .atime = n->atime,
			     .mtime = n->mtime,
			     .ctime = n->ctime };
	unlock(n);
	return 0;
}

/* Sets the size: pages past it go, and the tail of the last one is zeroed. Locked. */
static void resize(struct rnode *n, uint64_t size)
{
	size_t keep = (size_t)((size + RAM_PAGE - 1) / RAM_PAGE);

	if (size < n->size) {
		drop_pages(n, keep);
		if (size % RAM_PAGE && keep <= n->file.npages && n->file.pages[keep - 1])
			memset(n->file.pages[keep - 1] + size % RAM_PAGE, 0,
			       RAM_PAGE - size % RAM_PAGE);
	}
	n->size = size;
}

static int ram_setattr(struct vnode *vn, const struct vattr_set *s)
{
	struct rnode *n = node_of(vn);
	struct vfs_time t = now();

	lock(n);
	if (s->mask & VSET_SIZE) {
		if (!VFS_ISREG(n->mode)) {
			unlock(n);
			return VFS_ISDIR(n->mode) ? -EISDIR : -EINVAL;
		}
		resize(n, s->size);
		n->mtime = t;
	}
	if (s->mask & VSET_MODE)
		n->mode = (n->mode & VFS_IFMT) | (s->mode & 07777);
	if (s->mask & VSET_UID)
		n->uid = s->uid;
	if (s->mask & VSET_GID)
		n->gid = s->gid;
	if (s->mask & (VSET_ATIME | VSET_ATIME_NOW))
		n->atime = s->mask & VSET_ATIME ? s->atime : t;
	if (s->mask & (VSET_MTIME | VSET_MTIME_NOW))
		n->mtime = s->mask & VSET_MTIME ? s->mtime : t;
	n->ctime = t;
	unlock(n);
	return 0;
}

/* A new node of mode named name in dir, locked by the caller: the node, or NULL and *err. */
static struct rnode *make(struct vnode *dvn, const char *name, uint32_t mode, int *err)
{
	struct rnode *dir = node_of(dvn), *n;

	*err = dir->nlink ? -EEXIST : -ENOENT; /* a removed directory takes no new names */
	if (!dir->nlink || find(dir, name))
		return NULL;
	*err = -ENOSPC;
	n = node_new(dvn->mnt, mode);
	if (!n)
		return NULL;
	*err = add_entry(dir, name, n);
	if (*err < 0) {
		vnode_put(n->vn);
		return NULL;
	}
	return n;
}

static int ram_create(struct vnode *dvn, const char *name, uint32_t mode, int flags,
		      struct vnode **out, struct vfs_handle *h)
{
	struct rnode *n;
	int err;

	(void)flags;
	lock(node_of(dvn));
	n = make(dvn, name, VFS_IFREG | (mode & 07777), &err);
	if (n && out)
		*out = vnode_hold(n->vn);
	unlock(node_of(dvn));
	if (h)
		h->priv = NULL;
	return n ? 0 : err;
}

static int ram_mkdir(struct vnode *dvn, const char *name, uint32_t mode)
{
	struct rnode *n;
	int err;

	lock(node_of(dvn));
	n = make(dvn, name, VFS_IFDIR | (mode & 07777), &err);
	unlock(node_of(dvn));
	return n ? 0 : err;
}

static int ram_symlink(struct vnode *dvn, const char *name, const char *target)
{
	size_t len = strlen(target);
	char *copy = kmalloc(len + 1);
	struct rnode *n;
	int err;

	if (!copy)
		return -ENOSPC;
	memcpy(copy, target, len + 1);
	lock(node_of(dvn));
	n = make(dvn, name, VFS_IFLNK | 0777, &err);
	if (n) {
		n->target = copy;
		n->size = len;
	}
	unlock(node_of(dvn));
	if (!n)
		kfree(copy);
	return n ? 0 : err;
}

static long ram_readlink(struct vnode *vn, char *buf, size_t size)
{
	struct rnode *n = node_of(vn);
	size_t len;

	lock(n);
	len = n->size < size ? n->size : size;
	memcpy(buf, n->target, len);
	n->atime = now();
	unlock(n);
	return (long)len;
}

static int ram_link(struct vnode *dvn, const char *name, struct vnode *vn)
{
	struct rnode *dir = node_of(dvn), *n = node_of(vn);
	int err = -EEXIST;

	lock(dir);
	if (!n->nlink || !dir->nlink) {
		err = -ENOENT; /* an unlinked file, or a removed directory, as Linux answers */
	} else if (!find(dir, name)) {
		err = add_entry(dir, name, n);
		if (!err) {
			n->nlink++;
			n->ctime = now();
		}
	}
	unlock(dir);
	return err;
}

static int ram_unlink(struct vnode *dvn, const char *name, bool rmdir)
{
	struct rnode *dir = node_of(dvn);
	struct rdirent *e;
	int err = 0;

	lock(dir);
	e = find(dir, name);
	if (!e)
		err = -ENOENT;
	else if (rmdir && !VFS_ISDIR(e->node->mode))
		err = -ENOTDIR;
	else if (!rmdir && VFS_ISDIR(e->node->mode))
		err = -EISDIR;
	else if (rmdir && !list_empty(&e->node->dir.entries))
		err = -ENOTEMPTY;
	else
		remove_entry(dir, e);
	unlock(dir);
	return err;
}

static int ram_rename(struct vnode *odvn, const char *oname, struct vnode *ndvn, const char *nname)
{
	struct rnode *odir = node_of(odvn), *ndir = node_of(ndvn);
	struct rdirent *from, *to, *e = NULL;
	int err = 0;

	lock(odir);
	from = find(odir, oname);
	to = find(ndir, nname);
	if (!from)
		err = -ENOENT;
	else if (to && to->node == from->node)
		err = 0; /* two names of one file: nothing to do */
	else if (to && VFS_ISDIR(to->node->mode) && !list_empty(&to->node->dir.entries))
		err = -ENOTEMPTY;
	else if (!(e = entry_new(nname, from->node)))
		err = -ENOSPC;
	if (err || (to && to->node == from->node)) {
		unlock(odir);
		return err;
	}
	detach(odir, from);
	kfree(from);
	if (to)
		remove_entry(ndir, to);
	attach(ndir, e);
	unlock(odir);
	return 0;
}

static int ram_open(struct vnode *vn, int flags, struct vfs_handle *h)
{
	(void)vn, (void)flags;
	h->priv = NULL;
	return 0;
}

static long ram_read(struct vnode *vn, struct vfs_handle *h, void *buf, size_t count, uint64_t off)
{
	struct rnode *n = node_of(vn);
	size_t done = 0;

	(void)h;
	lock(n);
	if (off < n->size && count > n->size - off)
		count = (size_t)(n->size - off);
	while (off < n->size && done < count) {
		size_t page = (size_t)((off + done) / RAM_PAGE), at = (off + done) % RAM_PAGE;
		size_t k = RAM_PAGE - at < count - done ? RAM_PAGE - at : count - done;
		const char *p = page < n->file.npages ? n->file.pages[page] : NULL;

		if (p)
			memcpy((char *)buf + done, p + at, k);
		else
			memset((char *)buf + done, 0, k);
		done += k;
	}
	n->atime = now();
	unlock(n);
	return (long)done;
}

/* Makes the page array cover page index last. Locked. 0 or -ENOSPC. */
static int cover(struct rnode *n, size_t last)
{
	size_t want = n->file.npages ? n->file.npages : 4;
	char **p;

	if (last < n->file.npages)
		return 0;
	while (want <= last)
		want *= 2;
	p = krealloc(n->file.pages, want * sizeof(*p));
	if (!p)
		return -ENOSPC;
	memset(p + n->file.npages, 0, (want - n->file.npages) * sizeof(*p));
	n->file.pages = p;
	n->file.npages = want;
	return 0;
}

/* The page at index i, made if it is a hole. Locked. NULL: no memory. */
static char *page_at(struct rnode *n, size_t i)
{
	if (!n->file.pages[i]) {
		n->file.pages[i] = page_alloc(1);
		if (!n->file.pages[i])
			return NULL;
		memset(n->file.pages[i], 0, RAM_PAGE);
	}
	return n->file.pages[i];
}

static long ram_write(struct vnode *vn, struct vfs_handle *h, const void *buf, size_t count,
		      uint64_t *off, bool append)
{
	struct rnode *n = node_of(vn);
	uint64_t at;
	size_t done = 0;

	(void)h;
	lock(n);
	at = append ? n->size : *off;
	if (at > INT64_MAX - count) {
		unlock(n);
		return -EFBIG;
	}
	if (count && cover(n, (size_t)((at + count - 1) / RAM_PAGE)) < 0) {
		unlock(n);
		return -ENOSPC;
	}
	while (done < count) {
		uint64_t pos = at + done;
		size_t k = RAM_PAGE - pos % RAM_PAGE < count - done ? RAM_PAGE - pos % RAM_PAGE
								    : count - done;
		char *p = page_at(n, (size_t)(pos / RAM_PAGE));

		if (!p)
			break;
		memcpy(p + pos % RAM_PAGE, (const char *)buf + done, k);
		done += k;
	}
	if (at + done > n->size)
		n->size = at + done;
	if (done)
		n->mtime = n->ctime = now();
	*off = at + done;
	unlock(n);
	return done || !count ? (long)done : -ENOSPC;
}

static unsigned dtype(uint32_t mode)
{
	return VFS_ISDIR(mode) ? DT_DIR : VFS_ISLNK(mode) ? DT_LNK : DT_REG;
}

static int ram_readdir(struct vnode *vn, struct vfs_handle *h, uint64_t cookie, vfs_filldir fill,
		       void *ctx)
{
	struct rnode *dir = node_of(vn);
	struct rnode *up;

	(void)h;
	lock(dir);
	up = dir->dir.parent ? dir->dir.parent : dir;
	if (cookie < 1 && !fill(ctx, ".", 1, vn->ino, DT_DIR, 1))
		goto out;
	if (cookie < 2 && !fill(ctx, "..", 2, up->vn->ino, DT_DIR, 2))
		goto out;
	list_for_each(p, &dir->dir.entries)
	{
		struct rdirent *e = list_entry(p, struct rdirent, link);

		if (e->id + 1 <= cookie)
			continue;
		if (!fill(ctx, e->name, e->len, e->node->vn->ino, dtype(e->node->mode), e->id + 1))
			break;
	}
out:
	dir->atime = now();
	unlock(dir);
	return 0;
}

static int ram_statfs(struct vnode *vn, struct vfs_statfs *st)
{
	struct page_stats ps;

	(void)vn;
	page_stats(&ps);
	*st = (struct vfs_statfs){ .type = RAMFS_MAGIC,
				   .bsize = RAM_PAGE,
				   .blocks = ps.total / RAM_PAGE,
				   .bfree = ps.free / RAM_PAGE,
				   .bavail = ps.free / RAM_PAGE,
				   .files = ps.total / RAM_PAGE,
				   .ffree = ps.free / RAM_PAGE,
				   .namelen = VFS_NAME_MAX,
				   .frsize = RAM_PAGE };
	return 0;
}

static int ram_fsync(struct vnode *vn, struct vfs_handle *h, bool datasync)
{
	(void)vn, (void)h, (void)datasync;
	return 0; /* memory is where the data stays */
}

static const struct vnode_ops ram_ops = {
	.lookup = ram_lookup,
	.getattr = ram_getattr,
	.setattr = ram_setattr,
	.create = ram_create,
	.mkdir = ram_mkdir,
	.unlink = ram_unlink,
	.rename = ram_rename,
	.symlink = ram_symlink,
	.readlink = ram_readlink,
	.link = ram_link,
	.open = ram_open,
	.read = ram_read,
	.write = ram_write,
	.readdir = ram_readdir,
	.fsync = ram_fsync,
	.statfs = ram_statfs,
	.release = ram_release,
};

static int ram_mount(struct mount *mnt, const char *dev, const char *opts, struct vnode **root)
{
	struct ramfs *fs = kcalloc(1, sizeof(*fs));
	struct rnode *n;

	(void)dev, (void)opts;
	if (!fs)
		return -ENOMEM;
	mnt->priv = fs;
	n = node_new(mnt, VFS_IFDIR | 0755);
	if (!n) {
		kfree(fs);
		return -ENOMEM;
	}
	*root = vnode_hold(n->vn); /* the node keeps its own: a root is always linked */
	return 0;
}

const struct vfs_fstype ramfs_type = {
	.name = "ramfs",
	.mount = ram_mount,
};
