/*
 * The fd table and the system calls on fds (lib/vfs/fd.h). The table grows
 * as fds are opened, up to RLIMIT_NOFILE. A call takes a reference on the
 * file under the table's lock and works without the lock, so a read that
 * blocks holds nobody up; a close meanwhile drops only the fd.
 */
#include "lib/vfs/fd.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/uaccess.h"
#include "sched/sched.h"

#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_DUPFD_CLOEXEC 1030
#define FD_CLOEXEC 1
#define O_SETFL_MASK (O_APPEND | O_NONBLOCK)

#define IOV_MAX 1024
#define FIOCLEX 0x5451
#define FIONCLEX 0x5450
#define FIONBIO 0x5421

struct fd_entry {
	struct file *file;
	bool cloexec;
};

static struct {
	struct fd_entry *table;
	int size;	/* entries allocated */
	uint64_t limit; /* RLIMIT_NOFILE */
} fds = { .limit = FD_SOFT_DEFAULT };

/* Short sections only (no blocking); the same lock as the heap's. */
static void lock(void)
{
	sched_preempt_disable();
}

static void unlock(void)
{
	sched_preempt_enable();
}

uint64_t fd_limit(void)
{
	return fds.limit;
}

void fd_set_limit(uint64_t limit)
{
	fds.limit = limit > FD_HARD_LIMIT ? FD_HARD_LIMIT : limit;
}

/* Makes room for fd; locked. 0 or -ENOMEM. */
static int grow_to(int fd)
{
	int size = fds.size ? fds.size : 16;
	struct fd_entry *t;

	if (fd < fds.size)
		return 0;
	while (size <= fd)
		size *= 2;
	t = krealloc(fds.table, (size_t)size * sizeof(*t));
	if (!t)
		return -ENOMEM;
	memset(t + fds.size, 0, (size_t)(size - fds.size) * sizeof(*t));
	fds.table = t;
	fds.size = size;
	return 0;
}

struct file *fd_get(int fd)
{
	struct file *f = NULL;

	lock();
	if (fd >= 0 && fd < fds.size && (f = fds.table[fd].file))
		f->refs++;
	unlock();
	return f;
}

struct file *fd_tryhold(struct file *f)
{
	assert(!irqs_enabled());
	if (f->refs <= 0)
		return NULL;
	f->refs++;
	return f;
}

void fd_put(struct file *f)
{
	int left;

	lock();
	left = --f->refs;
	unlock();
	if (!left && f->ops->release)
		f->ops->release(f);
}

/* Puts f at fd (free, below the limit, room made); locked. */
static void set(int fd, struct file *f, bool cloexec)
{
	fds.table[fd] = (struct fd_entry){ f, cloexec };
}

/* The lowest free fd at or above from; locked. The fd, -EMFILE or -ENOMEM. */
static int lowest_free(int from)
{
	int fd = from;

	while (fd < fds.size && fds.table[fd].file)
		fd++;
	if ((uint64_t)fd >= fds.limit)
		return -EMFILE;
	return grow_to(fd) < 0 ? -ENOMEM : fd;
}

int fd_install(struct file *f, bool cloexec)
{
	int fd;

	lock();
	fd = lowest_free(0);
	if (fd >= 0)
		set(fd, f, cloexec);
	unlock();
	return fd;
}

int fd_install_at(int fd, struct file *f)
{
	int err = -EBADF;

	lock();
	if (fd >= 0 && (uint64_t)fd < fds.limit && !grow_to(fd) && !fds.table[fd].file) {
		set(fd, f, false);
		err = 0;
	}
	unlock();
	return err;
}

bool fd_is_open(int fd)
{
	struct file *f = fd_get(fd);

	if (f)
		fd_put(f);
	return f != NULL;
}

long sys_read(int fd, void *buf, size_t n)
{
	struct file *f = fd_get(fd);
	long r;

	if (!f)
		return -EBADF;
	if ((f->flags & O_ACCMODE) == O_WRONLY || !f->ops->read)
		r = -EBADF;
	else
		r = n ? f->ops->read(f, buf, n) : 0;
	fd_put(f);
	return r;
}

long sys_write(int fd, const void *buf, size_t n)
{
	struct file *f = fd_get(fd);
	long r;

	if (!f)
		return -EBADF;
	if ((f->flags & O_ACCMODE) == O_RDONLY || !f->ops->write)
		r = -EBADF;
	else
		r = n ? f->ops->write(f, buf, n) : 0;
	fd_put(f);
	return r;
}

struct abi_iovec {
	uint64_t base, len;
};

/*
 * readv and writev: one buffer after another, stopping at the first short
 * transfer; an error after some bytes moved gives the count instead.
 */
static long vector(int fd, const void *iov, int iovcnt, bool write)
{
	struct abi_iovec v[16];
	struct file *f;
	uint64_t total = 0;
	long done = 0;

	if (iovcnt < 0 || iovcnt > IOV_MAX)
		return -EINVAL;
	f = fd_get(fd);
	if (!f)
		return -EBADF;
	if ((f->flags & O_ACCMODE) == (write ? O_RDONLY : O_WRONLY) ||
	    (write ? !f->ops->write : !f->ops->read)) {
		fd_put(f);
		return -EBADF;
	}
	if (write ? f->ops->writev : f->ops->readv) {
		long r = write ? f->ops->writev(f, iov, iovcnt) : f->ops->readv(f, iov, iovcnt);

		fd_put(f);
		return r;
	}
	/* Linux checks every length before it moves a byte. */
	for (int i = 0; i < iovcnt; i++) {
		struct abi_iovec one;

		if (copy_from_app(&one, (const struct abi_iovec *)iov + i, sizeof(one)) < 0) {
			fd_put(f);
			return -EFAULT;
		}
		total += one.len;
		if ((int64_t)one.len < 0 || (int64_t)total < 0) {
			fd_put(f);
			return -EINVAL;
		}
	}
	for (int i = 0; i < iovcnt; i += 16) {
		int k = iovcnt - i < 16 ? iovcnt - i : 16;

		if (copy_from_app(v, (const struct abi_iovec *)iov + i, k * sizeof(v[0])) < 0) {
			done = done ? done : -EFAULT;
			break;
		}
		for (int j = 0; j < k; j++) {
			long r;

			if (!v[j].len)
				continue;
			r = write ? f->ops->write(f, (const void *)v[j].base, v[j].len)
				  : f->ops->read(f, (void *)v[j].base, v[j].len);
			if (r < 0) {
				fd_put(f);
				return done ? done : r;
			}
			done += r;
			if ((uint64_t)r < v[j].len) {
				fd_put(f);
				return done;
			}
		}
	}
	fd_put(f);
	return done;
}

long sys_readv(int fd, const void *iov, int iovcnt)
{
	return vector(fd, iov, iovcnt, false);
}

long sys_writev(int fd, const void *iov, int iovcnt)
{
	return vector(fd, iov, iovcnt, true);
}

/* No file so far has a position: the console's are pipes. Linux checks in this order. */
static long unseekable(int fd, int64_t off)
{
	if (off < 0)
		return -EINVAL;
	return fd_is_open(fd) ? -ESPIPE : -EBADF;
}

long sys_pread64(int fd, void *buf, size_t n, int64_t off)
{
	(void)buf, (void)n;
	return unseekable(fd, off);
}

long sys_pwrite64(int fd, const void *buf, size_t n, int64_t off)
{
	(void)buf, (void)n;
	return unseekable(fd, off);
}

#define SEEK_MAX 4 /* SEEK_SET, CUR, END, DATA, HOLE */

long sys_lseek(int fd, int64_t off, int whence)
{
	(void)off;
	if (!fd_is_open(fd))
		return -EBADF;
	return (unsigned)whence > SEEK_MAX ? -EINVAL : -ESPIPE;
}

long sys_close(int fd)
{
	struct file *f = NULL;

	lock();
	if (fd >= 0 && fd < fds.size && (f = fds.table[fd].file))
		fds.table[fd].file = NULL;
	unlock();
	if (!f)
		return -EBADF;
	fd_put(f);
	return 0;
}

/* Another fd for the file at fd: at newfd (closing what it held) or the lowest from min. */
static long dup_to(int fd, int newfd, int min, bool cloexec)
{
	struct file *f = fd_get(fd), *old = NULL;
	long r;

	if (!f)
		return -EBADF;
	lock();
	if (newfd < 0) {
		r = lowest_free(min);
	} else if ((uint64_t)newfd >= fds.limit) {
		r = -EBADF;
	} else {
		r = grow_to(newfd) < 0 ? -ENOMEM : newfd;
		if (r >= 0)
			old = fds.table[newfd].file;
	}
	if (r >= 0)
		set((int)r, f, cloexec); /* the reference taken above passes to the fd */
	unlock();
	if (r < 0)
		fd_put(f);
	if (old)
		fd_put(old);
	return r;
}

long sys_dup(int fd)
{
	return dup_to(fd, -1, 0, false);
}

long sys_dup2(int fd, int newfd)
{
	if (fd == newfd)
		return fd_is_open(fd) ? fd : -EBADF;
	if (newfd < 0)
		return -EBADF;
	return dup_to(fd, newfd, 0, false);
}

long sys_dup3(int fd, int newfd, int flags)
{
	if (flags & ~O_CLOEXEC || fd == newfd)
		return -EINVAL;
	if (newfd < 0)
		return -EBADF;
	return dup_to(fd, newfd, 0, flags & O_CLOEXEC);
}

/* The cloexec flag of fd: set it (to on, if set), and say what it was; -EBADF. */
static int cloexec(int fd, int set_to)
{
	int was = -EBADF;

	lock();
	if (fd >= 0 && fd < fds.size && fds.table[fd].file) {
		was = fds.table[fd].cloexec;
		if (set_to >= 0)
			fds.table[fd].cloexec = set_to;
	}
	unlock();
	return was;
}

long sys_fcntl(int fd, int cmd, unsigned long arg)
{
	struct file *f;
	long r;

	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if ((long)arg < 0 || (uint64_t)arg >= fds.limit)
			return fd_is_open(fd) ? -EINVAL : -EBADF;
		return dup_to(fd, -1, (int)arg, cmd == F_DUPFD_CLOEXEC);
	case F_GETFD:
		r = cloexec(fd, -1);
		return r < 0 ? r : r ? FD_CLOEXEC : 0;
	case F_SETFD:
		r = cloexec(fd, arg & FD_CLOEXEC);
		return r < 0 ? r : 0;
	}
	f = fd_get(fd);
	if (!f)
		return -EBADF;
	switch (cmd) {
	case F_GETFL:
		r = f->flags;
		break;
	case F_SETFL:
		f->flags = (f->flags & ~O_SETFL_MASK) | ((unsigned)arg & O_SETFL_MASK);
		r = 0;
		break;
	default:
		r = -EINVAL;
	}
	fd_put(f);
	return r;
}

long sys_ioctl(int fd, unsigned long cmd, unsigned long arg)
{
	struct file *f;
	long r;
	int on;

	switch (cmd) {
	case FIOCLEX:
	case FIONCLEX:
		r = cloexec(fd, cmd == FIOCLEX);
		return r < 0 ? r : 0;
	}
	f = fd_get(fd);
	if (!f)
		return -EBADF;
	if (cmd == FIONBIO) {
		r = copy_from_app(&on, (const int *)arg, sizeof(on));
		if (!r)
			f->flags = on ? f->flags | O_NONBLOCK : f->flags & ~O_NONBLOCK;
	} else {
		r = f->ops->ioctl ? f->ops->ioctl(f, cmd, arg) : -ENOTTY;
	}
	fd_put(f);
	return r;
}

long fd_stat(int fd, void *st)
{
	struct file *f = fd_get(fd);
	struct abi_stat s = { 0 };
	long r;

	if (!f)
		return -EBADF;
	if (f->ops->stat)
		f->ops->stat(f, &s);
	r = copy_to_app(st, &s, sizeof(s));
	fd_put(f);
	return r;
}

long sys_fstat(int fd, void *st)
{
	return fd_stat(fd, st);
}
