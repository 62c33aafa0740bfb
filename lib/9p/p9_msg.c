/*
 * 9P2000.L marshalling and reply validation (lib/9p/p9_msg.h). Every
 * field is little endian on the wire; x86 is too, but the bytes are put
 * one by one so the code says what the wire holds.
 */
#include "lib/9p/p9_msg.h"

#include <errno.h>
#include <string.h>

#define P9_STR_MAX 0xffffu /* a string's len[2] */

void p9_cur_init(struct p9_cur *c, void *buf, uint32_t cap)
{
	*c = (struct p9_cur){ .buf = buf, .cap = cap };
}

/* Room for n more bytes; overflow set (and kept) if not. */
static bool room(struct p9_cur *c, uint32_t n)
{
	if (c->overflow || n > c->cap - c->pos) {
		c->overflow = true;
		return false;
	}
	return true;
}

static void put_le(struct p9_cur *c, uint64_t v, unsigned n)
{
	if (!room(c, n))
		return;
	for (unsigned i = 0; i < n; i++)
		c->buf[c->pos++] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(struct p9_cur *c, unsigned n)
{
	uint64_t v = 0;

	if (!room(c, n))
		return 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)c->buf[c->pos++] << (8 * i);
	return v;
}

void p9_put_u8(struct p9_cur *c, uint8_t v)
{
	put_le(c, v, 1);
}

void p9_put_u16(struct p9_cur *c, uint16_t v)
{
	put_le(c, v, 2);
}

void p9_put_u32(struct p9_cur *c, uint32_t v)
{
	put_le(c, v, 4);
}

void p9_put_u64(struct p9_cur *c, uint64_t v)
{
	put_le(c, v, 8);
}

void p9_put_str(struct p9_cur *c, const char *s)
{
	size_t len = strlen(s);

	if (len > P9_STR_MAX || !room(c, 2 + (uint32_t)len)) {
		c->overflow = true;
		return;
	}
	p9_put_u16(c, (uint16_t)len);
	memcpy(c->buf + c->pos, s, len);
	c->pos += (uint32_t)len;
}

void p9_put_qid(struct p9_cur *c, const struct p9_qid *q)
{
	p9_put_u8(c, q->type);
	p9_put_u32(c, q->version);
	p9_put_u64(c, q->path);
}

uint8_t p9_get_u8(struct p9_cur *c)
{
	return (uint8_t)get_le(c, 1);
}

uint16_t p9_get_u16(struct p9_cur *c)
{
	return (uint16_t)get_le(c, 2);
}

uint32_t p9_get_u32(struct p9_cur *c)
{
	return (uint32_t)get_le(c, 4);
}

uint64_t p9_get_u64(struct p9_cur *c)
{
	return get_le(c, 8);
}

void p9_get_str(struct p9_cur *c, const char **s, uint16_t *len)
{
	uint16_t n = p9_get_u16(c);

	*s = NULL;
	*len = 0;
	if (!room(c, n))
		return;
	*s = (const char *)c->buf + c->pos;
	*len = n;
	c->pos += n;
}

void p9_get_qid(struct p9_cur *c, struct p9_qid *q)
{
	q->type = p9_get_u8(c);
	q->version = p9_get_u32(c);
	q->path = p9_get_u64(c);
}

/* ---- T-messages ---- */

static void begin(struct p9_cur *c, uint8_t type, uint16_t tag)
{
	c->pos = 0;
	c->overflow = false;
	p9_put_u32(c, 0); /* size, filled in by finish() */
	p9_put_u8(c, type);
	p9_put_u16(c, tag);
}

/* Writes the size (what c holds and extra bytes that follow apart). */
static long finish(struct p9_cur *c, uint32_t extra)
{
	uint32_t end = c->pos;

	if (c->overflow)
		return -EMSGSIZE;
	c->pos = 0;
	p9_put_u32(c, end + extra);
	c->pos = end;
	return end;
}

long p9_enc_version(struct p9_cur *c, uint16_t tag, uint32_t msize, const char *version)
{
	begin(c, P9_TVERSION, tag);
	p9_put_u32(c, msize);
	p9_put_str(c, version);
	return finish(c, 0);
}

long p9_enc_attach(struct p9_cur *c, uint16_t tag, uint32_t fid, uint32_t afid, const char *uname,
		   const char *aname, uint32_t n_uname)
{
	begin(c, P9_TATTACH, tag);
	p9_put_u32(c, fid);
	p9_put_u32(c, afid);
	p9_put_str(c, uname);
	p9_put_str(c, aname);
	p9_put_u32(c, n_uname);
	return finish(c, 0);
}

long p9_enc_walk(struct p9_cur *c, uint16_t tag, uint32_t fid, uint32_t newfid, unsigned n,
		 const char *const *names)
{
	begin(c, P9_TWALK, tag);
	p9_put_u32(c, fid);
	p9_put_u32(c, newfid);
	if (n > P9_WALK_MAX)
		c->overflow = true;
	p9_put_u16(c, (uint16_t)n);
	for (unsigned i = 0; i < n && !c->overflow; i++)
		p9_put_str(c, names[i]);
	return finish(c, 0);
}

long p9_enc_lopen(struct p9_cur *c, uint16_t tag, uint32_t fid, uint32_t flags)
{
	begin(c, P9_TLOPEN, tag);
	p9_put_u32(c, fid);
	p9_put_u32(c, flags);
	return finish(c, 0);
}

long p9_enc_lcreate(struct p9_cur *c, uint16_t tag, uint32_t fid, const char *name, uint32_t flags,
		    uint32_t mode, uint32_t gid)
{
	begin(c, P9_TLCREATE, tag);
	p9_put_u32(c, fid);
	p9_put_str(c, name);
	p9_put_u32(c, flags);
	p9_put_u32(c, mode);
	p9_put_u32(c, gid);
	return finish(c, 0);
}

long p9_enc_read(struct p9_cur *c, uint8_t type, uint16_t tag, uint32_t fid, uint64_t off,
		 uint32_t count)
{
	begin(c, type, tag);
	p9_put_u32(c, fid);
	p9_put_u64(c, off);
	p9_put_u32(c, count);
	return finish(c, 0);
}

long p9_enc_write(struct p9_cur *c, uint16_t tag, uint32_t fid, uint64_t off, uint32_t count)
{
	begin(c, P9_TWRITE, tag);
	p9_put_u32(c, fid);
	p9_put_u64(c, off);
	p9_put_u32(c, count);
	return finish(c, count);
}

long p9_enc_fid(struct p9_cur *c, uint8_t type, uint16_t tag, uint32_t fid)
{
	begin(c, type, tag);
	p9_put_u32(c, fid);
	return finish(c, 0);
}

long p9_enc_getattr(struct p9_cur *c, uint16_t tag, uint32_t fid, uint64_t mask)
{
	begin(c, P9_TGETATTR, tag);
	p9_put_u32(c, fid);
	p9_put_u64(c, mask);
	return finish(c, 0);
}

long p9_enc_setattr(struct p9_cur *c, uint16_t tag, uint32_t fid, const struct p9_setattr *sa)
{
	begin(c, P9_TSETATTR, tag);
	p9_put_u32(c, fid);
	p9_put_u32(c, sa->valid);
	p9_put_u32(c, sa->mode);
	p9_put_u32(c, sa->uid);
	p9_put_u32(c, sa->gid);
	p9_put_u64(c, sa->size);
	p9_put_u64(c, sa->atime_sec);
	p9_put_u64(c, sa->atime_nsec);
	p9_put_u64(c, sa->mtime_sec);
	p9_put_u64(c, sa->mtime_nsec);
	return finish(c, 0);
}

long p9_enc_mkdir(struct p9_cur *c, uint16_t tag, uint32_t dfid, const char *name, uint32_t mode,
		  uint32_t gid)
{
	begin(c, P9_TMKDIR, tag);
	p9_put_u32(c, dfid);
	p9_put_str(c, name);
	p9_put_u32(c, mode);
	p9_put_u32(c, gid);
	return finish(c, 0);
}

long p9_enc_unlinkat(struct p9_cur *c, uint16_t tag, uint32_t dfid, const char *name,
		     uint32_t flags)
{
	begin(c, P9_TUNLINKAT, tag);
	p9_put_u32(c, dfid);
	p9_put_str(c, name);
	p9_put_u32(c, flags);
	return finish(c, 0);
}

long p9_enc_renameat(struct p9_cur *c, uint16_t tag, uint32_t olddfid, const char *oldname,
		     uint32_t newdfid, const char *newname)
{
	begin(c, P9_TRENAMEAT, tag);
	p9_put_u32(c, olddfid);
	p9_put_str(c, oldname);
	p9_put_u32(c, newdfid);
	p9_put_str(c, newname);
	return finish(c, 0);
}

long p9_enc_fsync(struct p9_cur *c, uint16_t tag, uint32_t fid, uint32_t datasync)
{
	begin(c, P9_TFSYNC, tag);
	p9_put_u32(c, fid);
	p9_put_u32(c, datasync);
	return finish(c, 0);
}

long p9_enc_symlink(struct p9_cur *c, uint16_t tag, uint32_t dfid, const char *name,
		    const char *target, uint32_t gid)
{
	begin(c, P9_TSYMLINK, tag);
	p9_put_u32(c, dfid);
	p9_put_str(c, name);
	p9_put_str(c, target);
	p9_put_u32(c, gid);
	return finish(c, 0);
}

long p9_enc_link(struct p9_cur *c, uint16_t tag, uint32_t dfid, uint32_t fid, const char *name)
{
	begin(c, P9_TLINK, tag);
	p9_put_u32(c, dfid);
	p9_put_u32(c, fid);
	p9_put_str(c, name);
	return finish(c, 0);
}

/* ---- R-messages ---- */

static int bad(struct p9_cur *c, const char *why)
{
	c->why = why;
	return -P9_EMALFORMED;
}

static int check_rlerror(struct p9_cur *c, uint32_t in_len)
{
	uint32_t ecode;

	if (in_len != P9_RLERROR_SIZE)
		return bad(c, "Rlerror of the wrong size");
	ecode = p9_get_u32(c);
	if (c->overflow)
		return bad(c, "Rlerror truncated");
	if (ecode < 1 || ecode > P9_ERRNO_MAX)
		return bad(c, "Rlerror with an errno out of range");
	return -(int)ecode;
}

int p9_reply_open(struct p9_cur *c, const void *buf, uint32_t buf_len, uint32_t in_len,
		  uint16_t tag, uint8_t rtype)
{
	uint32_t size;
	uint8_t type;

	p9_cur_init(c, (void *)buf, buf_len < in_len ? buf_len : in_len);
	if (in_len < P9_HDR_SIZE || c->cap < P9_HDR_SIZE)
		return bad(c, "shorter than a header");
	size = p9_get_u32(c);
	type = p9_get_u8(c);
	if (size != in_len)
		return bad(c, "size field is not the bytes received");
	if (p9_get_u16(c) != tag)
		return bad(c, "wrong tag");
	if (type == P9_RLERROR)
		return check_rlerror(c, in_len);
	if (type != rtype)
		return bad(c, "wrong type");
	return 0;
}

int p9_reply_end(struct p9_cur *c)
{
	if (c->overflow)
		return bad(c, "truncated");
	if (c->pos != c->cap)
		return bad(c, "bytes past the end of the reply");
	return 0;
}

int p9_parse_rversion(struct p9_cur *c, uint32_t *msize, const char **version, uint16_t *len)
{
	*msize = p9_get_u32(c);
	p9_get_str(c, version, len);
	return p9_reply_end(c);
}

int p9_parse_rqid(struct p9_cur *c, struct p9_qid *qid)
{
	p9_get_qid(c, qid);
	return p9_reply_end(c);
}

int p9_parse_rwalk(struct p9_cur *c, unsigned nreq, struct p9_qid *qids)
{
	uint16_t n = p9_get_u16(c);
	int err;

	if (c->overflow)
		return bad(c, "truncated");
	if (n > nreq)
		return bad(c, "more qids than names walked");
	for (unsigned i = 0; i < n; i++)
		p9_get_qid(c, &qids[i]);
	err = p9_reply_end(c);
	return err < 0 ? err : n;
}

int p9_parse_ropen(struct p9_cur *c, struct p9_qid *qid, uint32_t *iounit)
{
	p9_get_qid(c, qid);
	*iounit = p9_get_u32(c);
	return p9_reply_end(c);
}

int p9_parse_rio(struct p9_cur *c, uint32_t in_len, uint32_t want, uint32_t *count)
{
	*count = p9_get_u32(c);
	if (c->overflow)
		return bad(c, "truncated");
	if (*count > want)
		return bad(c, "count above the count asked for");
	if (in_len - P9_RIO_HDR_SIZE != *count)
		return bad(c, "count is not the bytes received");
	return 0;
}

int p9_parse_rwrite(struct p9_cur *c, uint32_t want, uint32_t *count)
{
	*count = p9_get_u32(c);
	if (!c->overflow && *count > want)
		return bad(c, "count above the count written");
	return p9_reply_end(c);
}

int p9_parse_rgetattr(struct p9_cur *c, struct p9_attr *a)
{
	a->valid = p9_get_u64(c);
	p9_get_qid(c, &a->qid);
	a->mode = p9_get_u32(c);
	a->uid = p9_get_u32(c);
	a->gid = p9_get_u32(c);
	a->nlink = p9_get_u64(c);
	a->rdev = p9_get_u64(c);
	a->size = p9_get_u64(c);
	a->blksize = p9_get_u64(c);
	a->blocks = p9_get_u64(c);
	a->atime_sec = p9_get_u64(c);
	a->atime_nsec = p9_get_u64(c);
	a->mtime_sec = p9_get_u64(c);
	a->mtime_nsec = p9_get_u64(c);
	a->ctime_sec = p9_get_u64(c);
	a->ctime_nsec = p9_get_u64(c);
	/* btime[16], gen[8], data_version[8]: reserved for future use. */
	for (int i = 0; i < 4; i++)
		p9_get_u64(c);
	return p9_reply_end(c);
}

int p9_parse_rstatfs(struct p9_cur *c, struct p9_statfs *st)
{
	st->type = p9_get_u32(c);
	st->bsize = p9_get_u32(c);
	st->blocks = p9_get_u64(c);
	st->bfree = p9_get_u64(c);
	st->bavail = p9_get_u64(c);
	st->files = p9_get_u64(c);
	st->ffree = p9_get_u64(c);
	st->fsid = p9_get_u64(c);
	st->namelen = p9_get_u32(c);
	return p9_reply_end(c);
}

int p9_parse_rreadlink(struct p9_cur *c, const char **target, uint16_t *len)
{
	int err;

	p9_get_str(c, target, len);
	err = p9_reply_end(c);
	if (err == 0 && (!*len || memchr(*target, '\0', *len)))
		return bad(c, "an empty symlink target, or a NUL inside it");
	return err;
}

int p9_parse_rnone(struct p9_cur *c)
{
	return p9_reply_end(c);
}

int p9_dirent_next(const void *buf, uint32_t len, uint32_t *pos, struct p9_dirent *d)
{
	struct p9_cur c;
	const char *name;

	if (*pos >= len)
		return 0;
	p9_cur_init(&c, (void *)buf, len);
	c.pos = *pos;
	p9_get_qid(&c, &d->qid);
	d->offset = p9_get_u64(&c);
	d->type = p9_get_u8(&c);
	p9_get_str(&c, &name, &d->name_len);
	if (c.overflow || !d->name_len || d->name_len > P9_NAME_MAX ||
	    memchr(name, '\0', d->name_len) || memchr(name, '/', d->name_len))
		return -EIO;
	d->name = name;
	*pos = c.pos;
	return 1;
}

static const struct {
	uint8_t type;
	const char *name;
} type_names[] = {
	{ P9_RLERROR, "Rlerror" },     { P9_TSTATFS, "Tstatfs" },     { P9_TLOPEN, "Tlopen" },
	{ P9_TLCREATE, "Tlcreate" },   { P9_TSYMLINK, "Tsymlink" },   { P9_TREADLINK, "Treadlink" },
	{ P9_TGETATTR, "Tgetattr" },   { P9_TSETATTR, "Tsetattr" },   { P9_TREADDIR, "Treaddir" },
	{ P9_TFSYNC, "Tfsync" },       { P9_TLINK, "Tlink" },	      { P9_TMKDIR, "Tmkdir" },
	{ P9_TRENAMEAT, "Trenameat" }, { P9_TUNLINKAT, "Tunlinkat" }, { P9_TVERSION, "Tversion" },
	{ P9_TATTACH, "Tattach" },     { P9_TWALK, "Twalk" },	      { P9_TREAD, "Tread" },
	{ P9_TWRITE, "Twrite" },       { P9_TCLUNK, "Tclunk" },
};

const char *p9_type_name(uint8_t type)
{
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (type_names[i].type == type)
			return type_names[i].name;
	return "an unknown message";
}
