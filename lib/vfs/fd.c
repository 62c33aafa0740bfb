/*
 * The fd table and the system calls on fds (lib/vfs/fd.h). The table grows
 * as fds are opened, up to RLIMIT_NOFILE. A call takes a reference on the
 * file under the table's lock and works without the lock, so a read that
 * blocks holds nobody up; a close meanwhile drops only the fd.
 */
#include "lib/vfs/fd.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/kc/include/stdlib.h" /* kmalloc(), by its path: the host test finds it too */
#include "kernel/params.h"
#include "kernel/uaccess.h"
#include "sched/sched.h"

#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_GETLK 5
#define F_SETLK 6
#define F_SETLKW 7
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38
#define F_DUPFD_CLOEXEC 1030
#define F_RDLCK 0
#define F_WRLCK 1
#define F_UNLCK 2
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

/*
 * rlimit.nofile=N: the RLIMIT_NOFILE the application starts with, 1 to
 * FD_HARD_LIMIT, as "ulimit -n N" before a program on Linux. A program
 * may raise its own limit, but nginx without a master process never
 * applies worker_rlimit_nofile (docs/nginx.md).
 */
static int nofile_set(const struct param *p, const char *val)
{
	struct param n = *p;
	int limit;

	n.var = &limit;
	n.min = 1;
	n.max = FD_HARD_LIMIT;
	if (param_set_int(&n, val) < 0)
		return -EINVAL;
	fds.limit = (uint64_t)limit;
	return 0;
}

static void nofile_show(const struct param *p, char *buf, size_t size)
{
	(void)p;
	snprintf(buf, size, "%llu", (unsigned long long)fds.limit);
}
PARAM_CUSTOM("rlimit.nofile", nofile_set, nofile_show,
	     "the RLIMIT_NOFILE the application starts with (1024 unless told, at most 65536)");

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
		/* A file with a position judges n == 0 itself: a directory's is EISDIR. */
		r = n || f->ops->pread ? f->ops->read(f, buf, n) : 0;
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

/* One buffer of a vector: at the file's position, or at off (>= 0). */
static long one(struct file *f, const struct abi_iovec *v, bool write, int64_t off)
{
	if (off >= 0)
		return write ? f->ops->pwrite(f, (const void *)v->base, v->len, (uint64_t)off)
			     : f->ops->pread(f, (void *)v->base, v->len, (uint64_t)off);
	return write ? f->ops->write(f, (const void *)v->base, v->len)
		     : f->ops->read(f, (void *)v->base, v->len);
}

/* Linux checks every length before it moves a byte: 0, -EFAULT or -EINVAL. */
static long check_lengths(const void *iov, int iovcnt)
{
	uint64_t total = 0;

	for (int i = 0; i < iovcnt; i++) {
		struct abi_iovec v;

		if (copy_from_app(&v, (const struct abi_iovec *)iov + i, sizeof(v)) < 0)
			return -EFAULT;
		total += v.len;
		if ((int64_t)v.len < 0 || (int64_t)total < 0)
			return -EINVAL;
	}
	return 0;
}

/* The buffers one after another, stopping at the first short transfer. */
static long each(struct file *f, const void *iov, int iovcnt, bool write, int64_t off)
{
	struct abi_iovec v[16];
	long done = 0;

	for (int i = 0; i < iovcnt; i += 16) {
		int k = iovcnt - i < 16 ? iovcnt - i : 16;

		if (copy_from_app(v, (const struct abi_iovec *)iov + i, k * sizeof(v[0])) < 0)
			return done ? done : -EFAULT;
		for (int j = 0; j < k; j++) {
			long r;

			if (!v[j].len)
				continue;
			r = one(f, &v[j], write, off < 0 ? off : off + done);
			if (r < 0)
				return done ? done : r;
			done += r;
			if ((uint64_t)r < v[j].len)
				return done;
		}
	}
	return done;
}

/*
 * readv and writev (off < 0), preadv and pwritev (at off): one buffer
 * after another, stopping at the first short transfer; an error after
 * some bytes moved gives the count instead.
 */
static long vector(int fd, const void *iov, int iovcnt, bool write, int64_t off)
{
	struct file *f;
	long r;

	if (iovcnt < 0 || iovcnt > IOV_MAX)
		return -EINVAL;
	f = fd_get(fd);
	if (!f)
		return -EBADF;
	if (f->flags & O_PATH || (f->flags & O_ACCMODE) == (write ? O_RDONLY : O_WRONLY) ||
	    (write ? !f->ops->write : !f->ops->read))
		r = -EBADF;
	else if (off >= 0 && (write ? !f->ops->pwrite : !f->ops->pread))
		r = -ESPIPE;
	else if (off < 0 && (write ? f->ops->writev != NULL : f->ops->readv != NULL))
		r = write ? f->ops->writev(f, iov, iovcnt) : f->ops->readv(f, iov, iovcnt);
	else if (!(r = check_lengths(iov, iovcnt)))
		r = each(f, iov, iovcnt, write, off);
	fd_put(f);
	return r;
}

long sys_readv(int fd, const void *iov, int iovcnt)
{
	return vector(fd, iov, iovcnt, false, -1);
}

long sys_writev(int fd, const void *iov, int iovcnt)
{
	return vector(fd, iov, iovcnt, true, -1);
}

long sys_preadv(int fd, const void *iov, int iovcnt, int64_t off)
{
	return off < 0 ? -EINVAL : vector(fd, iov, iovcnt, false, off);
}

long sys_pwritev(int fd, const void *iov, int iovcnt, int64_t off)
{
	return off < 0 ? -EINVAL : vector(fd, iov, iovcnt, true, off);
}

/* pread64 and pwrite64: a transfer at off that leaves the file position alone. */
static long positioned(int fd, void *buf, size_t n, int64_t off, bool write)
{
	struct file *f;
	long r;

	if (off < 0)
		return -EINVAL;
	f = fd_get(fd);
	if (!f)
		return -EBADF;
	if (f->flags & O_PATH || (f->flags & O_ACCMODE) == (write ? O_RDONLY : O_WRONLY))
		r = -EBADF;
	else if (write ? !f->ops->pwrite : !f->ops->pread)
		r = -ESPIPE;
	else if (!n)
		r = 0;
	else
		r = write ? f->ops->pwrite(f, buf, n, (uint64_t)off)
			  : f->ops->pread(f, buf, n, (uint64_t)off);
	fd_put(f);
	return r;
}

long sys_pread64(int fd, void *buf, size_t n, int64_t off)
{
	return positioned(fd, buf, n, off, false);
}

long sys_pwrite64(int fd, const void *buf, size_t n, int64_t off)
{
	return positioned(fd, (void *)buf, n, off, true);
}

#define SEEK_MAX 4 /* SEEK_SET, CUR, END, DATA, HOLE */

long sys_lseek(int fd, int64_t off, int whence)
{
	struct file *f = fd_get(fd);
	long r;

	if (!f)
		return -EBADF;
	if (f->flags & O_PATH)
		r = -EBADF;
	else if ((unsigned)whence > SEEK_MAX)
		r = -EINVAL;
	else
		r = f->ops->llseek ? f->ops->llseek(f, off, whence) : -ESPIPE;
	fd_put(f);
	return r;
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

/* struct flock as x86_64 Linux has it. */
struct abi_flock {
	int16_t l_type, l_whence;
	int64_t l_start, l_len;
	int32_t l_pid;
	int32_t pad;
};

/*
 * Record locks: one process holds them all, so every lock is granted and
 * F_GETLK finds none in the way (F_UNLCK). Linux's checks come first.
 */
static long record_lock(struct file *f, int cmd, void *arg)
{
	struct abi_flock fl;
	bool ofd = cmd >= F_OFD_GETLK;

	if (copy_from_app(&fl, arg, sizeof(fl)) < 0)
		return -EFAULT;
	if ((fl.l_type != F_RDLCK && fl.l_type != F_WRLCK && fl.l_type != F_UNLCK) ||
	    (unsigned)fl.l_whence > 2 || (ofd && fl.l_pid))
		return -EINVAL;
	if (cmd == F_GETLK || cmd == F_OFD_GETLK) {
		if (fl.l_type == F_UNLCK)
			return -EINVAL;
		fl.l_type = F_UNLCK;
		return copy_to_app(arg, &fl, sizeof(fl)) < 0 ? -EFAULT : 0;
	}
	if ((fl.l_type == F_RDLCK && (f->flags & O_ACCMODE) == O_WRONLY) ||
	    (fl.l_type == F_WRLCK && (f->flags & O_ACCMODE) == O_RDONLY))
		return -EBADF;
	return 0;
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
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		r = f->flags & O_PATH ? -EBADF : record_lock(f, cmd, (void *)arg);
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

long fd_stat_kernel(int fd, struct abi_stat *st)
{
	struct file *f = fd_get(fd);
	long r = 0;

	if (!f)
		return -EBADF;
	*st = (struct abi_stat){ 0 };
	if (f->ops->fstat)
		r = f->ops->fstat(f, st);
	else if (f->ops->stat)
		f->ops->stat(f, st);
	fd_put(f);
	return r;
}

long sys_fstat(int fd, void *st)
{
	struct abi_stat s;
	long r = fd_stat_kernel(fd, &s);

	return r < 0 ? r : copy_to_app(st, &s, sizeof(s));
}
