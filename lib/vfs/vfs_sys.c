/*
 * The system calls on open VFS files that are neither reads nor writes
 * (lib/vfs/path.h, docs/vfs.md): getdents64, fsync, fdatasync, sendfile.
 */
#include "lib/vfs/path.h"

#include <errno.h>
#include <string.h>

#include "lib/kc/include/stdlib.h" /* kmalloc(), by its path: the host test finds it too */
#include "kernel/uaccess.h"
#include "lib/vfs/vfs_priv.h"

#define DENTS_MAX (64u * 1024) /* one getdents64 fills at most this much */
#define DIRENT_HEAD 19	       /* d_ino, d_off, d_reclen, d_type */
#define SENDFILE_CHUNK (128u * 1024)
#define MAX_RW_COUNT 0x7ffff000ul

/* Filling one getdents64 buffer (in kernel memory). */
struct dents {
	char *buf;
	size_t size, used;
	uint64_t next; /* the cookie after the last entry put in */
	bool full;
};

/* One struct linux_dirent64: d_ino, d_off (the cookie after it), d_reclen, d_type, the name. */
static bool put_dirent(void *ctx, const char *name, size_t len, uint64_t ino, unsigned type,
		       uint64_t next)
{
	struct dents *c = ctx;
	size_t reclen = (DIRENT_HEAD + len + 1 + 7) & ~(size_t)7;
	char *p = c->buf + c->used;
	uint16_t r16 = (uint16_t)reclen;
	uint8_t t8 = (uint8_t)type;

	if (c->used + reclen > c->size) {
		c->full = true;
		return false;
	}
	memset(p, 0, reclen);
	memcpy(p, &ino, 8);
	memcpy(p + 8, &next, 8);
	memcpy(p + 16, &r16, 2);
	memcpy(p + 18, &t8, 1);
	memcpy(p + DIRENT_HEAD, name, len);
	c->used += reclen;
	c->next = next;
	return true;
}

/* Fills c from vf's position on, and moves the position past what fitted. */
static long read_dir(struct vfile *vf, struct dents *c)
{
	long r;

	mutex_lock(&vf->pos_lock);
	c->next = vf->pos;
	r = vf->vn->ops->readdir(vf->vn, &vf->h, vf->pos, put_dirent, c);
	if (r >= 0 && !c->used && c->full)
		r = -EINVAL; /* not even one entry fits */
	if (r >= 0) {
		vf->pos = c->next;
		r = (long)c->used;
	}
	mutex_unlock(&vf->pos_lock);
	return r;
}

long sys_getdents64(int fd, void *dirp, size_t count)
{
	struct file *f = fd_get(fd);
	struct vfile *vf = vfile_of(f);
	struct dents c = { 0 };
	long r;

	if (!f)
		return -EBADF;
	if (f->flags & O_PATH)
		r = -EBADF;
	else if (!vf || !VFS_ISDIR(vf->vn->type) || !vf->vn->ops->readdir)
		r = -ENOTDIR;
	else if (!(c.buf = kmalloc(c.size = count < DENTS_MAX ? count : DENTS_MAX)))
		r = count ? -ENOMEM : -EINVAL;
	else
		r = read_dir(vf, &c);
	if (r > 0 && copy_to_app(dirp, c.buf, (size_t)r) < 0)
		r = -EFAULT;
	kfree(c.buf);
	fd_put(f);
	return r;
}

static long sync_fd(int fd, bool datasync)
{
	struct file *f = fd_get(fd);
	struct vfile *vf = vfile_of(f);
	long r;

	if (!f)
		return -EBADF;
	if (f->flags & O_PATH)
		r = -EBADF;
	else if (!vf || !vf->vn->ops->fsync)
		r = -EINVAL; /* pipes, sockets, the console and devices have nothing to sync */
	else
		r = vf->vn->ops->fsync(vf->vn, &vf->h, datasync);
	fd_put(f);
	return r;
}

long sys_fsync(int fd)
{
	return sync_fd(fd, false);
}

long sys_fdatasync(int fd)
{
	return sync_fd(fd, true);
}

/* Copies up to count bytes of in from *off to out; the bytes written. */
static long copy_file(struct file *in, struct file *out, uint64_t *off, size_t count)
{
	size_t chunk = count < SENDFILE_CHUNK ? count : SENDFILE_CHUNK, done = 0;
	char *k = count ? kmalloc(chunk) : NULL;
	long r = 0;

	if (count && !k)
		return -ENOMEM;
	while (done < count) {
		size_t want = count - done < chunk ? count - done : chunk;
		long got = vfs_file_pread_kernel(in, k, want, *off);

		if (got <= 0) {
			r = got;
			break;
		}
		r = out->ops->write(out, k,
				    (size_t)got); /* copy_from_app reads kernel memory too */
		if (r <= 0)
			break;
		done += (size_t)r;
		*off += (uint64_t)r;
		if (r < got)
			break;
	}
	kfree(k);
	return done ? (long)done : r;
}

/* Linux's checks on the two files, in its order. */
static long sendfile_check(struct file *in, struct file *out)
{
	if (!in || in->flags & O_PATH || (in->flags & O_ACCMODE) == O_WRONLY)
		return -EBADF;
	if (!vfs_file_vnode(in))
		return -EINVAL; /* a pipe, socket or the console: nothing to read at an offset */
	if (!out || out->flags & O_PATH || (out->flags & O_ACCMODE) == O_RDONLY || !out->ops->write)
		return -EBADF;
	if (out->flags & O_APPEND || in == out) /* in == out: one position, one lock */
		return -EINVAL;
	if (!VFS_ISREG(vfs_file_vnode(in)->type))
		return -EINVAL;
	return 0;
}

long sys_sendfile(int out_fd, int in_fd, int64_t *offset, size_t count)
{
	struct file *in = fd_get(in_fd), *out = fd_get(out_fd);
	struct vfile *vf = vfile_of(in);
	int64_t off = 0;
	uint64_t pos;
	long r = sendfile_check(in, out);

	if (!r && offset && copy_from_app(&off, offset, sizeof(off)) < 0)
		r = -EFAULT;
	if (!r && off < 0)
		r = -EINVAL;
	if (r)
		goto out;
	count = count > MAX_RW_COUNT ? MAX_RW_COUNT : count;
	if (offset) {
		pos = (uint64_t)off;
		r = copy_file(in, out, &pos, count);
		if (r >= 0 && copy_to_app(offset, &pos, sizeof(pos)) < 0)
			r = -EFAULT;
	} else {
		mutex_lock(&vf->pos_lock);
		pos = vf->pos;
		r = copy_file(in, out, &pos, count);
		vf->pos = pos;
		mutex_unlock(&vf->pos_lock);
	}
out:
	if (in)
		fd_put(in);
	if (out)
		fd_put(out);
	return r;
}
