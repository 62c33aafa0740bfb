/*
 * Files opened by path (docs/vfs.md): a struct file whose priv is the
 * VFS's struct vfile (the vnode, its dentry for fchdir, the file system's
 * handle and the position). The position has a mutex, held across the
 * transfer as Linux holds f_pos_lock, so that two reads through one fd
 * never read the same bytes; pread and pwrite leave it alone. Data moves
 * through a kernel buffer: file systems see only kernel memory.
 */
#include "lib/vfs/vfs_priv.h"

#include <errno.h>
#include <string.h>

#include "lib/kc/include/stdlib.h" /* kmalloc(), by its path: the host test finds it too */
#include "kernel/uaccess.h"
#include "lib/vfs/poll.h"

#define CHUNK_MAX (2048u * 1024)  /* the kernel buffer of one step: several 9p parts at once */
#define MAX_RW_COUNT 0x7ffff000ul /* Linux's cap on one read or write */
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define SEEK_DATA 3
#define SEEK_HOLE 4
#define OFF_MAX INT64_MAX

static const struct file_ops vfile_ops, path_ops;

struct vfile *vfile_of(struct file *f)
{
	return f && (f->ops == &vfile_ops || f->ops == &path_ops)
		       ? container_of(f, struct vfile, file)
		       : NULL;
}

struct vnode *vfs_file_vnode(struct file *f)
{
	struct vfile *vf = vfile_of(f);

	return vf && f->ops == &vfile_ops ? vf->vn : NULL;
}

int vnode_getattr(struct vnode *vn, struct vattr *a)
{
	*a = (struct vattr){ .mode = vn->type, .ino = vn->ino, .nlink = 1, .blksize = 4096 };
	return vn->ops->getattr ? vn->ops->getattr(vn, a) : 0;
}

/* st_dev: one number per mount, as Linux gives each file system its own. */
static uint64_t dev_of(const struct vnode *vn)
{
	return vn->mnt ? vn->mnt->st_dev : 0;
}

void vattr_to_stat(const struct vattr *a, const struct vnode *vn, struct abi_stat *st)
{
	*st = (struct abi_stat){
		.st_dev = dev_of(vn),
		.st_ino = a->ino,
		.st_nlink = a->nlink,
		.st_mode = a->mode,
		.st_uid = a->uid,
		.st_gid = a->gid,
		.st_rdev = a->rdev,
		.st_size = (int64_t)a->size,
		.st_blksize = (int64_t)a->blksize,
		.st_blocks = (int64_t)a->blocks,
		.st_atime_sec = a->atime.sec,
		.st_atime_nsec = a->atime.nsec,
		.st_mtime_sec = a->mtime.sec,
		.st_mtime_nsec = a->mtime.nsec,
		.st_ctime_sec = a->ctime.sec,
		.st_ctime_nsec = a->ctime.nsec,
	};
}

static struct vfile *vf_of(struct file *f)
{
	return container_of(f, struct vfile, file);
}

/* Reads up to n bytes at off into the application's buf, chunk by chunk. */
static long read_at(struct vfile *vf, void *buf, size_t n, uint64_t off)
{
	size_t chunk = n < CHUNK_MAX ? n : CHUNK_MAX, done = 0;
	char *k;

	if (VFS_ISDIR(vf->vn->type))
		return -EISDIR;
	if (!vf->vn->ops->read)
		return -EINVAL;
	if (!n)
		return 0;
	k = kmalloc(chunk);
	if (!k)
		return -ENOMEM;
	while (done < n) {
		size_t want = n - done < chunk ? n - done : chunk;
		long r = vf->vn->ops->read(vf->vn, &vf->h, k, want, off + done);

		if (r > 0 && copy_to_app((char *)buf + done, k, (size_t)r) < 0)
			r = -EFAULT;
		if (r < 0) {
			kfree(k);
			return done ? (long)done : r;
		}
		done += (size_t)r;
		if ((size_t)r < want)
			break;
	}
	kfree(k);
	return (long)done;
}

/* Writes n bytes of buf at *off (or the end, with append); *off ends past them. */
static long write_at(struct vfile *vf, const void *buf, size_t n, uint64_t *off, bool append)
{
	size_t chunk = n < CHUNK_MAX ? n : CHUNK_MAX, done = 0;
	char *k;

	if (!vf->vn->ops->write)
		return -EINVAL;
	if (!n)
		return 0;
	k = kmalloc(chunk);
	if (!k)
		return -ENOMEM;
	while (done < n) {
		size_t want = n - done < chunk ? n - done : chunk;
		long r = copy_from_app(k, (const char *)buf + done, want) < 0
				 ? -EFAULT
				 : vf->vn->ops->write(vf->vn, &vf->h, k, want, off, append);

		if (r < 0) {
			kfree(k);
			return done ? (long)done : r;
		}
		done += (size_t)r;
		if ((size_t)r < want)
			break;
	}
	kfree(k);
	return (long)done;
}

static size_t capped(size_t n)
{
	return n > MAX_RW_COUNT ? MAX_RW_COUNT : n;
}

static long vf_read(struct file *f, void *buf, size_t n)
{
	struct vfile *vf = vf_of(f);
	long r;

	mutex_lock(&vf->pos_lock);
	r = read_at(vf, buf, capped(n), vf->pos);
	if (r > 0)
		vf->pos += (uint64_t)r;
	mutex_unlock(&vf->pos_lock);
	return r;
}

static long vf_write(struct file *f, const void *buf, size_t n)
{
	struct vfile *vf = vf_of(f);
	uint64_t off;
	long r;

	mutex_lock(&vf->pos_lock);
	off = vf->pos;
	r = write_at(vf, buf, capped(n), &off, f->flags & O_APPEND);
	if (r >= 0 && (r > 0 || f->flags & O_APPEND))
		vf->pos = off;
	mutex_unlock(&vf->pos_lock);
	return r;
}

static long vf_pread(struct file *f, void *buf, size_t n, uint64_t off)
{
	return read_at(vf_of(f), buf, capped(n), off);
}

static long vf_pwrite(struct file *f, const void *buf, size_t n, uint64_t off)
{
	if (vf_of(f)->vn->flags & VNODE_SEQ)
		return -ESPIPE;
	/* Linux appends even at an offset when the file is O_APPEND (pwrite(2), BUGS). */
	return write_at(vf_of(f), buf, capped(n), &off, f->flags & O_APPEND);
}

/* Where lseek lands for whence, from the current position and the size. */
static int64_t seek_target(struct vfile *vf, int64_t off, int whence, int64_t *to)
{
	struct vattr a;
	int err;

	if (whence == SEEK_SET) {
		*to = off;
		return 0;
	}
	if (whence == SEEK_CUR) {
		*to = (int64_t)vf->pos + off;
		return 0;
	}
	err = vnode_getattr(vf->vn, &a);
	if (err < 0)
		return err;
	if (whence == SEEK_END)
		*to = (int64_t)a.size + off;
	else if (off < 0 || (uint64_t)off >= a.size) /* SEEK_DATA, SEEK_HOLE: no holes here */
		return -ENXIO;
	else
		*to = whence == SEEK_DATA ? off : (int64_t)a.size;
	return 0;
}

static long vf_llseek(struct file *f, int64_t off, int whence)
{
	struct vfile *vf = vf_of(f);
	int64_t to;
	long r;

	if ((VFS_ISDIR(vf->vn->type) || vf->vn->flags & VNODE_SEQ) && whence != SEEK_SET &&
	    whence != SEEK_CUR)
		return -EINVAL;
	mutex_lock(&vf->pos_lock);
	r = seek_target(vf, off, whence, &to);
	if (!r && to < 0)
		r = -EINVAL;
	if (!r) {
		vf->pos = (uint64_t)to;
		r = (long)to;
	}
	mutex_unlock(&vf->pos_lock);
	return r;
}

static int vf_fstat(struct file *f, struct abi_stat *st)
{
	struct vfile *vf = vf_of(f);
	struct vattr a;
	int err = vnode_getattr(vf->vn, &a);

	if (!err)
		vattr_to_stat(&a, vf->vn, st);
	return err;
}

static unsigned vf_poll(struct file *f, struct poll_watch *w)
{
	struct vfile *vf = vf_of(f);

	(void)w;
	return vf->vn->ops->poll ? vf->vn->ops->poll(vf->vn, &vf->h) : POLL_DEFAULT;
}

static long vf_ioctl(struct file *f, unsigned long cmd, unsigned long arg)
{
	struct vfile *vf = vf_of(f);

	return vf->vn->ops->ioctl ? vf->vn->ops->ioctl(vf->vn, &vf->h, cmd, arg) : -ENOTTY;
}

static void vf_release(struct file *f)
{
	struct vfile *vf = vf_of(f);

	if (vf->opened && vf->vn->ops->close)
		vf->vn->ops->close(vf->vn, &vf->h);
	vfs_ns_lock();
	dentry_put(vf->d);
	vfs_ns_unlock();
	vnode_put(vf->vn);
	kfree(vf);
}

static const struct file_ops vfile_ops = {
	.read = vf_read,
	.write = vf_write,
	.pread = vf_pread,
	.pwrite = vf_pwrite,
	.llseek = vf_llseek,
	.fstat = vf_fstat,
	.poll = vf_poll,
	.ioctl = vf_ioctl,
	.release = vf_release,
};

/* O_PATH: a place in the tree, for *at() calls, fstat and fchdir; no I/O. */
static const struct file_ops path_ops = {
	.fstat = vf_fstat,
	.release = vf_release,
};

/* The flags F_GETFL shows: what open keeps (Linux drops these four), and O_LARGEFILE. */
static unsigned kept_flags(int flags)
{
	return ((unsigned)flags &
		~(VFS_O_CREAT | VFS_O_EXCL | VFS_O_NOCTTY | VFS_O_TRUNC | O_CLOEXEC)) |
	       VFS_O_LARGEFILE;
}

static struct vfile *vfile_new(struct dentry *d, int flags)
{
	struct vfile *vf = kcalloc(1, sizeof(*vf));

	if (!vf)
		return NULL;
	vf->file = (struct file){ .ops = flags & VFS_O_PATH ? &path_ops : &vfile_ops,
				  .flags = kept_flags(flags),
				  .refs = 1,
				  .priv = vf };
	vf->d = dentry_hold(d);
	vf->vn = vnode_hold(d->vn);
	return vf;
}

struct file *vfile_wrap(struct dentry *d, int flags, struct vfs_handle *h, int *err)
{
	struct vfile *vf = vfile_new(d, flags);

	if (!vf) {
		if (d->vn->ops->close)
			d->vn->ops->close(d->vn, h);
		*err = -ENOMEM;
		return NULL;
	}
	vf->h = *h;
	vf->opened = true;
	vfs_count(VC_OPENS);
	return &vf->file;
}

struct file *vfile_open(struct dentry *d, int flags, int *err)
{
	struct vfile *vf = vfile_new(d, flags);

	*err = -ENOMEM;
	if (!vf)
		return NULL;
	if (!(flags & VFS_O_PATH) && d->vn->ops->open) {
		*err = d->vn->ops->open(d->vn, flags, &vf->h);
		if (*err < 0) {
			dentry_put(vf->d);
			vnode_put(vf->vn);
			kfree(vf);
			return NULL;
		}
		vf->opened = true;
	}
	vfs_count(VC_OPENS);
	*err = 0;
	return &vf->file;
}

long vfs_file_pread_kernel(struct file *f, void *buf, size_t n, uint64_t off)
{
	struct vnode *vn = vfs_file_vnode(f);

	if (!vn)
		return -EINVAL;
	if (VFS_ISDIR(vn->type))
		return -EISDIR;
	if (!vn->ops->read)
		return -EINVAL;
	return vn->ops->read(vn, &vfile_of(f)->h, buf, n, off);
}

#define RDEV_ZERO 0x105 /* /dev/zero: 1, 5 */

int vfs_file_mmap_kind(struct file *f)
{
	struct vnode *vn = vfs_file_vnode(f);
	struct vattr a;

	if (!vn)
		return -ENODEV;
	if (VFS_ISREG(vn->type))
		return VFS_MAP_FILE;
	if ((vn->type & VFS_IFMT) == VFS_IFCHR && !vnode_getattr(vn, &a) && a.rdev == RDEV_ZERO)
		return VFS_MAP_ZERO;
	return -ENODEV;
}
