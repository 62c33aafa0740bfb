/*
 * What poll.c, epoll.c, eventfd.c and pipe.c share (docs/poll.md): Linux's
 * numbers for their calls and the epoll internals the host test drives.
 */
#ifndef LIB_VFS_POLL_PRIV_H
#define LIB_VFS_POLL_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/time.h"
#include "lib/abi/abi.h"
#include "lib/vfs/fd.h"
#include "lib/vfs/poll.h"

/* epoll(7): the events are poll's, plus these flags. */
#define EPOLLEXCLUSIVE (1u << 28)
#define EPOLLWAKEUP (1u << 29)
#define EPOLLONESHOT (1u << 30)
#define EPOLLET (1u << 31)
/* The flags that are no events: a disarmed (oneshot) item keeps only these. */
#define EPOLL_PRIVATE_BITS (EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE)
/* What EPOLLEXCLUSIVE may come with (Linux's EPOLLEXCLUSIVE_OK_BITS). */
#define EPOLL_EXCLUSIVE_OK                                                                \
	(POLLIN | POLLOUT | POLLRDNORM | POLLRDBAND | POLLWRNORM | POLLWRBAND | POLLERR | \
	 POLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE)

#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_DEL 2
#define EPOLL_CTL_MOD 3
#define EPOLL_CLOEXEC O_CLOEXEC
/* How deep epolls may nest inside each other (Linux's EP_MAX_NESTS). */
#define EPOLL_MAX_NESTS 4
/* Buckets of an epoll's (file, fd) table. */
#define EPOLL_BUCKETS 64

/* struct epoll_event: packed on x86_64, 12 bytes. */
struct abi_epoll_event {
	uint32_t events;
	uint64_t data;
} __attribute__((packed));

/* The most events one wait may ask for (Linux's EP_MAX_EVENTS). */
#define EPOLL_MAX_EVENTS (INT32_MAX / (int)sizeof(struct abi_epoll_event))

/* eventfd(2) */
#define EFD_SEMAPHORE 1
#define EFD_CLOEXEC O_CLOEXEC
#define EFD_NONBLOCK O_NONBLOCK
#define EVENTFD_MAX (UINT64_MAX - 1) /* the counter's highest value */

/* pipe(7) */
#define PIPE_SIZE (64 * 1024) /* the buffer, Linux's default */
#define PIPE_BUF 4096	      /* writes up to this long are atomic */
#define O_DIRECT 040000	      /* pipe2's packet mode: not served */
#define S_IFIFO 0010000
#define FIONREAD 0x541B
#define PIPE_DEV 12	  /* Linux's pipefs device, as fstat() shows a pipe */
#define PIPE_BLKSIZE 4096 /* st_blksize of a pipe */
#define SIGPIPE 13	  /* sent to a writer that no reader hears */
#define SIGPIPE_CODE 0	  /* si_code SI_USER, as Linux's send_sig() gives */
#define ANON_DEV 15	  /* Linux's anon_inodefs device, where epoll and eventfd fds live */
#define ANON_MODE 0600	  /* their inode's mode: no file type */

/* The events true of f now; with w, w goes on f's head (lib/vfs/poll.h). */
static inline unsigned poll_file(struct file *f, struct poll_watch *w)
{
	return f->ops->poll ? f->ops->poll(f, w) : POLL_DEFAULT;
}

/* When a wait ends: at deadline (0: never), or after one look (once: a zero timeout). */
struct poll_timeout {
	uint64_t deadline;
	bool once;
};

/* From a timeout in ms (negative: none), as poll and epoll_wait take it. */
static inline struct poll_timeout poll_timeout_ms(int ms)
{
	if (ms < 0)
		return (struct poll_timeout){ 0, false };
	if (!ms)
		return (struct poll_timeout){ 0, true };
	return (struct poll_timeout){ abi_deadline_after((uint64_t)ms * NSEC_PER_MSEC), false };
}

/* From ns (a timespec's), as ppoll, pselect6 and epoll_pwait2 take it. */
static inline struct poll_timeout poll_timeout_ns(uint64_t ns)
{
	if (!ns)
		return (struct poll_timeout){ 0, true };
	return (struct poll_timeout){ abi_deadline_after(ns), false };
}

#endif
