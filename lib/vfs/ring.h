/*
 * A ring of PIPE_SIZE bytes, as pipes (lib/vfs/pipe.c) and AF_UNIX socket
 * pairs (lib/net/sock_unix.c) keep their data: len bytes from start. The
 * buffer is allocated on the first write. The helpers give the
 * contiguous pieces: the caller copies each, to or from the application.
 */
#ifndef LIB_VFS_RING_H
#define LIB_VFS_RING_H

#include <stddef.h>

#include "lib/vfs/poll_priv.h"

struct byte_ring {
	char *buf; /* PIPE_SIZE bytes, or NULL before the first write */
	size_t start, len;
};

/* The contiguous data at byte off of it (off < len): *p, and how many, at most n. */
static inline size_t ring_data(const struct byte_ring *r, size_t off, size_t n, char **p)
{
	size_t at = (r->start + off) % PIPE_SIZE, k = r->len - off;

	k = k < n ? k : n;
	k = k < PIPE_SIZE - at ? k : PIPE_SIZE - at;
	*p = r->buf + at;
	return k;
}

/* The contiguous room after the data and off more bytes: *p, and how many, at most n. */
static inline size_t ring_room(const struct byte_ring *r, size_t off, size_t n, char **p)
{
	size_t at = (r->start + r->len + off) % PIPE_SIZE, k = PIPE_SIZE - r->len - off;

	k = k < n ? k : n;
	k = k < PIPE_SIZE - at ? k : PIPE_SIZE - at;
	*p = r->buf + at;
	return k;
}

/* Forgets the first n bytes (n <= len). */
static inline void ring_consume(struct byte_ring *r, size_t n)
{
	r->start = (r->start + n) % PIPE_SIZE;
	r->len -= n;
}

#endif
