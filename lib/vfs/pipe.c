/*
 * Pipes (docs/poll.md): a 64 KiB ring between a read end and a write end,
 * two files of one struct pipe. p->lock (a mutex) lets one reader or
 * writer move bytes at a time, so a write of up to PIPE_BUF bytes lands
 * whole; the ring's counters and the ends' state also change with
 * interrupts off, which is how a waiter checks them and sleeps without
 * missing a wake. Each end has its own poll_head: watches on the read end
 * hear of data and of the last writer going, those on the write end of
 * room and of the last reader going.
 */
#include "lib/vfs/poll.h"

#include <errno.h>
#include <stdlib.h>

#include "kernel/printk.h"
#include "kernel/uaccess.h"
#include "lib/abi/signal.h"
#include "lib/vfs/fd.h"
#include "lib/vfs/poll_priv.h"
#include "lib/vfs/ring.h"
#include "sched/sched.h"
#include "sched/sync.h"

struct pipe {
	struct file rd, wr;
	struct poll_head rhead, whead;
	struct waitq readers, writers;
	struct mutex lock;
	struct byte_ring ring;
	bool rd_open, wr_open;
	uint64_t ino;
};

static struct {
	uint64_t last_ino; /* st_ino of the last pipe made */
} pipes;

/*
 * Drops p->lock and waits on q, interrupts off (the caller saw, with them
 * off, that it must wait); takes the lock again. 0, or -ERESTARTSYS.
 */
static int wait_unlocked(struct pipe *p, struct waitq *q, unsigned long flags)
{
	int err;

	mutex_unlock(&p->lock);
	err = waitq_wait_intr(q, 0);
	irq_restore(flags);
	if (err == -EINTR)
		return -ERESTARTSYS;
	mutex_lock(&p->lock);
	return 0;
}

/* Waits until there is something to read; 0, or 1 at the end (no writer), or -errno. Locked. */
static int wait_data(struct pipe *p, struct file *f)
{
	for (;;) {
		unsigned long flags = irq_save();
		int err;

		if (p->ring.len || !p->wr_open) {
			irq_restore(flags);
			return p->ring.len ? 0 : 1;
		}
		if (f->flags & O_NONBLOCK) {
			irq_restore(flags);
			return -EAGAIN;
		}
		err = wait_unlocked(p, &p->readers, flags);
		if (err)
			return err;
	}
}

/* Copies k bytes (k <= the ring's len) out of the ring; 0 or -EFAULT. Locked. */
static int copy_out(struct pipe *p, char *buf, size_t k)
{
	for (size_t done = 0, n; done < k; done += n) {
		char *from;

		n = ring_data(&p->ring, done, k - done, &from);
		if (copy_to_app(buf + done, from, n) < 0)
			return -EFAULT;
	}
	return 0;
}

static long pipe_read(struct file *f, void *buf, size_t n)
{
	struct pipe *p = f->priv;
	unsigned long flags;
	int err;

	mutex_lock(&p->lock);
	err = wait_data(p, f);
	if (err) {
		if (err != -ERESTARTSYS)
			mutex_unlock(&p->lock);
		return err > 0 ? 0 : err;
	}
	n = n < p->ring.len ? n : p->ring.len;
	if (copy_out(p, buf, n) < 0) {
		mutex_unlock(&p->lock);
		return -EFAULT;
	}
	flags = irq_save();
	ring_consume(&p->ring, n);
	waitq_wake_all(&p->writers);
	poll_notify(&p->whead, POLLOUT | POLLWRNORM);
	irq_restore(flags);
	mutex_unlock(&p->lock);
	return (long)n;
}

/* Copies k bytes (k <= the room left) into the ring's end; 0 or -EFAULT. Locked. */
static int copy_in(struct pipe *p, const char *buf, size_t k)
{
	for (size_t done = 0, n; done < k; done += n) {
		char *to;

		n = ring_room(&p->ring, done, k - done, &to);
		if (copy_from_app(to, buf + done, n) < 0)
			return -EFAULT;
	}
	return 0;
}

/* Moves up to n bytes in, now; how many (0: no room for a write that must be whole). Locked. */
static long put_some(struct pipe *p, const char *buf, size_t n, bool whole)
{
	size_t room = PIPE_SIZE - p->ring.len, k = n < room ? n : room;
	unsigned long flags;

	if (!k || (whole && k < n))
		return 0;
	if (!p->ring.buf && !(p->ring.buf = kmalloc(PIPE_SIZE)))
		return -ENOMEM;
	if (copy_in(p, buf, k) < 0)
		return -EFAULT;
	flags = irq_save();
	p->ring.len += k;
	waitq_wake_all(&p->readers);
	poll_notify(&p->rhead, POLLIN | POLLRDNORM);
	irq_restore(flags);
	return (long)k;
}

/* A write found no reader: SIGPIPE for the caller, as Linux sends it. */
static void send_sigpipe(void)
{
	signal_send(thread_id(thread_self()), SIGPIPE, SIGPIPE_CODE);
}

/*
 * Waits until need bytes fit; 0 (look again), or -EPIPE (no reader left),
 * -EAGAIN, -ERESTARTSYS (the lock dropped). Locked.
 */
static int wait_room(struct pipe *p, struct file *f, size_t need)
{
	unsigned long flags = irq_save();

	if (!p->rd_open || PIPE_SIZE - p->ring.len >= need || f->flags & O_NONBLOCK) {
		int err = !p->rd_open ? -EPIPE : PIPE_SIZE - p->ring.len >= need ? 0 : -EAGAIN;

		irq_restore(flags);
		return err;
	}
	return wait_unlocked(p, &p->writers, flags);
}

/*
 * A write of up to PIPE_BUF bytes goes in whole or waits; a longer one goes
 * in as room appears. A signal or O_NONBLOCK ends it early with the count
 * written so far, or the error if nothing was.
 */
static long pipe_write(struct file *f, const void *buf, size_t n)
{
	struct pipe *p = f->priv;
	bool whole = n <= PIPE_BUF;
	size_t done = 0;
	long r;

	mutex_lock(&p->lock);
	for (;;) {
		r = p->rd_open ? put_some(p, (const char *)buf + done, n - done, whole) : -EPIPE;
		if (r < 0)
			break;
		done += (size_t)r;
		if (done == n)
			break;
		if (r)
			continue;
		r = wait_room(p, f, whole ? n : 1);
		if (r == -ERESTARTSYS)
			return done ? (long)done : r;
		if (r < 0)
			break;
	}
	mutex_unlock(&p->lock);
	if (r == -EPIPE)
		send_sigpipe();
	return done ? (long)done : r;
}

static long pipe_ioctl(struct file *f, unsigned long cmd, unsigned long arg)
{
	struct pipe *p = f->priv;
	int n = (int)p->ring.len;

	if (cmd != FIONREAD)
		return -ENOTTY;
	return copy_to_app((void *)arg, &n, sizeof(n));
}

static unsigned pipe_poll(struct file *f, struct poll_watch *w)
{
	struct pipe *p = f->priv;
	unsigned long flags;
	unsigned events = 0;
	bool reader = f == &p->rd;

	if (w)
		poll_watch_add(reader ? &p->rhead : &p->whead, w);
	flags = irq_save();
	if (reader) {
		events |= p->ring.len ? POLLIN | POLLRDNORM : 0;
		events |= p->wr_open ? 0 : POLLHUP;
	} else {
		/* Linux says writable while a page is free: room for PIPE_BUF. */
		events |= PIPE_SIZE - p->ring.len >= PIPE_BUF ? POLLOUT | POLLWRNORM : 0;
		events |= p->rd_open ? 0 : POLLERR;
	}
	irq_restore(flags);
	return events;
}

static void pipe_stat(struct file *f, struct abi_stat *st)
{
	struct pipe *p = f->priv;

	st->st_dev = PIPE_DEV;
	st->st_ino = p->ino;
	st->st_nlink = 1;
	st->st_mode = S_IFIFO | ANON_MODE;
	st->st_blksize = PIPE_BLKSIZE;
}

/* One end is gone: the other hears of it; the last frees the pipe. */
static void pipe_release(struct file *f)
{
	struct pipe *p = f->priv;
	unsigned long flags = irq_save();
	bool last;

	if (f == &p->rd) {
		p->rd_open = false;
		waitq_wake_all(&p->writers);
		poll_notify(&p->whead, 0);
		poll_head_release(&p->rhead);
	} else {
		p->wr_open = false;
		waitq_wake_all(&p->readers);
		poll_notify(&p->rhead, 0);
		poll_head_release(&p->whead);
	}
	last = !p->rd_open && !p->wr_open;
	irq_restore(flags);
	if (last) {
		kfree(p->ring.buf);
		kfree(p);
	}
}

static const struct file_ops pipe_rd_ops = {
	.read = pipe_read,
	.ioctl = pipe_ioctl,
	.stat = pipe_stat,
	.poll = pipe_poll,
	.release = pipe_release,
};

static const struct file_ops pipe_wr_ops = {
	.write = pipe_write,
	.ioctl = pipe_ioctl,
	.stat = pipe_stat,
	.poll = pipe_poll,
	.release = pipe_release,
};

static struct pipe *pipe_new(int flags)
{
	struct pipe *p = kcalloc(1, sizeof(*p));
	unsigned nonblock = flags & O_NONBLOCK;

	if (!p)
		return NULL;
	p->rd = (struct file){
		.ops = &pipe_rd_ops, .flags = O_RDONLY | nonblock, .refs = 1, .priv = p
	};
	p->wr = (struct file){
		.ops = &pipe_wr_ops, .flags = O_WRONLY | nonblock, .refs = 1, .priv = p
	};
	p->rd_open = p->wr_open = true;
	p->ino = ++pipes.last_ino;
	return p;
}

/* Both ends at fds, into the application's fds[2]; 0 or -errno (nothing left open). */
static long install(struct pipe *p, int *fds, bool cloexec)
{
	int pair[2];

	pair[0] = fd_install(&p->rd, cloexec);
	if (pair[0] < 0) {
		fd_put(&p->rd);
		fd_put(&p->wr);
		return pair[0];
	}
	pair[1] = fd_install(&p->wr, cloexec);
	if (pair[1] < 0) {
		sys_close(pair[0]);
		fd_put(&p->wr);
		return pair[1];
	}
	if (copy_to_app(fds, pair, sizeof(pair)) < 0) {
		sys_close(pair[0]);
		sys_close(pair[1]);
		return -EFAULT;
	}
	return 0;
}

long sys_pipe2(int *fds, int flags)
{
	struct pipe *p;

	if (flags & O_DIRECT) {
		pr_warn_once("pipe: O_DIRECT (packet mode) is not served");
		return -EINVAL;
	}
	if (flags & ~(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	p = pipe_new(flags);
	if (!p)
		return -ENFILE;
	return install(p, fds, flags & O_CLOEXEC);
}

long sys_pipe(int *fds)
{
	return sys_pipe2(fds, 0);
}
