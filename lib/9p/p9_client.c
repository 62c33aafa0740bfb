/*
 * The 9P2000.L client (lib/9p/p9.h, docs/9p.md). Each call takes a tag,
 * encodes its T-message (p9_msg.c), hands it to the transport, and checks
 * the reply before believing a byte of it. Reads and writes go straight
 * between the caller's buffer and the device, in parts of at most msize -
 * P9_IOHDR bytes with up to P9_PARTS_MAX of them in flight at once.
 *
 * Locking: c->lock covers the tag bitmap and the fid allocator and is
 * never held over a request; the counters are updated atomically.
 */
#include "lib/9p/p9.h"

#include <errno.h>
#include <string.h>

#include "kernel/printk.h"
#include "lib/9p/p9_msg.h"
#include "lib/kc/include/stdlib.h" /* kmalloc(), by its path: the host test finds it too */
#include "sched/sync.h"

#define P9_PARTS_MAX 8	     /* parts of one read or write in flight at once */
#define P9_LOG_MALFORMED 4   /* malformed replies described in the log; the rest are counted */
#define P9_FIXED_MAX 64	     /* a T-message's bytes besides its strings, with room */
#define P9_READLINK_MAX 4096 /* the longest target asked for: Linux's PATH_MAX */
#define P9_FID_GROW 16

_Static_assert(P9_TAGS_MAX <= 64, "the tags in use are bits of a uint64_t");
_Static_assert(P9_IOHDR >= P9_TWRITE_HDR_SIZE, "Twrite's header fits a part's buffer");

static void count(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

/* ---- tags and fids ---- */

/* A free tag in *tag; with wait false, -EAGAIN rather than waiting for one. */
static int tag_get(struct p9_client *c, bool wait, uint16_t *tag)
{
	if (sem_trydown(&c->tags_free) < 0) {
		if (!wait)
			return -EAGAIN;
		count(&c->stats.tag_waits, 1);
		sem_down_until(&c->tags_free, 0);
	}
	mutex_lock(&c->lock);
	*tag = (uint16_t)__builtin_ctzll(~c->tags_used);
	c->tags_used |= 1ull << *tag;
	mutex_unlock(&c->lock);
	return 0;
}

static void tag_put(struct p9_client *c, uint16_t tag)
{
	mutex_lock(&c->lock);
	c->tags_used &= ~(1ull << tag);
	mutex_unlock(&c->lock);
	sem_up(&c->tags_free);
}

uint32_t p9_fid_alloc(struct p9_client *c)
{
	uint32_t fid = P9_NOFID;

	mutex_lock(&c->lock);
	if (c->n_free_fids)
		fid = c->free_fids[--c->n_free_fids];
	else if (c->next_fid != P9_NOFID)
		fid = c->next_fid++;
	mutex_unlock(&c->lock);
	return fid;
}

/* Room for one more free fid; false if there is no memory (the fid is then not reused). */
static bool fids_grow(struct p9_client *c)
{
	uint32_t cap = c->free_fids_cap + P9_FID_GROW;
	uint32_t *n;

	if (c->n_free_fids < c->free_fids_cap)
		return true;
	n = krealloc(c->free_fids, cap * sizeof(*n));
	if (!n)
		return false;
	c->free_fids = n;
	c->free_fids_cap = cap;
	return true;
}

void p9_fid_release(struct p9_client *c, uint32_t fid)
{
	if (fid == P9_NOFID)
		return;
	mutex_lock(&c->lock);
	if (fids_grow(c))
		c->free_fids[c->n_free_fids++] = fid;
	mutex_unlock(&c->lock);
}

/* ---- the transport ---- */

/* Without submit/wait the request runs to its end here and wait() only reports. */
static int xport_submit(struct p9_client *c, struct p9_treq *r)
{
	count(&c->stats.requests, 1);
	r->done = false;
	if (c->t->submit)
		return c->t->submit(c->t->ctx, r);
	r->err = c->t->request(c->t->ctx, r->out, r->n_out, r->in, r->n_in, &r->in_len);
	r->done = true;
	return 0;
}

static int xport_wait(struct p9_client *c, struct p9_treq *r)
{
	return c->t->wait ? c->t->wait(c->t->ctx, r) : r->err;
}

/* One request through submit and wait; -EIO (counted) if the transport failed. */
static int xport_run(struct p9_client *c, struct p9_treq *r)
{
	int err = xport_submit(c, r);

	if (err == 0)
		err = xport_wait(c, r);
	if (err < 0) {
		count(&c->stats.transport, 1);
		return -EIO;
	}
	return 0;
}

/*
 * What a parser said, for the caller: malformed replies become -EIO,
 * counted and (the first few) described; Rlerror is counted.
 */
static int judge(struct p9_client *c, uint8_t type, const struct p9_cur *rc, int err)
{
	uint64_t n;

	if (err == -P9_EMALFORMED) {
		n = __atomic_add_fetch(&c->stats.malformed, 1, __ATOMIC_RELAXED);
		if (n <= P9_LOG_MALFORMED)
			pr_warn("9p: %s: the reply to %s is malformed (%s); -EIO%s", c->t->name,
				p9_type_name(type), rc->why,
				n == P9_LOG_MALFORMED ? " (further ones are only counted)" : "");
		return -EIO;
	}
	if (err < 0)
		count(&c->stats.errors, 1);
	return err;
}

/* ---- calls with small messages ---- */

/* One request and its reply, both in kmalloc'ed memory of their own. */
struct p9_call {
	struct p9_cur req, rep;
	uint8_t type;
	uint16_t tag;
	uint8_t *mem;
	uint32_t rep_cap;
};

/*
 * Takes a tag (P9_NOTAG for Tversion) and memory for a request of at most
 * req_cap bytes and a reply of at most rep_cap (kept to msize).
 */
static int call_begin(struct p9_client *c, struct p9_call *k, uint8_t type, bool notag,
		      size_t req_cap, uint32_t rep_cap)
{
	if (req_cap > c->msize)
		return -ENAMETOOLONG;
	/* Whatever the reply should be, an Rlerror must fit. */
	if (rep_cap < P9_RLERROR_SIZE)
		rep_cap = P9_RLERROR_SIZE;
	if (rep_cap > c->msize)
		rep_cap = c->msize;
	k->type = type;
	k->rep_cap = rep_cap;
	k->mem = kmalloc(req_cap + rep_cap);
	if (!k->mem)
		return -ENOMEM;
	k->tag = P9_NOTAG;
	if (!notag)
		tag_get(c, true, &k->tag);
	p9_cur_init(&k->req, k->mem, (uint32_t)req_cap);
	return 0;
}

static void call_end(struct p9_client *c, struct p9_call *k)
{
	if (k->tag != P9_NOTAG)
		tag_put(c, k->tag);
	kfree(k->mem);
}

/* Sends the len bytes encoded (or the encoder's error) and opens the reply. */
static int call_run(struct p9_client *c, struct p9_call *k, long len)
{
	struct p9_iov out = { k->mem, (size_t)len };
	struct p9_iov in = { k->mem + k->req.cap, k->rep_cap };
	struct p9_treq r = { .out = &out, .n_out = 1, .in = &in, .n_in = 1 };
	int err;

	if (len < 0)
		return -ENAMETOOLONG;
	err = xport_run(c, &r);
	if (err < 0)
		return err;
	err = p9_reply_open(&k->rep, in.base, k->rep_cap, r.in_len, k->tag, P9_R(k->type));
	return judge(c, k->type, &k->rep, err);
}

/* A parser's result, judged. */
static int call_parsed(struct p9_client *c, struct p9_call *k, int err)
{
	return judge(c, k->type, &k->rep, err);
}

/* The wire cost of a string. */
static size_t str_cost(const char *s)
{
	return 2 + strlen(s);
}

/* ---- version and the small calls ---- */

static int version_check(struct p9_client *c, uint32_t asked, uint32_t msize, const char *v,
			 uint16_t len)
{
	if (len != strlen(P9_VERSION) || memcmp(v, P9_VERSION, len)) {
		pr_err("9p: %s: the server speaks '%.*s', not " P9_VERSION, c->t->name, (int)len,
		       v ? v : "");
		return -EIO;
	}
	if (msize > asked) {
		pr_err("9p: %s: the server offers msize %u, above the %u asked for", c->t->name,
		       msize, asked);
		count(&c->stats.malformed, 1);
		return -EIO;
	}
	if (msize < P9_MSIZE_MIN) {
		pr_err("9p: %s: the server's msize %u is below %u", c->t->name, msize,
		       P9_MSIZE_MIN);
		return -EPROTO;
	}
	c->msize = msize;
	return 0;
}

int p9_client_init(struct p9_client *c, const struct p9_transport *t, uint32_t msize_want)
{
	uint32_t asked = msize_want < t->msize_max ? msize_want : t->msize_max;
	struct p9_call k;
	const char *v;
	uint16_t len;
	uint32_t msize;
	int err;

	memset(c, 0, sizeof(*c));
	c->t = t;
	c->tags_free.count = P9_TAGS_MAX;
	/* Until the server answers, messages are kept to the smallest size. */
	c->msize = P9_MSIZE_MIN;
	err = call_begin(c, &k, P9_TVERSION, true, P9_FIXED_MAX, P9_FIXED_MAX);
	if (err < 0)
		return err;
	err = call_run(c, &k, p9_enc_version(&k.req, P9_NOTAG, asked, P9_VERSION));
	if (err == 0)
		err = call_parsed(c, &k, p9_parse_rversion(&k.rep, &msize, &v, &len));
	if (err == 0)
		err = version_check(c, asked, msize, v, len);
	else if (err != -EIO && err != -ENOMEM)
		err = -EIO; /* an Rlerror to Tversion: it does not speak 9P2000.L */
	call_end(c, &k);
	return err;
}

int p9_attach(struct p9_client *c, uint32_t fid, struct p9_qid *qid)
{
	struct p9_call k;
	int err = call_begin(c, &k, P9_TATTACH, false, P9_FIXED_MAX, P9_FIXED_MAX);

	if (err < 0)
		return err;
	err = call_run(c, &k, p9_enc_attach(&k.req, k.tag, fid, P9_NOFID, "root", "", 0));
	if (err == 0)
		err = call_parsed(c, &k, p9_parse_rqid(&k.rep, qid));
	call_end(c, &k);
	return err;
}

int p9_walk(struct p9_client *c, uint32_t fid, uint32_t newfid, unsigned n,
	    const char *const *names, struct p9_qid *qids)
{
	size_t cap = P9_FIXED_MAX;
	struct p9_call k;
	int err;

	if (n > P9_WALK_MAX)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		cap += str_cost(names[i]);
	err = call_begin(c, &k, P9_TWALK, false, cap, P9_HDR_SIZE + 2 + P9_QID_SIZE * n);
	if (err < 0)
		return err;
	err = call_run(c, &k, p9_enc_walk(&k.req, k.tag, fid, newfid, n, names));
	if (err == 0)
		err = call_parsed(c, &k, p9_parse_rwalk(&k.rep, n, qids));
	call_end(c, &k);
	/* Walking none of several names is no success: the first is not there. */
	return err == 0 && n > 0 ? -ENOENT : err;
}

int p9_lopen(struct p9_client *c, uint32_t fid, uint32_t flags, struct p9_qid *qid,
	     uint32_t *iounit)
{
	struct p9_call k;
	int err = call_begin(c, &k, P9_TLOPEN, false, P9_FIXED_MAX, P9_FIXED_MAX);

	if (err < 0)
		return err;
	err = call_run(c, &k, p9_enc_lopen(&k.req, k.tag, fid, flags));
	if (err == 0)
		err = call_parsed(c, &k, p9_parse_ropen(&k.rep, qid, iounit));
	call_end(c, &k);
	return err;
}

int p9_lcreate(struct p9_client *c, uint32_t fid, const char *name, uint32_t flags, uint32_t mode,
	       uint32_t gid, struct p9_qid *qid, uint32_t *iounit)
{
	struct p9_call k;
	int err =
		call_begin(c, &k, P9_TLCREATE, false, P9_FIXED_MAX + str_cost(name), P9_FIXED_MAX);

	if (err < 0)
		return err;
	err = call_run(c, &k, p9_enc_lcreate(&k.req, k.tag, fid, name, flags, mode, gid));
	if (err == 0)
		err = call_parsed(c, &k, p9_parse_ropen(&k.rep, qid, iounit));
	call_end(c, &k);
	return err;
}

/* Runs a call whose reply has no body (its request encoded: len) and ends it. */
static int call_none(struct p9_client *c, struct p9_call *k, long len)
{
	int err = call_run(c, k, len);

	if (err == 0)
		err = call_parsed(c, k, p9_parse_rnone(&k->rep));
	call_end(c, k);
	return err;
}

int p9_clunk(struct p9_client *c, uint32_t fid)
{
	struct p9_call k;
	int err = call_begin(c, &k, P9_TCLUNK, false, P9_FIXED_MAX, P9_FIXED_MAX);

	if (err == 0)
		err = call_none(c, &k, p9_enc_fid(&k.req, P9_TCLUNK, k.tag, fid));
	p9_fid_release(c, fid);
	return err;
}

int p9_getattr(struct p9_client *c, uint32_t fid, uint64_t mask, struct p9_attr *a)
{
	struct p9_call k;
	int err = call_begin(c, &k, P9_TGETATTR, false, P9_FIXED_MAX, P9_RGETATTR_SIZE);

	if (err < 0)
		return err;
	err = call_run(c, &k, p9_enc_getattr(&k.req, k.tag, fid, mask));
	if (err == 0)
		err = call_parsed(c, &k, p9_parse_rgetattr(&k.rep, a));
	call_end(c, &k);
	return err;
}

int p9_setattr(struct p9_client *c, uint32_t fid, const struct p9_setattr *sa)
{
	struct p9_call k;
	int err = call_begin(c, &k, P9_TSETATTR, false, 2 * P9_FIXED_MAX, P9_FIXED_MAX);

	return err < 0 ? err : call_none(c, &k, p9_enc_setattr(&k.req, k.tag, fid, sa));
}

int p9_mkdir(struct p9_client *c, uint32_t dfid, const char *name, uint32_t mode, uint32_t gid,
	     struct p9_qid *qid)
{
	struct p9_call k;
	int err = call_begin(c, &k, P9_TMKDIR, false, P9_FIXED_MAX + str_cost(name), P9_FIXED_MAX);

	if (err < 0)
		return err;
	err = call_run(c, &k, p9_enc_mkdir(&k.req, k.tag, dfid, name, mode, gid));
	if (err == 0)
		err = call_parsed(c, &k, p9_parse_rqid(&k.rep, qid));
	call_end(c, &k);
	return err;
}

int p9_unlinkat(struct p9_client *c, uint32_t dfid, const char *name, uint32_t flags)
{
	struct p9_call k;
	int err =
		call_begin(c, &k, P9_TUNLINKAT, false, P9_FIXED_MAX + str_cost(name), P9_FIXED_MAX);

	return err < 0 ? err : call_none(c, &k, p9_enc_unlinkat(&k.req, k.tag, dfid, name, flags));
}

int p9_renameat(struct p9_client *c, uint32_t olddfid, const char *oldname, uint32_t newdfid,
		const char *newname)
{
	struct p9_call k;
	int err = call_begin(c, &k, P9_TRENAMEAT, false,
			     P9_FIXED_MAX + str_cost(oldname) + str_cost(newname), P9_FIXED_MAX);

	return err < 0 ? err
		       : call_none(c, &k,
				   p9_enc_renameat(&k.req, k.tag, olddfid, oldname, newdfid,
						   newname));
}

int p9_fsync(struct p9_client *c, uint32_t fid, bool datasync)
{
	struct p9_call k;
	int err = call_begin(c, &k, P9_TFSYNC, false, P9_FIXED_MAX, P9_FIXED_MAX);

	return err < 0 ? err : call_none(c, &k, p9_enc_fsync(&k.req, k.tag, fid, datasync));
}

int p9_statfs(struct p9_client *c, uint32_t fid, struct p9_statfs *st)
{
	struct p9_call k;
	int err = call_begin(c, &k, P9_TSTATFS, false, P9_FIXED_MAX, P9_RSTATFS_SIZE);

	if (err < 0)
		return err;
	err = call_run(c, &k, p9_enc_fid(&k.req, P9_TSTATFS, k.tag, fid));
	if (err == 0)
		err = call_parsed(c, &k, p9_parse_rstatfs(&k.rep, st));
	call_end(c, &k);
	return err;
}

int p9_symlink(struct p9_client *c, uint32_t dfid, const char *name, const char *target,
	       uint32_t gid, struct p9_qid *qid)
{
	struct p9_call k;
	int err = call_begin(c, &k, P9_TSYMLINK, false,
			     P9_FIXED_MAX + str_cost(name) + str_cost(target), P9_FIXED_MAX);

	if (err < 0)
		return err;
	err = call_run(c, &k, p9_enc_symlink(&k.req, k.tag, dfid, name, target, gid));
	if (err == 0)
		err = call_parsed(c, &k, p9_parse_rqid(&k.rep, qid));
	call_end(c, &k);
	return err;
}

long p9_readlink(struct p9_client *c, uint32_t fid, char *buf, size_t size)
{
	struct p9_call k;
	const char *t;
	uint16_t len;
	long err = call_begin(c, &k, P9_TREADLINK, false, P9_FIXED_MAX,
			      P9_HDR_SIZE + 2 + P9_READLINK_MAX);

	if (err < 0)
		return err;
	err = call_run(c, &k, p9_enc_fid(&k.req, P9_TREADLINK, k.tag, fid));
	if (err == 0)
		err = call_parsed(c, &k, p9_parse_rreadlink(&k.rep, &t, &len));
	if (err == 0 && len >= size)
		err = -ENAMETOOLONG;
	if (err == 0) {
		memcpy(buf, t, len);
		buf[len] = '\0';
		err = len;
	}
	call_end(c, &k);
	return err;
}

int p9_link(struct p9_client *c, uint32_t dfid, uint32_t fid, const char *name)
{
	struct p9_call k;
	int err = call_begin(c, &k, P9_TLINK, false, P9_FIXED_MAX + str_cost(name), P9_FIXED_MAX);

	return err < 0 ? err : call_none(c, &k, p9_enc_link(&k.req, k.tag, dfid, fid, name));
}

/* ---- reads, writes and readdir: the data straight to and from the caller ---- */

/* One part of a transfer: headers here, the data in the caller's buffer. */
struct p9_part {
	struct p9_treq r;
	struct p9_iov out[2], in[2];
	uint8_t req[P9_IOHDR], rep[P9_IOHDR];
	uint8_t type;
	uint16_t tag;
	uint32_t want;
	bool failed; /* the transport refused it: nothing to wait for */
};

/*
 * Sets p up for want bytes at off, tag taken. A read's reply header gets
 * exactly its P9_RIO_HDR_SIZE bytes so the data lands in buf; an Rlerror
 * is as long and fits there too.
 */
static void part_prepare(struct p9_part *p, uint8_t type, uint32_t fid, uint64_t off, uint8_t *buf,
			 uint32_t want)
{
	struct p9_cur rc;
	bool write = type == P9_TWRITE;
	long len;

	p9_cur_init(&rc, p->req, sizeof(p->req));
	len = write ? p9_enc_write(&rc, p->tag, fid, off, want)
		    : p9_enc_read(&rc, type, p->tag, fid, off, want);
	p->type = type;
	p->want = want;
	p->out[0] = (struct p9_iov){ p->req, (size_t)len };
	p->out[1] = (struct p9_iov){ buf, want };
	p->in[0] = (struct p9_iov){ p->rep, write ? sizeof(p->rep) : P9_RIO_HDR_SIZE };
	p->in[1] = (struct p9_iov){ buf, want };
	p->failed = false;
	p->r = (struct p9_treq){ .out = p->out,
				 .n_out = write && want ? 2 : 1,
				 .in = p->in,
				 .n_in = !write && want ? 2 : 1 };
}

/* Waits for p and checks its reply: the bytes it moved, or a negative errno. */
static long part_finish(struct p9_client *c, struct p9_part *p)
{
	struct p9_cur rc;
	uint32_t n = 0;
	int err = p->failed ? -EIO : xport_wait(c, &p->r);

	if (err < 0) {
		count(&c->stats.transport, 1);
		return -EIO;
	}
	err = p9_reply_open(&rc, p->rep, p->in[0].len, p->r.in_len, p->tag, P9_R(p->type));
	if (err == 0)
		err = p->type == P9_TWRITE ? p9_parse_rwrite(&rc, p->want, &n)
					   : p9_parse_rio(&rc, p->r.in_len, p->want, &n);
	err = judge(c, p->type, &rc, err);
	return err < 0 ? err : (long)n;
}

/*
 * A read or write of n bytes at off, split into parts of at most msize -
 * P9_IOHDR: as few as that allows, of even size (whole pages but the
 * last), so that they run side by side on the server and none is a
 * sliver: 1 MiB at msize 512 KiB is 3 parts of about 344 KiB, not two
 * full ones and 48 bytes.
 */
struct p9_xfer {
	struct p9_client *c;
	uint8_t type;
	uint32_t fid;
	uint64_t off;
	uint8_t *buf;
	size_t n;
	size_t part;   /* bytes per part */
	size_t issued; /* bytes handed to parts */
	size_t done;   /* bytes moved, contiguous from buf */
	long err;      /* the first part's error, if it failed */
	bool ended;    /* a part came back short or failed: no more parts */
	unsigned head, inflight;
	struct p9_part parts[P9_PARTS_MAX];
};

/* Sends the next part if a tag is free (waiting for one only when nothing is out). */
static bool xfer_start(struct p9_xfer *x)
{
	struct p9_part *p = &x->parts[(x->head + x->inflight) % P9_PARTS_MAX];
	size_t want = x->n - x->issued;

	if (tag_get(x->c, !x->inflight, &p->tag) < 0)
		return false;
	if (want > x->part)
		want = x->part;
	part_prepare(p, x->type, x->fid, x->off + x->issued, x->buf + x->issued, (uint32_t)want);
	count(&x->c->stats.parts, 1);
	if (x->inflight)
		count(&x->c->stats.parts_overlapped, 1);
	x->issued += want;
	p->failed = xport_submit(x->c, &p->r) < 0;
	x->inflight++;
	return true;
}

/* Waits for the oldest part out and takes in what it moved. */
static void xfer_finish(struct p9_xfer *x)
{
	struct p9_part *p = &x->parts[x->head];
	long got = part_finish(x->c, p);

	tag_put(x->c, p->tag);
	x->head = (x->head + 1) % P9_PARTS_MAX;
	x->inflight--;
	if (x->ended)
		return;
	if (got < 0) {
		x->err = got;
		x->ended = true;
		return;
	}
	x->done += (size_t)got;
	if ((uint32_t)got < p->want)
		x->ended = true;
}

#define P9_PART_ALIGN 4096

static long xfer(struct p9_xfer *x)
{
	size_t part_max = x->c->msize - P9_IOHDR;
	size_t parts = (x->n + part_max - 1) / part_max;

	x->part = parts > 1 ? (x->n + parts - 1) / parts : x->n;
	x->part = (x->part + P9_PART_ALIGN - 1) & ~(size_t)(P9_PART_ALIGN - 1);
	if (x->part > part_max || !x->part)
		x->part = part_max;
	for (;;) {
		if (!x->ended && x->issued < x->n && x->inflight < P9_PARTS_MAX && xfer_start(x))
			continue;
		if (!x->inflight)
			break;
		xfer_finish(x);
	}
	return x->done || !x->err ? (long)x->done : x->err;
}

long p9_read(struct p9_client *c, uint32_t fid, uint64_t off, void *buf, size_t n)
{
	struct p9_xfer x = { .c = c, .type = P9_TREAD, .fid = fid, .off = off, .buf = buf, .n = n };
	long got = xfer(&x);

	if (got > 0)
		count(&c->stats.bytes_read, (uint64_t)got);
	return got;
}

long p9_write(struct p9_client *c, uint32_t fid, uint64_t off, const void *buf, size_t n)
{
	struct p9_xfer x = {
		.c = c, .type = P9_TWRITE, .fid = fid, .off = off, .buf = (uint8_t *)buf, .n = n
	};
	long got = xfer(&x);

	if (got > 0)
		count(&c->stats.bytes_written, (uint64_t)got);
	return got;
}

long p9_readdir(struct p9_client *c, uint32_t fid, uint64_t off, void *buf, uint32_t count_max)
{
	struct p9_part p;
	long got;

	if (count_max > c->msize - P9_IOHDR)
		count_max = c->msize - P9_IOHDR;
	tag_get(c, true, &p.tag);
	part_prepare(&p, P9_TREADDIR, fid, off, buf, count_max);
	p.failed = xport_submit(c, &p.r) < 0;
	got = part_finish(c, &p);
	tag_put(c, p.tag);
	return got;
}
