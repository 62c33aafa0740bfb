/*
 * The 9P2000.L client (docs/9p.md). One struct p9_client per attached
 * file tree (and per device: a second one's Tversion would end the first's
 * session), over a transport that carries requests and their replies
 * (drivers/virtio/virtio_9p.c; the host unit test's fake). Every call
 * blocks the calling thread until the reply is in; any number of threads
 * may call at once, each request with a tag of its own.
 *
 * Buffers are the kernel's. Every reply is checked before it is believed
 * (size, tag, type, each count and string inside it): a malformed reply is
 * -EIO and a counter, never a crash. Rlerror gives its errno, negated.
 * Functions return 0 or a count, else a negative errno.
 */
#ifndef LIB_9P_P9_H
#define LIB_9P_P9_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sched/sync.h"

#define P9_NOFID 0xffffffffu
#define P9_NOTAG 0xffffu
#define P9_NAME_MAX 255	  /* a path component */
#define P9_WALK_MAX 16	  /* names in one Twalk */
#define P9_IOHDR 24	  /* Twrite's and Rread's header, with room to spare */
#define P9_MSIZE_MIN 4096 /* below this the server's reply is refused */
#define P9_TAGS_MAX 64	  /* requests in flight per client */

/* A qid: the server's identity of a file. type is P9_QT*. */
#define P9_QTDIR 0x80
#define P9_QTSYMLINK 0x02
struct p9_qid {
	uint8_t type;
	uint32_t version;
	uint64_t path;
};

/* Tgetattr's request mask and Rgetattr's valid mask. */
#define P9_GETATTR_MODE 0x1ull
#define P9_GETATTR_NLINK 0x2ull
#define P9_GETATTR_UID 0x4ull
#define P9_GETATTR_GID 0x8ull
#define P9_GETATTR_RDEV 0x10ull
#define P9_GETATTR_ATIME 0x20ull
#define P9_GETATTR_MTIME 0x40ull
#define P9_GETATTR_CTIME 0x80ull
#define P9_GETATTR_INO 0x100ull
#define P9_GETATTR_SIZE 0x200ull
#define P9_GETATTR_BLOCKS 0x400ull
#define P9_GETATTR_BASIC 0x7ffull

struct p9_attr {
	uint64_t valid;
	struct p9_qid qid;
	uint32_t mode, uid, gid;
	uint64_t nlink, rdev, size, blksize, blocks;
	uint64_t atime_sec, atime_nsec, mtime_sec, mtime_nsec, ctime_sec, ctime_nsec;
};

/* Tsetattr's valid mask. */
#define P9_SETATTR_MODE 0x1u
#define P9_SETATTR_UID 0x2u
#define P9_SETATTR_GID 0x4u
#define P9_SETATTR_SIZE 0x8u
#define P9_SETATTR_ATIME 0x10u
#define P9_SETATTR_MTIME 0x20u
#define P9_SETATTR_CTIME 0x40u
#define P9_SETATTR_ATIME_SET 0x80u /* atime is the given one, not the server's now */
#define P9_SETATTR_MTIME_SET 0x100u

struct p9_setattr {
	uint32_t valid, mode, uid, gid;
	uint64_t size, atime_sec, atime_nsec, mtime_sec, mtime_nsec;
};

struct p9_statfs {
	uint32_t type, bsize;
	uint64_t blocks, bfree, bavail, files, ffree, fsid;
	uint32_t namelen;
};

/* Tlopen's and Tlcreate's flags are Linux's O_* (the x86_64 values). */
#define P9_AT_REMOVEDIR 0x200 /* Tunlinkat */

/* One directory entry out of Rreaddir's data (p9_dirent_next). */
struct p9_dirent {
	struct p9_qid qid;
	uint64_t offset; /* the cookie of the next entry */
	uint8_t type;	 /* DT_* */
	uint16_t name_len;
	const char *name; /* not NUL terminated: name_len bytes inside the data */
};

/*
 * A buffer of a request or a reply, in kernel memory that the device may
 * read or write directly (identity mapped: the pointer is the address).
 */
struct p9_iov {
	void *base;
	size_t len;
};

/*
 * One request handed to a transport's submit(): the caller's buffers, and
 * what the transport says once the device is done. The caller keeps it
 * (on its stack) from submit() until wait() has returned.
 */
struct p9_treq {
	const struct p9_iov *out, *in;
	unsigned n_out, n_in;
	/* Set by the transport (from its interrupt handler): */
	uint32_t in_len; /* bytes of reply, once done */
	int err;	 /* 0 or -EIO, once done */
	volatile bool done;
	struct waitq waiters; /* the transport's: the caller sleeps here */
};

/*
 * How a request travels. request() sends the n_out buffers as one message
 * and receives the reply into the n_in ones, which it may fill only in
 * part; *in_len says how many bytes came. It blocks until then and may be
 * called by several threads at once. 0, or -EIO (the device is broken or
 * gone), -EINTR never: a request cannot be taken back from the device.
 */
struct p9_transport {
	int (*request)(void *ctx, const struct p9_iov *out, unsigned n_out, const struct p9_iov *in,
		       unsigned n_in, uint32_t *in_len);
	/*
	 * Optional, both or neither: submit() hands r to the device (waiting
	 * for room in its ring if need be) and returns at once, 0 or -EIO;
	 * wait() blocks until the device answered r and returns r->err. So one
	 * thread keeps several requests in flight (p9_read, p9_write).
	 */
	int (*submit)(void *ctx, struct p9_treq *r);
	int (*wait)(void *ctx, struct p9_treq *r);
	void *ctx;
	uint32_t msize_max; /* the largest message the transport carries */
	const char *name;   /* for messages: "virtio-9p 'rootfs'" */
};

struct p9_stats {
	uint64_t requests, bytes_read, bytes_written;
	uint64_t errors;	   /* Rlerror replies */
	uint64_t malformed;	   /* replies refused: size, tag, type, a count or a string */
	uint64_t transport;	   /* the transport failed */
	uint64_t parts;		   /* read and write requests, a part of a transfer each */
	uint64_t parts_overlapped; /* parts sent while another of the same transfer was out */
	uint64_t tag_waits;	   /* a request waited for a free tag */
};

struct p9_client {
	const struct p9_transport *t;
	uint32_t msize; /* agreed in Tversion */
	/* Tags and fids in use; the lock covers them and is never held over a request. */
	struct mutex lock;
	struct semaphore tags_free; /* P9_TAGS_MAX to start with */
	uint64_t tags_used;	    /* bit i: tag i is taken */
	uint32_t next_fid;
	uint32_t *free_fids;
	uint32_t n_free_fids, free_fids_cap;
	struct p9_stats stats;
};

/*
 * Sets c up over t and agrees the version (9P2000.L) and msize: the
 * smaller of msize_want, t->msize_max and the server's. 0, -EIO (a server
 * that does not speak 9P2000.L, or a bad reply), -EPROTO if msize < P9_MSIZE_MIN.
 */
int p9_client_init(struct p9_client *c, const struct p9_transport *t, uint32_t msize_want);

/* A fid for a new file reference; P9_NOFID when none is left. */
uint32_t p9_fid_alloc(struct p9_client *c);
/* Gives back a fid that the server does not hold (a failed walk's). */
void p9_fid_release(struct p9_client *c, uint32_t fid);

/* The file tree's root as fid (uname "root", n_uname 0, aname ""). */
int p9_attach(struct p9_client *c, uint32_t fid, struct p9_qid *qid);
/*
 * Walks n (0..P9_WALK_MAX) names from fid to a new fid newfid (n = 0
 * clones fid). qids[] receives one qid per name walked; the return is the
 * number walked: n on success (newfid is then held), fewer if a name was
 * not there (newfid is not held and may be reused; 0 walked gives the
 * server's error, e.g. -ENOENT).
 */
int p9_walk(struct p9_client *c, uint32_t fid, uint32_t newfid, unsigned n,
	    const char *const *names, struct p9_qid *qids);
/* Opens fid; *iounit as the server says (0: msize - P9_IOHDR). */
int p9_lopen(struct p9_client *c, uint32_t fid, uint32_t flags, struct p9_qid *qid,
	     uint32_t *iounit);
/* Creates name in the directory fid and opens it; fid becomes the new file. */
int p9_lcreate(struct p9_client *c, uint32_t fid, const char *name, uint32_t flags, uint32_t mode,
	       uint32_t gid, struct p9_qid *qid, uint32_t *iounit);
/*
 * Reads up to n bytes at off into buf: split into parts of at most msize -
 * P9_IOHDR, several in flight at once. The bytes read (short at the end of
 * the file; a short part ends the read there).
 */
long p9_read(struct p9_client *c, uint32_t fid, uint64_t off, void *buf, size_t n);
/* Writes n bytes at off, split as p9_read does; the bytes written. */
long p9_write(struct p9_client *c, uint32_t fid, uint64_t off, const void *buf, size_t n);
/* Releases fid on the server; it is free for reuse whatever the answer. */
int p9_clunk(struct p9_client *c, uint32_t fid);
int p9_getattr(struct p9_client *c, uint32_t fid, uint64_t mask, struct p9_attr *a);
int p9_setattr(struct p9_client *c, uint32_t fid, const struct p9_setattr *sa);
/*
 * Reads directory entries of the open directory fid from cookie off into
 * buf (at most count bytes, and at most msize - P9_IOHDR): the bytes of
 * entry data, 0 at the end. p9_dirent_next() takes them apart.
 */
long p9_readdir(struct p9_client *c, uint32_t fid, uint64_t off, void *buf, uint32_t count);
/*
 * The next entry of readdir data buf[0..len) from *pos: 1 and *d (and *pos
 * moved on), 0 at the end, -EIO for a malformed entry (counted by the caller).
 */
int p9_dirent_next(const void *buf, uint32_t len, uint32_t *pos, struct p9_dirent *d);
int p9_mkdir(struct p9_client *c, uint32_t dfid, const char *name, uint32_t mode, uint32_t gid,
	     struct p9_qid *qid);
int p9_unlinkat(struct p9_client *c, uint32_t dfid, const char *name, uint32_t flags);
int p9_renameat(struct p9_client *c, uint32_t olddfid, const char *oldname, uint32_t newdfid,
		const char *newname);
int p9_fsync(struct p9_client *c, uint32_t fid, bool datasync);
int p9_statfs(struct p9_client *c, uint32_t fid, struct p9_statfs *st);
int p9_symlink(struct p9_client *c, uint32_t dfid, const char *name, const char *target,
	       uint32_t gid, struct p9_qid *qid);
/* The target of the symlink fid into buf (size bytes, NUL added): its length, or -ENAMETOOLONG. */
long p9_readlink(struct p9_client *c, uint32_t fid, char *buf, size_t size);
/* A hard link name in directory dfid to the file fid. */
int p9_link(struct p9_client *c, uint32_t dfid, uint32_t fid, const char *name);

#endif
