/*
 * Readiness: how a file says it can be read or written, and how poll,
 * select and epoll learn when that changes (docs/poll.md).
 *
 * A file that can wait keeps a struct poll_head. Its file_ops.poll(f, w)
 * returns the events true now (POLLIN, POLLOUT, ...) and, if w is given,
 * adds w to that head, so that w->notify is called whenever the events may
 * have changed (data came, room appeared, the peer closed). Watches are
 * edge hints: notify says "look again" and carries the events that became
 * true; a waiter always calls poll again to know.
 *
 * Any context may notify (a device's handler, a timer): notify runs with
 * interrupts off and may only record and wake, never block. A head going
 * away (the file's last reference) calls poll_head_release(), which tells
 * each watch with POLL_FREE, and each watch must then forget the head.
 * The list functions here are inline, so that a file may keep a head
 * without the poll and epoll code being linked.
 */
#ifndef LIB_VFS_POLL_H
#define LIB_VFS_POLL_H

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/arch.h"
#include "kernel/list.h"

/* Linux's event bits (poll(2), epoll(7)). */
#define POLLIN 0x001
#define POLLPRI 0x002
#define POLLOUT 0x004
#define POLLERR 0x008
#define POLLHUP 0x010
#define POLLNVAL 0x020
#define POLLRDNORM 0x040
#define POLLRDBAND 0x080
#define POLLWRNORM 0x100
#define POLLWRBAND 0x200
#define POLLRDHUP 0x2000
/* Not an event: the head is going away (poll_head_release), forget it. */
#define POLL_FREE 0x80000000u

/* What a file without a poll operation answers (Linux's DEFAULT_POLLMASK). */
#define POLL_DEFAULT (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)

struct poll_head {
	struct list_head watches; /* zeroed is empty */
};

struct poll_watch {
	struct list_head link;
	struct poll_head *head; /* NULL when on none */
	/* Interrupts off; must not block. May remove w itself (poll_watch_del). */
	void (*notify)(struct poll_watch *w, unsigned events);
};

static inline void poll_watch_add(struct poll_head *h, struct poll_watch *w)
{
	unsigned long flags = irq_save();

	list_ensure(&h->watches);
	list_add_tail(&w->link, &h->watches);
	w->head = h;
	irq_restore(flags);
}

/* Takes w off its head, if it is on one. */
static inline void poll_watch_del(struct poll_watch *w)
{
	unsigned long flags = irq_save();

	if (w->head) {
		list_del(&w->link);
		w->head = NULL;
	}
	irq_restore(flags);
}

/* Tells every watch on h that events may have changed. Any context. */
static inline void poll_notify(struct poll_head *h, unsigned events)
{
	unsigned long flags = irq_save();
	struct list_head *p, *next;

	list_ensure(&h->watches);
	for (p = h->watches.next; p != &h->watches; p = next) {
		struct poll_watch *w = list_entry(p, struct poll_watch, link);

		next = p->next; /* notify may remove its watch */
		w->notify(w, events);
	}
	irq_restore(flags);
}

/* The head's file is gone: every watch is told POLL_FREE and taken off. */
static inline void poll_head_release(struct poll_head *h)
{
	unsigned long flags = irq_save();

	list_ensure(&h->watches);
	while (!list_empty(&h->watches)) {
		struct poll_watch *w = list_entry(list_first(&h->watches), struct poll_watch, link);

		list_del(&w->link);
		w->head = NULL;
		w->notify(w, POLL_FREE);
	}
	irq_restore(flags);
}

long sys_poll(void *fds, unsigned nfds, int timeout_ms);
long sys_ppoll(void *fds, unsigned nfds, const void *ts, const uint64_t *sigmask, size_t setsize);
long sys_select(int n, void *rfds, void *wfds, void *efds, void *tv);
long sys_pselect6(int n, void *rfds, void *wfds, void *efds, void *ts, const void *sig);
long sys_epoll_create(int size);
long sys_epoll_create1(int flags);
long sys_epoll_ctl(int epfd, int op, int fd, void *event);
long sys_epoll_wait(int epfd, void *events, int maxevents, int timeout_ms);
long sys_epoll_pwait(int epfd, void *events, int maxevents, int timeout_ms, const uint64_t *sigmask,
		     size_t setsize);
long sys_epoll_pwait2(int epfd, void *events, int maxevents, const void *ts,
		      const uint64_t *sigmask, size_t setsize);
long sys_eventfd(unsigned initval);
long sys_eventfd2(unsigned initval, int flags);
long sys_pipe(int *fds);
long sys_pipe2(int *fds, int flags);

#endif
