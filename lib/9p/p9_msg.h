/*
 * 9P2000.L messages (docs/9p.md): the encoders of every T-message the
 * client sends and the parsers of every R-message it believes, over a
 * cursor that records running off its buffer instead of doing it. Pure
 * logic: the host unit tests and the fuzz loop drive it as it is.
 *
 * A parser returns 0 (or a count), the server's errno negated (Rlerror),
 * or -P9_EMALFORMED with the cursor's why saying what was wrong. Nothing
 * a parser hands back points outside the reply it was given.
 */
#ifndef LIB_9P_P9_MSG_H
#define LIB_9P_P9_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/9p/p9.h"

/* Message types (9P2000.L; the T is one less than its R). */
#define P9_RLERROR 7
#define P9_TSTATFS 8
#define P9_TLOPEN 12
#define P9_TLCREATE 14
#define P9_TSYMLINK 16
#define P9_TREADLINK 22
#define P9_TGETATTR 24
#define P9_TSETATTR 26
#define P9_TREADDIR 40
#define P9_TFSYNC 50
#define P9_TLINK 70
#define P9_TMKDIR 72
#define P9_TRENAMEAT 74
#define P9_TUNLINKAT 76
#define P9_TVERSION 100
#define P9_TATTACH 104
#define P9_TWALK 110
#define P9_TREAD 116
#define P9_TWRITE 118
#define P9_TCLUNK 120
#define P9_R(t) ((uint8_t)((t) + 1))

#define P9_HDR_SIZE 7	      /* size[4] type[1] tag[2] */
#define P9_QID_SIZE 13	      /* type[1] version[4] path[8] */
#define P9_RLERROR_SIZE 11    /* the header and ecode[4] */
#define P9_RIO_HDR_SIZE 11    /* Rread's and Rreaddir's: the header and count[4] */
#define P9_TWRITE_HDR_SIZE 23 /* the header, fid[4] offset[8] count[4] */
#define P9_DIRENT_FIXED 24    /* an entry without its name: qid offset[8] type[1] len[2] */
#define P9_RGETATTR_SIZE 160  /* the header and every field */
#define P9_RSTATFS_SIZE 67    /* the header and every field */
#define P9_ERRNO_MAX 4095     /* the largest errno an Rlerror may carry */
#define P9_EMALFORMED 4096    /* negated: a reply refused; above every errno */
#define P9_VERSION "9P2000.L"

/* A cursor over a message: put/get past cap set overflow and move nothing. */
struct p9_cur {
	uint8_t *buf;
	uint32_t cap; /* bytes of buf that may be touched */
	uint32_t pos; /* the next byte */
	bool overflow;
	const char *why; /* what a parser refused, for the log */
};

void p9_cur_init(struct p9_cur *c, void *buf, uint32_t cap);
void p9_put_u8(struct p9_cur *c, uint8_t v);
void p9_put_u16(struct p9_cur *c, uint16_t v);
void p9_put_u32(struct p9_cur *c, uint32_t v);
void p9_put_u64(struct p9_cur *c, uint64_t v);
/* A string: len[2] and its bytes (no NUL); one longer than 65535 bytes overflows. */
void p9_put_str(struct p9_cur *c, const char *s);
void p9_put_qid(struct p9_cur *c, const struct p9_qid *q);
/* Gets give 0 (and set overflow) past cap. */
uint8_t p9_get_u8(struct p9_cur *c);
uint16_t p9_get_u16(struct p9_cur *c);
uint32_t p9_get_u32(struct p9_cur *c);
uint64_t p9_get_u64(struct p9_cur *c);
/* A string in place: *s points into the buffer (not NUL terminated), *len its bytes. */
void p9_get_str(struct p9_cur *c, const char **s, uint16_t *len);
void p9_get_qid(struct p9_cur *c, struct p9_qid *q);

/*
 * Encoders: each writes its whole message at c's start and returns its
 * size, or -EMSGSIZE if it does not fit c. Twrite writes only its header:
 * the size counts the count data bytes that follow in a buffer of their own.
 */
long p9_enc_version(struct p9_cur *c, uint16_t tag, uint32_t msize, const char *version);
long p9_enc_attach(struct p9_cur *c, uint16_t tag, uint32_t fid, uint32_t afid, const char *uname,
		   const char *aname, uint32_t n_uname);
long p9_enc_walk(struct p9_cur *c, uint16_t tag, uint32_t fid, uint32_t newfid, unsigned n,
		 const char *const *names);
long p9_enc_lopen(struct p9_cur *c, uint16_t tag, uint32_t fid, uint32_t flags);
long p9_enc_lcreate(struct p9_cur *c, uint16_t tag, uint32_t fid, const char *name, uint32_t flags,
		    uint32_t mode, uint32_t gid);
/* Tread and Treaddir share a layout: fid[4] offset[8] count[4]. */
long p9_enc_read(struct p9_cur *c, uint8_t type, uint16_t tag, uint32_t fid, uint64_t off,
		 uint32_t count);
long p9_enc_write(struct p9_cur *c, uint16_t tag, uint32_t fid, uint64_t off, uint32_t count);
/* Tclunk, Treadlink and Tstatfs: fid[4] alone. */
long p9_enc_fid(struct p9_cur *c, uint8_t type, uint16_t tag, uint32_t fid);
long p9_enc_getattr(struct p9_cur *c, uint16_t tag, uint32_t fid, uint64_t mask);
long p9_enc_setattr(struct p9_cur *c, uint16_t tag, uint32_t fid, const struct p9_setattr *sa);
long p9_enc_mkdir(struct p9_cur *c, uint16_t tag, uint32_t dfid, const char *name, uint32_t mode,
		  uint32_t gid);
long p9_enc_unlinkat(struct p9_cur *c, uint16_t tag, uint32_t dfid, const char *name,
		     uint32_t flags);
long p9_enc_renameat(struct p9_cur *c, uint16_t tag, uint32_t olddfid, const char *oldname,
		     uint32_t newdfid, const char *newname);
long p9_enc_fsync(struct p9_cur *c, uint16_t tag, uint32_t fid, uint32_t datasync);
long p9_enc_symlink(struct p9_cur *c, uint16_t tag, uint32_t dfid, const char *name,
		    const char *target, uint32_t gid);
long p9_enc_link(struct p9_cur *c, uint16_t tag, uint32_t dfid, uint32_t fid, const char *name);

/*
 * Opens a reply for parsing. buf holds its first buf_len bytes (all of it
 * unless the payload went to a buffer of its own), in_len bytes came in
 * all. Checks size (= in_len, >= 7), tag and type (rtype, or Rlerror: its
 * errno negated, which must be 1..P9_ERRNO_MAX). 0 leaves c after the header.
 */
int p9_reply_open(struct p9_cur *c, const void *buf, uint32_t buf_len, uint32_t in_len,
		  uint16_t tag, uint8_t rtype);
/* Ends a parse: 0 if every byte was read and no more; else malformed. */
int p9_reply_end(struct p9_cur *c);

/* Body parsers, on a cursor p9_reply_open() accepted. */
int p9_parse_rversion(struct p9_cur *c, uint32_t *msize, const char **version, uint16_t *len);
/* Rattach, Rmkdir, Rsymlink: qid alone. */
int p9_parse_rqid(struct p9_cur *c, struct p9_qid *qid);
/* nwqid (at most nreq) qids into qids[]: their number. */
int p9_parse_rwalk(struct p9_cur *c, unsigned nreq, struct p9_qid *qids);
/* Rlopen and Rlcreate. */
int p9_parse_ropen(struct p9_cur *c, struct p9_qid *qid, uint32_t *iounit);
/*
 * Rread and Rreaddir, whose data went to a buffer of its own: count must
 * be at most want and be the bytes that came (in_len - P9_RIO_HDR_SIZE).
 */
int p9_parse_rio(struct p9_cur *c, uint32_t in_len, uint32_t want, uint32_t *count);
/* Rwrite: count at most want. */
int p9_parse_rwrite(struct p9_cur *c, uint32_t want, uint32_t *count);
int p9_parse_rgetattr(struct p9_cur *c, struct p9_attr *a);
int p9_parse_rstatfs(struct p9_cur *c, struct p9_statfs *st);
/* The target: not empty, no NUL inside. */
int p9_parse_rreadlink(struct p9_cur *c, const char **target, uint16_t *len);
/* Rclunk, Rsetattr, Rfsync, Runlinkat, Rrenameat, Rlink: no body. */
int p9_parse_rnone(struct p9_cur *c);

/* The message's name for logs: "Twalk", "Rread", "type 42". */
const char *p9_type_name(uint8_t type);

#endif
