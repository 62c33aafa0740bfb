/*
 * The system calls that change or report a file's attributes, by path and
 * by fd (lib/vfs/path.h, docs/vfs.md): chmod, chown, truncate, utimensat,
 * statfs and their fd forms. The walk finds the vnode; the file system's
 * setattr runs after the namespace lock is let go (it may wait on the
 * host). We run as root: every change is permitted. The fd forms on
 * pipes, sockets and the console do what Linux does to their in-memory
 * inodes: nothing anyone can see, successfully.
 */
#include "lib/vfs/path.h"

#include <errno.h>
#include <string.h>

#include "lib/kc/include/stdlib.h" /* kmalloc(), by its path: the host test finds it too */
#include "kernel/uaccess.h"
#include "lib/vfs/vfs_priv.h"

#define UTIME_NOW ((1l << 30) - 1)
#define UTIME_OMIT ((1l << 30) - 2)
#define NSEC_PER_SEC 1000000000l
#define NO_ID 0xffffffffu
#define ST_VALID 0x20
#define PIPEFS_MAGIC 0x50495045

/* The vnode path names from dirfd, with a reference: 0, or an errno. */
static int vnode_at(int dirfd, const char *path, unsigned wflags, struct vnode **vn)
{
	struct walk w;
	int err = path_resolve(dirfd, path, wflags, &w);

	if (err < 0)
		return err;
	*vn = vnode_hold(w.d->vn);
	walk_done(&w);
	return 0;
}

static int setattr(struct vnode *vn, const struct vattr_set *s)
{
	if (!s->mask)
		return 0;
	return vn->ops->setattr ? vn->ops->setattr(vn, s) : -EPERM;
}

static long set_path(int dirfd, const char *path, unsigned wflags, const struct vattr_set *s)
{
	struct vnode *vn;
	int err = vnode_at(dirfd, path, wflags, &vn);

	if (err < 0)
		return err;
	err = setattr(vn, s);
	vnode_put(vn);
	return err;
}

/*
 * The VFS file at fd for an fd form: 0 and *vf (with the file's reference
 * in *f), 1 for a file that is no VFS file, or -EBADF (none, or O_PATH).
 */
static int fd_file(int fd, struct file **f, struct vfile **vf)
{
	*f = fd_get(fd);
	if (!*f)
		return -EBADF;
	if ((*f)->flags & O_PATH) {
		fd_put(*f);
		return -EBADF;
	}
	*vf = vfile_of(*f);
	if (!*vf) {
		fd_put(*f);
		return 1;
	}
	return 0;
}

static long set_fd(int fd, const struct vattr_set *s)
{
	struct file *f;
	struct vfile *vf;
	int err = fd_file(fd, &f, &vf);

	if (err)
		return err < 0 ? err : 0;
	err = setattr(vf->vn, s);
	fd_put(f);
	return err;
}

long sys_fchmodat(int dirfd, const char *path, uint32_t mode)
{
	struct vattr_set s = { .mask = VSET_MODE, .mode = mode & 07777 };

	return set_path(dirfd, path, WALK_FOLLOW, &s);
}

long sys_chmod(const char *path, uint32_t mode)
{
	return sys_fchmodat(AT_FDCWD, path, mode);
}

long sys_fchmod(int fd, uint32_t mode)
{
	struct vattr_set s = { .mask = VSET_MODE, .mode = mode & 07777 };

	return set_fd(fd, &s);
}

static struct vattr_set owner(uint32_t uid, uint32_t gid)
{
	return (struct vattr_set){ .mask = (uid != NO_ID ? VSET_UID : 0) |
					   (gid != NO_ID ? VSET_GID : 0),
				   .uid = uid,
				   .gid = gid };
}

long sys_fchownat(int dirfd, const char *path, uint32_t uid, uint32_t gid, int flags)
{
	struct vattr_set s = owner(uid, gid);

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	return set_path(dirfd, path, walk_flags_at(flags), &s);
}

long sys_chown(const char *path, uint32_t uid, uint32_t gid)
{
	return sys_fchownat(AT_FDCWD, path, uid, gid, 0);
}

long sys_lchown(const char *path, uint32_t uid, uint32_t gid)
{
	return sys_fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW);
}

long sys_fchown(int fd, uint32_t uid, uint32_t gid)
{
	struct vattr_set s = owner(uid, gid);

	return set_fd(fd, &s);
}

/* A size change is for regular files only, as Linux's truncate checks. */
static int size_check(const struct vnode *vn)
{
	return VFS_ISDIR(vn->type) ? -EISDIR : VFS_ISREG(vn->type) ? 0 : -EINVAL;
}

long sys_truncate(const char *path, int64_t len)
{
	struct vattr_set s = { .mask = VSET_SIZE | VSET_MTIME_NOW, .size = (uint64_t)len };
	struct vnode *vn;
	int err;

	if (len < 0)
		return -EINVAL;
	err = vnode_at(AT_FDCWD, path, WALK_FOLLOW, &vn);
	if (err < 0)
		return err;
	err = size_check(vn);
	if (!err)
		err = setattr(vn, &s);
	vnode_put(vn);
	return err;
}

long sys_ftruncate(int fd, int64_t len)
{
	struct vattr_set s = { .mask = VSET_SIZE | VSET_MTIME_NOW, .size = (uint64_t)len };
	struct file *f;
	struct vfile *vf;
	int err;

	if (len < 0)
		return -EINVAL;
	err = fd_file(fd, &f, &vf);
	if (err)
		return err < 0 ? err : -EINVAL;
	if (!VFS_ISREG(vf->vn->type) || (f->flags & O_ACCMODE) == O_RDONLY)
		err = -EINVAL;
	else
		err = setattr(vf->vn, &s);
	fd_put(f);
	return err;
}

struct abi_timespec {
	int64_t sec, nsec;
};

/* utimensat's times (NULL: both now) as a vattr_set: 0, or -EFAULT, -EINVAL. */
static int times_to_set(const void *times, struct vattr_set *s)
{
	struct abi_timespec t[2];

	*s = (struct vattr_set){ .mask = VSET_ATIME_NOW | VSET_MTIME_NOW };
	if (!times)
		return 0;
	if (copy_from_app(t, times, sizeof(t)) < 0)
		return -EFAULT;
	s->mask = 0;
	for (int i = 0; i < 2; i++) {
		if (t[i].nsec == UTIME_OMIT)
			continue;
		if (t[i].nsec == UTIME_NOW) {
			s->mask |= i ? VSET_MTIME_NOW : VSET_ATIME_NOW;
			continue;
		}
		if (t[i].nsec < 0 || t[i].nsec >= NSEC_PER_SEC)
			return -EINVAL;
		s->mask |= i ? VSET_MTIME : VSET_ATIME;
		*(i ? &s->mtime : &s->atime) = (struct vfs_time){ t[i].sec, t[i].nsec };
	}
	return 0;
}

long sys_utimensat(int dirfd, const char *path, const void *times, int flags)
{
	struct vattr_set s;
	int err = times_to_set(times, &s);

	if (err < 0)
		return err;
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (!path && dirfd != AT_FDCWD) /* futimens() */
		return flags ? -EINVAL : set_fd(dirfd, &s);
	if (!path)
		return -EFAULT;
	if (flags & AT_EMPTY_PATH && dirfd != AT_FDCWD) {
		err = path_is_empty(path);
		if (err)
			return err < 0 ? err : set_fd(dirfd, &s);
	}
	return set_path(dirfd, path, walk_flags_at(flags), &s);
}

/* struct statfs as x86_64 Linux has it (120 bytes). */
struct abi_statfs {
	int64_t type, bsize;
	uint64_t blocks, bfree, bavail, files, ffree;
	int32_t fsid[2];
	int64_t namelen, frsize, flags, spare[4];
};

static long statfs_out(struct vnode *vn, void *buf)
{
	struct vfs_statfs st = { .bsize = 4096, .namelen = VFS_NAME_MAX, .frsize = 4096 };
	struct abi_statfs out;
	int err = vn && vn->ops->statfs ? vn->ops->statfs(vn, &st) : 0;

	if (!vn)
		st.type = PIPEFS_MAGIC;
	if (err < 0)
		return err;
	out = (struct abi_statfs){ .type = (int64_t)st.type,
				   .bsize = (int64_t)st.bsize,
				   .blocks = st.blocks,
				   .bfree = st.bfree,
				   .bavail = st.bavail,
				   .files = st.files,
				   .ffree = st.ffree,
				   .fsid = { (int32_t)st.fsid, (int32_t)(st.fsid >> 32) },
				   .namelen = (int64_t)st.namelen,
				   .frsize = (int64_t)st.frsize,
				   .flags = (int64_t)(st.flags | ST_VALID) };
	return copy_to_app(buf, &out, sizeof(out));
}

long sys_statfs(const char *path, void *buf)
{
	struct vnode *vn;
	long err = vnode_at(AT_FDCWD, path, WALK_FOLLOW, &vn);

	if (err < 0)
		return err;
	err = statfs_out(vn, buf);
	vnode_put(vn);
	return err;
}

long sys_fstatfs(int fd, void *buf)
{
	struct file *f = fd_get(fd);
	struct vfile *vf = vfile_of(f);
	long err;

	if (!f)
		return -EBADF;
	err = statfs_out(vf ? vf->vn : NULL, buf);
	fd_put(f);
	return err;
}
