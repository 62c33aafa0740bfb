/*
 * 9pfs (lib/vfs/fs_9p.c) over a fake of the 9P2000.L client (lib/9p/p9.h)
 * that serves a small in-memory tree: mounting and its messages, lookups
 * of several names in one Twalk, lazy fids and their walk later, open fids
 * apart from path fids, the attribute cache against this guest's writes
 * and the host's changes, append, setattr's mapping, readdir by cookies,
 * the namespace calls, errors passing through, the data cache of small
 * files against both kinds of change and its bounds, and fids clunked exactly
 * once (the fake refuses an unknown, doubly clunked or open walked fid).
 *
 * The fake holds inodes and dentries apart, so fids follow renamed files;
 * like QEMU's, it finds an unlinked file through its open fids only. The VFS core's vnodes
 * are faked too, counting the live ones. One thread: mutexes never wait.
 */
#define CHECK_SUITE "fs_9p"
#include "tests/unit/check.h"

#include <errno.h>

#include "drivers/virtio/virtio_9p.h"
#include "kernel/page.h"
#include "kernel/params.h"
#include "kernel/time.h"
#include "lib/9p/p9.h"
#include "lib/vfs/fs_9p.h"
#include "lib/vfs/vfs.h"
#include "sched/sync.h"
#include "tests/unit/fake_kernel.h"

#define INODES_MAX 512
#define DENTS_MAX 512
#define FIDS_MAX 512
#define DATA_MAX (64 * 1024)
#define MSIZE 4096
#define MS 1000000ull
#define DT_DIR_ 4
#define DT_REG_ 8

/* ---- the fake server ---- */

enum op {
	OP_NONE,
	OP_VERSION,
	OP_ATTACH,
	OP_WALK,
	OP_LOPEN,
	OP_LCREATE,
	OP_GETATTR,
	OP_READDIR,
	OP_READ,
	OP_COUNT
};

struct finode {
	bool used;
	uint32_t mode, nlink;
	uint64_t path; /* the qid's, unique */
	char data[DATA_MAX];
	size_t size;
	int link_to; /* a symlink: the inode the host resolves it to, or -1 */
	uint64_t mtime;
};

struct fdent {
	bool used;
	int dir, ino; /* inodes */
	char name[64];
};

struct ffid {
	bool allocated; /* by p9_fid_alloc */
	bool held;	/* on the server */
	bool open;
	int ino;
};

static struct {
	struct finode ino[INODES_MAX];
	struct fdent dent[DENTS_MAX];
	struct ffid fid[FIDS_MAX];
	uint64_t next_path;
	uint64_t now;
	int held, violations;
	int calls[OP_COUNT];
	int walk_names; /* names in the last Twalk */
	enum op fail_op;
	int fail_err;
	struct p9_setattr last_setattr;
	uint32_t last_open_flags;
	const char *tags[4];
	int ntags;
	struct p9_transport t;
	int vnodes; /* live */
	/* Runs inside the next Tgetattr, after its answer is taken: another thread's call. */
	void (*during_getattr)(void);
} srv;

static void violation(const char *what, uint32_t fid)
{
	fprintf(stderr, "fake 9P server: %s (fid %u)\n", what, fid);
	srv.violations++;
}

/* The injected error of op, once. */
static int fails(enum op op)
{
	if (op < OP_COUNT)
		srv.calls[op]++;
	if (srv.fail_op != op)
		return 0;
	srv.fail_op = OP_NONE;
	return srv.fail_err;
}

static int inode_new(uint32_t mode)
{
	for (int i = 0; i < INODES_MAX; i++)
		if (!srv.ino[i].used) {
			srv.ino[i] = (struct finode){ .used = true, .mode = mode, .nlink = 1 };
			srv.ino[i].path = ++srv.next_path;
			srv.ino[i].link_to = -1;
			srv.ino[i].mtime = srv.now;
			return i;
		}
	abort();
}

static int dent_find(int dir, const char *name)
{
	for (int i = 0; i < DENTS_MAX; i++)
		if (srv.dent[i].used && srv.dent[i].dir == dir && !strcmp(srv.dent[i].name, name))
			return i;
	return -1;
}

static void dent_add(int dir, const char *name, int ino)
{
	for (int i = 0; i < DENTS_MAX; i++)
		if (!srv.dent[i].used) {
			srv.dent[i] = (struct fdent){ .used = true, .dir = dir, .ino = ino };
			snprintf(srv.dent[i].name, sizeof(srv.dent[i].name), "%s", name);
			return;
		}
	abort();
}

static bool dir_empty(int dir)
{
	for (int i = 0; i < DENTS_MAX; i++)
		if (srv.dent[i].used && srv.dent[i].dir == dir)
			return false;
	return true;
}

/* The host makes a file: its inode. */
static int host_make(int dir, const char *name, uint32_t mode)
{
	int ino = inode_new(mode);

	dent_add(dir, name, ino);
	return ino;
}

static int host_lookup(int dir, const char *name)
{
	int d = dent_find(dir, name);

	return d < 0 ? -1 : srv.dent[d].ino;
}

static struct p9_qid qid_of(int ino)
{
	uint32_t fmt = srv.ino[ino].mode & VFS_IFMT;

	return (struct p9_qid){
		.type = fmt == VFS_IFDIR   ? P9_QTDIR
			: fmt == VFS_IFLNK ? P9_QTSYMLINK
					   : 0,
		.path = srv.ino[ino].path,
	};
}

/* A held fid (an open one only if open_ok), or NULL with a violation. */
static struct ffid *fid_get(uint32_t fid, bool open_ok)
{
	if (fid >= FIDS_MAX || !srv.fid[fid].held) {
		violation("unknown fid", fid);
		return NULL;
	}
	if (srv.fid[fid].open && !open_ok) {
		violation("walked or created on an open fid", fid);
		return NULL;
	}
	return &srv.fid[fid];
}

static struct ffid *fid_open(uint32_t fid)
{
	struct ffid *f = fid_get(fid, true);

	if (f && !f->open) {
		violation("I/O on an unopened fid", fid);
		return NULL;
	}
	return f;
}

/* The inode of an open fid, or NULL with a violation. */
static struct finode *fid_inode(uint32_t fid)
{
	struct ffid *f = fid_open(fid);

	return f ? &srv.ino[f->ino] : NULL;
}

/* For a call on a fid: -EBADF if f is NULL (fid_get() said why), else fails(op). */
static int fid_fails(const struct ffid *f, enum op op)
{
	int r = fails(op);

	return f ? r : -EBADF;
}

static void fid_hold(uint32_t fid, int ino)
{
	if (fid >= FIDS_MAX || !srv.fid[fid].allocated || srv.fid[fid].held) {
		violation("new fid not allocated or already held", fid);
		return;
	}
	srv.fid[fid].held = true;
	srv.fid[fid].open = false;
	srv.fid[fid].ino = ino;
	srv.held++;
}

int p9_client_init(struct p9_client *c, const struct p9_transport *t, uint32_t msize_want)
{
	int r = fails(OP_VERSION);

	memset(c, 0, sizeof(*c));
	c->t = t;
	c->msize = msize_want < t->msize_max ? msize_want : t->msize_max;
	return r;
}

uint32_t p9_fid_alloc(struct p9_client *c)
{
	(void)c;
	for (uint32_t i = 0; i < FIDS_MAX; i++)
		if (!srv.fid[i].allocated) {
			srv.fid[i].allocated = true;
			return i;
		}
	return P9_NOFID;
}

void p9_fid_release(struct p9_client *c, uint32_t fid)
{
	(void)c;
	if (fid >= FIDS_MAX || !srv.fid[fid].allocated || srv.fid[fid].held)
		violation("released a fid that is held or not allocated", fid);
	else
		srv.fid[fid].allocated = false;
}

int p9_attach(struct p9_client *c, uint32_t fid, struct p9_qid *qid)
{
	int r = fails(OP_ATTACH);

	(void)c;
	if (r)
		return r;
	fid_hold(fid, 0);
	*qid = qid_of(0);
	return 0;
}

/* The inode name leads to from dir as the host resolves it, or a negative errno. */
static int walk_one(int dir, const char *name)
{
	int d;

	if (srv.ino[dir].link_to >= 0)
		dir = srv.ino[dir].link_to;
	if (!VFS_ISDIR(srv.ino[dir].mode))
		return -ENOTDIR;
	d = dent_find(dir, name);
	return d < 0 ? -ENOENT : srv.dent[d].ino;
}

int p9_walk(struct p9_client *c, uint32_t fid, uint32_t newfid, unsigned n,
	    const char *const *names, struct p9_qid *qids)
{
	struct ffid *f = fid_get(fid, false);
	int ino, r = fid_fails(f, OP_WALK);
	unsigned i;

	(void)c;
	srv.walk_names = (int)n;
	if (r)
		return r;
	ino = f->ino;
	for (i = 0; i < n; i++) {
		int next = walk_one(ino, names[i]);

		if (next < 0)
			return i ? (int)i : next;
		ino = next;
		qids[i] = qid_of(ino);
	}
	fid_hold(newfid, ino);
	return (int)n;
}

int p9_lopen(struct p9_client *c, uint32_t fid, uint32_t flags, struct p9_qid *qid,
	     uint32_t *iounit)
{
	struct ffid *f = fid_get(fid, false);
	int r = fid_fails(f, OP_LOPEN);

	(void)c;
	if (r)
		return r;
	if (VFS_ISDIR(srv.ino[f->ino].mode) && (flags & O_ACCMODE) != O_RDONLY)
		return -EISDIR;
	srv.last_open_flags = flags;
	f->open = true;
	*qid = qid_of(f->ino);
	*iounit = 0;
	return 0;
}

int p9_lcreate(struct p9_client *c, uint32_t fid, const char *name, uint32_t flags, uint32_t mode,
	       uint32_t gid, struct p9_qid *qid, uint32_t *iounit)
{
	struct ffid *f = fid_get(fid, false);
	int r = fid_fails(f, OP_LCREATE);

	(void)c, (void)gid;
	if (r)
		return r;
	if (!VFS_ISDIR(srv.ino[f->ino].mode))
		return -ENOTDIR;
	if (dent_find(f->ino, name) >= 0)
		return -EEXIST;
	srv.last_open_flags = flags;
	f->ino = host_make(f->ino, name, VFS_IFREG | mode);
	f->open = true;
	*qid = qid_of(f->ino);
	*iounit = 0;
	return 0;
}

long p9_read(struct p9_client *c, uint32_t fid, uint64_t off, void *buf, size_t n)
{
	struct finode *in = fid_inode(fid);
	int r = fails(OP_READ);

	(void)c;
	if (r)
		return r;
	if (!in)
		return -EBADF;
	if (off >= in->size)
		return 0;
	if (n > in->size - off)
		n = in->size - off;
	memcpy(buf, in->data + off, n);
	return (long)n;
}

long p9_write(struct p9_client *c, uint32_t fid, uint64_t off, const void *buf, size_t n)
{
	struct finode *in = fid_inode(fid);

	(void)c;
	if (!in)
		return -EBADF;
	if (off + n > DATA_MAX)
		return -ENOSPC;
	memcpy(in->data + off, buf, n);
	if (off + n > in->size)
		in->size = off + n;
	in->mtime = srv.now;
	return (long)n;
}

int p9_clunk(struct p9_client *c, uint32_t fid)
{
	(void)c;
	if (!fid_get(fid, true))
		return -EBADF;
	srv.fid[fid] = (struct ffid){ 0 };
	srv.held--;
	return 0;
}

int p9_getattr(struct p9_client *c, uint32_t fid, uint64_t mask, struct p9_attr *a)
{
	struct ffid *f = fid_get(fid, true);
	int r = fid_fails(f, OP_GETATTR);
	struct finode *in;

	(void)c, (void)mask;
	if (r)
		return r;
	in = &srv.ino[f->ino];
	if (!in->nlink && !f->open)
		return -ENOENT;
	*a = (struct p9_attr){
		.valid = P9_GETATTR_BASIC,
		.qid = qid_of(f->ino),
		.mode = in->mode,
		.uid = 1000,
		.gid = 100,
		.nlink = in->nlink,
		.size = in->size,
		.blksize = 4096,
		.blocks = (in->size + 511) / 512,
		.mtime_sec = in->mtime / 1000000000,
		.mtime_nsec = in->mtime % 1000000000,
	};
	if (srv.during_getattr) {
		void (*fn)(void) = srv.during_getattr;

		srv.during_getattr = NULL;
		fn();
	}
	return 0;
}

int p9_setattr(struct p9_client *c, uint32_t fid, const struct p9_setattr *sa)
{
	struct ffid *f = fid_get(fid, true);

	(void)c;
	if (!f)
		return -EBADF;
	if (!srv.ino[f->ino].nlink && !f->open)
		return -ENOENT;
	srv.last_setattr = *sa;
	if (sa->valid & P9_SETATTR_SIZE)
		srv.ino[f->ino].size = sa->size;
	if (sa->valid & P9_SETATTR_MODE)
		srv.ino[f->ino].mode = (srv.ino[f->ino].mode & VFS_IFMT) | sa->mode;
	return 0;
}

/* Appends one entry in the wire format (qid[13] offset[8] type[1] name[s]); false when full. */
static bool dirent_put(uint8_t *buf, uint32_t count, uint32_t *pos, int ino, uint64_t offset,
		       const char *name)
{
	struct p9_qid q = qid_of(ino);
	uint16_t len = (uint16_t)strlen(name);
	uint8_t type = q.type & P9_QTDIR ? DT_DIR_ : DT_REG_;
	uint8_t *p = buf + *pos;

	if (*pos + 24u + len > count)
		return false;
	p[0] = q.type;
	memcpy(p + 1, &q.version, 4);
	memcpy(p + 5, &q.path, 8);
	memcpy(p + 13, &offset, 8);
	p[21] = type;
	memcpy(p + 22, &len, 2);
	memcpy(p + 24, name, len);
	*pos += 24u + len;
	return true;
}

/* Entries are ".", "..", then the dentries in slot order; the cookie is the index + 1. */
long p9_readdir(struct p9_client *c, uint32_t fid, uint64_t off, void *buf, uint32_t count)
{
	struct ffid *f = fid_open(fid);
	uint32_t pos = 0;
	uint64_t idx = 0;
	int r = fid_fails(f, OP_READDIR);

	(void)c;
	if (r)
		return r;
	if (count > MSIZE - P9_IOHDR)
		violation("Treaddir count above msize - P9_IOHDR", fid);
	for (int i = -2; i < DENTS_MAX; i++) {
		const struct fdent *d = i >= 0 ? &srv.dent[i] : NULL;

		if (d && (!d->used || d->dir != f->ino))
			continue;
		if (idx++ < off)
			continue;
		if (!dirent_put(buf, count, &pos, d ? d->ino : f->ino, idx,
				d	  ? d->name
				: i == -2 ? "."
					  : ".."))
			break;
	}
	return pos;
}

int p9_dirent_next(const void *buf, uint32_t len, uint32_t *pos, struct p9_dirent *d)
{
	const uint8_t *p = (const uint8_t *)buf + *pos;

	if (*pos >= len)
		return 0;
	if (len - *pos < 24)
		return -EIO;
	d->qid.type = p[0];
	memcpy(&d->qid.path, p + 5, 8);
	memcpy(&d->offset, p + 13, 8);
	d->type = p[21];
	memcpy(&d->name_len, p + 22, 2);
	if (len - *pos - 24 < d->name_len)
		return -EIO;
	d->name = (const char *)p + 24;
	*pos += 24u + d->name_len;
	return 1;
}

int p9_mkdir(struct p9_client *c, uint32_t dfid, const char *name, uint32_t mode, uint32_t gid,
	     struct p9_qid *qid)
{
	struct ffid *f = fid_get(dfid, false);

	(void)c, (void)gid;
	if (!f)
		return -EBADF;
	if (dent_find(f->ino, name) >= 0)
		return -EEXIST;
	*qid = qid_of(host_make(f->ino, name, VFS_IFDIR | mode));
	return 0;
}

/* The host removes name in dir: what unlinkat(2) and rename's replacement do. */
static void host_remove(int dir, const char *name)
{
	int d = dent_find(dir, name);

	srv.ino[srv.dent[d].ino].nlink--;
	srv.dent[d].used = false;
}

int p9_unlinkat(struct p9_client *c, uint32_t dfid, const char *name, uint32_t flags)
{
	struct ffid *f = fid_get(dfid, false);
	int ino;

	(void)c;
	if (!f)
		return -EBADF;
	ino = host_lookup(f->ino, name);
	if (ino < 0)
		return -ENOENT;
	if ((flags & P9_AT_REMOVEDIR) && !VFS_ISDIR(srv.ino[ino].mode))
		return -ENOTDIR;
	if (!(flags & P9_AT_REMOVEDIR) && VFS_ISDIR(srv.ino[ino].mode))
		return -EISDIR;
	if (VFS_ISDIR(srv.ino[ino].mode) && !dir_empty(ino))
		return -ENOTEMPTY;
	host_remove(f->ino, name);
	return 0;
}

int p9_renameat(struct p9_client *c, uint32_t olddfid, const char *oldname, uint32_t newdfid,
		const char *newname)
{
	struct ffid *o = fid_get(olddfid, false), *n = fid_get(newdfid, false);
	int d;

	(void)c;
	if (!o || !n)
		return -EBADF;
	d = dent_find(o->ino, oldname);
	if (d < 0)
		return -ENOENT;
	if (dent_find(n->ino, newname) >= 0)
		host_remove(n->ino, newname);
	srv.dent[d].dir = n->ino;
	snprintf(srv.dent[d].name, sizeof(srv.dent[d].name), "%s", newname);
	return 0;
}

int p9_fsync(struct p9_client *c, uint32_t fid, bool datasync)
{
	(void)c, (void)datasync;
	return fid_open(fid) ? 0 : -EBADF;
}

int p9_statfs(struct p9_client *c, uint32_t fid, struct p9_statfs *st)
{
	(void)c;
	if (!fid_get(fid, false))
		return -EBADF;
	*st = (struct p9_statfs){ .type = 0x01021997,
				  .bsize = 4096,
				  .blocks = 1000,
				  .bfree = 500,
				  .bavail = 400,
				  .files = 100,
				  .ffree = 50,
				  .fsid = 7,
				  .namelen = 255 };
	return 0;
}

int p9_symlink(struct p9_client *c, uint32_t dfid, const char *name, const char *target,
	       uint32_t gid, struct p9_qid *qid)
{
	struct ffid *f = fid_get(dfid, false);
	int ino;

	(void)c, (void)gid;
	if (!f)
		return -EBADF;
	if (dent_find(f->ino, name) >= 0)
		return -EEXIST;
	ino = host_make(f->ino, name, VFS_IFLNK | 0777);
	snprintf(srv.ino[ino].data, DATA_MAX, "%s", target);
	srv.ino[ino].size = strlen(target);
	srv.ino[ino].link_to = host_lookup(f->ino, target);
	*qid = qid_of(ino);
	return 0;
}

long p9_readlink(struct p9_client *c, uint32_t fid, char *buf, size_t size)
{
	struct ffid *f = fid_get(fid, false);
	struct finode *in;

	(void)c;
	if (!f)
		return -EBADF;
	in = &srv.ino[f->ino];
	if (!VFS_ISLNK(in->mode))
		return -EINVAL;
	if (in->size >= size)
		return -ENAMETOOLONG;
	memcpy(buf, in->data, in->size + 1);
	return (long)in->size;
}

int p9_link(struct p9_client *c, uint32_t dfid, uint32_t fid, const char *name)
{
	struct ffid *d = fid_get(dfid, false), *f = fid_get(fid, false);

	(void)c;
	if (!d || !f)
		return -EBADF;
	if (dent_find(d->ino, name) >= 0)
		return -EEXIST;
	dent_add(d->ino, name, f->ino);
	srv.ino[f->ino].nlink++;
	return 0;
}

/* ---- the other host stand-ins ---- */

static int fake_transport(void *ctx, const struct p9_iov *out, unsigned n_out,
			  const struct p9_iov *in, unsigned n_in, uint32_t *in_len)
{
	(void)ctx, (void)out, (void)n_out, (void)in, (void)n_in, (void)in_len;
	abort(); /* the fake client never sends */
}

int virtio_9p_count(void)
{
	return srv.ntags;
}

const char *virtio_9p_tag(int i)
{
	return i >= 0 && i < srv.ntags ? srv.tags[i] : NULL;
}

const struct p9_transport *virtio_9p_find(const char *tag)
{
	for (int i = 0; i < srv.ntags; i++)
		if (!strcmp(srv.tags[i], tag)) {
			srv.t = (struct p9_transport){ .request = fake_transport,
						       .msize_max = MSIZE,
						       .name = "fake 9P" };
			return &srv.t;
		}
	return NULL;
}

struct vnode *vnode_new(struct mount *mnt, const struct vnode_ops *ops, uint32_t type, uint64_t ino,
			void *priv)
{
	struct vnode *vn = calloc(1, sizeof(*vn));

	if (!vn)
		return NULL;
	*vn = (struct vnode){
		.ops = ops, .mnt = mnt, .type = type, .ino = ino, .refs = 1, .priv = priv
	};
	srv.vnodes++;
	return vn;
}

struct vnode *vnode_hold(struct vnode *vn)
{
	vn->refs++;
	return vn;
}

void vnode_put(struct vnode *vn)
{
	if (--vn->refs)
		return;
	vn->ops->release(vn);
	free(vn);
	srv.vnodes--;
}

/* 64 MiB of RAM: the data cache's default room is 4 MiB, a file's 256 KiB. */
void page_stats(struct page_stats *st)
{
	*st = (struct page_stats){ .total = 64ull << 20 };
}

uint64_t clock_monotonic_ns(void)
{
	return srv.now;
}

int param_set_int(const struct param *p, const char *val)
{
	*(int *)p->var = atoi(val);
	return 0;
}

void param_show_int(const struct param *p, char *buf, size_t size)
{
	(void)p;
	snprintf(buf, size, "?");
}

/* ---- helpers ---- */

static struct mount mnt = { .type = &fs_9p_type };
static struct vnode *root;

/* A tree: a/b/c/file (5 bytes), top (a file), ln -> a. */
static void tree(void)
{
	int a, b, c, f, ln;

	inode_new(VFS_IFDIR | 0755); /* inode 0: the root */
	a = host_make(0, "a", VFS_IFDIR | 0755);
	b = host_make(a, "b", VFS_IFDIR | 0755);
	c = host_make(b, "c", VFS_IFDIR | 0755);
	f = host_make(c, "file", VFS_IFREG | 0644);
	memcpy(srv.ino[f].data, "hello", 5);
	srv.ino[f].size = 5;
	host_make(0, "top", VFS_IFREG | 0600);
	ln = host_make(0, "ln", VFS_IFLNK | 0777);
	strcpy(srv.ino[ln].data, "a");
	srv.ino[ln].size = 1;
	srv.ino[ln].link_to = a;
}

static void mount_root(void)
{
	srv.tags[0] = "rootfs";
	srv.ntags = 1;
	srv.now = 1000 * MS;
	tree();
	CHECK_EQ(fs_9p_type.mount(&mnt, NULL, NULL, &root), 0);
	CHECK(root != NULL);
	fake_log_clear();
}

/* One name under dir: the vnode, or NULL. */
static struct vnode *look1(struct vnode *dir, const char *name)
{
	struct vnode *out[1];
	const char *names[1] = { name };

	return dir->ops->lookup(dir, names, 1, out) == 1 ? out[0] : NULL;
}

static void put_all(struct vnode **v, int n)
{
	for (int i = 0; i < n; i++)
		vnode_put(v[i]);
}

/* All released: only the root's vnode and fid are left, and the server saw no misuse. */
static void check_no_leaks(void)
{
	CHECK_EQ(srv.vnodes, 1);
	CHECK_EQ(fs_9p_fids(&mnt), 1);
	CHECK_EQ(srv.held, 1);
	CHECK_EQ(srv.violations, 0);
}

/* A case's end: closes h, drops vn (the last vnode the case holds), and checks for leaks. */
static void close_last(struct vnode *vn, struct vfs_handle *h)
{
	vn->ops->close(vn, h);
	vnode_put(vn);
	check_no_leaks();
}

/* Writes s at offset 0 through h: what the write returns. */
static long write_at0(struct vnode *vn, struct vfs_handle *h, const char *s)
{
	uint64_t off = 0;

	return vn->ops->write(vn, h, s, strlen(s), &off, false);
}

static uint64_t size_of(struct vnode *vn)
{
	struct vattr va = { 0 };

	CHECK_EQ(vn->ops->getattr(vn, &va), 0);
	return va.size;
}

/* ---- mounting ---- */

TEST(no_device_is_one_warning_that_says_what_to_do)
{
	struct vnode *r = NULL;

	CHECK_EQ(fs_9p_type.mount(&mnt, NULL, NULL, &r), -ENODEV);
	CHECK_EQ(fake_log_count(), 1);
	CHECK_STRSTR(fake_log(), "W: 9pfs: no virtio-9p device found");
	CHECK_STRSTR(fake_log(), "run.sh --fs DIR");
	CHECK_STRSTR(fake_log(), "mount_tag=rootfs");
}

TEST(no_device_for_a_tag_asked_for_is_an_error)
{
	struct vnode *r = NULL;

	CHECK_EQ(fs_9p_type.mount(&mnt, "data", NULL, &r), -ENODEV);
	CHECK_EQ(fake_log_count(), 1);
	CHECK_STRSTR(fake_log(), "E: 9pfs: no virtio-9p device found, so no 'data'");
	CHECK_STRSTR(fake_log(), "mount_tag=data");
}

TEST(wrong_tags_are_named_with_the_parameter)
{
	struct vnode *r = NULL;

	srv.tags[0] = "data";
	srv.tags[1] = "home";
	srv.ntags = 2;
	CHECK_EQ(fs_9p_type.mount(&mnt, NULL, NULL, &r), -ENODEV);
	CHECK_EQ(fake_log_count(), 1);
	CHECK_STRSTR(fake_log(), "'rootfs' (or 'fs0')");
	CHECK_STRSTR(fake_log(), "found 'data', 'home'");
	CHECK_STRSTR(fake_log(), "vfs.rootdev=<tag>");
	fake_log_clear();
	CHECK_EQ(fs_9p_type.mount(&mnt, "nope", NULL, &r), -ENODEV);
	CHECK_STRSTR(fake_log(), "tagged 'nope'");
}

TEST(default_falls_back_to_fs0_and_says_so)
{
	srv.tags[0] = "fs0";
	srv.ntags = 1;
	tree();
	CHECK_EQ(fs_9p_type.mount(&mnt, NULL, NULL, &root), 0);
	CHECK(root && VFS_ISDIR(root->type));
	CHECK_STRSTR(fake_log(), "I: 9pfs: mounted tag 'fs0'");
	CHECK_STRSTR(fake_log(), "msize 4096");
	CHECK_EQ(fs_9p_fids(&mnt), 1);
}

TEST(a_failed_step_is_named_with_its_errno)
{
	struct vnode *r = NULL;

	srv.tags[0] = "rootfs";
	srv.ntags = 1;
	tree();
	srv.fail_op = OP_VERSION;
	srv.fail_err = -EIO;
	CHECK_EQ(fs_9p_type.mount(&mnt, NULL, NULL, &r), -EIO);
	CHECK_STRSTR(fake_log(), "Tversion failed: EIO");
	srv.fail_op = OP_ATTACH;
	srv.fail_err = -EACCES;
	CHECK_EQ(fs_9p_type.mount(&mnt, NULL, NULL, &r), -EACCES);
	CHECK_STRSTR(fake_log(), "Tattach failed: EACCES");
	srv.fail_op = OP_GETATTR;
	srv.fail_err = -EIO;
	CHECK_EQ(fs_9p_type.mount(&mnt, NULL, NULL, &r), -EIO);
	CHECK_STRSTR(fake_log(), "Tgetattr of the root failed: EIO");
	CHECK_EQ(srv.held, 0);
	CHECK_EQ(srv.violations, 0);
}

/* ---- lookup ---- */

TEST(a_path_is_one_twalk)
{
	const char *names[] = { "a", "b", "c", "file" };
	struct vnode *out[4];
	int ino = 0;

	mount_root();
	for (int i = 0; i < 4; i++)
		ino = host_lookup(ino, names[i]);
	CHECK_EQ(root->ops->lookup(root, names, 4, out), 4);
	CHECK_EQ(srv.calls[OP_WALK], 1);
	CHECK_EQ(srv.walk_names, 4);
	CHECK_EQ(out[0]->type, VFS_IFDIR);
	CHECK_EQ(out[2]->type, VFS_IFDIR);
	CHECK_EQ(out[3]->type, VFS_IFREG);
	CHECK_EQ(out[3]->ino, srv.ino[ino].path);
	/* The last name's getattr (for its type) is cached: a stat now asks nothing. */
	CHECK_EQ(size_of(out[3]), 5);
	CHECK_EQ(srv.calls[OP_GETATTR], 2); /* the root's at mount, the file's */
	/* Only the last has a fid; the others get theirs when needed. */
	CHECK_EQ(fs_9p_fids(&mnt), 2);
	put_all(out, 4);
	check_no_leaks();
}

TEST(a_lazy_directory_walks_its_fid_in_one_go)
{
	const char *names[] = { "a", "b", "c" };
	struct vnode *out[3], *f;

	mount_root();
	CHECK_EQ(root->ops->lookup(root, names, 3, out), 3);
	f = look1(out[1], "c"); /* b has no fid: a, b walked from the root, then c */
	CHECK(f != NULL);
	CHECK_EQ(f->ino, out[2]->ino);
	CHECK_EQ(srv.calls[OP_WALK], 3);
	CHECK_EQ(fs_9p_fids(&mnt), 4);
	vnode_put(f);
	put_all(out, 3);
	check_no_leaks();
}

TEST(missing_names_give_enoent_or_the_count_so_far)
{
	const char *missing[] = { "zz" }, *half[] = { "a", "zz", "b" };
	struct vnode *out[3], *b;

	mount_root();
	CHECK_EQ(root->ops->lookup(root, missing, 1, out), -ENOENT);
	CHECK_EQ(root->ops->lookup(root, half, 3, out), 1);
	CHECK_EQ(out[0]->type, VFS_IFDIR);
	b = look1(out[0], "b"); /* what was found is usable */
	CHECK(b != NULL);
	vnode_put(b);
	put_all(out, 1);
	check_no_leaks();
}

TEST(lookup_stops_after_a_file_and_after_a_symlink)
{
	const char *through_file[] = { "top", "x" }, *through_link[] = { "ln", "b" };
	struct vnode *out[2];
	char buf[8];

	mount_root();
	CHECK_EQ(root->ops->lookup(root, through_file, 2, out), 1);
	CHECK_EQ(out[0]->type, VFS_IFREG);
	put_all(out, 1);
	/* The fake server, like a host path, resolves ln/b: the lookup must not. */
	CHECK_EQ(root->ops->lookup(root, through_link, 2, out), 1);
	CHECK_EQ(out[0]->type, VFS_IFLNK);
	CHECK_EQ(out[0]->ops->readlink(out[0], buf, sizeof(buf)), 1);
	CHECK_EQ(buf[0], 'a');
	put_all(out, 1);
	check_no_leaks();
}

/* ---- open files ---- */

TEST(opens_clone_the_path_fid_which_stays_walkable)
{
	struct vfs_handle h1, h2, h3;
	struct vnode *a, *b;

	mount_root();
	a = look1(root, "a");
	CHECK_EQ(a->ops->open(a, O_RDONLY, &h1), 0);
	CHECK_EQ(a->ops->open(a, O_RDONLY, &h2), 0);
	CHECK(*(uint32_t *)h1.priv != *(uint32_t *)h2.priv);
	b = look1(a, "b"); /* walks from a's path fid, which the opens left unopened */
	CHECK(b != NULL);
	CHECK_EQ(a->ops->open(a, O_WRONLY, &h3), -EISDIR);
	a->ops->close(a, &h1);
	a->ops->close(a, &h2);
	vnode_put(b);
	vnode_put(a);
	check_no_leaks();
}

TEST(read_write_and_our_own_writes_are_seen_at_once)
{
	struct vnode *f;
	struct vfs_handle h;
	uint64_t off = 5;
	char buf[16] = { 0 };

	mount_root();
	f = look1(root, "top");
	CHECK_EQ(size_of(f), 0);
	CHECK_EQ(f->ops->open(f, O_RDWR | O_APPEND | VFS_O_CREAT | VFS_O_TRUNC, &h), 0);
	CHECK_EQ(srv.last_open_flags, O_RDWR);
	CHECK_EQ(f->ops->write(f, &h, "0123456789", 10, &off, false), 10);
	CHECK_EQ(off, 15);
	CHECK_EQ(size_of(f), 15); /* within the TTL, yet fresh */
	CHECK_EQ(f->ops->read(f, &h, buf, sizeof(buf), 5), 10);
	CHECK_STREQ(buf, "0123456789");
	CHECK_EQ(f->ops->fsync(f, &h, true), 0);
	close_last(f, &h);
}

static struct vnode *racer;
static struct vfs_handle racer_h;

static void racer_writes(void)
{
	CHECK_EQ(write_at0(racer, &racer_h, "late"), 4);
}

TEST(a_getattr_older_than_our_write_is_not_cached)
{
	mount_root();
	racer = look1(root, "top");
	srv.now += 2000 * MS; /* what the lookup cached is old */
	CHECK_EQ(racer->ops->open(racer, O_WRONLY, &racer_h), 0);
	srv.during_getattr = racer_writes;
	CHECK_EQ(size_of(racer), 0); /* its answer predates the write... */
	CHECK_EQ(size_of(racer), 4); /* ...so it was not kept */
	close_last(racer, &racer_h);
}

TEST(a_write_through_a_hard_link_is_seen_through_the_other_name)
{
	struct vnode *f, *g;
	struct vfs_handle h;

	mount_root();
	f = look1(root, "top");
	CHECK_EQ(root->ops->link(root, "top2", f), 0);
	g = look1(root, "top2");
	CHECK(g != f && g->ino == f->ino);
	CHECK_EQ(size_of(f), 0);
	CHECK_EQ(size_of(g), 0);
	CHECK_EQ(g->ops->open(g, O_WRONLY, &h), 0);
	CHECK_EQ(write_at0(g, &h, "more"), 4);
	CHECK_EQ(size_of(f), 4);
	g->ops->close(g, &h);
	vnode_put(g);
	vnode_put(f);
	check_no_leaks();
}

/* The parameters the module declares (kernel/params.h puts them in this section). */
extern const struct param __start_ceres_params[], __stop_ceres_params[];

static void param_set(const char *name, const char *val)
{
	for (const struct param *p = __start_ceres_params; p < __stop_ceres_params; p++)
		if (!strcmp(p->name, name)) {
			CHECK_EQ(p->set(p, val), 0);
			return;
		}
	check_fail(__FILE__, __LINE__, "no parameter %s", name);
}

TEST(attr_ttl_ms_0_asks_every_time)
{
	struct vnode *f;
	int before;

	param_set("9pfs.attr_ttl_ms", "0");
	mount_root();
	f = look1(root, "top");
	before = srv.calls[OP_GETATTR];
	CHECK_EQ(size_of(f), 0);
	srv.ino[host_lookup(0, "top")].size = 7;
	CHECK_EQ(size_of(f), 7);
	CHECK_EQ(srv.calls[OP_GETATTR], before + 2);
	vnode_put(f);
	check_no_leaks();
}

TEST(host_changes_show_after_the_ttl)
{
	struct vnode *f;
	int ino;

	mount_root();
	f = look1(root, "top");
	ino = host_lookup(0, "top");
	CHECK_EQ(size_of(f), 0);
	srv.ino[ino].size = 20; /* the host writes */
	srv.now += 500 * MS;
	CHECK_EQ(size_of(f), 0);
	srv.now += 501 * MS;
	CHECK_EQ(size_of(f), 20);
	vnode_put(f);
	check_no_leaks();
}

/* Opens f read-only, reads it through the handle into buf, and closes it. */
static long read_once(struct vnode *f, char *buf, size_t n)
{
	struct vfs_handle h;
	long r;

	CHECK_EQ(f->ops->open(f, O_RDONLY, &h), 0);
	r = f->ops->read(f, &h, buf, n, 0);
	f->ops->close(f, &h);
	return r;
}

TEST(a_read_only_fid_is_kept_for_the_next_open_within_the_ttl)
{
	struct vnode *v[4], *f;
	const char *path[] = { "a", "b", "c", "file" };
	char buf[8] = { 0 };
	int walks, opens;

	mount_root();
	CHECK_EQ(root->ops->lookup(root, path, 4, v), 4);
	f = v[3];
	CHECK_EQ(read_once(f, buf, sizeof(buf)), 5);
	CHECK_EQ(srv.held, 3); /* the root's, file's path fid, and the kept open fid */
	walks = srv.calls[OP_WALK];
	opens = srv.calls[OP_LOPEN];
	srv.now += 999 * MS;
	CHECK_EQ(read_once(f, buf, sizeof(buf)), 5);
	CHECK_STREQ(buf, "hello");
	CHECK_EQ(srv.calls[OP_WALK], walks);
	CHECK_EQ(srv.calls[OP_LOPEN], opens);
	srv.now += 2 * MS; /* past the first Tlopen's TTL: the kept fid goes, a new one comes */
	CHECK_EQ(read_once(f, buf, sizeof(buf)), 5);
	CHECK_EQ(srv.calls[OP_WALK], walks + 1);
	CHECK_EQ(srv.calls[OP_LOPEN], opens + 1);
	CHECK_EQ(srv.held, 3);
	put_all(v, 4);
	check_no_leaks();
}

TEST(writers_directories_and_a_second_open_are_not_kept)
{
	struct vnode *f, *a;
	struct vfs_handle h1, h2;
	int opens;

	mount_root();
	f = look1(root, "top");
	a = look1(root, "a");
	CHECK_EQ(f->ops->open(f, O_RDWR, &h1), 0);
	f->ops->close(f, &h1);
	CHECK_EQ(a->ops->open(a, O_RDONLY, &h1), 0);
	a->ops->close(a, &h1);
	CHECK_EQ(srv.held, 3); /* the three path fids */
	CHECK_EQ(f->ops->open(f, O_RDONLY, &h1), 0);
	CHECK_EQ(f->ops->open(f, O_RDONLY, &h2), 0);
	f->ops->close(f, &h1);
	f->ops->close(f, &h2); /* f keeps one already: clunked */
	CHECK_EQ(srv.held, 4);
	opens = srv.calls[OP_LOPEN];
	CHECK_EQ(f->ops->open(f, O_WRONLY, &h1), 0); /* a writer never takes the kept fid */
	CHECK_EQ(srv.calls[OP_LOPEN], opens + 1);
	CHECK_EQ(srv.last_open_flags, O_WRONLY);
	f->ops->close(f, &h1);
	vnode_put(a);
	vnode_put(f);
	check_no_leaks();
}

TEST(kept_fids_are_bounded_per_mount_oldest_clunked_first)
{
	struct vnode *f[70];
	char name[16], buf[8];
	int opens;

	mount_root();
	for (int i = 0; i < 70; i++) {
		snprintf(name, sizeof(name), "k%d", i);
		host_make(0, name, VFS_IFREG | 0644);
		f[i] = look1(root, name);
		CHECK(f[i] != NULL);
		CHECK_EQ(read_once(f[i], buf, sizeof(buf)), 0);
	}
	CHECK_EQ(srv.held, 1 + 70 + 64); /* the root, the path fids, 64 kept */
	opens = srv.calls[OP_LOPEN];
	CHECK_EQ(read_once(f[69], buf, sizeof(buf)), 0);
	CHECK_EQ(srv.calls[OP_LOPEN], opens);
	CHECK_EQ(read_once(f[0], buf, sizeof(buf)), 0); /* among the six clunked */
	CHECK_EQ(srv.calls[OP_LOPEN], opens + 1);
	put_all(f, 70);
	check_no_leaks();
}

TEST(attr_ttl_ms_0_keeps_no_fid)
{
	struct vnode *f;
	char buf[8];

	param_set("9pfs.attr_ttl_ms", "0");
	mount_root();
	f = look1(root, "top");
	CHECK_EQ(read_once(f, buf, sizeof(buf)), 0);
	CHECK_EQ(srv.held, 2);
	vnode_put(f);
	check_no_leaks();
}

/* ---- the data cache ---- */

static struct fs_9p_stats stats(void)
{
	struct fs_9p_stats st;

	fs_9p_stats(&mnt, &st);
	return st;
}

/* A new regular file name in the root, len bytes of c: its vnode. */
static struct vnode *file_of(const char *name, char c, size_t len)
{
	int ino = host_make(0, name, VFS_IFREG | 0644);

	memset(srv.ino[ino].data, c, len);
	srv.ino[ino].size = len;
	return look1(root, name);
}

TEST(a_small_files_reads_come_from_its_copy_within_the_ttl)
{
	struct vnode *v[4], *f;
	const char *path[] = { "a", "b", "c", "file" };
	struct vfs_handle h;
	struct fs_9p_stats st;
	char buf[8] = { 0 };
	int reads, ino;

	mount_root();
	CHECK_EQ(root->ops->lookup(root, path, 4, v), 4);
	f = v[3];
	ino = host_lookup(host_lookup(host_lookup(host_lookup(0, "a"), "b"), "c"), "file");
	CHECK_EQ(f->ops->open(f, O_RDONLY, &h), 0);
	reads = srv.calls[OP_READ];
	CHECK_EQ(f->ops->read(f, &h, buf, 2, 0), 2); /* the whole file comes in */
	CHECK_EQ(srv.calls[OP_READ], reads + 1);
	CHECK_EQ(f->ops->read(f, &h, buf, sizeof(buf), 1), 4);
	CHECK_STREQ(buf, "ello");
	CHECK_EQ(f->ops->read(f, &h, buf, sizeof(buf), 5), 0);
	CHECK_EQ(f->ops->read(f, &h, buf, sizeof(buf), 99), 0);
	memcpy(srv.ino[ino].data, "HELLO", 5); /* in place: its size and times stay */
	srv.now += 999 * MS;
	CHECK_EQ(f->ops->read(f, &h, buf, sizeof(buf), 0), 5);
	CHECK_STREQ(buf, "hello");
	CHECK_EQ(srv.calls[OP_READ], reads + 1);
	srv.now += 2 * MS; /* past the TTL of the copy */
	CHECK_EQ(f->ops->read(f, &h, buf, sizeof(buf), 0), 5);
	CHECK_STREQ(buf, "HELLO");
	CHECK_EQ(srv.calls[OP_READ], reads + 2);
	st = stats();
	CHECK_EQ(st.data_fills, 2);
	CHECK_EQ(st.data_hits, 4);
	CHECK_EQ(st.data_stale, 1);
	CHECK_EQ(st.data_bytes, 5);
	f->ops->close(f, &h);
	put_all(v, 4);
	CHECK_EQ(stats().data_bytes, 0);
	check_no_leaks();
}

TEST(our_own_writes_are_read_at_once_by_any_name)
{
	struct vnode *f, *g;
	struct vfs_handle r, w;
	char buf[8] = { 0 };
	int reads;

	mount_root();
	f = file_of("w", 'x', 4);
	CHECK_EQ(root->ops->link(root, "w2", f), 0);
	g = look1(root, "w2");
	CHECK_EQ(f->ops->open(f, O_RDONLY, &r), 0);
	CHECK_EQ(f->ops->open(f, O_RDWR, &w), 0);
	CHECK_EQ(f->ops->read(f, &r, buf, sizeof(buf), 0), 4);
	CHECK_STREQ(buf, "xxxx");
	reads = srv.calls[OP_READ];
	CHECK_EQ(write_at0(f, &w, "ab"), 2);
	CHECK_EQ(f->ops->read(f, &r, buf, sizeof(buf), 0), 4);
	CHECK_STREQ(buf, "abxx");
	CHECK_EQ(srv.calls[OP_READ], reads + 1);
	CHECK_EQ(f->ops->read(f, &w, buf, sizeof(buf), 0), 4); /* a writer's reads ask the server */
	CHECK_EQ(srv.calls[OP_READ], reads + 2);
	f->ops->close(f, &w);
	CHECK_EQ(g->ops->open(g, O_WRONLY, &w), 0); /* the other name */
	CHECK_EQ(write_at0(g, &w, "c"), 1);
	CHECK_EQ(f->ops->read(f, &r, buf, sizeof(buf), 0), 4);
	CHECK_STREQ(buf, "cbxx");
	g->ops->close(g, &w);
	f->ops->close(f, &r);
	vnode_put(g);
	vnode_put(f);
	check_no_leaks();
}

TEST(a_stat_and_a_read_agree_on_a_host_change)
{
	struct vnode *f;
	struct vfs_handle h;
	char buf[8] = { 0 };
	int ino;

	mount_root();
	f = file_of("g", 'x', 4);
	CHECK_EQ(f->ops->open(f, O_RDONLY, &h), 0);
	CHECK_EQ(f->ops->read(f, &h, buf, sizeof(buf), 0), 4);
	ino = host_lookup(0, "g");
	memcpy(srv.ino[ino].data, "yyyyyy", 6); /* the host rewrites it */
	srv.ino[ino].size = 6;
	srv.ino[ino].mtime += MS;
	srv.now += 100 * MS;
	CHECK_EQ(size_of(f), 4); /* within the TTL both say what was */
	CHECK_EQ(f->ops->read(f, &h, buf, sizeof(buf), 0), 4);
	CHECK_STREQ(buf, "xxxx");
	CHECK_EQ(root->ops->unlink(root, "top", false), 0); /* a name changed: every cache asks */
	CHECK_EQ(size_of(f), 6);
	CHECK_EQ(f->ops->read(f, &h, buf, sizeof(buf), 0), 6);
	CHECK_STREQ(buf, "yyyyyy");
	CHECK_EQ(stats().data_stale, 1);
	close_last(f, &h);
}

TEST(a_file_over_a_quarter_of_the_room_is_read_from_the_server)
{
	struct vnode *big, *fit;
	struct vfs_handle hb, hf;
	char buf[16];
	int reads, getattrs;

	param_set("9pfs.data_cache_kb", "64"); /* 16 KiB a file */
	mount_root();
	big = file_of("big", 'b', 16 * 1024 + 1);
	fit = file_of("fit", 'f', 16 * 1024);
	CHECK_EQ(big->ops->open(big, O_RDONLY, &hb), 0);
	CHECK_EQ(fit->ops->open(fit, O_RDONLY, &hf), 0);
	CHECK_EQ(size_of(big), 16 * 1024 + 1);
	reads = srv.calls[OP_READ];
	getattrs = srv.calls[OP_GETATTR];
	CHECK_EQ(big->ops->read(big, &hb, buf, sizeof(buf), 0), 16);
	CHECK_EQ(big->ops->read(big, &hb, buf, sizeof(buf), 16), 16);
	CHECK_EQ(srv.calls[OP_READ], reads + 2);
	CHECK_EQ(srv.calls[OP_GETATTR], getattrs); /* nor more than a read each */
	CHECK_EQ(fit->ops->read(fit, &hf, buf, sizeof(buf), 0), 16);
	CHECK_EQ(fit->ops->read(fit, &hf, buf, sizeof(buf), 16 * 1024 - 8), 8);
	CHECK_EQ(srv.calls[OP_READ], reads + 3);
	CHECK_EQ(stats().data_bytes, 16 * 1024);
	srv.ino[host_lookup(0, "fit")].size = 20 * 1024; /* the host grows it past */
	srv.now += 1001 * MS;
	CHECK_EQ(fit->ops->read(fit, &hf, buf, sizeof(buf), 16 * 1024 - 8), 16);
	CHECK_EQ(srv.calls[OP_READ], reads + 4);
	CHECK_EQ(stats().data_bytes, 0);
	big->ops->close(big, &hb);
	vnode_put(big);
	close_last(fit, &hf);
}

TEST(copies_are_bounded_per_mount_least_recently_read_first_out)
{
	struct vnode *f[5];
	struct vfs_handle h[5];
	char name[16], buf[16];
	int reads;

	param_set("9pfs.data_cache_kb", "64"); /* four files of 16 KiB */
	mount_root();
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "d%d", i);
		f[i] = file_of(name, (char)('0' + i), 16 * 1024);
		CHECK_EQ(f[i]->ops->open(f[i], O_RDONLY, &h[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		CHECK_EQ(f[i]->ops->read(f[i], &h[i], buf, sizeof(buf), 0), 16);
	CHECK_EQ(f[0]->ops->read(f[0], &h[0], buf, sizeof(buf), 0), 16); /* 1 is the oldest now */
	CHECK_EQ(f[4]->ops->read(f[4], &h[4], buf, sizeof(buf), 0), 16);
	CHECK_EQ(stats().data_evicted, 1);
	reads = srv.calls[OP_READ];
	for (int i = 0; i < 5; i++)
		if (i != 1)
			CHECK_EQ(f[i]->ops->read(f[i], &h[i], buf, sizeof(buf), 0), 16);
	CHECK_EQ(srv.calls[OP_READ], reads);
	CHECK_EQ(f[1]->ops->read(f[1], &h[1], buf, sizeof(buf), 0), 16);
	CHECK_EQ(buf[0], '1');
	CHECK_EQ(srv.calls[OP_READ], reads + 1);
	CHECK_EQ(stats().data_evicted, 2); /* 0, read longest ago */
	CHECK_EQ(stats().data_bytes, 64 * 1024);
	for (int i = 0; i < 5; i++) {
		f[i]->ops->close(f[i], &h[i]);
		vnode_put(f[i]);
	}
	check_no_leaks();
}

/* Reads the tree's a/b/c/file twice, each through its own open: the Treads. */
static int reads_of_two(void)
{
	struct vnode *v[4];
	const char *path[] = { "a", "b", "c", "file" };
	char buf[8];
	int reads;

	mount_root();
	CHECK_EQ(root->ops->lookup(root, path, 4, v), 4);
	reads = srv.calls[OP_READ];
	CHECK_EQ(read_once(v[3], buf, sizeof(buf)), 5);
	CHECK_EQ(read_once(v[3], buf, sizeof(buf)), 5);
	reads = srv.calls[OP_READ] - reads;
	CHECK_EQ(stats().data_fills, 0);
	put_all(v, 4);
	check_no_leaks();
	return reads;
}

TEST(data_cache_kb_0_caches_no_file)
{
	param_set("9pfs.data_cache_kb", "0");
	CHECK_EQ(reads_of_two(), 2);
}

TEST(attr_ttl_ms_0_caches_no_file)
{
	param_set("9pfs.attr_ttl_ms", "0");
	CHECK_EQ(reads_of_two(), 2);
}

static int shrinking;

static void host_shrinks(void)
{
	srv.ino[shrinking].size = 2;
}

TEST(a_fill_that_fails_or_finds_no_room_keeps_nothing)
{
	struct vnode *f, *g;
	struct vfs_handle h;
	char buf[128];

	mount_root();
	f = file_of("e", 'e', 4);
	CHECK_EQ(f->ops->open(f, O_RDONLY, &h), 0);
	srv.fail_op = OP_READ;
	srv.fail_err = -EIO;
	CHECK_EQ(f->ops->read(f, &h, buf, sizeof(buf), 0), -EIO);
	CHECK_EQ(stats().data_fills, 0);
	CHECK_EQ(f->ops->read(f, &h, buf, sizeof(buf), 0), 4);
	CHECK_EQ(stats().data_fills, 1);
	f->ops->close(f, &h);
	vnode_put(f);
	CHECK_EQ(stats().data_bytes, 0);
	g = file_of("n", 'n', 100);
	CHECK_EQ(g->ops->open(g, O_RDONLY, &h), 0);
	fake_kmalloc_try_max = 50;
	CHECK_EQ(g->ops->read(g, &h, buf, sizeof(buf), 0), 100);
	fake_kmalloc_try_max = 0;
	CHECK_EQ(stats().data_no_room, 1);
	CHECK_EQ(stats().data_bytes, 0);
	g->ops->close(g, &h);
	vnode_put(g);
	f = file_of("s", 's', 4);
	shrinking = host_lookup(0, "s");
	CHECK_EQ(f->ops->open(f, O_RDONLY, &h), 0);
	CHECK_EQ(size_of(f), 4);
	srv.during_getattr = host_shrinks; /* while the fill reads it */
	CHECK_EQ(f->ops->read(f, &h, buf, sizeof(buf), 0), 2);
	CHECK_EQ(stats().data_fills, 1); /* the first file's only */
	CHECK_EQ(stats().data_bytes, 0);
	close_last(f, &h);
}

TEST(append_writes_at_the_servers_end)
{
	struct vnode *f;
	struct vfs_handle h;
	uint64_t off = 0;
	int ino;

	mount_root();
	f = look1(root, "top");
	ino = host_lookup(0, "top");
	CHECK_EQ(size_of(f), 0);
	CHECK_EQ(f->ops->open(f, O_WRONLY | O_APPEND, &h), 0);
	srv.ino[ino].size = 100; /* the host extends it; our cache says 0 */
	CHECK_EQ(f->ops->write(f, &h, "tail", 4, &off, true), 4);
	CHECK_EQ(off, 104);
	CHECK(!memcmp(srv.ino[ino].data + 100, "tail", 4));
	CHECK_EQ(size_of(f), 104);
	close_last(f, &h);
}

TEST(setattr_maps_the_bits_and_drops_the_cache)
{
	struct vnode *f;
	struct vattr_set s = { .mask = VSET_SIZE | VSET_ATIME_NOW | VSET_MTIME | VSET_MODE,
			       .size = 3,
			       .mode = VFS_IFREG | 0640,
			       .mtime = { 77, 5 } };
	struct vattr va;

	mount_root();
	f = look1(root, "top");
	CHECK_EQ(size_of(f), 0);
	CHECK_EQ(f->ops->setattr(f, &s), 0);
	CHECK_EQ(srv.last_setattr.valid, P9_SETATTR_SIZE | P9_SETATTR_ATIME | P9_SETATTR_MTIME |
						 P9_SETATTR_MTIME_SET | P9_SETATTR_MODE);
	CHECK_EQ(srv.last_setattr.mode, 0640);
	CHECK_EQ(srv.last_setattr.mtime_sec, 77);
	CHECK_EQ(srv.last_setattr.mtime_nsec, 5);
	CHECK_EQ(f->ops->getattr(f, &va), 0);
	CHECK_EQ(va.size, 3);
	CHECK_EQ(va.mode, VFS_IFREG | 0640);
	CHECK_EQ(va.ino, f->ino);
	CHECK_EQ(va.blocks, 1);
	CHECK_EQ(va.uid, 1000);
	vnode_put(f);
}

/* ---- readdir ---- */

struct seen {
	int count, room;
	uint64_t cookie;
	bool names[300], dot, dotdot;
};

static bool fill(void *ctx, const char *name, size_t len, uint64_t ino, unsigned dtype,
		 uint64_t next)
{
	struct seen *s = ctx;
	char n[32];
	int i;

	(void)ino, (void)dtype;
	if (!s->room)
		return false;
	s->room--;
	snprintf(n, sizeof(n), "%.*s", (int)len, name);
	if (!strcmp(n, "."))
		s->dot = true;
	else if (!strcmp(n, ".."))
		s->dotdot = true;
	else if (sscanf(n, "file %d", &i) == 1 && i >= 0 && i < 300 && !s->names[i])
		s->names[i] = true;
	else
		check_fail(__FILE__, __LINE__, "unexpected or repeated entry '%s'", n);
	s->count++;
	s->cookie = next;
	return true;
}

TEST(readdir_goes_on_from_each_cookie)
{
	static struct seen s;
	struct vfs_handle h;
	struct vnode *d;
	int dir, before;

	mount_root();
	d = look1(root, "a");
	dir = host_lookup(0, "a");
	host_remove(dir, "b");
	for (int i = 0; i < 300; i++) {
		char name[24];

		snprintf(name, sizeof(name), "file %d", i);
		host_make(dir, name, VFS_IFREG | 0644);
	}
	CHECK_EQ(d->ops->open(d, O_RDONLY, &h), 0);
	do { /* as getdents64 would with a small buffer: 7 at a time */
		before = s.count;
		s.room = 7;
		CHECK_EQ(d->ops->readdir(d, &h, s.cookie, fill, &s), 0);
	} while (s.count > before && s.count < 1000);
	CHECK_EQ(s.count, 302);
	CHECK(s.dot && s.dotdot);
	/*
	 * About 10 KB of entries, 4 KB a Treaddir: 3 with data (what a call had
	 * no room for was kept), 2 that find the end (after the last entries, and
	 * for the call that gets none).
	 */
	CHECK_EQ(srv.calls[OP_READDIR], 5);
	s.room = 1000; /* past the end: nothing */
	CHECK_EQ(d->ops->readdir(d, &h, s.cookie, fill, &s), 0);
	CHECK_EQ(s.count, 302);
	memset(&s, 0, sizeof(s)); /* a rewind asks again */
	s.room = 1000;
	CHECK_EQ(d->ops->readdir(d, &h, 0, fill, &s), 0);
	CHECK_EQ(s.count, 302);
	srv.fail_op = OP_READDIR;
	srv.fail_err = -EACCES;
	CHECK_EQ(d->ops->readdir(d, &h, 0, fill, &s), -EACCES);
	close_last(d, &h);
}

/* ---- the namespace ---- */

TEST(create_write_and_the_new_file_is_seen)
{
	struct vnode *f, *again;
	struct vfs_handle h;

	mount_root();
	CHECK_EQ(root->ops->create(root, "new", VFS_IFREG | 0600, O_WRONLY | VFS_O_EXCL, &f, &h),
		 0);
	CHECK_EQ(srv.last_open_flags, O_WRONLY | VFS_O_EXCL);
	CHECK_EQ(f->type, VFS_IFREG);
	CHECK_EQ(write_at0(f, &h, "abc"), 3);
	f->ops->close(f, &h);
	srv.now += 2000 * MS;
	CHECK_EQ(size_of(f), 3); /* closed: its path fid is walked now */
	again = look1(root, "new");
	CHECK(again && again->ino == f->ino);
	CHECK_EQ(srv.ino[host_lookup(0, "new")].mode, VFS_IFREG | 0600);
	CHECK_EQ(root->ops->create(root, "new", 0600, -1, &f, &h), -EEXIST);
	vnode_put(again);
	vnode_put(f);
	CHECK_EQ(root->ops->create(root, "only", 0644, -1, &f, NULL), 0);
	vnode_put(f);
	check_no_leaks();
}

TEST(mkdir_unlink_rmdir_and_their_errors)
{
	struct vnode *e, *x;
	struct vfs_handle h;

	mount_root();
	CHECK_EQ(root->ops->mkdir(root, "d", 0700), 0);
	CHECK_EQ(srv.ino[host_lookup(0, "d")].mode, VFS_IFDIR | 0700);
	CHECK_EQ(root->ops->mkdir(root, "d", 0700), -EEXIST);
	CHECK_EQ(root->ops->unlink(root, "d", true), 0);
	CHECK_EQ(host_lookup(0, "d"), -1);
	CHECK_EQ(root->ops->mkdir(root, "e", 0755), 0);
	e = look1(root, "e");
	CHECK_EQ(e->ops->create(e, "x", 0644, O_WRONLY, &x, &h), 0);
	x->ops->close(x, &h);
	CHECK_EQ(root->ops->unlink(root, "e", true), -ENOTEMPTY);
	CHECK_EQ(root->ops->unlink(root, "e", false), -EISDIR);
	CHECK_EQ(e->ops->unlink(e, "x", true), -ENOTDIR);
	CHECK_EQ(e->ops->unlink(e, "x", false), 0);
	CHECK_EQ(root->ops->unlink(root, "e", true), 0);
	CHECK_EQ(root->ops->unlink(root, "e", true), -ENOENT);
	vnode_put(x);
	vnode_put(e);
	check_no_leaks();
}

TEST(a_lazy_vnode_follows_its_file_through_a_rename)
{
	const char *names[] = { "a", "b", "c" };
	struct vnode *out[3], *c, *a2;

	mount_root();
	CHECK_EQ(root->ops->lookup(root, names, 3, out), 3);
	/* b has no fid yet: renaming it, through another vnode of a, must not lose it. */
	a2 = look1(root, "a");
	CHECK(a2 && a2 != out[0]);
	CHECK_EQ(a2->ops->rename(a2, "b", root, "moved"), 0);
	vnode_put(a2);
	CHECK_EQ(host_lookup(host_lookup(0, "a"), "b"), -1);
	c = look1(out[1], "c");
	CHECK(c && c->ino == out[2]->ino);
	vnode_put(c);
	put_all(out, 3);
	check_no_leaks();
}

TEST(an_open_unlinked_file_keeps_its_attributes)
{
	struct vnode *f;
	struct vfs_handle h;
	struct vattr_set s = { .mask = VSET_SIZE, .size = 1 };
	struct vattr va;
	int walks;

	mount_root();
	CHECK_EQ(root->ops->create(root, "tmp", 0600, O_RDWR, &f, &h), 0);
	CHECK_EQ(write_at0(f, &h, "xy"), 2);
	walks = srv.calls[OP_WALK];
	CHECK_EQ(size_of(f), 2); /* through the open fid: no walk for a path fid */
	CHECK_EQ(srv.calls[OP_WALK], walks);
	CHECK_EQ(root->ops->unlink(root, "tmp", false), 0);
	CHECK_EQ(size_of(f), 2);	     /* fstat of an open, unlinked file */
	CHECK_EQ(f->ops->setattr(f, &s), 0); /* ftruncate of one */
	CHECK_EQ(size_of(f), 1);
	f->ops->close(f, &h);
	srv.now += 2000 * MS;
	CHECK_EQ(f->ops->getattr(f, &va), -ENOENT); /* closed, it has no name to be found by */
	vnode_put(f);
	check_no_leaks();
}

TEST(a_name_the_host_reused_is_estale)
{
	struct vnode *f;
	struct vattr va;

	mount_root();
	CHECK_EQ(root->ops->create(root, "g", 0600, -1, &f, NULL), 0);
	host_remove(0, "g");
	host_make(0, "g", VFS_IFREG | 0600);
	CHECK_EQ(f->ops->getattr(f, &va), -ESTALE);
	vnode_put(f);
	check_no_leaks();
}

TEST(link_symlink_and_counts_seen_at_once)
{
	struct vnode *f, *l;
	struct vattr va;
	char buf[4];

	mount_root();
	f = look1(root, "top");
	CHECK_EQ(f->ops->getattr(f, &va), 0);
	CHECK_EQ(va.nlink, 1);
	CHECK_EQ(root->ops->link(root, "top2", f), 0);
	CHECK_EQ(f->ops->getattr(f, &va), 0);
	CHECK_EQ(va.nlink, 2);
	CHECK_EQ(root->ops->symlink(root, "sl", "a/b/c/file"), 0);
	l = look1(root, "sl");
	CHECK_EQ(l->type, VFS_IFLNK);
	CHECK_EQ(l->ops->readlink(l, buf, sizeof(buf)), 4); /* truncated, as Linux's */
	CHECK(!memcmp(buf, "a/b/", 4));
	CHECK_EQ(root->ops->unlink(root, "top2", false), 0);
	CHECK_EQ(f->ops->getattr(f, &va), 0);
	CHECK_EQ(va.nlink, 1);
	vnode_put(l);
	vnode_put(f);
	check_no_leaks();
}

TEST(errors_pass_through_and_leave_no_fid)
{
	struct vnode *f;
	struct vfs_handle h;
	struct vattr va;
	struct vfs_statfs st;
	const char *names[] = { "a", "b" };
	struct vnode *out[2];

	mount_root();
	f = look1(root, "top");
	srv.fail_op = OP_LOPEN;
	srv.fail_err = -EACCES;
	CHECK_EQ(f->ops->open(f, O_RDONLY, &h), -EACCES);
	srv.now += 2000 * MS;
	srv.fail_op = OP_GETATTR;
	srv.fail_err = -EIO; /* a malformed reply, as the client says */
	CHECK_EQ(f->ops->getattr(f, &va), -EIO);
	srv.fail_op = OP_LCREATE;
	srv.fail_err = -ENOSPC;
	CHECK_EQ(root->ops->create(root, "n", 0600, O_WRONLY, &f, &h), -ENOSPC);
	srv.fail_op = OP_WALK;
	srv.fail_err = -EIO;
	CHECK_EQ(root->ops->lookup(root, names, 2, out), -EIO);
	CHECK_EQ(root->ops->statfs(root, &st), 0);
	CHECK_EQ(st.bsize, 4096);
	CHECK_EQ(st.bavail, 400);
	CHECK_EQ(st.namelen, 255);
	vnode_put(f);
	check_no_leaks();
}
