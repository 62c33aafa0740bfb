/*
 * The system calls that change names (lib/vfs/path.h, docs/vfs.md):
 * mkdir, unlink, rmdir, rename, link and symlink. The core checks what
 * Linux checks before the file system is asked (the kind of the last
 * name, types, mounts, a directory moved into itself), in Linux's order,
 * and forgets the cached names the call changed. The namespace lock is
 * held throughout, so the checks stay true until the change is made.
 */
#include "lib/vfs/path.h"

#include <errno.h>
#include <string.h>

#include "lib/kc/include/stdlib.h" /* kmalloc(), by its path: the host test finds it too */
#include "kernel/uaccess.h"
#include "lib/vfs/vfs_priv.h"

#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#define RENAME_WHITEOUT 4

/* Is the last name of w a mount point (or the root)? Those cannot go. */
static bool busy(const struct walk *w)
{
	return w->d && (vfs_is_mount_root(w->d) || w->d == vfs_root());
}

long sys_mkdirat(int dirfd, const char *path, uint32_t mode)
{
	struct walk w;
	struct vnode *dir;
	int err = walk_path(dirfd, path, 0, &w);

	if (err < 0)
		return err;
	dir = w.parent->vn;
	if (w.last_type != LAST_NORM || w.d)
		err = -EEXIST;
	else if (!dir->ops->mkdir)
		err = -EPERM;
	else
		err = dir->ops->mkdir(dir, w.name, path_create_mode(mode));
	if (!err)
		dcache_drop(w.parent, w.name, w.len);
	walk_done(&w);
	return err;
}

long sys_mkdir(const char *path, uint32_t mode)
{
	return sys_mkdirat(AT_FDCWD, path, mode);
}

/* What rmdir says before the file system is asked: 0 to go on. */
static int rmdir_check(const struct walk *w)
{
	if (w->last_type == LAST_DOT)
		return -EINVAL;
	if (w->last_type == LAST_DOTDOT)
		return -ENOTEMPTY;
	if (w->last_type == LAST_ROOT || busy(w))
		return w->d ? -EBUSY : -ENOENT;
	if (!w->d)
		return -ENOENT;
	return VFS_ISDIR(w->d->vn->type) ? 0 : -ENOTDIR;
}

/* And what unlink says. */
static int unlink_check(const struct walk *w)
{
	if (w->last_type != LAST_NORM)
		return -EISDIR;
	if (!w->d)
		return -ENOENT;
	if (VFS_ISDIR(w->d->vn->type))
		return -EISDIR;
	return w->trailing_slash ? -ENOTDIR : 0;
}

long sys_unlinkat(int dirfd, const char *path, int flags)
{
	bool rmdir = flags & AT_REMOVEDIR;
	struct walk w;
	struct vnode *dir;
	int err;

	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	err = walk_path(dirfd, path, 0, &w);
	if (err < 0)
		return err;
	dir = w.parent->vn;
	err = rmdir ? rmdir_check(&w) : unlink_check(&w);
	if (!err)
		err = dir->ops->unlink ? dir->ops->unlink(dir, w.name, rmdir) : -EPERM;
	if (!err)
		dcache_remove(w.parent, w.name, w.len);
	walk_done(&w);
	return err;
}

long sys_unlink(const char *path)
{
	return sys_unlinkat(AT_FDCWD, path, 0);
}

long sys_rmdir(const char *path)
{
	return sys_unlinkat(AT_FDCWD, path, AT_REMOVEDIR);
}

/* Two walks under one lock: 0 with both held (and the lock), or an errno with nothing. */
static int walk_two(int fd1, const char *p1, unsigned f1, struct walk *w1, int fd2, const char *p2,
		    unsigned f2, struct walk *w2)
{
	struct walker *k1, *k2;
	int err = walk_prepare(fd1, p1, f1, &k1);

	if (err < 0)
		return err;
	err = walk_prepare(fd2, p2, f2, &k2);
	if (err < 0) {
		walk_abort(k1);
		return err;
	}
	vfs_ns_lock();
	err = walk_run(k1, w1);
	if (err < 0) {
		vfs_ns_unlock();
		walk_abort(k2);
		return err;
	}
	err = walk_run(k2, w2);
	if (err < 0) {
		walk_done(w1);
		return err;
	}
	return 0;
}

static void done_two(struct walk *w1, struct walk *w2)
{
	walk_release(w2);
	walk_done(w1);
}

/* Is a an ancestor of d (or d itself)? */
static bool is_under(struct dentry *d, const struct dentry *a)
{
	for (; d; d = d->parent)
		if (d == a)
			return true;
	return false;
}

/* Linux's checks for rename, in its order: 0 to go on, 1 for "nothing to do". */
static int rename_check(struct walk *o, struct walk *n, unsigned flags)
{
	bool odir;

	if (o->parent->vn->mnt != n->parent->vn->mnt)
		return -EXDEV;
	if (o->last_type != LAST_NORM || n->last_type != LAST_NORM)
		return -EBUSY;
	if (!o->d)
		return -ENOENT;
	if (flags & RENAME_NOREPLACE && n->d)
		return -EEXIST;
	if (flags & RENAME_EXCHANGE)
		return n->d ? -EINVAL : -ENOENT; /* no file system here swaps names */
	odir = VFS_ISDIR(o->d->vn->type);
	if (!odir && (o->trailing_slash || n->trailing_slash))
		return -ENOTDIR;
	if (is_under(n->parent, o->d))
		return -EINVAL; /* a directory into itself */
	if (n->d && is_under(o->parent, n->d))
		return -ENOTEMPTY;
	if (busy(o) || busy(n))
		return -EBUSY;
	if (n->d && odir && !VFS_ISDIR(n->d->vn->type))
		return -ENOTDIR;
	if (n->d && !odir && VFS_ISDIR(n->d->vn->type))
		return -EISDIR;
	return o->d == n->d || (n->d && o->d->vn == n->d->vn) ? 1 : 0;
}

long sys_renameat2(int fromfd, const char *from, int tofd, const char *to, unsigned flags)
{
	struct walk o, n;
	struct vnode *odir;
	int err;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT) ||
	    (flags & RENAME_NOREPLACE && flags & RENAME_EXCHANGE) || flags & RENAME_WHITEOUT)
		return -EINVAL;
	err = walk_two(fromfd, from, 0, &o, tofd, to, 0, &n);
	if (err < 0)
		return err;
	odir = o.parent->vn;
	err = rename_check(&o, &n, flags);
	if (!err)
		err = odir->ops->rename ? odir->ops->rename(odir, o.name, n.parent->vn, n.name)
					: -EPERM;
	if (!err) {
		dcache_remove(o.parent, o.name, o.len);
		dcache_remove(n.parent, n.name, n.len);
	}
	done_two(&o, &n);
	return err > 0 ? 0 : err;
}

long sys_renameat(int fromfd, const char *from, int tofd, const char *to)
{
	return sys_renameat2(fromfd, from, tofd, to, 0);
}

long sys_rename(const char *from, const char *to)
{
	return sys_renameat2(AT_FDCWD, from, AT_FDCWD, to, 0);
}

long sys_linkat(int fromfd, const char *from, int tofd, const char *to, int flags)
{
	struct walk o, n;
	struct vnode *dir;
	int err;

	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	err = walk_two(fromfd, from,
		       (flags & AT_SYMLINK_FOLLOW ? WALK_FOLLOW : 0) |
			       (flags & AT_EMPTY_PATH ? WALK_EMPTY : 0),
		       &o, tofd, to, 0, &n);
	if (err < 0)
		return err;
	dir = n.parent->vn;
	if (!o.d)
		err = -ENOENT;
	else if (o.trailing_slash && !VFS_ISDIR(o.d->vn->type))
		err = -ENOTDIR;
	else if (n.last_type != LAST_NORM || n.d)
		err = -EEXIST;
	else if (o.d->vn->mnt != dir->mnt)
		err = -EXDEV;
	else if (VFS_ISDIR(o.d->vn->type))
		err = -EPERM;
	else if (n.trailing_slash)
		err = -ENOENT;
	else
		err = dir->ops->link ? dir->ops->link(dir, n.name, o.d->vn) : -EPERM;
	if (!err)
		dcache_drop(n.parent, n.name, n.len);
	done_two(&o, &n);
	return err;
}

long sys_link(const char *from, const char *to)
{
	return sys_linkat(AT_FDCWD, from, AT_FDCWD, to, 0);
}

long sys_symlinkat(const char *target, int dirfd, const char *path)
{
	char *t = kmalloc(VFS_PATH_MAX);
	struct walk w;
	struct vnode *dir;
	long err = t ? strncpy_from_app(t, target, VFS_PATH_MAX) : -ENOMEM;

	if (err == 0)
		err = -ENOENT;
	if (err > 0)
		err = walk_path(dirfd, path, 0, &w);
	if (err < 0) {
		kfree(t);
		return err;
	}
	dir = w.parent->vn;
	if (w.last_type != LAST_NORM || w.d)
		err = -EEXIST;
	else if (w.trailing_slash)
		err = -ENOENT;
	else
		err = dir->ops->symlink ? dir->ops->symlink(dir, w.name, t) : -EPERM;
	if (!err)
		dcache_drop(w.parent, w.name, w.len);
	walk_done(&w);
	kfree(t);
	return err;
}

long sys_symlink(const char *target, const char *path)
{
	return sys_symlinkat(target, AT_FDCWD, path);
}
