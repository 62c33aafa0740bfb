/*
 * The path walk (docs/vfs.md). One name at a time from the start (the
 * root for "/...", else the working directory or dirfd): "." stays, ".."
 * goes to the parent dentry (never above the root; a mounted root's
 * parent is its mount point's, so ".." leaves the mount), a mount hides
 * the name it is mounted on, and a name is looked up first in the dentry
 * cache. On a miss the file system is asked for as many consecutive names
 * of the path as it will walk at once (9pfs: one Twalk), and each becomes
 * a dentry. A symlink is replaced by its target, spliced in front of the
 * rest of the path, up to VFS_SYMLINKS_MAX times (then ELOOP). The last
 * name is looked up but judged by the caller. Runs with the namespace lock
 * held; the buffers live on the heap, since a system call runs on the
 * application's own stack, which may be small.
 */
#include "lib/vfs/vfs_priv.h"

#include <errno.h>
#include <string.h>

#include "lib/kc/include/stdlib.h" /* kmalloc(), by its path: the host test finds it too */
#include "kernel/uaccess.h"

#define BATCH_MAX 16 /* names asked for in one lookup (9P's Twalk carries 16) */

struct walker {
	char *path, *spare; /* VFS_PATH_MAX each: the path left, and room to splice into */
	size_t pos;
	int links;
	struct dentry *cur; /* a reference */
	unsigned flags;
	char names[BATCH_MAX][VFS_NAME_MAX + 1];
};

static bool is_dot(const char *s, size_t len)
{
	return len == 1 && s[0] == '.';
}

static bool is_dotdot(const char *s, size_t len)
{
	return len == 2 && s[0] == '.' && s[1] == '.';
}

static struct dentry *up(struct dentry *d)
{
	return d == vfs_root() || !d->parent ? d : d->parent;
}

/* Copies the normal names of the path from k->pos (the first one included) for one lookup. */
static int batch(struct walker *k, const char *name, size_t len)
{
	size_t at = k->pos;
	int n = 1;

	memcpy(k->names[0], name, len);
	k->names[0][len] = '\0';
	while (n < BATCH_MAX) {
		size_t l;

		while (k->path[at] == '/')
			at++;
		l = strcspn(k->path + at, "/");
		if (!l || l > VFS_NAME_MAX || is_dot(k->path + at, l) || is_dotdot(k->path + at, l))
			break;
		memcpy(k->names[n], k->path + at, l);
		k->names[n++][l] = '\0';
		at += l;
	}
	return n;
}

/* Asks dir's file system for name and the names after it; the dentry of name, or an errno. */
static int miss(struct walker *k, struct dentry *dir, const char *name, size_t len,
		struct dentry **out)
{
	struct vnode *vns[BATCH_MAX];
	const char *names[BATCH_MAX];
	struct dentry *d = dir, *first = NULL;
	int n = batch(k, name, len), got;

	if (!dir->vn->ops->lookup)
		return -ENOENT;
	for (int i = 0; i < n; i++)
		names[i] = k->names[i];
	vfs_count(VC_MISSES);
	got = dir->vn->ops->lookup(dir->vn, names, n, vns);
	if (got < 0)
		return got;
	for (int i = 0; i < got; i++) {
		struct dentry *next = d ? dcache_add(d, names[i], strlen(names[i]), vns[i]) : NULL;

		if (!next)
			vnode_put(vns[i]);
		if (d && d != dir && d != first)
			dentry_put(d); /* cached, and found again by the next step */
		if (i == 0)
			first = next;
		d = next;
	}
	if (d && d != first)
		dentry_put(d);
	*out = first;
	return first ? 0 : -ENOMEM;
}

/* The dentry for name in dir (a directory), with a reference; or an errno. */
static int step(struct walker *k, struct dentry *dir, const char *name, size_t len,
		struct dentry **out)
{
	struct vfs_mount_entry *m = vfs_mount_at(dir, name, len);

	if (m) {
		*out = dentry_hold(m->root);
		return 0;
	}
	*out = dcache_find(dir, name, len);
	if (*out) {
		vfs_count(VC_HITS);
		return 0;
	}
	return miss(k, dir, name, len, out);
}

/* Replaces the name just walked (the symlink d) by its target. */
static int splice(struct walker *k, struct dentry *d)
{
	size_t rest = strlen(k->path + k->pos);
	long n;
	char *t;

	if (++k->links > VFS_SYMLINKS_MAX)
		return -ELOOP;
	if (!d->vn->ops->readlink)
		return -EINVAL;
	n = d->vn->ops->readlink(d->vn, k->spare, VFS_PATH_MAX);
	if (n < 0)
		return (int)n;
	if (n == 0)
		return -ENOENT;
	if ((size_t)n + rest >= VFS_PATH_MAX)
		return -ENAMETOOLONG;
	memcpy(k->spare + n, k->path + k->pos, rest + 1);
	t = k->path;
	k->path = k->spare;
	k->spare = t;
	k->pos = 0;
	if (k->path[0] == '/') {
		dentry_put(k->cur);
		k->cur = dentry_hold(vfs_root());
	}
	return 0;
}

/* The last name (name, len) of the path, into w. 1: a symlink was spliced, walk on. */
static int last(struct walker *k, const char *name, size_t len, bool slash, struct walk *w)
{
	struct dentry *d = NULL;
	int err = 0;

	w->last_type = is_dot(name, len)      ? LAST_DOT
		       : is_dotdot(name, len) ? LAST_DOTDOT
					      : LAST_NORM;
	if (w->last_type == LAST_DOT)
		d = dentry_hold(k->cur);
	else if (w->last_type == LAST_DOTDOT)
		d = dentry_hold(up(k->cur));
	else
		err = step(k, k->cur, name, len, &d);
	if (err == -ENOENT)
		d = NULL;
	else if (err < 0)
		return err;
	if (d && VFS_ISLNK(d->vn->type) && (slash || k->flags & WALK_FOLLOW)) {
		err = splice(k, d);
		dentry_put(d);
		return err < 0 ? err : 1;
	}
	w->parent = k->cur;
	k->cur = NULL;
	w->d = d;
	w->trailing_slash = slash;
	memcpy(w->name, name, len);
	w->name[len] = '\0';
	w->len = len;
	return 0;
}

/* A name in the middle of the path: k->cur moves to it. */
static int middle(struct walker *k, const char *name, size_t len)
{
	struct dentry *d;
	int err;

	if (is_dot(name, len))
		return 0;
	if (is_dotdot(name, len)) {
		d = dentry_hold(up(k->cur));
	} else {
		err = step(k, k->cur, name, len, &d);
		if (err < 0)
			return err;
	}
	if (VFS_ISLNK(d->vn->type)) {
		err = splice(k, d);
		dentry_put(d);
		return err;
	}
	if (!VFS_ISDIR(d->vn->type)) {
		dentry_put(d);
		return -ENOTDIR;
	}
	dentry_put(k->cur);
	k->cur = d;
	return 0;
}

/* The path that is only slashes (or empty): the directory itself. */
static void itself(struct walker *k, struct walk *w)
{
	w->last_type = LAST_ROOT;
	w->parent = dentry_hold(k->cur);
	w->d = k->cur;
	k->cur = NULL;
	w->trailing_slash = false;
	w->name[0] = '\0';
	w->len = 0;
}

static int walk_locked(struct walker *k, struct walk *w)
{
	for (;;) {
		const char *name;
		size_t len, after;
		int err;

		while (k->path[k->pos] == '/')
			k->pos++;
		if (!k->path[k->pos]) {
			itself(k, w);
			return 0;
		}
		if (!VFS_ISDIR(k->cur->vn->type))
			return -ENOTDIR;
		name = k->path + k->pos;
		len = strcspn(name, "/");
		if (len > VFS_NAME_MAX)
			return -ENAMETOOLONG;
		k->pos += len;
		for (after = k->pos; k->path[after] == '/'; after++)
			;
		if (k->path[after]) {
			err = middle(k, name, len);
			if (err < 0)
				return err;
		} else {
			err = last(k, name, len, after > k->pos, w);
			if (err <= 0)
				return err;
		}
	}
}

static void walker_free(struct walker *k)
{
	kfree(k->path);
	kfree(k->spare);
	kfree(k);
}

static struct walker *walker_new(unsigned flags)
{
	struct walker *k = kmalloc(sizeof(*k));

	if (!k)
		return NULL;
	k->path = kmalloc(VFS_PATH_MAX);
	k->spare = kmalloc(VFS_PATH_MAX);
	if (!k->path || !k->spare) {
		kfree(k->path);
		kfree(k->spare);
		kfree(k);
		return NULL;
	}
	k->pos = 0;
	k->links = 0;
	k->cur = NULL;
	k->flags = flags;
	return k;
}

/* The dentry of dirfd (a directory), with a reference: or -EBADF, -ENOTDIR. */
static int start_at(int dirfd, struct dentry **out)
{
	struct file *f;
	struct vfile *vf;

	if (dirfd == AT_FDCWD) {
		vfs_ns_lock();
		*out = vfs_cwd();
		vfs_ns_unlock();
		return 0;
	}
	f = fd_get(dirfd);
	if (!f)
		return -EBADF;
	vf = vfile_of(f);
	if (vf) {
		vfs_ns_lock();
		*out = dentry_hold(vf->d);
		vfs_ns_unlock();
	}
	fd_put(f); /* outside the lock: the last reference's release takes it */
	return vf ? 0 : -ENOTDIR;
}

int walk_prepare(int dirfd, const char *path, unsigned flags, struct walker **out)
{
	struct walker *k = walker_new(flags);
	long n;
	int err;

	if (!k)
		return -ENOMEM;
	n = strncpy_from_app(k->path, path, VFS_PATH_MAX);
	err = n < 0 ? (int)n : n == 0 && !(flags & WALK_EMPTY) ? -ENOENT : 0;
	if (!err && k->path[0] != '/')
		err = start_at(dirfd, &k->cur);
	if (err < 0) {
		if (err != -EBADF && err != -ENOTDIR)
			vfs_count(VC_BAD_PATHS);
		walker_free(k);
		return err;
	}
	*out = k;
	return 0;
}

void walk_abort(struct walker *k)
{
	if (k->cur) {
		vfs_ns_lock();
		dentry_put(k->cur);
		vfs_ns_unlock();
	}
	walker_free(k);
}

int walk_run(struct walker *k, struct walk *w)
{
	int err;

	vfs_count(VC_LOOKUPS);
	if (!k->cur)
		k->cur = dentry_hold(vfs_root());
	err = walk_locked(k, w);
	if (k->cur)
		dentry_put(k->cur);
	if (err < 0)
		vfs_count(VC_BAD_PATHS);
	walker_free(k);
	return err;
}

int walk_path(int dirfd, const char *path, unsigned flags, struct walk *w)
{
	struct walker *k;
	int err = walk_prepare(dirfd, path, flags, &k);

	if (err < 0)
		return err;
	vfs_ns_lock();
	err = walk_run(k, w);
	if (err < 0)
		vfs_ns_unlock();
	return err;
}

int walk_kernel(struct dentry *from, const char *path, unsigned flags, struct walk *w)
{
	struct walker *k = walker_new(flags);
	int err;

	if (!k)
		return -ENOMEM;
	if (strlen(path) >= VFS_PATH_MAX) {
		walker_free(k);
		return -ENAMETOOLONG;
	}
	strcpy(k->path, path);
	vfs_ns_lock();
	k->cur = dentry_hold(path[0] == '/' ? vfs_root() : from);
	err = walk_run(k, w);
	if (err < 0)
		vfs_ns_unlock();
	return err;
}

void walk_release(struct walk *w)
{
	if (w->d)
		dentry_put(w->d);
	dentry_put(w->parent);
}

void walk_done(struct walk *w)
{
	walk_release(w);
	vfs_ns_unlock();
}
