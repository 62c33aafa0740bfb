/*
 * 9P2000.L marshalling and reply validation (lib/9p/p9_msg.c), and the
 * client (lib/9p/p9_client.c) over a fake transport with a scripted
 * server: a tree of a few names and one file held in memory. The fake
 * answers each request as it is submitted and holds it until the client
 * waits, so it sees how many are in flight and with which tags; a test
 * may replace the next reply with bytes of its own.
 *
 * One thread: the client's mutexes never contend and its semaphore
 * never waits (tests/unit/fake_kernel.c and the stand-in below abort if
 * they would).
 */
#define CHECK_SUITE "p9"
#include "tests/unit/check.h"

#include <errno.h>

#include "lib/9p/p9.h"
#include "lib/9p/p9_msg.h"
#include "tests/unit/fake_kernel.h"

#define MSIZE 8192
#define PART (MSIZE - P9_IOHDR)
#define FILE_MAX (256 * 1024)
#define FAKE_PENDING 64
#define BAD_FID 99 /* a fid the fake server does not know */

/* ---- the host stand-ins (the shared ones: tests/unit/fake_kernel.c) ---- */

int sem_trydown(struct semaphore *s)
{
	if (!s->count)
		return -EAGAIN;
	s->count--;
	return 0;
}

int sem_down_until(struct semaphore *s, uint64_t deadline)
{
	(void)deadline;
	if (sem_trydown(s) < 0)
		abort(); /* one thread: nobody would ever give one back */
	return 0;
}

void sem_up(struct semaphore *s)
{
	s->count++;
}

/* ---- building replies ---- */

struct msg {
	uint8_t b[MSIZE + 64];
	struct p9_cur c;
};

static void rep_begin(struct msg *m, uint8_t type, uint16_t tag)
{
	p9_cur_init(&m->c, m->b, sizeof(m->b));
	p9_put_u32(&m->c, 0);
	p9_put_u8(&m->c, type);
	p9_put_u16(&m->c, tag);
}

/* The size field set to the bytes put, plus delta (a lie, when not 0). */
static uint32_t rep_end(struct msg *m, int delta)
{
	uint32_t len = m->c.pos;
	struct p9_cur c;

	p9_cur_init(&c, m->b, 4);
	p9_put_u32(&c, (uint32_t)((int)len + delta));
	return len;
}

static const struct p9_qid qid_a = { P9_QTDIR, 7, 0x1122334455667788ull };

/* ---- the scripted server and its transport ---- */

struct pending {
	struct p9_treq *r;
	uint16_t tag;
};

static struct {
	uint32_t msize;	     /* what Rversion offers */
	const char *version; /* what Rversion says */
	uint8_t file[FILE_MAX];
	uint32_t file_len;
	uint32_t short_after; /* Rread/Rwrite give at most this many (0: no limit) */
	struct pending pending[FAKE_PENDING];
	unsigned n_pending, max_pending, submits;
	bool tag_clash;	     /* two requests out with one tag */
	struct msg override; /* the next reply, when override_len */
	uint32_t override_len;
	uint8_t last_req[MSIZE + 64];
	uint32_t last_req_len;
	uint32_t fail_submits; /* submit() fails this many times */
} fs;

static uint32_t gather(const struct p9_treq *r, uint8_t *dst, uint32_t cap)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < r->n_out; i++) {
		CHECK(n + r->out[i].len <= cap);
		memcpy(dst + n, r->out[i].base, r->out[i].len);
		n += (uint32_t)r->out[i].len;
	}
	return n;
}

/* The reply into the request's in buffers, as a device writes them; the bytes written. */
static uint32_t scatter(const struct p9_treq *r, const uint8_t *src, uint32_t len)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < r->n_in && n < len; i++) {
		uint32_t k = len - n < r->in[i].len ? len - n : (uint32_t)r->in[i].len;

		memcpy(r->in[i].base, src + n, k);
		n += k;
	}
	return n;
}

static void rerror(struct msg *m, uint16_t tag, uint32_t ecode)
{
	rep_begin(m, P9_RLERROR, tag);
	p9_put_u32(&m->c, ecode);
}

/* Twalk over a tree of "a" (a directory) holding "b"; anything else is ENOENT. */
static void serve_walk(struct p9_cur *q, struct msg *m, uint16_t tag)
{
	static const char *const tree[] = { "a", "b" };
	uint16_t n, len, walked = 0;
	struct p9_qid qids[P9_WALK_MAX];
	const char *s;

	if (p9_get_u32(q) == BAD_FID) {
		rerror(m, tag, EBADF);
		return;
	}
	p9_get_u32(q);
	n = p9_get_u16(q);
	for (uint16_t i = 0; i < n && i < 2; i++, walked++) {
		p9_get_str(q, &s, &len);
		if (len != 1 || *s != *tree[i])
			break;
		qids[i] = qid_a;
		qids[i].path += i;
	}
	if (n && !walked) {
		rerror(m, tag, ENOENT);
		return;
	}
	rep_begin(m, P9_R(P9_TWALK), tag);
	p9_put_u16(&m->c, walked);
	for (uint16_t i = 0; i < walked; i++)
		p9_put_qid(&m->c, &qids[i]);
}

static uint32_t io_limit(uint32_t want)
{
	return fs.short_after && want > fs.short_after ? fs.short_after : want;
}

/* Tread: the file's bytes at the offset (Rread). */
static void serve_read(struct p9_cur *q, struct msg *m, uint16_t tag)
{
	uint64_t off;
	uint32_t want, n = 0;

	p9_get_u32(q);
	off = p9_get_u64(q);
	want = io_limit(p9_get_u32(q));
	if (off < fs.file_len)
		n = fs.file_len - (uint32_t)off < want ? fs.file_len - (uint32_t)off : want;
	rep_begin(m, P9_R(P9_TREAD), tag);
	p9_put_u32(&m->c, n);
	memcpy(m->b + m->c.pos, fs.file + off, n);
	m->c.pos += n;
}

static void serve_write(struct p9_cur *q, struct msg *m, uint16_t tag)
{
	uint64_t off;
	uint32_t want, n;

	p9_get_u32(q);
	off = p9_get_u64(q);
	want = p9_get_u32(q);
	n = io_limit(want);
	CHECK(off + n <= FILE_MAX);
	CHECK_EQ(q->cap - q->pos, want);
	memcpy(fs.file + off, q->buf + q->pos, n);
	if (off + n > fs.file_len)
		fs.file_len = (uint32_t)(off + n);
	rep_begin(m, P9_R(P9_TWRITE), tag);
	p9_put_u32(&m->c, n);
}

/* Treaddir: three entries, all at once from offset 0, none after. */
static void serve_readdir(struct p9_cur *q, struct msg *m, uint16_t tag)
{
	static const char *const names[] = { ".", "..", "file one" };
	uint64_t off;
	uint32_t at, end;

	p9_get_u32(q);
	off = p9_get_u64(q);
	rep_begin(m, P9_R(P9_TREADDIR), tag);
	at = m->c.pos;
	p9_put_u32(&m->c, 0);
	for (unsigned i = 0; off == 0 && i < 3; i++) {
		p9_put_qid(&m->c, &qid_a);
		p9_put_u64(&m->c, i + 1);
		p9_put_u8(&m->c, 4);
		p9_put_str(&m->c, names[i]);
	}
	/* count[4], now that the entries are in */
	end = m->c.pos;
	m->c.pos = at;
	p9_put_u32(&m->c, end - at - 4);
	m->c.pos = end;
}

/* The reply of the scripted server to req. */
static uint32_t serve(const uint8_t *req, uint32_t len, struct msg *m)
{
	struct p9_cur q;
	uint8_t type;
	uint16_t tag;

	p9_cur_init(&q, (void *)req, len);
	CHECK_EQ(p9_get_u32(&q), len);
	type = p9_get_u8(&q);
	tag = p9_get_u16(&q);
	switch (type) {
	case P9_TVERSION:
		CHECK_EQ(tag, P9_NOTAG);
		rep_begin(m, P9_R(type), tag);
		p9_put_u32(&m->c, fs.msize);
		p9_put_str(&m->c, fs.version);
		break;
	case P9_TATTACH:
		rep_begin(m, P9_R(type), tag);
		p9_put_qid(&m->c, &qid_a);
		break;
	case P9_TWALK:
		serve_walk(&q, m, tag);
		break;
	case P9_TREAD:
		serve_read(&q, m, tag);
		break;
	case P9_TWRITE:
		serve_write(&q, m, tag);
		break;
	case P9_TREADDIR:
		serve_readdir(&q, m, tag);
		break;
	case P9_TREADLINK:
		rep_begin(m, P9_R(type), tag);
		p9_put_str(&m->c, "the/target");
		break;
	case P9_TCLUNK:
	case P9_TFSYNC:
		rep_begin(m, P9_R(type), tag);
		break;
	default:
		rerror(m, tag, EOPNOTSUPP);
	}
	return rep_end(m, 0);
}

static int fake_submit(void *ctx, struct p9_treq *r)
{
	static struct msg m;
	uint16_t tag;

	(void)ctx;
	if (fs.fail_submits) {
		fs.fail_submits--;
		return -EIO;
	}
	fs.submits++;
	fs.last_req_len = gather(r, fs.last_req, sizeof(fs.last_req));
	tag = (uint16_t)(fs.last_req[5] | fs.last_req[6] << 8);
	for (unsigned i = 0; i < fs.n_pending; i++)
		fs.tag_clash |= fs.pending[i].tag == tag;
	if (fs.override_len) {
		r->in_len = scatter(r, fs.override.b, fs.override_len);
		fs.override_len = 0;
	} else {
		r->in_len = scatter(r, m.b, serve(fs.last_req, fs.last_req_len, &m));
	}
	r->err = 0;
	CHECK(fs.n_pending < FAKE_PENDING);
	fs.pending[fs.n_pending++] = (struct pending){ r, tag };
	if (fs.n_pending > fs.max_pending)
		fs.max_pending = fs.n_pending;
	return 0;
}

/* Requests are answered in any order the client waits in; each one only once. */
static int fake_wait(void *ctx, struct p9_treq *r)
{
	(void)ctx;
	for (unsigned i = 0; i < fs.n_pending; i++) {
		if (fs.pending[i].r == r) {
			fs.pending[i] = fs.pending[--fs.n_pending];
			r->done = true;
			return r->err;
		}
	}
	check_fail(__FILE__, __LINE__, "wait for a request never submitted");
	return -EIO;
}

static const struct p9_transport fake_t = {
	.submit = fake_submit,
	.wait = fake_wait,
	.msize_max = 1 << 20,
	.name = "fake",
};

static struct p9_client cl;

/* The fake server reset and a client agreed with it on MSIZE. */
static void client_up(void)
{
	memset(&fs, 0, sizeof(fs));
	fs.msize = MSIZE;
	fs.version = P9_VERSION;
	CHECK_EQ(p9_client_init(&cl, &fake_t, MSIZE), 0);
	CHECK_EQ(cl.msize, MSIZE);
	fake_log_clear();
}

/* The next reply is m's bytes (in_len of them). */
static void override(const struct msg *m, uint32_t len)
{
	fs.override = *m;
	fs.override_len = len;
}

/* ---- encodings against the spec's layout, byte for byte ---- */

static void check_bytes(const uint8_t *got, long n, const uint8_t *want, size_t wn)
{
	CHECK_EQ(n, (long)wn);
	if (n == (long)wn)
		CHECK(!memcmp(got, want, wn));
}

TEST(enc_version)
{
	static const uint8_t want[] = { 21, 0, 0,   0,	 100, 0xff, 0xff, 0x00, 0x20, 0,  0,
					8,  0, '9', 'P', '2', '0',  '0',  '0',	'.',  'L' };
	uint8_t b[64];
	struct p9_cur c;

	p9_cur_init(&c, b, sizeof(b));
	check_bytes(b, p9_enc_version(&c, P9_NOTAG, 8192, P9_VERSION), want, sizeof(want));
}

TEST(enc_walk)
{
	static const uint8_t want[] = { 24, 0, 0, 0, 110, 1, 0, 1,   0, 0, 0,	2,
					0,  0, 0, 2, 0,	  1, 0, 'a', 2, 0, 'b', 'c' };
	const char *names[] = { "a", "bc" };
	uint8_t b[64];
	struct p9_cur c;

	p9_cur_init(&c, b, sizeof(b));
	check_bytes(b, p9_enc_walk(&c, 1, 1, 2, 2, names), want, sizeof(want));
}

TEST(enc_write_counts_the_data_apart)
{
	static const uint8_t want[] = { 33, 0, 0, 0, 118, 3, 0, 5,  0, 0, 0, 8,
					7,  6, 5, 4, 3,	  2, 1, 10, 0, 0, 0 };
	uint8_t b[64];
	struct p9_cur c;

	p9_cur_init(&c, b, sizeof(b));
	check_bytes(b, p9_enc_write(&c, 3, 5, 0x0102030405060708ull, 10), want, sizeof(want));
	CHECK_EQ(sizeof(want), P9_TWRITE_HDR_SIZE);
}

TEST(enc_lcreate_and_renameat)
{
	static const uint8_t lc[] = { 27,  0,	 0, 0, 14, 9,	 0, 4, 0, 0, 0, 2, 0, 'f',
				      'o', 0x41, 0, 0, 0,  0xa4, 1, 0, 0, 0, 0, 0, 0 };
	static const uint8_t rn[] = { 22, 0, 0,	  0, 74, 2, 0, 1, 0, 0,	  0,
				      1,  0, 'x', 2, 0,	 0, 0, 2, 0, 'y', 'z' };
	uint8_t b[64];
	struct p9_cur c;

	p9_cur_init(&c, b, sizeof(b));
	check_bytes(b, p9_enc_lcreate(&c, 9, 4, "fo", 0x41, 0644, 0), lc, sizeof(lc));
	p9_cur_init(&c, b, sizeof(b));
	check_bytes(b, p9_enc_renameat(&c, 2, 1, "x", 2, "yz"), rn, sizeof(rn));
}

TEST(enc_setattr_layout)
{
	struct p9_setattr sa = { .valid = P9_SETATTR_SIZE, .size = 0x10203 };
	uint8_t b[128];
	struct p9_cur c;
	long n;

	p9_cur_init(&c, b, sizeof(b));
	n = p9_enc_setattr(&c, 1, 6, &sa);
	/* header, fid valid mode uid gid [4 each], size and 4 times [8 each] */
	CHECK_EQ(n, 7 + 5 * 4 + 5 * 8);
	CHECK_EQ(b[11], P9_SETATTR_SIZE);
	CHECK_EQ(b[27], 0x03);
	CHECK_EQ(b[28], 0x02);
	CHECK_EQ(b[29], 0x01);
}

TEST(enc_overflow_is_refused)
{
	const char *names[P9_WALK_MAX + 1];
	uint8_t b[16], big[512];
	struct p9_cur c;

	for (int i = 0; i <= P9_WALK_MAX; i++)
		names[i] = "n";
	/* 21 bytes into 16; 11 do fit. */
	p9_cur_init(&c, b, sizeof(b));
	CHECK_EQ(p9_enc_version(&c, P9_NOTAG, 8192, P9_VERSION), -EMSGSIZE);
	p9_cur_init(&c, b, sizeof(b));
	CHECK_EQ(p9_enc_fid(&c, P9_TCLUNK, 1, 2), 11);
	/* Room enough, but more names than a Twalk may carry. */
	p9_cur_init(&c, big, sizeof(big));
	CHECK_EQ(p9_enc_walk(&c, 1, 1, 2, P9_WALK_MAX + 1, names), -EMSGSIZE);
	CHECK_EQ(p9_enc_walk(&c, 1, 1, 2, P9_WALK_MAX, names), 17 + 3 * P9_WALK_MAX);
}

/* ---- the header ---- */

static int open_msg(struct msg *m, uint32_t len, uint16_t tag, uint8_t rtype, struct p9_cur *c)
{
	return p9_reply_open(c, m->b, len, len, tag, rtype);
}

TEST(header_good_and_bad)
{
	struct msg m;
	struct p9_cur c;
	uint32_t len;

	rep_begin(&m, P9_R(P9_TCLUNK), 5);
	len = rep_end(&m, 0);
	CHECK_EQ(open_msg(&m, len, 5, P9_R(P9_TCLUNK), &c), 0);
	CHECK_EQ(p9_parse_rnone(&c), 0);
	CHECK_EQ(open_msg(&m, len, 6, P9_R(P9_TCLUNK), &c), -P9_EMALFORMED);
	CHECK_STREQ(c.why, "wrong tag");
	CHECK_EQ(open_msg(&m, len, 5, P9_R(P9_TFSYNC), &c), -P9_EMALFORMED);
	CHECK_STREQ(c.why, "wrong type");
	CHECK_EQ(open_msg(&m, 6, 5, P9_R(P9_TCLUNK), &c), -P9_EMALFORMED);
	CHECK_EQ(open_msg(&m, 0, 5, P9_R(P9_TCLUNK), &c), -P9_EMALFORMED);
	/* The size field says more, or less, than came. */
	rep_end(&m, 1);
	CHECK_EQ(open_msg(&m, len, 5, P9_R(P9_TCLUNK), &c), -P9_EMALFORMED);
	rep_end(&m, -1);
	CHECK_EQ(open_msg(&m, len, 5, P9_R(P9_TCLUNK), &c), -P9_EMALFORMED);
	/* A size below the header's own, however it matches. */
	rep_end(&m, -3);
	CHECK_EQ(p9_reply_open(&c, m.b, len, 4, 5, P9_R(P9_TCLUNK)), -P9_EMALFORMED);
}

TEST(rlerror)
{
	struct msg m;
	struct p9_cur c;
	uint32_t len;

	rerror(&m, 2, ENOENT);
	len = rep_end(&m, 0);
	CHECK_EQ(open_msg(&m, len, 2, P9_R(P9_TWALK), &c), -ENOENT);
	rerror(&m, 2, 0);
	CHECK_EQ(open_msg(&m, rep_end(&m, 0), 2, P9_R(P9_TWALK), &c), -P9_EMALFORMED);
	rerror(&m, 2, P9_ERRNO_MAX + 1);
	CHECK_EQ(open_msg(&m, rep_end(&m, 0), 2, P9_R(P9_TWALK), &c), -P9_EMALFORMED);
	rerror(&m, 2, P9_ERRNO_MAX);
	CHECK_EQ(open_msg(&m, rep_end(&m, 0), 2, P9_R(P9_TWALK), &c), -P9_ERRNO_MAX);
	/* An Rlerror with a byte too many, or one short. */
	rerror(&m, 2, ENOENT);
	p9_put_u8(&m.c, 0);
	CHECK_EQ(open_msg(&m, rep_end(&m, 0), 2, P9_R(P9_TWALK), &c), -P9_EMALFORMED);
	rep_begin(&m, P9_RLERROR, 2);
	p9_put_u16(&m.c, ENOENT);
	CHECK_EQ(open_msg(&m, rep_end(&m, 0), 2, P9_R(P9_TWALK), &c), -P9_EMALFORMED);
}

/* ---- each parser: good, truncated, with bytes past its end ---- */

typedef int (*parse_fn)(struct p9_cur *c);

/* m holds a good reply of type rtype: it parses, and neither one byte less nor more does. */
static void check_parser(struct msg *m, uint8_t rtype, parse_fn parse)
{
	uint32_t len = rep_end(m, 0);
	struct p9_cur c;

	CHECK_EQ(open_msg(m, len, 1, rtype, &c), 0);
	CHECK(parse(&c) >= 0);
	rep_end(m, -1);
	CHECK_EQ(open_msg(m, len - 1, 1, rtype, &c), 0);
	CHECK_EQ(parse(&c), -P9_EMALFORMED);
	m->b[len] = 0;
	rep_end(m, 1);
	CHECK_EQ(open_msg(m, len + 1, 1, rtype, &c), 0);
	CHECK_EQ(parse(&c), -P9_EMALFORMED);
	rep_end(m, 0);
}

static struct p9_qid got_qid;
static uint32_t got_u32;
static const char *got_s;
static uint16_t got_len;

static int parse_version(struct p9_cur *c)
{
	return p9_parse_rversion(c, &got_u32, &got_s, &got_len);
}

static int parse_qid(struct p9_cur *c)
{
	return p9_parse_rqid(c, &got_qid);
}

static int parse_open(struct p9_cur *c)
{
	return p9_parse_ropen(c, &got_qid, &got_u32);
}

static int parse_write(struct p9_cur *c)
{
	return p9_parse_rwrite(c, 100, &got_u32);
}

static int parse_getattr(struct p9_cur *c)
{
	struct p9_attr a;
	int err = p9_parse_rgetattr(c, &a);

	if (err == 0) {
		CHECK_EQ(a.size, 12345);
		CHECK_EQ(a.qid.path, qid_a.path);
		CHECK_EQ(a.mode, 0100644);
	}
	return err;
}

static int parse_statfs(struct p9_cur *c)
{
	struct p9_statfs st;
	int err = p9_parse_rstatfs(c, &st);

	if (err == 0)
		CHECK_EQ(st.namelen, 255);
	return err;
}

static int parse_readlink(struct p9_cur *c)
{
	return p9_parse_rreadlink(c, &got_s, &got_len);
}

TEST(parse_every_fixed_reply)
{
	struct msg m;

	rep_begin(&m, P9_R(P9_TVERSION), 1);
	p9_put_u32(&m.c, 8192);
	p9_put_str(&m.c, P9_VERSION);
	check_parser(&m, P9_R(P9_TVERSION), parse_version);
	CHECK_EQ(got_u32, 8192);
	CHECK_EQ(got_len, 8);

	rep_begin(&m, P9_R(P9_TATTACH), 1);
	p9_put_qid(&m.c, &qid_a);
	check_parser(&m, P9_R(P9_TATTACH), parse_qid);
	CHECK_EQ(got_qid.version, 7);

	rep_begin(&m, P9_R(P9_TLOPEN), 1);
	p9_put_qid(&m.c, &qid_a);
	p9_put_u32(&m.c, 4096);
	check_parser(&m, P9_R(P9_TLOPEN), parse_open);

	rep_begin(&m, P9_R(P9_TWRITE), 1);
	p9_put_u32(&m.c, 100);
	check_parser(&m, P9_R(P9_TWRITE), parse_write);

	rep_begin(&m, P9_R(P9_TGETATTR), 1);
	p9_put_u64(&m.c, P9_GETATTR_BASIC);
	p9_put_qid(&m.c, &qid_a);
	p9_put_u32(&m.c, 0100644);
	for (int i = 0; i < 2; i++)
		p9_put_u32(&m.c, 0);
	for (int i = 0; i < 2; i++)
		p9_put_u64(&m.c, 1);
	p9_put_u64(&m.c, 12345);
	for (int i = 0; i < 12; i++)
		p9_put_u64(&m.c, 0);
	CHECK_EQ(m.c.pos, P9_RGETATTR_SIZE);
	check_parser(&m, P9_R(P9_TGETATTR), parse_getattr);

	rep_begin(&m, P9_R(P9_TSTATFS), 1);
	p9_put_u32(&m.c, 0x01021997);
	p9_put_u32(&m.c, 4096);
	for (int i = 0; i < 6; i++)
		p9_put_u64(&m.c, 10);
	p9_put_u32(&m.c, 255);
	CHECK_EQ(m.c.pos, P9_RSTATFS_SIZE);
	check_parser(&m, P9_R(P9_TSTATFS), parse_statfs);

	rep_begin(&m, P9_R(P9_TREADLINK), 1);
	p9_put_str(&m.c, "/target");
	check_parser(&m, P9_R(P9_TREADLINK), parse_readlink);
	CHECK_EQ(got_len, 7);
	CHECK(!memcmp(got_s, "/target", 7));
}

TEST(strings_past_the_end)
{
	struct msg m;
	struct p9_cur c;
	uint32_t len;

	rep_begin(&m, P9_R(P9_TVERSION), 1);
	p9_put_u32(&m.c, 8192);
	p9_put_u16(&m.c, 200); /* a string of 200 bytes, 8 there */
	memcpy(m.b + m.c.pos, P9_VERSION, 8);
	m.c.pos += 8;
	len = rep_end(&m, 0);
	CHECK_EQ(open_msg(&m, len, 1, P9_R(P9_TVERSION), &c), 0);
	CHECK_EQ(parse_version(&c), -P9_EMALFORMED);
	CHECK(got_s == NULL);

	rep_begin(&m, P9_R(P9_TREADLINK), 1);
	p9_put_u16(&m.c, 0xffff);
	len = rep_end(&m, 0);
	CHECK_EQ(open_msg(&m, len, 1, P9_R(P9_TREADLINK), &c), 0);
	CHECK_EQ(parse_readlink(&c), -P9_EMALFORMED);
	/* An empty target, and one with a NUL inside. */
	rep_begin(&m, P9_R(P9_TREADLINK), 1);
	p9_put_str(&m.c, "");
	CHECK_EQ(open_msg(&m, rep_end(&m, 0), 1, P9_R(P9_TREADLINK), &c), 0);
	CHECK_EQ(parse_readlink(&c), -P9_EMALFORMED);
	rep_begin(&m, P9_R(P9_TREADLINK), 1);
	p9_put_u16(&m.c, 3);
	p9_put_u8(&m.c, 'a');
	p9_put_u8(&m.c, 0);
	p9_put_u8(&m.c, 'b');
	CHECK_EQ(open_msg(&m, rep_end(&m, 0), 1, P9_R(P9_TREADLINK), &c), 0);
	CHECK_EQ(parse_readlink(&c), -P9_EMALFORMED);
}

TEST(rwalk_counts)
{
	struct p9_qid qids[P9_WALK_MAX];
	struct msg m;
	struct p9_cur c;
	uint32_t len;

	rep_begin(&m, P9_R(P9_TWALK), 1);
	p9_put_u16(&m.c, 2);
	p9_put_qid(&m.c, &qid_a);
	p9_put_qid(&m.c, &qid_a);
	len = rep_end(&m, 0);
	CHECK_EQ(open_msg(&m, len, 1, P9_R(P9_TWALK), &c), 0);
	CHECK_EQ(p9_parse_rwalk(&c, 2, qids), 2);
	/* More qids than names asked for. */
	CHECK_EQ(open_msg(&m, len, 1, P9_R(P9_TWALK), &c), 0);
	CHECK_EQ(p9_parse_rwalk(&c, 1, qids), -P9_EMALFORMED);
	CHECK_STREQ(c.why, "more qids than names walked");
	/* nwqid says 3, two are there. */
	m.b[P9_HDR_SIZE] = 3;
	CHECK_EQ(open_msg(&m, len, 1, P9_R(P9_TWALK), &c), 0);
	CHECK_EQ(p9_parse_rwalk(&c, 3, qids), -P9_EMALFORMED);
	/* nwqid is cut off. */
	rep_begin(&m, P9_R(P9_TWALK), 1);
	p9_put_u8(&m.c, 0);
	CHECK_EQ(open_msg(&m, rep_end(&m, 0), 1, P9_R(P9_TWALK), &c), 0);
	CHECK_EQ(p9_parse_rwalk(&c, 3, qids), -P9_EMALFORMED);
}

TEST(rio_counts)
{
	struct msg m;
	struct p9_cur c;
	uint32_t len, n;

	rep_begin(&m, P9_R(P9_TREAD), 1);
	p9_put_u32(&m.c, 5);
	m.c.pos += 5;
	len = rep_end(&m, 0);
	/* The header alone in its buffer, the data elsewhere: as the client reads. */
	CHECK_EQ(p9_reply_open(&c, m.b, P9_RIO_HDR_SIZE, len, 1, P9_R(P9_TREAD)), 0);
	CHECK_EQ(p9_parse_rio(&c, len, 5, &n), 0);
	CHECK_EQ(n, 5);
	CHECK_EQ(p9_reply_open(&c, m.b, P9_RIO_HDR_SIZE, len, 1, P9_R(P9_TREAD)), 0);
	CHECK_EQ(p9_parse_rio(&c, len, 4, &n), -P9_EMALFORMED); /* more than asked */
	/* count says 6, 5 came. */
	m.b[P9_HDR_SIZE] = 6;
	CHECK_EQ(p9_reply_open(&c, m.b, P9_RIO_HDR_SIZE, len, 1, P9_R(P9_TREAD)), 0);
	CHECK_EQ(p9_parse_rio(&c, len, 10, &n), -P9_EMALFORMED);
	/* No count at all. */
	rep_begin(&m, P9_R(P9_TREAD), 1);
	len = rep_end(&m, 0);
	CHECK_EQ(p9_reply_open(&c, m.b, P9_RIO_HDR_SIZE, len, 1, P9_R(P9_TREAD)), 0);
	CHECK_EQ(p9_parse_rio(&c, len, 10, &n), -P9_EMALFORMED);
	/* Rwrite: more written than sent. */
	rep_begin(&m, P9_R(P9_TWRITE), 1);
	p9_put_u32(&m.c, 101);
	CHECK_EQ(open_msg(&m, rep_end(&m, 0), 1, P9_R(P9_TWRITE), &c), 0);
	CHECK_EQ(parse_write(&c), -P9_EMALFORMED);
}

/* ---- readdir entries ---- */

static uint32_t put_dirent(uint8_t *b, uint32_t cap, const char *name, uint16_t len_field)
{
	struct p9_cur c;

	p9_cur_init(&c, b, cap);
	p9_put_qid(&c, &qid_a);
	p9_put_u64(&c, 42);
	p9_put_u8(&c, 8);
	p9_put_u16(&c, len_field);
	memcpy(b + c.pos, name, strlen(name));
	return c.pos + (uint32_t)strlen(name);
}

TEST(dirent_next)
{
	uint8_t b[256];
	uint32_t len = 0, pos = 0;
	struct p9_dirent d;

	len += put_dirent(b + len, sizeof(b) - len, "one", 3);
	len += put_dirent(b + len, sizeof(b) - len, "tw o", 4);
	CHECK_EQ(p9_dirent_next(b, len, &pos, &d), 1);
	CHECK_EQ(d.name_len, 3);
	CHECK(!memcmp(d.name, "one", 3));
	CHECK_EQ(d.offset, 42);
	CHECK_EQ(d.type, 8);
	CHECK_EQ(p9_dirent_next(b, len, &pos, &d), 1);
	CHECK(!memcmp(d.name, "tw o", 4));
	CHECK_EQ(p9_dirent_next(b, len, &pos, &d), 0);
	CHECK_EQ(pos, len);
	/* A name past the data's end, an empty name, a '/' or NUL inside, a cut-off entry. */
	len = put_dirent(b, sizeof(b), "abc", 4);
	pos = 0;
	CHECK_EQ(p9_dirent_next(b, len, &pos, &d), -EIO);
	CHECK_EQ(pos, 0);
	len = put_dirent(b, sizeof(b), "", 0);
	CHECK_EQ(p9_dirent_next(b, len, &pos, &d), -EIO);
	len = put_dirent(b, sizeof(b), "a/b", 3);
	CHECK_EQ(p9_dirent_next(b, len, &pos, &d), -EIO);
	len = put_dirent(b, sizeof(b), "a\0b", 3) + 3;
	CHECK_EQ(p9_dirent_next(b, len, &pos, &d), -EIO);
	CHECK_EQ(p9_dirent_next(b, 10, &pos, &d), -EIO);
}

/* ---- the client over the scripted server ---- */

TEST(version_negotiation)
{
	client_up();
	fs.msize = 6000;
	CHECK_EQ(p9_client_init(&cl, &fake_t, MSIZE), 0);
	CHECK_EQ(cl.msize, 6000);
	/* The transport's limit wins over the one asked for (the server takes the smaller). */
	fs.msize = 5000;
	CHECK_EQ(p9_client_init(&cl,
				&(struct p9_transport){ .submit = fake_submit,
							.wait = fake_wait,
							.msize_max = 5000,
							.name = "small" },
				MSIZE),
		 0);
	CHECK_EQ(cl.msize, 5000);
	CHECK_EQ(fs.last_req[7] | fs.last_req[8] << 8, 5000);
	fs.msize = MSIZE * 2; /* more than asked */
	CHECK_EQ(p9_client_init(&cl, &fake_t, MSIZE), -EIO);
	fs.msize = P9_MSIZE_MIN - 1;
	CHECK_EQ(p9_client_init(&cl, &fake_t, MSIZE), -EPROTO);
	fs.msize = MSIZE;
	fs.version = "9P2000.u";
	CHECK_EQ(p9_client_init(&cl, &fake_t, MSIZE), -EIO);
	CHECK_STRSTR(fake_log(), "the server speaks '9P2000.u'");
	fs.version = "unknown";
	CHECK_EQ(p9_client_init(&cl, &fake_t, MSIZE), -EIO);
	fs.fail_submits = 1;
	CHECK_EQ(p9_client_init(&cl, &fake_t, MSIZE), -EIO);
	CHECK_EQ(cl.stats.transport, 1);
}

TEST(walk)
{
	const char *ab[] = { "a", "b" }, *ax[] = { "a", "x" }, *x[] = { "x" };
	struct p9_qid qids[P9_WALK_MAX], q;
	uint32_t root, f;

	client_up();
	root = p9_fid_alloc(&cl);
	CHECK_EQ(p9_attach(&cl, root, &q), 0);
	CHECK_EQ(q.path, qid_a.path);
	f = p9_fid_alloc(&cl);
	CHECK(f != root);
	CHECK_EQ(p9_walk(&cl, root, f, 2, ab, qids), 2);
	CHECK_EQ(qids[1].path, qid_a.path + 1);
	CHECK_EQ(p9_walk(&cl, root, f, 2, ax, qids), 1);
	CHECK_EQ(p9_walk(&cl, root, f, 1, x, qids), -ENOENT);
	CHECK_EQ(cl.stats.errors, 1);
	CHECK_EQ(p9_walk(&cl, root, f, 0, NULL, qids), 0);
	/* A clone's Rlerror is longer than its Rwalk would be; it still comes through. */
	CHECK_EQ(p9_walk(&cl, BAD_FID, f, 0, NULL, qids), -EBADF);
	CHECK_EQ(p9_walk(&cl, root, f, P9_WALK_MAX + 1, ab, qids), -EINVAL);
	/* A server walking further than asked is refused (its reply does not even fit). */
	{
		struct msg m;

		rep_begin(&m, P9_R(P9_TWALK), 0);
		p9_put_u16(&m.c, 2);
		p9_put_qid(&m.c, &qid_a);
		p9_put_qid(&m.c, &qid_a);
		override(&m, rep_end(&m, 0));
		CHECK_EQ(p9_walk(&cl, root, f, 1, x, qids), -EIO);
		CHECK_EQ(cl.stats.malformed, 1);
		CHECK_STRSTR(fake_log(), "the reply to Twalk is malformed");
	}
	CHECK_EQ(p9_clunk(&cl, f), 0);
	CHECK_EQ(p9_fid_alloc(&cl), f); /* reused */
	CHECK_EQ(fs.n_pending, 0);
	CHECK_EQ(cl.tags_used, 0);
}

static uint8_t data[FILE_MAX], back[FILE_MAX + PART];

static void fill(size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		data[i] = (uint8_t)(i * 31 + seed + (i >> 8));
}

/* n bytes written then read back: the parts each took and the bytes moved. */
static void round_trip(size_t n, unsigned parts)
{
	unsigned before;

	CHECK_CONTEXT("%zu bytes", n);
	fill(n, (unsigned)n);
	memset(back, 0xee, sizeof(back));
	fs.file_len = 0;
	before = fs.submits;
	CHECK_EQ(p9_write(&cl, 1, 0, data, n), (long)n);
	CHECK_EQ(fs.submits - before, parts);
	CHECK_EQ(fs.file_len, n);
	CHECK(!memcmp(fs.file, data, n));
	before = fs.submits;
	CHECK_EQ(p9_read(&cl, 1, 0, back, n + 100), (long)n);
	/* One part more when the read runs into the end in a part of its own. */
	CHECK(fs.submits - before >= parts);
	CHECK(!memcmp(back, data, n));
	CHECK_EQ(back[n], 0xee);
	CHECK_EQ(fs.n_pending, 0);
	CHECK_EQ(cl.tags_used, 0);
}

TEST(read_write_split_at_msize)
{
	client_up();
	round_trip(0, 0);
	round_trip(1, 1);
	round_trip(PART - 1, 1);
	round_trip(PART, 1);
	round_trip(PART + 1, 2);
	round_trip(MSIZE - 1, 2);
	round_trip(MSIZE, 2);
	round_trip(MSIZE + 1, 2);
	round_trip(FILE_MAX, (FILE_MAX + PART - 1) / PART);
	CHECK(!fs.tag_clash);
	CHECK_EQ(cl.stats.malformed, 0);
}

TEST(parts_in_flight)
{
	client_up();
	fill(FILE_MAX, 3);
	CHECK_EQ(p9_write(&cl, 1, 0, data, FILE_MAX), FILE_MAX);
	CHECK_EQ(fs.max_pending, 8);
	CHECK(cl.stats.parts_overlapped > 0);
	fs.max_pending = 0;
	CHECK_EQ(p9_read(&cl, 1, 0, back, FILE_MAX), FILE_MAX);
	CHECK_EQ(fs.max_pending, 8);
	CHECK(!fs.tag_clash);
	CHECK(!memcmp(back, data, FILE_MAX));
	CHECK_EQ(cl.stats.bytes_read, FILE_MAX);
	CHECK_EQ(cl.stats.bytes_written, FILE_MAX);
}

TEST(parts_wait_for_tags)
{
	client_up();
	/* Only 3 tags left: the transfer goes on with 3 out, never waiting with parts out. */
	cl.tags_free.count = 3;
	fill(FILE_MAX, 5);
	CHECK_EQ(p9_write(&cl, 1, 0, data, FILE_MAX), FILE_MAX);
	CHECK_EQ(fs.max_pending, 3);
	CHECK(!memcmp(fs.file, data, FILE_MAX));
	CHECK_EQ(cl.tags_free.count, 3);
}

TEST(short_and_failed_parts)
{
	client_up();
	fill(FILE_MAX, 9);
	memcpy(fs.file, data, FILE_MAX);
	fs.file_len = FILE_MAX;
	/* A short part ends the read there, whatever later parts brought. */
	fs.short_after = 100;
	CHECK_EQ(p9_read(&cl, 1, 0, back, 3 * PART), 100);
	CHECK_EQ(p9_write(&cl, 1, 0, data, 3 * PART), 100);
	fs.short_after = 0;
	/* The first part's failure is the error; a later one's ends the transfer short. */
	fs.fail_submits = 1;
	CHECK_EQ(p9_read(&cl, 1, 0, back, 3 * PART), -EIO);
	CHECK_EQ(fs.n_pending, 0);
	{
		struct msg m;

		rerror(&m, 0, ENOSPC);
		override(&m, rep_end(&m, 0));
		CHECK_EQ(p9_write(&cl, 1, 0, data, 3 * PART), -ENOSPC);
	}
	CHECK_EQ(fs.n_pending, 0);
	CHECK_EQ(cl.tags_used, 0);
	CHECK_EQ(cl.tags_free.count, P9_TAGS_MAX);
}

TEST(malformed_read_reply)
{
	struct msg m;

	client_up();
	fs.file_len = 100;
	/* An Rread claiming more than the 10 bytes asked for. */
	rep_begin(&m, P9_R(P9_TREAD), 0);
	p9_put_u32(&m.c, 20);
	m.c.pos += 20;
	override(&m, rep_end(&m, 0));
	CHECK_EQ(p9_read(&cl, 1, 0, back, 10), -EIO);
	CHECK_EQ(cl.stats.malformed, 1);
	CHECK_STRSTR(fake_log(), "the reply to Tread is malformed");
	/* A reply with the tag of another request. */
	rep_begin(&m, P9_R(P9_TREAD), 9);
	p9_put_u32(&m.c, 0);
	override(&m, rep_end(&m, 0));
	CHECK_EQ(p9_read(&cl, 1, 0, back, 10), -EIO);
	CHECK_EQ(cl.stats.malformed, 2);
	/* Only the first few are described. */
	for (int i = 0; i < 5; i++) {
		override(&m, rep_end(&m, 0));
		CHECK_EQ(p9_read(&cl, 1, 0, back, 10), -EIO);
	}
	CHECK_EQ(cl.stats.malformed, 7);
	CHECK_EQ(fake_log_count(), 4);
}

TEST(readdir)
{
	uint8_t buf[4096];
	const char *want[] = { ".", "..", "file one" };
	struct p9_dirent d;
	uint32_t pos = 0;
	long n;
	int i = 0;

	client_up();
	n = p9_readdir(&cl, 1, 0, buf, sizeof(buf));
	CHECK(n > 0);
	while (p9_dirent_next(buf, (uint32_t)n, &pos, &d) == 1) {
		CHECK(i < 3);
		if (i >= 3)
			break;
		CHECK_EQ(d.name_len, strlen(want[i]));
		CHECK(!memcmp(d.name, want[i], d.name_len));
		CHECK_EQ(d.offset, i + 1);
		i++;
	}
	CHECK_EQ(i, 3);
	CHECK_EQ(pos, n);
	CHECK_EQ(p9_readdir(&cl, 1, 3, buf, sizeof(buf)), 0);
	/* count is kept to a part: the server is never asked for more than fits. */
	CHECK_EQ(p9_readdir(&cl, 1, 3, data, FILE_MAX), 0);
	CHECK_EQ(fs.last_req[19] | fs.last_req[20] << 8, PART & 0xffff);
}

TEST(unsupported_is_the_servers_errno)
{
	struct p9_statfs st;

	client_up();
	CHECK_EQ(p9_statfs(&cl, 1, &st), -EOPNOTSUPP);
	CHECK_EQ(p9_fsync(&cl, 1, true), 0);
	CHECK_EQ(fs.last_req[11], 1);
}

TEST(readlink)
{
	char buf[16];

	client_up();
	CHECK_EQ(p9_readlink(&cl, 1, buf, 11), 10);
	CHECK_STREQ(buf, "the/target");
	CHECK_EQ(p9_readlink(&cl, 1, buf, 10), -ENAMETOOLONG);
	CHECK_EQ(cl.stats.errors, 0);
}
