/*
 * eventfd (docs/poll.md): a 64-bit counter as a file. A write adds its
 * 8 bytes' value, a read takes the count (or 1, with EFD_SEMAPHORE) and
 * leaves 0 (or one less). The count never passes EVENTFD_MAX: a write
 * that would waits, or is EAGAIN. All of it is a few words, so it is
 * guarded by interrupts off, and readers and writers wait with them off.
 */
#include "lib/vfs/poll.h"

#include <errno.h>
#include <stdlib.h>

#include "kernel/uaccess.h"
#include "lib/vfs/fd.h"
#include "lib/vfs/poll_priv.h"
#include "sched/sched.h"

struct eventfd {
	struct file file;
	struct poll_head head;
	struct waitq readers, writers;
	uint64_t count;
	bool semaphore;
};

/*
 * Waits on q, interrupts off: 0 when woken, -EAGAIN for a non-blocking
 * file, -ERESTARTSYS for a signal (SA_RESTART restarts the call).
 */
static int wait_on(struct file *f, struct waitq *q)
{
	if (f->flags & O_NONBLOCK)
		return -EAGAIN;
	return waitq_wait_intr(q, 0) == -EINTR ? -ERESTARTSYS : 0;
}

static long eventfd_read(struct file *f, void *buf, size_t n)
{
	struct eventfd *e = f->priv;
	unsigned long flags;
	uint64_t v;
	int err = 0;

	if (n < sizeof(v))
		return -EINVAL;
	flags = irq_save();
	while (!e->count && !err)
		err = wait_on(f, &e->readers);
	if (err) {
		irq_restore(flags);
		return err;
	}
	v = e->semaphore ? 1 : e->count;
	e->count -= v;
	waitq_wake_all(&e->writers);
	poll_notify(&e->head, POLLOUT);
	irq_restore(flags);
	return copy_to_app(buf, &v, sizeof(v)) < 0 ? -EFAULT : (long)sizeof(v);
}

static long eventfd_write(struct file *f, const void *buf, size_t n)
{
	struct eventfd *e = f->priv;
	unsigned long flags;
	uint64_t v;
	int err = 0;

	if (n < sizeof(v))
		return -EINVAL;
	if (copy_from_app(&v, buf, sizeof(v)) < 0)
		return -EFAULT;
	if (v > EVENTFD_MAX)
		return -EINVAL;
	flags = irq_save();
	while (EVENTFD_MAX - e->count < v && !err)
		err = wait_on(f, &e->writers);
	if (!err) {
		e->count += v;
		waitq_wake_all(&e->readers);
		poll_notify(&e->head, POLLIN);
	}
	irq_restore(flags);
	return err ? err : (long)sizeof(v);
}

/* As Linux: POLLIN and POLLOUT only, never their RDNORM/WRNORM twins. */
static unsigned eventfd_poll(struct file *f, struct poll_watch *w)
{
	struct eventfd *e = f->priv;
	unsigned long flags;
	unsigned events = 0;

	if (w)
		poll_watch_add(&e->head, w);
	flags = irq_save();
	if (e->count)
		events |= POLLIN;
	if (e->count < EVENTFD_MAX)
		events |= POLLOUT;
	irq_restore(flags);
	return events;
}

static void eventfd_stat(struct file *f, struct abi_stat *st)
{
	(void)f;
	st->st_dev = ANON_DEV;
	st->st_nlink = 1;
	st->st_mode = ANON_MODE;
	st->st_blksize = PIPE_BLKSIZE;
}

static void eventfd_release(struct file *f)
{
	struct eventfd *e = f->priv;

	poll_head_release(&e->head);
	kfree(e);
}

static const struct file_ops eventfd_ops = {
	.read = eventfd_read,
	.write = eventfd_write,
	.poll = eventfd_poll,
	.stat = eventfd_stat,
	.release = eventfd_release,
};

long sys_eventfd2(unsigned initval, int flags)
{
	struct eventfd *e;
	int fd;

	if (flags & ~(EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK))
		return -EINVAL;
	e = kcalloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->count = initval;
	e->semaphore = flags & EFD_SEMAPHORE;
	e->file = (struct file){
		.ops = &eventfd_ops, .flags = O_RDWR | (flags & EFD_NONBLOCK), .refs = 1, .priv = e
	};
	fd = fd_install(&e->file, flags & EFD_CLOEXEC);
	if (fd < 0)
		kfree(e);
	return fd;
}

long sys_eventfd(unsigned initval)
{
	return sys_eventfd2(initval, 0);
}
