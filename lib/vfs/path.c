/*
 * The system calls that open, describe and move between files by path
 * (lib/vfs/path.h, docs/vfs.md): open, the stat family, access, readlink,
 * chdir, fchdir and getcwd. Each checks its arguments in Linux's order
 * (flags, then the path's memory, then the walk), and answers what Linux
 * answers for a process running as root.
 */
#include "lib/vfs/path.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "lib/kc/include/stdlib.h" /* kmalloc(), by its path: the host test finds it too */
#include "kernel/uaccess.h"
#include "lib/abi/process.h"
#include "lib/vfs/vfs_priv.h"

#define F_OK 0
#define R_OK 4
#define W_OK 2
#define X_OK 1
#define S_IXUGO 0111
#define STATX_BASIC_STATS 0x7ffu
#define STATX__RESERVED 0x80000000u
#define O_PATH_KEEPS (VFS_O_PATH | VFS_O_DIRECTORY | VFS_O_NOFOLLOW | O_CLOEXEC)
#define ACCESS_DENIED (-EACCES)

int path_resolve(int dirfd, const char *path, unsigned wflags, struct walk *w)
{
	int err = walk_path(dirfd, path, wflags, w);

	if (err < 0)
		return err;
	if (!w->d)
		err = -ENOENT;
	else if (w->trailing_slash && !VFS_ISDIR(w->d->vn->type))
		err = -ENOTDIR;
	if (err < 0)
		walk_done(w);
	return err;
}

int path_is_empty(const char *path)
{
	char c;

	if (copy_from_app(&c, path, 1) < 0)
		return -EFAULT;
	return c == '\0';
}

uint32_t path_create_mode(uint32_t mode)
{
	return mode & ~process_umask() & 07777;
}

/* Opens the file w names, which exists. */
static struct file *open_existing(struct walk *w, int flags, int *err)
{
	struct vnode *vn = w->d->vn;
	bool dir = VFS_ISDIR(vn->type), path_only = flags & VFS_O_PATH;
	struct vattr_set trunc = { .mask = VSET_SIZE | VSET_MTIME_NOW, .size = 0 };
	struct file *f;

	*err = 0;
	if (VFS_ISLNK(vn->type) && !path_only)
		*err = -ELOOP; /* O_NOFOLLOW (else the walk followed it) */
	else if ((w->trailing_slash || flags & VFS_O_DIRECTORY) && !dir)
		*err = -ENOTDIR;
	else if (dir && !path_only && ((flags & O_ACCMODE) != O_RDONLY || flags & VFS_O_TRUNC))
		*err = -EISDIR;
	if (*err)
		return NULL;
	f = vfile_open(w->d, flags, err);
	if (f && flags & VFS_O_TRUNC && !path_only && VFS_ISREG(vn->type) && vn->ops->setattr) {
		*err = vn->ops->setattr(vn, &trunc);
		if (*err < 0) {
			vfs_ns_unlock(); /* the last reference's release takes the lock */
			fd_put(f);
			vfs_ns_lock();
			return NULL;
		}
	}
	return f;
}

/* Creates and opens the last name of w (not there yet). */
static struct file *open_new(struct walk *w, int flags, uint32_t mode, int *err)
{
	struct vnode *dir = w->parent->vn, *vn;
	struct vfs_handle h = { 0 };
	struct dentry *d;
	struct file *f;

	if (!dir->ops->create) {
		*err = -EACCES;
		return NULL;
	}
	*err = dir->ops->create(dir, w->name, path_create_mode(mode), flags, &vn, &h);
	if (*err < 0)
		return NULL;
	d = dcache_add(w->parent, w->name, w->len, vn);
	if (!d) {
		if (vn->ops->close)
			vn->ops->close(vn, &h);
		vnode_put(vn);
		*err = -ENOMEM;
		return NULL;
	}
	f = vfile_wrap(d, flags, &h, err);
	dentry_put(d);
	return f;
}

static struct file *open_walked(struct walk *w, int flags, uint32_t mode, int *err)
{
	if (!(flags & VFS_O_CREAT)) {
		*err = -ENOENT;
		return w->d ? open_existing(w, flags, err) : NULL;
	}
	*err = -EISDIR; /* also for "name/", there or not */
	if (w->last_type != LAST_NORM || w->trailing_slash)
		return NULL;
	if (!w->d)
		return open_new(w, flags, mode, err);
	*err = -EEXIST;
	if (flags & VFS_O_EXCL)
		return NULL;
	*err = -EISDIR;
	return VFS_ISDIR(w->d->vn->type) ? NULL : open_existing(w, flags, err);
}

long sys_openat(int dirfd, const char *path, int flags, uint32_t mode)
{
	bool follow;
	struct walk w;
	struct file *f;
	int err, fd;

	if ((flags & VFS_O_TMPFILE) == VFS_O_TMPFILE)
		return -EOPNOTSUPP; /* no file system here makes unnamed files */
	if ((flags & (VFS_O_CREAT | VFS_O_DIRECTORY)) == (VFS_O_CREAT | VFS_O_DIRECTORY))
		return -EINVAL;
	if (flags & VFS_O_PATH)
		flags &= O_PATH_KEEPS;
	follow = !(flags & VFS_O_NOFOLLOW) &&
		 (flags & (VFS_O_CREAT | VFS_O_EXCL)) != (VFS_O_CREAT | VFS_O_EXCL);
	err = walk_path(dirfd, path, follow ? WALK_FOLLOW : 0, &w);
	if (err < 0)
		return err;
	f = open_walked(&w, flags, mode, &err);
	walk_done(&w);
	if (!f)
		return err;
	fd = fd_install(f, flags & O_CLOEXEC);
	if (fd < 0)
		fd_put(f);
	return fd;
}

long sys_open(const char *path, int flags, uint32_t mode)
{
	return sys_openat(AT_FDCWD, path, flags, mode);
}

long sys_creat(const char *path, uint32_t mode)
{
	return sys_openat(AT_FDCWD, path, VFS_O_CREAT | O_WRONLY | VFS_O_TRUNC, mode);
}

/* The attributes of what path names from dirfd (AT_* flags), as struct stat. */
static long stat_path(int dirfd, const char *path, int flags, struct abi_stat *st)
{
	struct walk w;
	struct vattr a;
	int err;

	if (flags & AT_EMPTY_PATH) {
		err = path_is_empty(path);
		if (err < 0)
			return err;
		if (err && dirfd != AT_FDCWD)
			return fd_stat_kernel(dirfd, st);
	}
	err = path_resolve(dirfd, path, walk_flags_at(flags), &w);
	if (err < 0)
		return err;
	err = vnode_getattr(w.d->vn, &a);
	if (!err)
		vattr_to_stat(&a, w.d->vn, st);
	walk_done(&w);
	return err;
}

long sys_newfstatat(int dirfd, const char *path, void *st, int flags)
{
	struct abi_stat s;
	long r;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH))
		return -EINVAL;
	r = stat_path(dirfd, path, flags, &s);
	return r < 0 ? r : copy_to_app(st, &s, sizeof(s));
}

long sys_stat(const char *path, void *st)
{
	return sys_newfstatat(AT_FDCWD, path, st, 0);
}

long sys_lstat(const char *path, void *st)
{
	return sys_newfstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

struct abi_statx_time {
	int64_t sec;
	uint32_t nsec;
	int32_t reserved;
};

/* struct statx (256 bytes). */
struct abi_statx {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, spare0;
	uint64_t ino, size, blocks, attributes_mask;
	struct abi_statx_time atime, btime, ctime, mtime;
	uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
	uint64_t mnt_id;
	uint32_t dio_mem_align, dio_offset_align;
	uint64_t spare3[12];
};

static uint32_t dev_major(uint64_t d)
{
	return (uint32_t)((d >> 8 & 0xfff) | (d >> 32 & ~0xfffu));
}

static uint32_t dev_minor(uint64_t d)
{
	return (uint32_t)((d & 0xff) | (d >> 12 & ~0xffu));
}

static void stat_to_statx(const struct abi_stat *s, struct abi_statx *x)
{
	*x = (struct abi_statx){
		.mask = STATX_BASIC_STATS,
		.blksize = (uint32_t)s->st_blksize,
		.nlink = (uint32_t)s->st_nlink,
		.uid = s->st_uid,
		.gid = s->st_gid,
		.mode = (uint16_t)s->st_mode,
		.ino = s->st_ino,
		.size = (uint64_t)s->st_size,
		.blocks = (uint64_t)s->st_blocks,
		.atime = { s->st_atime_sec, (uint32_t)s->st_atime_nsec, 0 },
		.ctime = { s->st_ctime_sec, (uint32_t)s->st_ctime_nsec, 0 },
		.mtime = { s->st_mtime_sec, (uint32_t)s->st_mtime_nsec, 0 },
		.rdev_major = dev_major(s->st_rdev),
		.rdev_minor = dev_minor(s->st_rdev),
		.dev_major = dev_major(s->st_dev),
		.dev_minor = dev_minor(s->st_dev),
	};
}

long sys_statx(int dirfd, const char *path, int flags, unsigned mask, void *stx)
{
	struct abi_stat s;
	struct abi_statx x;
	long r;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE) ||
	    (flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE || mask & STATX__RESERVED)
		return -EINVAL;
	r = stat_path(dirfd, path, flags, &s);
	if (r < 0)
		return r;
	stat_to_statx(&s, &x);
	return copy_to_app(stx, &x, sizeof(x));
}

long sys_faccessat2(int dirfd, const char *path, int mode, int flags)
{
	struct walk w;
	struct vattr a;
	int err;

	if (mode & ~(R_OK | W_OK | X_OK) ||
	    flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	err = path_resolve(dirfd, path, walk_flags_at(flags), &w);
	if (err < 0)
		return err;
	err = vnode_getattr(w.d->vn, &a);
	/* Root may read and write anything; it may execute what has an x bit, or a directory. */
	if (!err && mode & X_OK && !VFS_ISDIR(a.mode) && !(a.mode & S_IXUGO))
		err = ACCESS_DENIED;
	walk_done(&w);
	return err;
}

long sys_faccessat(int dirfd, const char *path, int mode)
{
	return sys_faccessat2(dirfd, path, mode, 0);
}

long sys_access(const char *path, int mode)
{
	return sys_faccessat2(AT_FDCWD, path, mode, 0);
}

long sys_readlinkat(int dirfd, const char *path, char *buf, size_t size)
{
	struct walk w;
	char *k;
	long r;
	int empty;

	if ((long)size <= 0)
		return -EINVAL;
	empty = path_is_empty(path);
	if (empty < 0)
		return empty;
	r = path_resolve(dirfd, path, WALK_EMPTY, &w);
	if (r < 0)
		return r;
	if (!VFS_ISLNK(w.d->vn->type) || !w.d->vn->ops->readlink) {
		r = empty ? -ENOENT : -EINVAL; /* "" names dirfd itself */
		walk_done(&w);
		return r;
	}
	size = size < VFS_PATH_MAX ? size : VFS_PATH_MAX;
	k = kmalloc(size);
	r = k ? w.d->vn->ops->readlink(w.d->vn, k, size) : -ENOMEM;
	walk_done(&w);
	if (r > 0 && copy_to_app(buf, k, (size_t)r) < 0)
		r = -EFAULT;
	kfree(k);
	return r;
}

long sys_readlink(const char *path, char *buf, size_t size)
{
	return sys_readlinkat(AT_FDCWD, path, buf, size);
}

long sys_chdir(const char *path)
{
	struct walk w;
	int err = path_resolve(AT_FDCWD, path, WALK_FOLLOW, &w);

	if (err < 0)
		return err;
	if (!VFS_ISDIR(w.d->vn->type)) {
		err = -ENOTDIR;
	} else {
		vfs_set_cwd(w.d);
		w.d = NULL;
	}
	walk_done(&w);
	return err;
}

long sys_fchdir(int fd)
{
	struct file *f = fd_get(fd);
	struct vfile *vf = vfile_of(f);
	long err = 0;

	if (!f)
		return -EBADF;
	if (!vf || !VFS_ISDIR(vf->vn->type)) {
		err = -ENOTDIR;
	} else {
		vfs_ns_lock();
		vfs_set_cwd(dentry_hold(vf->d));
		vfs_ns_unlock();
	}
	fd_put(f);
	return err;
}

/* Writes d's path into the end of buf (size bytes): where it starts, or NULL if too long. */
static char *path_of(struct dentry *d, char *buf, size_t size)
{
	char *p = buf + size - 1;

	*p = '\0';
	if (d == vfs_root())
		*--p = '/';
	for (; d != vfs_root() && d->parent; d = d->parent) {
		if ((size_t)(p - buf) < d->len + 1u)
			return NULL;
		p -= d->len;
		memcpy(p, d->name, d->len);
		*--p = '/';
	}
	return p;
}

/* Is d still where its name says (not removed or renamed since)? */
static bool reachable(struct dentry *d)
{
	for (; d != vfs_root(); d = d->parent)
		if (!d->parent || d->removed)
			return false;
	return true;
}

long sys_getcwd(char *buf, size_t size)
{
	char *k = kmalloc(VFS_PATH_MAX), *p;
	struct dentry *cwd;
	long r;

	if (!k)
		return -ENOMEM;
	vfs_ns_lock();
	cwd = vfs_cwd();
	p = reachable(cwd) ? path_of(cwd, k, VFS_PATH_MAX) : NULL;
	r = !reachable(cwd) ? -ENOENT : p ? (long)(k + VFS_PATH_MAX - p) : -ENAMETOOLONG;
	dentry_put(cwd);
	vfs_ns_unlock();
	if (r > 0 && (size_t)r > size)
		r = -ERANGE;
	if (r > 0 && copy_to_app(buf, p, (size_t)r) < 0)
		r = -EFAULT;
	kfree(k);
	return r;
}
