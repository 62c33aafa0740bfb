/*
 * fds 0-2 on the console (lib/vfs/console.h). Input is polled (the UART
 * has no interrupt routed here): a reader with nothing to read sleeps
 * INPUT_POLL_MS at a time and looks again; QEMU hands the UART a byte only
 * when its FIFO has room, so nothing is lost meanwhile. Writers take a
 * mutex, so that one writev() reaches the console whole, as a pipe keeps
 * a write of up to PIPE_BUF bytes whole. While something watches stdin
 * (poll, select, epoll: docs/poll.md), a timer looks at the UART every
 * INPUT_POLL_MS and notifies the watches when bytes arrived; stdout and
 * stderr are always writable.
 */
#include "lib/vfs/console.h"

#include <errno.h>
#include <string.h>

#include "kernel/console.h"
#include "kernel/time.h"
#include "kernel/uaccess.h"
#include "lib/vfs/fd.h"
#include "lib/vfs/poll.h"
#include "sched/sched.h"
#include "sched/sync.h"

#define INPUT_POLL_MS 5
#define CHUNK 512
#define S_IFIFO 0010000
#define FIONREAD 0x541B
#define PIPE_DEV 12 /* Linux's pipefs device, as fstat() shows a pipe */

static struct {
	struct mutex in_lock, out_lock;
	char pending[CHUNK]; /* input read from the UART, not yet by the application */
	size_t npending;
	uint64_t arrived;	     /* bytes ever moved into pending */
	uint64_t notified;	     /* arrived, when the watches were last told */
	struct poll_head in_head;    /* watches on stdin */
	struct sched_timer in_timer; /* looks for input while in_head has watches */
	bool ticking;		     /* in_timer is started */
} cons;

/* Moves what the UART holds into cons.pending; how much is there. */
static size_t poll_input(void)
{
	size_t got =
		console_read(cons.pending + cons.npending, sizeof(cons.pending) - cons.npending);

	cons.npending += got;
	cons.arrived += got;
	return cons.npending;
}

/*
 * In the timer interrupt: new input for the watches. pending belongs to
 * whoever holds in_lock; with it free, no thread is inside, so the
 * interrupt may fill it. Stops once no watch is left.
 */
static void input_tick(struct sched_timer *t)
{
	if (list_empty(&cons.in_head.watches)) {
		cons.ticking = false;
		return;
	}
	if (!mutex_is_locked(&cons.in_lock))
		poll_input();
	if (cons.arrived != cons.notified) {
		cons.notified = cons.arrived;
		poll_notify(&cons.in_head, POLLIN | POLLRDNORM);
	}
	sched_timer_start(t, clock_monotonic_ns() + INPUT_POLL_MS * NSEC_PER_MSEC, input_tick);
}

/* POLLIN when input waits. A reader holding in_lock is waiting for input itself. */
static unsigned in_poll(struct file *f, struct poll_watch *w)
{
	unsigned long flags;
	size_t n;

	(void)f;
	if (w) {
		poll_watch_add(&cons.in_head, w);
		flags = irq_save();
		if (!cons.ticking) {
			cons.ticking = true;
			sched_timer_start(&cons.in_timer,
					  clock_monotonic_ns() + INPUT_POLL_MS * NSEC_PER_MSEC,
					  input_tick);
		}
		irq_restore(flags);
	}
	if (mutex_trylock(&cons.in_lock))
		return cons.npending ? POLLIN | POLLRDNORM : 0;
	n = poll_input();
	mutex_unlock(&cons.in_lock);
	return n ? POLLIN | POLLRDNORM : 0;
}

static unsigned out_poll(struct file *f, struct poll_watch *w)
{
	(void)f, (void)w;
	return POLLOUT | POLLWRNORM;
}

/*
 * Takes in_lock and waits until input is pending: 0 with the lock held, or
 * -EAGAIN (nonblock) or -ERESTARTSYS (a signal) without it.
 */
static long wait_input(bool nonblock)
{
	mutex_lock(&cons.in_lock);
	while (!poll_input()) {
		if (nonblock) {
			mutex_unlock(&cons.in_lock);
			return -EAGAIN;
		}
		if (thread_sleep_ns(INPUT_POLL_MS * NSEC_PER_MSEC, true) == -EINTR) {
			mutex_unlock(&cons.in_lock);
			return -ERESTARTSYS;
		}
	}
	return 0;
}

/* Drops the first n pending bytes (they were read). With in_lock. */
static void consume(size_t n)
{
	for (size_t i = n; i < cons.npending; i++)
		cons.pending[i - n] = cons.pending[i];
	cons.npending -= n;
}

static long in_read(struct file *f, void *buf, size_t n)
{
	long r = wait_input(f->flags & O_NONBLOCK);

	if (r < 0)
		return r;
	if (n > cons.npending)
		n = cons.npending;
	r = copy_to_app(buf, cons.pending, n) < 0 ? -EFAULT : (long)n;
	if (r > 0)
		consume(n);
	mutex_unlock(&cons.in_lock);
	return r;
}

long console_input_read(void *buf, size_t n, bool nonblock)
{
	long r = wait_input(nonblock);

	if (r < 0)
		return r;
	if (n > cons.npending)
		n = cons.npending;
	memcpy(buf, cons.pending, n);
	consume(n);
	mutex_unlock(&cons.in_lock);
	return (long)n;
}

static long in_ioctl(struct file *f, unsigned long cmd, unsigned long arg)
{
	int n;

	(void)f;
	if (cmd != FIONREAD)
		return -ENOTTY; /* a pipe is no terminal */
	mutex_lock(&cons.in_lock);
	n = (int)poll_input();
	mutex_unlock(&cons.in_lock);
	return copy_to_app((void *)arg, &n, sizeof(n));
}

static long out_write(struct file *f, const void *buf, size_t n)
{
	char chunk[CHUNK];
	size_t done = 0;

	(void)f;
	mutex_lock(&cons.out_lock);
	while (done < n) {
		size_t k = n - done < CHUNK ? n - done : CHUNK;

		if (copy_from_app(chunk, (const char *)buf + done, k) < 0)
			break;
		console_write(chunk, k);
		done += k;
	}
	mutex_unlock(&cons.out_lock);
	return done ? (long)done : -EFAULT;
}

static long out_ioctl(struct file *f, unsigned long cmd, unsigned long arg)
{
	int zero = 0;

	(void)f;
	if (cmd == FIONREAD)
		return copy_to_app((void *)arg, &zero, sizeof(zero));
	return -ENOTTY;
}

static void pipe_stat(struct file *f, struct abi_stat *st)
{
	st->st_dev = PIPE_DEV;
	st->st_ino = (uint64_t)(uintptr_t)f->priv;
	st->st_nlink = 1;
	st->st_mode = S_IFIFO | 0600;
	st->st_blksize = 4096;
}

static const struct file_ops in_ops = {
	.read = in_read,
	.ioctl = in_ioctl,
	.stat = pipe_stat,
	.poll = in_poll,
};

static const struct file_ops out_ops = {
	.write = out_write,
	.ioctl = out_ioctl,
	.stat = pipe_stat,
	.poll = out_poll,
};

/* One reference each stays with the kernel: closing all fds never frees them. */
static struct file files[3] = {
	{ .ops = &in_ops, .flags = O_RDONLY, .refs = 1, .priv = (void *)1 },
	{ .ops = &out_ops, .flags = O_WRONLY, .refs = 1, .priv = (void *)2 },
	{ .ops = &out_ops, .flags = O_WRONLY, .refs = 1, .priv = (void *)3 },
};

int console_files_init(void)
{
	for (int fd = 0; fd < 3; fd++) {
		int err;

		files[fd].refs++;
		err = fd_install_at(fd, &files[fd]);
		if (err < 0)
			return err;
	}
	return 0;
}
