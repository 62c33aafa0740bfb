/*
 * A seeded mutation fuzz loop over the 9P reply parsers and
 * p9_dirent_next (lib/9p/p9_msg.c): valid replies of every kind, with
 * bytes flipped, set, inserted, deleted, cut off, or a length field set to
 * an edge value, each in a buffer of its exact size so ASan sees any read
 * past it. Every reply a parser accepts must have its fields in bounds.
 * The seed and the iteration count are fixed: the run is the same each time.
 */
#define CHECK_SUITE "p9_fuzz"
#include "tests/unit/check.h"

#include <errno.h>

#include "lib/9p/p9.h"
#include "lib/9p/p9_msg.h"

#define ITERATIONS 200000
#define SEED 0x9e3779b97f4a7c15ull
#define MSG_MAX 2048
#define TAG 0x1234
#define WANT 64	    /* the count a read asked for */
#define NWALK 4	    /* the names a walk asked for */
#define MUTATIONS 4 /* at most, per message */

static uint64_t rng = SEED;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint32_t below(uint32_t n)
{
	return n ? (uint32_t)(next_rand() % n) : 0;
}

struct seed {
	uint8_t rtype;
	uint8_t b[MSG_MAX];
	uint32_t len;
};

enum {
	S_VERSION,
	S_ATTACH,
	S_WALK,
	S_OPEN,
	S_READ,
	S_READDIR,
	S_WRITE,
	S_GETATTR,
	S_STATFS,
	S_READLINK,
	S_NONE,
	S_ERROR,
	S_COUNT
};

static struct seed seeds[S_COUNT];
static const struct p9_qid qid = { P9_QTDIR, 3, 77 };

static struct p9_cur *seed_begin(struct seed *s, struct p9_cur *c, uint8_t type)
{
	s->rtype = type;
	p9_cur_init(c, s->b, sizeof(s->b));
	p9_put_u32(c, 0);
	p9_put_u8(c, type);
	p9_put_u16(c, TAG);
	return c;
}

static void seed_end(struct seed *s, struct p9_cur *c)
{
	uint32_t len = c->pos;

	c->pos = 0;
	p9_put_u32(c, len);
	s->len = len;
}

static void put_dirent(struct p9_cur *c, const char *name, uint64_t off)
{
	p9_put_qid(c, &qid);
	p9_put_u64(c, off);
	p9_put_u8(c, 4);
	p9_put_str(c, name);
}

static void make_seeds(void)
{
	struct p9_cur c;
	uint32_t at, end;

	p9_put_u32(seed_begin(&seeds[S_VERSION], &c, P9_R(P9_TVERSION)), 8192);
	p9_put_str(&c, P9_VERSION);
	seed_end(&seeds[S_VERSION], &c);
	p9_put_qid(seed_begin(&seeds[S_ATTACH], &c, P9_R(P9_TATTACH)), &qid);
	seed_end(&seeds[S_ATTACH], &c);
	p9_put_u16(seed_begin(&seeds[S_WALK], &c, P9_R(P9_TWALK)), 3);
	for (int i = 0; i < 3; i++)
		p9_put_qid(&c, &qid);
	seed_end(&seeds[S_WALK], &c);
	p9_put_qid(seed_begin(&seeds[S_OPEN], &c, P9_R(P9_TLOPEN)), &qid);
	p9_put_u32(&c, 4096);
	seed_end(&seeds[S_OPEN], &c);
	p9_put_u32(seed_begin(&seeds[S_READ], &c, P9_R(P9_TREAD)), 20);
	c.pos += 20;
	seed_end(&seeds[S_READ], &c);
	seed_begin(&seeds[S_READDIR], &c, P9_R(P9_TREADDIR));
	at = c.pos;
	p9_put_u32(&c, 0);
	put_dirent(&c, ".", 1);
	put_dirent(&c, "a name", 2);
	put_dirent(&c, "\xc3\xa9t\xc3\xa9", 3);
	end = c.pos;
	c.pos = at;
	p9_put_u32(&c, end - at - 4);
	c.pos = end;
	seed_end(&seeds[S_READDIR], &c);
	p9_put_u32(seed_begin(&seeds[S_WRITE], &c, P9_R(P9_TWRITE)), WANT);
	seed_end(&seeds[S_WRITE], &c);
	seed_begin(&seeds[S_GETATTR], &c, P9_R(P9_TGETATTR));
	c.pos = P9_RGETATTR_SIZE;
	seed_end(&seeds[S_GETATTR], &c);
	seed_begin(&seeds[S_STATFS], &c, P9_R(P9_TSTATFS));
	c.pos = P9_RSTATFS_SIZE;
	seed_end(&seeds[S_STATFS], &c);
	p9_put_str(seed_begin(&seeds[S_READLINK], &c, P9_R(P9_TREADLINK)), "../target");
	seed_end(&seeds[S_READLINK], &c);
	seed_begin(&seeds[S_NONE], &c, P9_R(P9_TCLUNK));
	seed_end(&seeds[S_NONE], &c);
	p9_put_u32(seed_begin(&seeds[S_ERROR], &c, P9_RLERROR), ENOENT);
	seeds[S_ERROR].rtype = P9_R(P9_TWALK);
	seed_end(&seeds[S_ERROR], &c);
}

/* One random change to b[0..*len) (room for MSG_MAX bytes). */
static void mutate(uint8_t *b, uint32_t *len)
{
	static const uint32_t edges[] = { 0, 1, 0x7f, 0xff, 0x100, 0xffff, 0x10000, 0xffffffff };
	uint32_t at = below(*len);

	switch (below(6)) {
	case 0:
		if (*len)
			b[at] ^= (uint8_t)(1u << below(8));
		break;
	case 1:
		if (*len)
			b[at] = (uint8_t)next_rand();
		break;
	case 2:
		if (*len < MSG_MAX) {
			memmove(b + at + 1, b + at, *len - at);
			b[at] = (uint8_t)next_rand();
			(*len)++;
		}
		break;
	case 3:
		if (*len) {
			memmove(b + at, b + at + 1, *len - at - 1);
			(*len)--;
		}
		break;
	case 4:
		*len = below(*len + 1);
		break;
	default: {
		uint32_t v = edges[below(sizeof(edges) / sizeof(edges[0]))] + below(3) - 1;
		unsigned w = below(2) ? 2 : 4;

		for (unsigned i = 0; i < w && at + i < *len; i++)
			b[at + i] = (uint8_t)(v >> (8 * i));
	}
	}
}

/* s lies within the message m[0..len). */
static void check_inside(const uint8_t *m, uint32_t len, const char *s, uint32_t n)
{
	CHECK((const uint8_t *)s >= m && (const uint8_t *)s + n <= m + len);
}

static void check_dirents(const uint8_t *data, uint32_t len)
{
	struct p9_dirent d;
	uint32_t pos = 0, last = 0;
	int r;

	while ((r = p9_dirent_next(data, len, &pos, &d)) == 1) {
		CHECK(pos > last && pos <= len);
		check_inside(data, len, d.name, d.name_len);
		CHECK(d.name_len >= 1 && d.name_len <= P9_NAME_MAX);
		last = pos;
	}
	CHECK(r == 0 || r == -EIO);
}

/* Parses m as a reply of rtype with every parser that could apply and checks what it accepts. */
static void parse_all(const uint8_t *m, uint32_t len, uint8_t rtype)
{
	struct p9_qid qids[NWALK];
	struct p9_attr a;
	struct p9_statfs st;
	struct p9_cur c;
	const char *s;
	uint16_t sl;
	uint32_t u, n;
	int r = p9_reply_open(&c, m, len, len, TAG, rtype);

	CHECK(r == 0 || r == -P9_EMALFORMED || (r < 0 && r >= -P9_ERRNO_MAX));
	if (r < 0)
		return;
	switch (rtype) {
	case P9_R(P9_TVERSION):
		if (p9_parse_rversion(&c, &u, &s, &sl) == 0)
			check_inside(m, len, s, sl);
		break;
	case P9_R(P9_TATTACH):
		p9_parse_rqid(&c, &qids[0]);
		break;
	case P9_R(P9_TWALK):
		r = p9_parse_rwalk(&c, NWALK, qids);
		CHECK(r <= NWALK);
		break;
	case P9_R(P9_TLOPEN):
		p9_parse_ropen(&c, &qids[0], &u);
		break;
	case P9_R(P9_TREAD):
	case P9_R(P9_TREADDIR):
		if (p9_parse_rio(&c, len, MSG_MAX, &n) == 0) {
			CHECK(n <= MSG_MAX && P9_RIO_HDR_SIZE + n == len);
			if (rtype == P9_R(P9_TREADDIR))
				check_dirents(m + P9_RIO_HDR_SIZE, n);
		}
		break;
	case P9_R(P9_TWRITE):
		if (p9_parse_rwrite(&c, WANT, &n) == 0)
			CHECK(n <= WANT);
		break;
	case P9_R(P9_TGETATTR):
		p9_parse_rgetattr(&c, &a);
		break;
	case P9_R(P9_TSTATFS):
		p9_parse_rstatfs(&c, &st);
		break;
	case P9_R(P9_TREADLINK):
		if (p9_parse_rreadlink(&c, &s, &sl) == 0)
			check_inside(m, len, s, sl);
		break;
	default:
		p9_parse_rnone(&c);
	}
}

TEST(seeds_parse)
{
	make_seeds();
	for (int i = 0; i < S_COUNT; i++) {
		struct p9_cur c;

		CHECK_CONTEXT("seed %d", i);
		CHECK_EQ(p9_reply_open(&c, seeds[i].b, seeds[i].len, seeds[i].len, TAG,
				       seeds[i].rtype),
			 i == S_ERROR ? -ENOENT : 0);
	}
}

TEST(mutated_replies)
{
	static uint8_t work[MSG_MAX];
	unsigned accepted = 0;

	make_seeds();
	for (unsigned it = 0; it < ITERATIONS; it++) {
		const struct seed *s = &seeds[below(S_COUNT)];
		uint32_t len = s->len;
		unsigned n = 1 + below(MUTATIONS);
		uint8_t *m;

		memcpy(work, s->b, len);
		for (unsigned k = 0; k < n; k++)
			mutate(work, &len);
		/* Half the time the size field is made to agree, so the body parsers get a go. */
		if (below(2) && len >= 4)
			for (unsigned i = 0; i < 4; i++)
				work[i] = (uint8_t)(len >> (8 * i));
		m = malloc(len ? len : 1);
		memcpy(m, work, len);
		CHECK_CONTEXT("iteration %u", it);
		parse_all(m, len, s->rtype);
		{
			struct p9_cur c;

			accepted += p9_reply_open(&c, m, len, len, TAG, s->rtype) == 0;
		}
		check_dirents(m, len);
		free(m);
	}
	/* A fuzz loop whose mutants are all refused at the header tests nothing past it. */
	CHECK(accepted > ITERATIONS / 20);
}
