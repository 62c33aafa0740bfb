/*
 * virtio-9p and the 9P2000.L client from the inside (a kernel test:
 * ktest.h). Attaches the device tagged "rootfs" with a client of its own
 * and drives the client directly against a fresh host directory
 * (tests/integration/ninep.sh checks the host side afterwards):
 *
 *   - files "file-N" of N = 0, 1, 4096, msize-1, msize, msize+1 and 4 MiB
 *     bytes written and read back, compared by checksum; byte i of a file
 *     with seed s is (i * 131 + (i >> 12) + s) & 0xff (seed 0 here), so
 *     the host can compute what each must hold;
 *   - a directory of DIR_FILES entries listed by readdir, a rename out of
 *     it and an unlink in it, mkdir, statfs, symlink and readlink, a hard
 *     link, truncation through setattr, fsync;
 *   - THREADS threads each writing and reading back "thread-K" (seed K) at
 *     once, then READERS threads reading parts of file-BIG at once (more
 *     parts than there are tags);
 *   - errors: ENOENT, EEXIST, ENOTEMPTY.
 *
 * Note: a client's Tversion starts a new session on the device, so any
 * other client of the same device (the VFS's root mount) loses its fids;
 * this test is the device's only user from then on. Exits with the number
 * of failures.
 */
#include "tests/ktests/ktest.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/virtio/virtio_9p.h"
#include "kernel/time.h"
#include "lib/9p/p9.h"
#include "lib/9p/p9_msg.h"
#include "sched/sched.h"

#define TAG "rootfs"
#define BIG (4u << 20)
#define DIR_FILES 20
#define THREADS 4
#define THREAD_BYTES (256u << 10)
#define BIG_NAME "4194304" /* BIG, as the file's name has it */
#define READERS 16
#define BREAK_REPLY 3 /* reply bytes offered: less than a header */
#define READ_BYTES (3u << 20)
#define READ_STRIDE (64u << 10) /* between the readers' offsets */
#define L_O_RDONLY 0
#define L_O_RDWR 02
#define L_O_CREAT 0100
#define L_O_EXCL 0200
#define L_O_TRUNC 01000
#define L_O_DIRECTORY 0200000
#define FILE_MODE 0644
#define DIR_MODE 0755
#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static struct {
	struct p9_client c;
	uint32_t root;
	uint8_t *out, *in; /* BIG + 1 bytes each */
} t;

static uint8_t pattern(size_t i, unsigned seed)
{
	return (uint8_t)(i * 131 + (i >> 12) + seed);
}

static uint64_t fnv(const uint8_t *p, size_t n)
{
	uint64_t h = FNV_OFFSET;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * FNV_PRIME;
	return h;
}

/* A new fid for the file name in the root; P9_NOFID if the walk failed (*err says why). */
static uint32_t walk1(const char *name, int *err)
{
	uint32_t fid = p9_fid_alloc(&t.c);
	struct p9_qid qid;
	const char *names[] = { name };
	int r = p9_walk(&t.c, t.root, fid, name ? 1 : 0, names, &qid);

	*err = r < 0 ? r : 0;
	if (r == (name ? 1 : 0))
		return fid;
	p9_fid_release(&t.c, fid);
	if (r >= 0)
		*err = -ENOENT;
	return P9_NOFID;
}

/* Creates (or truncates) name in the root, open read-write: its fid or P9_NOFID. */
static uint32_t create(const char *name, int *err)
{
	uint32_t fid = walk1(NULL, err);
	struct p9_qid qid;
	uint32_t iounit;

	if (fid == P9_NOFID)
		return fid;
	*err = p9_lcreate(&t.c, fid, name, L_O_RDWR | L_O_CREAT | L_O_TRUNC, FILE_MODE, 0, &qid,
			  &iounit);
	if (*err < 0) {
		p9_clunk(&t.c, fid);
		return P9_NOFID;
	}
	return fid;
}

/* Writes n bytes of seed's pattern to name, reads them back through a new fid; true if equal. */
static bool round_trip(const char *name, size_t n, unsigned seed, uint8_t *out, uint8_t *in)
{
	int err;
	uint32_t fid = create(name, &err);
	long w, r = -1;
	struct p9_qid qid;
	uint32_t iounit;

	for (size_t i = 0; i < n; i++)
		out[i] = pattern(i, seed);
	if (fid == P9_NOFID)
		return false;
	w = p9_write(&t.c, fid, 0, out, n);
	p9_clunk(&t.c, fid);
	fid = walk1(name, &err);
	if (fid != P9_NOFID && p9_lopen(&t.c, fid, L_O_RDONLY, &qid, &iounit) == 0) {
		memset(in, 0, n + 1);
		/* One byte more than there is: the read must stop at the end. */
		r = p9_read(&t.c, fid, 0, in, n + 1);
	}
	if (fid != P9_NOFID)
		p9_clunk(&t.c, fid);
	if (w != (long)n || r != (long)n)
		ktest_print("# %s: wrote %ld, read %ld of %zu", name, w, r, n);
	return w == (long)n && r == (long)n && fnv(out, n) == fnv(in, n);
}

static void test_files(void)
{
	size_t m = t.c.msize;
	size_t sizes[] = { 0, 1, 4096, m - 1, m, m + 1, BIG };
	char name[32], what[64];

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t t0 = clock_monotonic_ns();
		bool ok;

		snprintf(name, sizeof(name), "file-%zu", sizes[i]);
		ok = round_trip(name, sizes[i], 0, t.out, t.in);
		snprintf(what, sizeof(what), "p9: %s written and read back", name);
		ktest_check(ok, what);
		if (sizes[i] == BIG)
			ktest_print("# p9: %u KiB written and read back in %lu ms", BIG >> 10,
				    (unsigned long)((clock_monotonic_ns() - t0) / NSEC_PER_MSEC));
	}
}

/* Counts the entries of the open directory fid; -1 on an error. */
static int count_entries(uint32_t fid, bool *saw_last)
{
	static uint8_t buf[8192];
	uint64_t off = 0;
	int n = 0;
	long len;

	*saw_last = false;
	while ((len = p9_readdir(&t.c, fid, off, buf, sizeof(buf))) > 0) {
		struct p9_dirent d;
		uint32_t pos = 0;
		int r;

		while ((r = p9_dirent_next(buf, (uint32_t)len, &pos, &d)) == 1) {
			n++;
			off = d.offset;
			*saw_last |= d.name_len == 4 && !memcmp(d.name, "e-19", 4);
		}
		if (r < 0)
			return -1;
	}
	return len < 0 ? -1 : n;
}

static void test_dir(void)
{
	struct p9_qid qid;
	uint32_t dir = p9_fid_alloc(&t.c), fid, iounit;
	char name[16];
	bool last, created = true;
	int err;

	ktest_check(p9_mkdir(&t.c, t.root, "dir", DIR_MODE, 0, &qid) == 0 && qid.type & P9_QTDIR,
		    "p9: mkdir");
	ktest_check(p9_mkdir(&t.c, t.root, "dir", DIR_MODE, 0, &qid) == -EEXIST,
		    "p9: mkdir of an existing name is EEXIST");
	{
		const char *names[] = { "dir" };

		ktest_check(p9_walk(&t.c, t.root, dir, 1, names, &qid) == 1, "p9: walk to dir");
	}
	for (int i = 0; i < DIR_FILES; i++) {
		fid = p9_fid_alloc(&t.c);
		snprintf(name, sizeof(name), "e-%d", i);
		created &= p9_walk(&t.c, dir, fid, 0, NULL, &qid) == 0 &&
			   p9_lcreate(&t.c, fid, name, L_O_RDWR | L_O_CREAT | L_O_EXCL, FILE_MODE,
				      0, &qid, &iounit) == 0;
		p9_clunk(&t.c, fid);
	}
	ktest_check(created, "p9: lcreate of 20 files in dir");
	fid = p9_fid_alloc(&t.c);
	ktest_check(p9_walk(&t.c, dir, fid, 0, NULL, &qid) == 0 &&
			    p9_lcreate(&t.c, fid, "e-0", L_O_RDWR | L_O_CREAT | L_O_EXCL, FILE_MODE,
				       0, &qid, &iounit) == -EEXIST,
		    "p9: lcreate with O_EXCL of an existing name is EEXIST");
	p9_clunk(&t.c, fid);
	fid = p9_fid_alloc(&t.c);
	err = p9_walk(&t.c, dir, fid, 0, NULL, &qid);
	if (err == 0)
		err = p9_lopen(&t.c, fid, L_O_RDONLY | L_O_DIRECTORY, &qid, &iounit);
	ktest_check(err == 0 && count_entries(fid, &last) == DIR_FILES + 2 && last,
		    "p9: readdir lists the 20 files, . and ..");
	p9_clunk(&t.c, fid);
	ktest_check(p9_renameat(&t.c, dir, "e-0", t.root, "renamed") == 0, "p9: renameat");
	ktest_check(walk1("renamed", &err) != P9_NOFID, "p9: the renamed file is there");
	ktest_check(p9_unlinkat(&t.c, dir, "e-1", 0) == 0, "p9: unlinkat");
	ktest_check(p9_unlinkat(&t.c, dir, "e-1", 0) == -ENOENT,
		    "p9: unlinkat of a missing name is ENOENT");
	ktest_check(p9_unlinkat(&t.c, t.root, "dir", P9_AT_REMOVEDIR) == -ENOTEMPTY,
		    "p9: unlinkat of a non-empty directory is ENOTEMPTY");
	ktest_check(p9_mkdir(&t.c, t.root, "empty", DIR_MODE, 0, &qid) == 0 &&
			    p9_unlinkat(&t.c, t.root, "empty", P9_AT_REMOVEDIR) == 0,
		    "p9: unlinkat of an empty directory");
	p9_clunk(&t.c, dir);
}

static void test_walk_errors(void)
{
	int err;
	const char *names[] = { "file-1", "below-a-file" };
	uint32_t fid = p9_fid_alloc(&t.c);
	struct p9_qid qids[2];

	ktest_check(walk1("missing", &err) == P9_NOFID && err == -ENOENT,
		    "p9: walk to a missing name is ENOENT");
	ktest_check(p9_walk(&t.c, t.root, fid, 2, names, qids) == 1,
		    "p9: a walk that stops part way says how far it got");
	p9_fid_release(&t.c, fid);
}

static void test_links(void)
{
	struct p9_qid qid;
	struct p9_attr a;
	char buf[64];
	int err;
	uint32_t fid;

	ktest_check(p9_symlink(&t.c, t.root, "symlink", "file-1", 0, &qid) == 0 &&
			    qid.type & P9_QTSYMLINK,
		    "p9: symlink");
	fid = walk1("symlink", &err);
	ktest_check(fid != P9_NOFID && p9_readlink(&t.c, fid, buf, sizeof(buf)) == 6 &&
			    !strcmp(buf, "file-1"),
		    "p9: readlink gives the target");
	ktest_check(fid != P9_NOFID && p9_readlink(&t.c, fid, buf, 3) == -ENAMETOOLONG,
		    "p9: readlink into too small a buffer is ENAMETOOLONG");
	p9_clunk(&t.c, fid);
	fid = walk1("file-4096", &err);
	ktest_check(fid != P9_NOFID && p9_link(&t.c, t.root, fid, "hardlink") == 0, "p9: link");
	ktest_check(fid != P9_NOFID && p9_getattr(&t.c, fid, P9_GETATTR_BASIC, &a) == 0 &&
			    a.nlink == 2 && a.size == 4096,
		    "p9: getattr sees 2 links and the size");
	p9_clunk(&t.c, fid);
}

static void test_setattr_fsync(void)
{
	struct p9_setattr sa = { .valid = P9_SETATTR_SIZE, .size = 100 };
	struct p9_statfs st;
	struct p9_attr a;
	int err;
	uint32_t fid = create("truncated", &err);

	ktest_check(fid != P9_NOFID && p9_write(&t.c, fid, 0, t.out, 10000) == 10000 &&
			    p9_fsync(&t.c, fid, false) == 0 && p9_fsync(&t.c, fid, true) == 0,
		    "p9: write and fsync");
	ktest_check(fid != P9_NOFID && p9_setattr(&t.c, fid, &sa) == 0 &&
			    p9_getattr(&t.c, fid, P9_GETATTR_SIZE, &a) == 0 && a.size == 100,
		    "p9: setattr truncates to 100 bytes");
	p9_clunk(&t.c, fid);
	ktest_check(p9_statfs(&t.c, t.root, &st) == 0 && st.bsize > 0 && st.namelen > 0 &&
			    st.blocks > 0,
		    "p9: statfs");
}

static void *writer(void *arg)
{
	unsigned k = (unsigned)(uintptr_t)arg;
	uint8_t *out = kmalloc(THREAD_BYTES + 1), *in = kmalloc(THREAD_BYTES + 1);
	char name[16];
	bool ok = false;

	snprintf(name, sizeof(name), "thread-%u", k);
	if (out && in)
		ok = round_trip(name, THREAD_BYTES, k, out, in);
	kfree(out);
	kfree(in);
	return (void *)(uintptr_t)ok;
}

static void test_threads(void)
{
	struct thread *th[THREADS];
	uint64_t waits = t.c.stats.tag_waits;
	bool ok = true;
	void *ret;

	for (unsigned k = 0; k < THREADS; k++)
		th[k] = thread_create("p9-writer", writer, (void *)(uintptr_t)(k + 1), 0, false);
	for (unsigned k = 0; k < THREADS; k++)
		ok &= th[k] && thread_join(th[k], &ret) == 0 && ret;
	ktest_check(ok, "p9: 4 threads write and read back files at once");
	ktest_print("# p9: tag waits during the threads: %lu",
		    (unsigned long)(t.c.stats.tag_waits - waits));
}

/* Reads READ_BYTES of file-BIG at an offset of its own; true if they are the pattern's. */
static void *reader(void *arg)
{
	size_t off = (size_t)(uintptr_t)arg * READ_STRIDE;
	uint8_t *buf = kmalloc(READ_BYTES);
	bool ok = buf != NULL;
	int err;
	uint32_t fid = walk1("file-" BIG_NAME, &err), iounit;
	struct p9_qid qid;

	ok &= fid != P9_NOFID && p9_lopen(&t.c, fid, L_O_RDONLY, &qid, &iounit) == 0;
	ok &= ok && p9_read(&t.c, fid, off, buf, READ_BYTES) == READ_BYTES;
	for (size_t i = 0; ok && i < READ_BYTES; i++)
		ok = buf[i] == pattern(off + i, 0);
	if (fid != P9_NOFID)
		p9_clunk(&t.c, fid);
	kfree(buf);
	return (void *)(uintptr_t)ok;
}

/*
 * Many readers of one file at once, each with several parts out: more
 * parts in all than there are tags, if they all asked together (they
 * rarely do under TCG: the figure printed says how often a tag was waited for).
 */
static void test_many_readers(void)
{
	struct thread *th[READERS];
	uint64_t waits = t.c.stats.tag_waits;
	bool ok = true;
	void *ret;

	for (unsigned k = 0; k < READERS; k++)
		th[k] = thread_create("p9-reader", reader, (void *)(uintptr_t)k, 0, false);
	for (unsigned k = 0; k < READERS; k++)
		ok &= th[k] && thread_join(th[k], &ret) == 0 && ret;
	ktest_check(ok, "p9: 16 threads read parts of one file at once");
	ktest_print("# p9: tag waits during the readers: %lu",
		    (unsigned long)(t.c.stats.tag_waits - waits));
}

static void report(void)
{
	struct virtio_9p_stats vs;
	const struct p9_stats *s = &t.c.stats;

	virtio_9p_stats(-1, &vs);
	ktest_print("# p9: requests %lu, Rlerror %lu, malformed %lu, transport errors %lu, "
		    "parts %lu (%lu overlapped)",
		    (unsigned long)s->requests, (unsigned long)s->errors,
		    (unsigned long)s->malformed, (unsigned long)s->transport,
		    (unsigned long)s->parts, (unsigned long)s->parts_overlapped);
	ktest_print("# virtio-9p: requests %lu, errors %lu, ring full waits %lu",
		    (unsigned long)vs.requests, (unsigned long)vs.errors,
		    (unsigned long)vs.ring_full_waits);
	ktest_check(s->malformed == 0 && s->transport == 0 && vs.errors == 0,
		    "p9: no malformed reply, no transport error");
	ktest_check(s->parts_overlapped > 0, "p9: parts of a transfer were in flight together");
}

/* The device and the attach; false (reported) if there is none. */
static bool attach(void)
{
	const struct p9_transport *tr = virtio_9p_find(TAG);
	struct p9_qid qid;
	int err;

	for (int i = 0; i < virtio_9p_count(); i++)
		ktest_print("# virtio-9p: device %d tagged '%s'", i, virtio_9p_tag(i));
	ktest_check(tr != NULL, "p9: a device tagged " TAG);
	if (!tr)
		return false;
	err = p9_client_init(&t.c, tr, tr->msize_max);
	ktest_check(err == 0, "p9: version 9P2000.L agreed");
	if (err < 0)
		return false;
	ktest_print("# p9: msize %u (the transport offers %u)", t.c.msize, tr->msize_max);
	t.root = p9_fid_alloc(&t.c);
	err = p9_attach(&t.c, t.root, &qid);
	ktest_check(err == 0 && qid.type & P9_QTDIR, "p9: attach gives the root directory");
	return err == 0;
}

/*
 * With the argument "break" (a modern device only): a request with no room
 * for a reply, which QEMU takes for a broken driver: it marks the device
 * DEVICE_NEEDS_RESET and drops the request. The driver must then fail it
 * and every later request with -EIO, not leave the caller asleep.
 */
static void test_break(void)
{
	const struct p9_transport *tr = virtio_9p_find(TAG);
	uint8_t req[P9_HDR_SIZE + sizeof(uint32_t)], rep[BREAK_REPLY];
	struct p9_iov out = { req, sizeof(req) }, in = { rep, sizeof(rep) };
	struct virtio_9p_stats vs;
	struct p9_cur c;
	uint32_t n;

	p9_cur_init(&c, req, sizeof(req));
	p9_enc_fid(&c, P9_TCLUNK, 0, t.root);
	ktest_check(tr->request(tr->ctx, &out, 1, &in, 1, &n) == -EIO,
		    "virtio-9p: a request the device dropped fails with -EIO");
	ktest_check(p9_clunk(&t.c, t.root) == -EIO, "virtio-9p: and so does every later one");
	virtio_9p_stats(0, &vs);
	ktest_check(vs.errors > 0, "virtio-9p: the device's errors are counted");
}

int ktest_main(int argc, char **argv)
{
	bool brk = argc > 1 && !strcmp(argv[1], "break");

	t.out = kmalloc(BIG + 1);
	t.in = kmalloc(BIG + 1);
	ktest_check(t.out && t.in, "p9: buffers");
	if (t.out && t.in && attach()) {
		test_files();
		test_walk_errors();
		test_dir();
		test_links();
		test_setattr_fsync();
		test_threads();
		test_many_readers();
		report();
		if (brk)
			test_break();
	}
	ktest_print("p9dev: %d failed", ktest_failures);
	return ktest_failures;
}
