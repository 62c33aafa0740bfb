/*
 * The file calls (docs/vfs.md), with Linux as the oracle: the same static
 * musl program runs natively on this host and on Ceres over a 9p root, and
 * the two outputs must agree line for line (tests/integration/fs.sh).
 *
 * Usage: fstest [-q] [-m MSIZE] [DIR]
 *   DIR    where to work (default "/", the 9p root); fstest makes DIR/fstest,
 *          which must not exist yet, and leaves its files there for the
 *          host to check
 *   MSIZE  the 9p msize the file sizes are chosen around (default 524288)
 *   -q     quick: no 64 MiB file, and 100 files in the big directory
 *
 * Each check prints one line, "name: result", with nothing in it that
 * rightly differs between kernels or runs (no addresses, times, inode
 * numbers or absolute paths). A result other than the one Linux gives ends
 * in "[FAIL: expected ...]". The last line counts the checks and the
 * failures; the exit status is 0 only when nothing failed.
 *
 * File contents follow a pattern the host can make again with seq(1): the
 * file is 16-byte records, record k being a tag letter, k in 14 decimal
 * digits and a newline ("a00000000000000\n", "a00000000000001\n", ...),
 * cut at the file's size. fs.sh checks sha256sum against
 * seq -f 'TAG%014.0f' 0 N | head -c SIZE.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../errname.h"

#define MIB (1024 * 1024)
#define BIG_SIZE (64 * MIB)
#define CHUNK MIB /* the big file is written and read in these */
#define RECORD 16 /* bytes of one pattern record */
#define DIGITS 14 /* decimal digits of its number */
#define THREADS 4
#define THREAD_FILE (1 * MIB)
#define THREAD_WRITE 4096 /* each thread writes its file in these */
#define DIR_FILES 1000
#define DIR_FILES_QUICK 100
#define DENTS_BUF 1024 /* small, so that a listing takes many getdents64 calls */
#define BAD_PTR ((void *)1)

static struct {
	int checks, failures;
	long msize;
	int quick;
	char base[4096]; /* getcwd() of the work directory */
	char chunk[CHUNK], want[CHUNK];
} t;

/* ---- results ---- */

/* A return value as a line shows it: the value, or "-1 ENAME". Reads errno. */
static const char *ret(long r)
{
	static char bufs[8][48];
	static unsigned next;
	char *b = bufs[next++ % 8];

	if (r == -1)
		snprintf(b, sizeof(bufs[0]), "-1 %s", errname(errno));
	else
		snprintf(b, sizeof(bufs[0]), "%ld", r);
	return b;
}

/* One check: prints "what: got", and counts a failure when got is not want. */
static void __attribute__((format(printf, 3, 4)))
expect(const char *what, const char *want, const char *fmt, ...)
{
	char got[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(got, sizeof(got), fmt, ap);
	va_end(ap);
	t.checks++;
	if (strcmp(got, want) == 0) {
		printf("%s: %s\n", what, got);
		return;
	}
	t.failures++;
	printf("%s: %s [FAIL: expected %s]\n", what, got, want);
}

/* The usual check of a call's return value. */
static void expect_ret(const char *what, const char *want, long r)
{
	expect(what, want, "%s", ret(r));
}

/* ---- the content pattern and its checksum ---- */

/* Fills buf with bytes [off, off + len) of the pattern tagged tag. */
static void pattern(char *buf, uint64_t off, size_t len, char tag)
{
	char rec[RECORD];
	uint64_t k = off / RECORD, n;
	size_t i = 0, from = off % RECORD, m;

	while (i < len) {
		rec[0] = tag;
		n = k++;
		for (int d = DIGITS; d >= 1; d--) {
			rec[d] = (char)('0' + n % 10);
			n /= 10;
		}
		rec[RECORD - 1] = '\n';
		m = RECORD - from < len - i ? RECORD - from : len - i;
		memcpy(buf + i, rec + from, m);
		i += m;
		from = 0;
	}
}

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

/* FNV-1a, 64 bits: h carries on from one buffer to the next. */
static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= FNV_PRIME;
	}
	return h;
}

/* Reads until len bytes or the end of the file; answers the count or -1. */
static long read_full(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, buf + got, len - got);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (long)got;
}

/* Writes a file of the pattern tagged tag, len bytes long. */
static int make_file(const char *name, size_t len, char tag)
{
	int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	char *buf = malloc(len + 1);
	long n = -1;

	if (fd >= 0 && buf) {
		pattern(buf, 0, len, tag);
		n = write(fd, buf, len);
	}
	free(buf);
	if (fd >= 0)
		close(fd);
	return n == (long)len ? 0 : -1;
}

/*
 * Reads name whole, 1 MiB at a time, against the pattern tagged tag.
 * Answers "read N, same content, fnv1a H" or what went wrong.
 */
static const char *verify(const char *name, char tag, uint64_t size)
{
	static char line[128];
	uint64_t h = FNV_OFFSET, off = 0, bad = UINT64_MAX;
	int fd = open(name, O_RDONLY);
	long n;

	if (fd < 0) {
		snprintf(line, sizeof(line), "open: %s", ret(-1));
		return line;
	}
	while ((n = read_full(fd, t.chunk, CHUNK)) > 0) {
		pattern(t.want, off, (size_t)n, tag);
		if (bad == UINT64_MAX && memcmp(t.chunk, t.want, (size_t)n) != 0)
			for (long i = 0; i < n && bad == UINT64_MAX; i++)
				if (t.chunk[i] != t.want[i])
					bad = off + (uint64_t)i;
		h = fnv1a(h, t.chunk, (size_t)n);
		off += (uint64_t)n;
	}
	if (n < 0)
		snprintf(line, sizeof(line), "read at %llu: %s", (unsigned long long)off, ret(-1));
	else if (bad != UINT64_MAX)
		snprintf(line, sizeof(line), "read %llu, differs from byte %llu",
			 (unsigned long long)off, (unsigned long long)bad);
	else
		snprintf(line, sizeof(line), "read %llu%s, fnv1a %016llx", (unsigned long long)off,
			 off == size ? ", same content" : ", WRONG SIZE", (unsigned long long)h);
	close(fd);
	return line;
}

/* The line verify() gives for a good file of size bytes tagged tag. */
static const char *verified(char tag, uint64_t size)
{
	static char line[128];
	uint64_t h = FNV_OFFSET;

	for (uint64_t off = 0; off < size; off += CHUNK) {
		size_t n = size - off < CHUNK ? (size_t)(size - off) : CHUNK;

		pattern(t.want, off, n, tag);
		h = fnv1a(h, t.want, n);
	}
	snprintf(line, sizeof(line), "read %llu, same content, fnv1a %016llx",
		 (unsigned long long)size, (unsigned long long)h);
	return line;
}

/* ---- files of every interesting size ---- */

/* A file up to msize + 1: one write() and reads to the end. */
static void sized_file(const char *label, size_t len, char tag)
{
	char name[64], what[96], want[32];
	int fd;
	char *buf = malloc(len + 1);
	struct stat st;

	snprintf(name, sizeof(name), "size-%zu", len);
	snprintf(what, sizeof(what), "write %s (%s)", name, label);
	snprintf(want, sizeof(want), "%zu", len);
	pattern(buf, 0, len, tag);
	fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
	expect_ret(what, want, write(fd, buf, len));
	expect_ret("  close", "0", close(fd));
	snprintf(what, sizeof(what), "stat %s", name);
	expect(what, want, "%s", stat(name, &st) ? ret(-1) : ret((long)st.st_size));
	snprintf(what, sizeof(what), "read back %s", name);
	expect(what, verified(tag, len), "%s", verify(name, tag, len));
	free(buf);
}

/* The 64 MiB file, in 1 MiB writes, with an fsync before the close. */
static void big_file(void)
{
	char want[32];
	long n, total = 0;
	int fd = open("size-67108864", O_WRONLY | O_CREAT | O_EXCL, 0644);

	for (long off = 0; off < BIG_SIZE; off += CHUNK) {
		pattern(t.chunk, (uint64_t)off, CHUNK, 'g');
		n = write(fd, t.chunk, CHUNK);
		if (n != CHUNK) {
			total = n < 0 ? -1 : total + n;
			break;
		}
		total += n;
	}
	snprintf(want, sizeof(want), "%d", BIG_SIZE);
	expect_ret("write size-67108864 (64 MiB, 1 MiB a write)", want, total);
	expect_ret("  fsync", "0", fsync(fd));
	expect_ret("  close", "0", close(fd));
	expect("read back size-67108864", verified('g', BIG_SIZE), "%s",
	       verify("size-67108864", 'g', BIG_SIZE));
}

static void test_sizes(void)
{
	size_t m = (size_t)t.msize;

	sized_file("0 B", 0, 'a');
	sized_file("1 B", 1, 'b');
	sized_file("4 KiB", 4096, 'c');
	sized_file("msize-1", m - 1, 'd');
	sized_file("msize", m, 'e');
	sized_file("msize+1", m + 1, 'f');
	if (!t.quick)
		big_file();
}

/* ---- a big directory ---- */

struct dent64 {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * names[0..n) sorted against f0000 ... f(want-1): "N files, names as
 * expected", or the first name that is not.
 */
static void expect_names(const char *what, char **names, int n, int want, const char *types)
{
	char w[512], name[16];
	int bad = -1;

	qsort(names, (size_t)n, sizeof(names[0]), cmp_names);
	for (int i = 0; i < n && i < want && bad < 0; i++) {
		snprintf(name, sizeof(name), "f%04d", i);
		if (strcmp(names[i], name) != 0)
			bad = i;
	}
	snprintf(w, sizeof(w), "%d files, names as expected, . and .. listed, 0 types wrong", want);
	if (bad >= 0)
		expect(what, w, "%d files, entry %d is '%s'%s", n, bad, names[bad], types);
	else
		expect(what, w, "%d files, names %s%s", n, n == want ? "as expected" : "cut short",
		       types);
}

/*
 * One entry of the big directory: counts . and .. and the types that are
 * wrong. DT_UNKNOWN is never wrong: Linux may give it (QEMU does, with
 * security_model=mapped-xattr, whose types live in extended attributes).
 */
static void count_type(const char *name, unsigned char type, int *dots, int *wrong)
{
	int dot = !strcmp(name, ".") || !strcmp(name, "..");

	*dots += dot;
	*wrong += type != DT_UNKNOWN && type != (dot ? DT_DIR : DT_REG);
}

static const char *types_line(int dots, int wrong)
{
	static char b[64];

	snprintf(b, sizeof(b), ", . and .. %s, %d types wrong", dots == 2 ? "listed" : "NOT LISTED",
		 wrong);
	return b;
}

/* The directory through raw getdents64 with a small buffer. */
static void list_getdents(int want)
{
	char buf[DENTS_BUF];
	char **names = calloc((size_t)want + 16, sizeof(char *));
	int fd = open("many", O_RDONLY | O_DIRECTORY), n = 0, wrong = 0, dots = 0, calls = 0;
	long got;

	while ((got = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		calls++;
		for (long off = 0; off < got;) {
			struct dent64 *d = (struct dent64 *)(buf + off);

			count_type(d->name, d->type, &dots, &wrong);
			if (strcmp(d->name, ".") && strcmp(d->name, "..") && n < want + 16)
				names[n++] = strdup(d->name);
			off += d->reclen;
		}
	}
	if (got < 0)
		expect_ret("getdents64 many", "0", got);
	else
		expect_names("getdents64 many (1 KiB buffer)", names, n, want,
			     types_line(dots, wrong));
	printf("getdents64 many: %s calls\n", calls > 1 ? "several" : "ONE");
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	close(fd);
}

/* The same through musl's readdir(). */
static void list_readdir(int want)
{
	char **names = calloc((size_t)want + 16, sizeof(char *));
	DIR *dir = opendir("many");
	struct dirent *d;
	int n = 0, wrong = 0, dots = 0;

	while (dir && (d = readdir(dir))) {
		count_type(d->d_name, d->d_type, &dots, &wrong);
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, "..") && n < want + 16)
			names[n++] = strdup(d->d_name);
	}
	expect_names("readdir many", names, n, want, types_line(dots, wrong));
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (dir)
		closedir(dir);
}

static void test_dir(void)
{
	int want = t.quick ? DIR_FILES_QUICK : DIR_FILES, made = 0;
	char name[32];

	expect_ret("mkdir many", "0", mkdir("many", 0755));
	for (int i = 0; i < want; i++) {
		snprintf(name, sizeof(name), "many/f%04d", i);
		int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);

		made += fd >= 0 && write(fd, name, strlen(name)) == (ssize_t)strlen(name);
		if (fd >= 0)
			close(fd);
	}
	expect("create many/f*", want == DIR_FILES ? "1000" : "100", "%d", made);
	list_getdents(want);
	list_readdir(want);
}

/* ---- names, renames, unlinks ---- */

static const char *const odd_names[] = {
	"with space",		"  two leading and two trailing  ", "ünïcödé",
	"日本語のファイル.txt", "emoji \xf0\x9f\x99\x82",	    "a'quote\"and\\backslash",
};
#define ODD_NAMES (sizeof(odd_names) / sizeof(odd_names[0]))

static void test_names(void)
{
	char path[256], what[320], buf[256];
	DIR *dir;
	struct dirent *d;
	char *seen[ODD_NAMES + 8];
	size_t n = 0;

	expect_ret("mkdir names", "0", mkdir("names", 0755));
	for (size_t i = 0; i < ODD_NAMES; i++) {
		snprintf(path, sizeof(path), "names/%s", odd_names[i]);
		snprintf(what, sizeof(what), "create '%s'", odd_names[i]);
		expect_ret(what, "0", make_file(path, 100, 'n'));
		snprintf(what, sizeof(what), "read '%s'", odd_names[i]);
		expect(what, verified('n', 100), "%s", verify(path, 'n', 100));
	}
	dir = opendir("names");
	while (dir && (d = readdir(dir)))
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, "..") && n < ODD_NAMES + 8)
			seen[n++] = strdup(d->d_name);
	if (dir)
		closedir(dir);
	qsort(seen, n, sizeof(seen[0]), cmp_names);
	expect("readdir names", "6 entries", "%zu entries", n);
	for (size_t i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "readdir names [%zu]", i);
		printf("%s: '%s'\n", buf, seen[i]);
		free(seen[i]);
	}
}

static void test_rename_unlink(void)
{
	struct stat st;

	expect_ret("create before-rename", "0", make_file("before-rename", 1000, 'r'));
	expect_ret("rename before-rename renamed", "0", rename("before-rename", "renamed"));
	expect_ret("stat before-rename", "-1 ENOENT", stat("before-rename", &st));
	expect("read renamed", verified('r', 1000), "%s", verify("renamed", 'r', 1000));
	expect_ret("create victim", "0", make_file("victim", 10, 'v'));
	expect_ret("create replacer", "0", make_file("replacer", 2000, 'w'));
	expect_ret("rename replacer over victim", "0", rename("replacer", "victim"));
	expect("read victim", verified('w', 2000), "%s", verify("victim", 'w', 2000));
	expect_ret("mkdir dir-before", "0", mkdir("dir-before", 0755));
	expect_ret("create dir-before/inside", "0", make_file("dir-before/inside", 10, 'i'));
	expect_ret("rename dir-before dir-after", "0", rename("dir-before", "dir-after"));
	expect("read dir-after/inside", verified('i', 10), "%s",
	       verify("dir-after/inside", 'i', 10));
	expect_ret("rename missing x", "-1 ENOENT", rename("missing", "x"));
	expect_ret("create unlinked", "0", make_file("unlinked", 10, 'u'));
	expect_ret("unlink unlinked", "0", unlink("unlinked"));
	expect_ret("stat unlinked", "-1 ENOENT", stat("unlinked", &st));
	expect_ret("unlink unlinked again", "-1 ENOENT", unlink("unlinked"));
}

/* ---- errors ---- */

static void test_errors(void)
{
	struct stat st;
	char buf[16];
	int fd;

	make_file("plain", 100, 'e');
	mkdir("full-dir", 0755);
	make_file("full-dir/x", 1, 'x');
	fd = open("plain", O_RDWR);

	expect_ret("open missing", "-1 ENOENT", open("missing", O_RDONLY));
	expect_ret("stat missing/x", "-1 ENOENT", stat("missing/x", &st));
	expect_ret("open missing O_CREAT in missing dir", "-1 ENOENT",
		   open("missing/x", O_WRONLY | O_CREAT, 0644));
	expect_ret("rmdir missing", "-1 ENOENT", rmdir("missing"));
	expect_ret("open plain O_CREAT|O_EXCL", "-1 EEXIST",
		   open("plain", O_WRONLY | O_CREAT | O_EXCL, 0644));
	expect_ret("mkdir full-dir", "-1 EEXIST", mkdir("full-dir", 0755));
	expect_ret("mkdir plain", "-1 EEXIST", mkdir("plain", 0755));
	expect_ret("open plain/x", "-1 ENOTDIR", open("plain/x", O_RDONLY));
	expect_ret("open plain O_DIRECTORY", "-1 ENOTDIR", open("plain", O_RDONLY | O_DIRECTORY));
	expect_ret("rmdir plain", "-1 ENOTDIR", rmdir("plain"));
	expect_ret("chdir plain", "-1 ENOTDIR", chdir("plain"));
	expect_ret("open full-dir O_WRONLY", "-1 EISDIR", open("full-dir", O_WRONLY));
	expect_ret("open full-dir O_RDWR", "-1 EISDIR", open("full-dir", O_RDWR));
	expect_ret("unlink full-dir", "-1 EISDIR", unlink("full-dir"));
	int dfd = open("full-dir", O_RDONLY | O_DIRECTORY);
	expect_ret("read full-dir", "-1 EISDIR", read(dfd, buf, sizeof(buf)));
	close(dfd);
	expect_ret("rmdir full-dir", "-1 ENOTEMPTY", rmdir("full-dir"));
	expect_ret("read -1", "-1 EBADF", read(-1, buf, sizeof(buf)));
	expect_ret("write 999", "-1 EBADF", write(999, buf, sizeof(buf)));
	expect_ret("fstat 999", "-1 EBADF", fstat(999, &st));
	int closed = dup(fd);
	close(closed);
	expect_ret("close a closed fd", "-1 EBADF", close(closed));
	expect_ret("lseek a closed fd", "-1 EBADF", lseek(closed, 0, SEEK_SET));
	int ro = open("plain", O_RDONLY);
	expect_ret("write to an O_RDONLY fd", "-1 EBADF", write(ro, "x", 1));
	close(ro);
	/* Through syscall(): musl's stat() would copy to the bad pointer itself. */
	expect_ret("read into (void *)1", "-1 EFAULT", syscall(SYS_read, fd, BAD_PTR, 16L));
	expect_ret("write from (void *)1", "-1 EFAULT", syscall(SYS_write, fd, BAD_PTR, 16L));
	expect_ret("stat into (void *)1", "-1 EFAULT", syscall(SYS_stat, "plain", BAD_PTR));
	expect_ret("fstat into (void *)1", "-1 EFAULT", syscall(SYS_fstat, fd, BAD_PTR));
	expect_ret("open (char *)1", "-1 EFAULT", syscall(SYS_open, BAD_PTR, O_RDONLY));
	expect_ret("pread into (void *)1", "-1 EFAULT", syscall(SYS_pread64, fd, BAD_PTR, 16L, 0L));
	close(fd);
}

/* ---- threads ---- */

static void *writer(void *arg)
{
	long k = (long)arg;
	char name[16], buf[THREAD_WRITE];
	int fd;
	long ok = 1;

	snprintf(name, sizeof(name), "thread-%ld", k);
	fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
	for (uint64_t off = 0; off < THREAD_FILE && ok; off += THREAD_WRITE) {
		pattern(buf, off, THREAD_WRITE, (char)('p' + k));
		ok = write(fd, buf, THREAD_WRITE) == THREAD_WRITE;
	}
	ok = close(fd) == 0 && ok;
	return (void *)ok;
}

static void test_threads(void)
{
	pthread_t th[THREADS];
	char what[64], name[16];
	int made[THREADS];
	void *ok;

	for (long k = 0; k < THREADS; k++)
		made[k] = pthread_create(&th[k], NULL, writer, (void *)k) == 0;
	for (long k = 0; k < THREADS; k++) {
		ok = NULL;
		if (made[k])
			pthread_join(th[k], &ok);
		snprintf(what, sizeof(what), "thread %ld wrote thread-%ld", k, k);
		expect(what, "1 MiB in 4 KiB writes", "%s",
		       !made[k] ? "pthread_create failed"
		       : ok	? "1 MiB in 4 KiB writes"
				: "a write or the close failed");
	}
	for (long k = 0; k < THREADS; k++) {
		snprintf(what, sizeof(what), "read back thread-%ld", k);
		snprintf(name, sizeof(name), "thread-%ld", k);
		expect(what, verified((char)('p' + k), THREAD_FILE), "%s",
		       verify(name, (char)('p' + k), THREAD_FILE));
	}
}

/* ---- musl's stdio ---- */

static void test_stdio(void)
{
	char line[64] = "";
	FILE *f = fopen("stdio.txt", "w");

	expect("fopen stdio.txt w", "ok", "%s", f ? "ok" : ret(-1));
	if (!f)
		return;
	expect("fprintf", "11", "%d", fprintf(f, "line %d\n%s\n", 1, "two"));
	expect_ret("fclose", "0", fclose(f));
	f = fopen("stdio.txt", "a");
	fputs("three\n", f);
	fclose(f);
	f = fopen("stdio.txt", "r");
	expect("fopen stdio.txt r", "ok", "%s", f ? "ok" : ret(-1));
	if (!f)
		return;
	for (int i = 1; i <= 3; i++) {
		char what[32];
		const char *want[] = { "", "line 1", "two", "three" };

		snprintf(what, sizeof(what), "fgets %d", i);
		if (!fgets(line, sizeof(line), f))
			strcpy(line, "(EOF)\n");
		line[strcspn(line, "\n")] = 0;
		expect(what, want[i], "%s", line);
	}
	char *more = fgets(line, sizeof(line), f);
	expect("fgets at the end", "NULL, feof", "%s, %s", more ? "line" : "NULL",
	       feof(f) ? "feof" : "not feof");
	expect("ftell", "17", "%ld", ftell(f));
	fclose(f);
}

/* ---- stat, truncate, seek, append, positioned I/O ---- */

static const char *type(mode_t m)
{
	return S_ISREG(m) ? "reg" : S_ISDIR(m) ? "dir" : S_ISLNK(m) ? "lnk" : "other";
}

/* "size N, type T, nlink N" or the error. */
static const char *stat_line(int r, const struct stat *st)
{
	static char b[96];

	if (r)
		return ret(-1);
	snprintf(b, sizeof(b), "size %lld, type %s, nlink %lu", (long long)st->st_size,
		 type(st->st_mode), (unsigned long)st->st_nlink);
	return b;
}

static void test_stat(void)
{
	struct stat st;
	int fd;

	make_file("stat-me", 12345, 's');
	mkdir("stat-dir", 0755);
	expect("stat stat-me", "size 12345, type reg, nlink 1", "%s",
	       stat_line(stat("stat-me", &st), &st));
	expect("lstat stat-me", "size 12345, type reg, nlink 1", "%s",
	       stat_line(lstat("stat-me", &st), &st));
	fd = open("stat-me", O_RDONLY);
	expect("fstat stat-me", "size 12345, type reg, nlink 1", "%s",
	       stat_line(fstat(fd, &st), &st));
	close(fd);
	expect("stat stat-dir type", "dir", "%s",
	       stat("stat-dir", &st) ? ret(-1) : type(st.st_mode));
	expect("fstatat stat-me", "size 12345, type reg, nlink 1", "%s",
	       stat_line(fstatat(AT_FDCWD, "stat-me", &st, 0), &st));
}

/* Bytes [from, to) of fd are all zero: "zeros" or where they are not. */
static const char *zeros(int fd, off_t from, off_t to)
{
	static char b[64];
	char buf[4096];

	for (off_t off = from; off < to;) {
		size_t n = to - off < (off_t)sizeof(buf) ? (size_t)(to - off) : sizeof(buf);
		ssize_t got = pread(fd, buf, n, off);

		if (got <= 0) {
			snprintf(b, sizeof(b), "pread at %lld: %s", (long long)off, ret(got));
			return b;
		}
		for (ssize_t i = 0; i < got; i++)
			if (buf[i]) {
				snprintf(b, sizeof(b), "byte %lld is %d", (long long)(off + i),
					 buf[i]);
				return b;
			}
		off += got;
	}
	return "zeros";
}

static void test_truncate_seek(void)
{
	struct stat st;
	char buf[32];
	int fd;

	make_file("trunc", 100, 't');
	fd = open("trunc", O_RDWR);
	expect_ret("ftruncate trunc 10000", "0", ftruncate(fd, 10000));
	expect("  fstat size", "10000", "%s", fstat(fd, &st) ? ret(-1) : ret((long)st.st_size));
	expect("  bytes 100-9999", "zeros", "%s", zeros(fd, 100, 10000));
	expect_ret("ftruncate trunc 10", "0", ftruncate(fd, 10));
	expect("  stat size", "10", "%s", stat("trunc", &st) ? ret(-1) : ret((long)st.st_size));
	expect_ret("  read at 0", "10", pread(fd, buf, sizeof(buf), 0));
	expect_ret("ftruncate -1", "-1 EINVAL", ftruncate(fd, -1));
	expect_ret("lseek SEEK_END", "10", lseek(fd, 0, SEEK_END));
	expect_ret("lseek SEEK_CUR -4", "6", lseek(fd, -4, SEEK_CUR));
	expect_ret("lseek SEEK_SET 3", "3", lseek(fd, 3, SEEK_SET));
	expect_ret("lseek to -1", "-1 EINVAL", lseek(fd, -1, SEEK_SET));
	expect_ret("lseek whence 99", "-1 EINVAL", lseek(fd, 0, 99));
	expect_ret("lseek 8192 past the end", "8202", lseek(fd, 8192, SEEK_END));
	expect_ret("  write 1 byte", "1", write(fd, "x", 1));
	expect("  fstat size", "8203", "%s", fstat(fd, &st) ? ret(-1) : ret((long)st.st_size));
	expect("  the hole", "zeros", "%s", zeros(fd, 10, 8202));
	expect_ret("  pread the byte", "1", pread(fd, buf, 1, 8202));
	expect("  it is", "x", "%c", buf[0]);
	expect_ret("  read at the end", "0", read(fd, buf, sizeof(buf)));
	close(fd);

	fd = open("trunc", O_WRONLY | O_TRUNC);
	expect("open O_TRUNC", "0", "%s", fstat(fd, &st) ? ret(-1) : ret((long)st.st_size));
	close(fd);
}

static void test_append_pio(void)
{
	char buf[32] = "";
	struct stat st;
	int fd;

	make_file("append", 100, 'o');
	fd = open("append", O_WRONLY | O_APPEND);
	lseek(fd, 0, SEEK_SET);
	expect_ret("O_APPEND write after lseek 0", "5", write(fd, "tail\n", 5));
	expect_ret("  offset", "105", lseek(fd, 0, SEEK_CUR));
	close(fd);
	expect("  size", "105", "%s", stat("append", &st) ? ret(-1) : ret((long)st.st_size));
	fd = open("append", O_RDONLY);
	expect_ret("  pread the tail", "5", pread(fd, buf, 5, 100));
	expect("  it is", "tail", "%.4s", buf);
	expect_ret("  the start is untouched", "16", pread(fd, buf, 16, 0));
	expect("  it is", "o00000000000000", "%.15s", buf);
	close(fd);

	fd = open("pio", O_RDWR | O_CREAT | O_EXCL, 0644);
	expect_ret("pwrite at 100", "5", pwrite(fd, "hello", 5, 100));
	expect_ret("  offset unchanged", "0", lseek(fd, 0, SEEK_CUR));
	expect_ret("  pread at 100", "5", pread(fd, buf, 5, 100));
	expect("  it is", "hello", "%.5s", buf);
	expect("  bytes 0-99", "zeros", "%s", zeros(fd, 0, 100));
	expect_ret("pread at -1", "-1 EINVAL", pread(fd, buf, 1, -1));
	struct iovec iov[2] = { { "ab", 2 }, { "cde", 3 } };
	expect_ret("writev 2+3", "5", writev(fd, iov, 2));
	char r1[2], r2[3];
	struct iovec rv[2] = { { r1, 2 }, { r2, 3 } };
	lseek(fd, 0, SEEK_SET);
	expect_ret("readv 2+3", "5", readv(fd, rv, 2));
	expect("  got", "abcde", "%.2s%.3s", r1, r2);
	close(fd);
}

/* ---- links ---- */

static void test_links(void)
{
	char buf[64];
	struct stat st;
	int fd;

	make_file("target", 300, 'l');
	expect_ret("symlink target link", "0", symlink("target", "link"));
	long n = readlink("link", buf, sizeof(buf));
	expect("readlink link", "target", "%.*s", n > 0 ? (int)n : 0, n > 0 ? buf : "");
	expect("lstat link", "size 6, type lnk, nlink 1", "%s", stat_line(lstat("link", &st), &st));
	expect("stat link", "size 300, type reg, nlink 1", "%s", stat_line(stat("link", &st), &st));
	expect("read through link", verified('l', 300), "%s", verify("link", 'l', 300));
	expect_ret("open link O_NOFOLLOW", "-1 ELOOP", open("link", O_RDONLY | O_NOFOLLOW));
	expect_ret("readlink target (not a link)", "-1 EINVAL",
		   readlink("target", buf, sizeof(buf)));
	expect_ret("symlink over link", "-1 EEXIST", symlink("x", "link"));
	expect_ret("symlink missing dangling", "0", symlink("missing", "dangling"));
	expect_ret("stat dangling", "-1 ENOENT", stat("dangling", &st));
	expect("lstat dangling", "size 7, type lnk, nlink 1", "%s",
	       stat_line(lstat("dangling", &st), &st));

	expect_ret("link target hard", "0", link("target", "hard"));
	expect("stat target", "size 300, type reg, nlink 2", "%s",
	       stat_line(stat("target", &st), &st));
	expect("stat hard", "size 300, type reg, nlink 2", "%s", stat_line(stat("hard", &st), &st));
	fd = open("hard", O_WRONLY | O_APPEND);
	write(fd, "more", 4);
	close(fd);
	expect("stat target after appending to hard", "size 304, type reg, nlink 2", "%s",
	       stat_line(stat("target", &st), &st));
	expect_ret("unlink hard", "0", unlink("hard"));
	expect("stat target", "size 304, type reg, nlink 1", "%s",
	       stat_line(stat("target", &st), &st));
	expect_ret("link missing x", "-1 ENOENT", link("missing", "x"));
}

/* ---- directories and the working directory ---- */

static void test_dirs(void)
{
	struct stat st;
	char cwd[4096], want[4200];
	int here;

	expect_ret("mkdir sub", "0", mkdir("sub", 0755));
	expect("stat sub", "dir", "%s", stat("sub", &st) ? ret(-1) : type(st.st_mode));
	expect_ret("mkdir sub/deeper", "0", mkdir("sub/deeper", 0755));
	expect_ret("rmdir sub/deeper", "0", rmdir("sub/deeper"));
	expect_ret("stat sub/deeper", "-1 ENOENT", stat("sub/deeper", &st));

	here = open(".", O_RDONLY | O_DIRECTORY);
	expect_ret("chdir sub", "0", chdir("sub"));
	snprintf(want, sizeof(want), "%s/sub", t.base);
	expect("  getcwd", "WORK/sub", "%s",
	       getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, want) ? "WORK/sub" : cwd);
	expect_ret("  create a file", "0", make_file("in-sub", 5, 'z'));
	expect_ret("chdir ..", "0", chdir(".."));
	expect("  stat sub/in-sub", "size 5, type reg, nlink 1", "%s",
	       stat_line(stat("sub/in-sub", &st), &st));
	chdir("sub");
	expect_ret("fchdir back", "0", fchdir(here));
	expect("  getcwd", "WORK", "%s",
	       getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, t.base) ? "WORK" : cwd);
	close(here);
	expect_ret("getcwd size 1", "-1 ERANGE", getcwd(cwd, 1) ? 0 : -1);
}

/* ---- fds: dup2, fcntl, fsync, statfs, times, access ---- */

static const char *flag_names(long fl)
{
	static char b[64];

	if (fl < 0)
		return ret(fl);
	snprintf(b, sizeof(b), "%s%s%s",
		 (fl & O_ACCMODE) == O_RDWR	? "O_RDWR"
		 : (fl & O_ACCMODE) == O_WRONLY ? "O_WRONLY"
						: "O_RDONLY",
		 fl & O_APPEND ? "|O_APPEND" : "", fl & O_NONBLOCK ? "|O_NONBLOCK" : "");
	return b;
}

static void test_fds(void)
{
	struct statfs sf;
	struct stat st;
	int fd = open("fds", O_RDWR | O_CREAT | O_EXCL, 0644);

	expect_ret("dup2 to 100", "100", dup2(fd, 100));
	expect_ret("  write through 100", "2", write(100, "ab", 2));
	expect_ret("  the offset is shared", "2", lseek(fd, 0, SEEK_CUR));
	expect_ret("  close 100", "0", close(100));
	expect("dup2 to itself", "the same fd", "%s", dup2(fd, fd) == fd ? "the same fd" : ret(-1));
	expect("fcntl F_GETFL", "O_RDWR", "%s", flag_names(fcntl(fd, F_GETFL)));
	expect_ret("fcntl F_SETFL O_APPEND|O_NONBLOCK", "0",
		   fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK));
	expect("fcntl F_GETFL", "O_RDWR|O_APPEND|O_NONBLOCK", "%s", flag_names(fcntl(fd, F_GETFL)));
	lseek(fd, 0, SEEK_SET);
	write(fd, "c", 1);
	expect("  O_APPEND now holds", "3", "%s", fstat(fd, &st) ? ret(-1) : ret((long)st.st_size));
	expect_ret("fsync", "0", fsync(fd));
	expect_ret("fdatasync", "0", fdatasync(fd));
	expect_ret("statfs .", "0", statfs(".", &sf));
	expect_ret("fstatfs", "0", fstatfs(fd, &sf));

	close(fd);
}

/* utimensat with given times: stat shows them to the nanosecond. */
static void test_times(void)
{
	struct timespec ts[2] = { { 1000000000, 123456789 }, { 1234567890, 987654321 } };
	struct stat st;

	make_file("times", 1, 'm');
	expect_ret("utimensat times", "0", utimensat(AT_FDCWD, "times", ts, 0));
	if (stat("times", &st)) {
		expect_ret("  stat", "0", -1);
		return;
	}
	expect("  stat", "atime 1000000000.123456789, mtime 1234567890.987654321",
	       "atime %lld.%09ld, mtime %lld.%09ld", (long long)st.st_atim.tv_sec,
	       st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	expect_ret("utimensat missing", "-1 ENOENT", utimensat(AT_FDCWD, "missing", ts, 0));
}

static void test_access(void)
{
	make_file("access", 1, 'k');
	expect_ret("access F_OK", "0", access("access", F_OK));
	expect_ret("access R_OK|W_OK", "0", access("access", R_OK | W_OK));
	expect_ret("access X_OK (mode 0644)", "-1 EACCES", access("access", X_OK));
	expect_ret("access missing", "-1 ENOENT", access("missing", F_OK));
	expect_ret("faccessat", "0", faccessat(AT_FDCWD, "access", R_OK, 0));
}

/* ---- the *at calls, fd flags, locks, chmod, statx ---- */

/* struct statx's fields this test reads, at their offsets in the ABI. */
#define STATX_BUF 256
#define STATX_MODE_OFF 28
#define STATX_SIZE_OFF 40
#define STATX_WANT 0x201 /* STATX_TYPE | STATX_SIZE */

static void test_at_calls(void)
{
	unsigned char sx[STATX_BUF];
	struct stat st;
	uint64_t size = 0;
	uint16_t mode = 0;
	int dir, fd;

	expect_ret("mkdirat at-dir", "0", mkdirat(AT_FDCWD, "at-dir", 0755));
	dir = open("at-dir", O_RDONLY | O_DIRECTORY);
	fd = openat(dir, "file", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	expect("openat O_CLOEXEC, F_GETFD", "FD_CLOEXEC", "%s",
	       fcntl(fd, F_GETFD) == FD_CLOEXEC ? "FD_CLOEXEC" : ret(fcntl(fd, F_GETFD)));
	expect_ret("  F_SETFD 0", "0", fcntl(fd, F_SETFD, 0));
	expect_ret("  F_GETFD", "0", fcntl(fd, F_GETFD));
	expect_ret("F_DUPFD 50", "50", fcntl(fd, F_DUPFD, 50));
	expect_ret("dup3 to 60 O_CLOEXEC", "60", dup3(fd, 60, O_CLOEXEC));
	expect_ret("  F_GETFD 60", "1", fcntl(60, F_GETFD));
	expect_ret("dup3 to itself", "-1 EINVAL", dup3(fd, fd, 0));
	close(50);
	close(60);
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };
	expect_ret("F_SETLK a write lock", "0", fcntl(fd, F_SETLK, &lk));
	write(fd, "12345", 5);
	expect("fstatat at-dir/file", "size 5, type reg, nlink 1", "%s",
	       stat_line(fstatat(dir, "file", &st, 0), &st));
	long r = syscall(SYS_statx, dir, "file", 0, STATX_WANT, sx);
	memcpy(&mode, sx + STATX_MODE_OFF, sizeof(mode));
	memcpy(&size, sx + STATX_SIZE_OFF, sizeof(size));
	expect("statx at-dir/file", "size 5, reg", "%s%s",
	       r ? ret(r) : (size == 5 ? "size 5, " : "WRONG SIZE, "), r ? "" : type(mode));
	expect_ret("fchmod 0600", "0", fchmod(fd, 0600));
	expect("  mode", "600", "%s",
	       fstat(fd, &st)		     ? ret(-1)
	       : (st.st_mode & 0777) == 0600 ? "600"
					     : "not 600");
	expect_ret("fchmodat 0755", "0", fchmodat(dir, "file", 0755, 0));
	expect("  mode", "755", "%s",
	       stat("at-dir/file", &st)	     ? ret(-1)
	       : (st.st_mode & 0777) == 0755 ? "755"
					     : "not 755");
	expect_ret("  access X_OK", "0", access("at-dir/file", X_OK));
	close(fd);
	expect_ret("renameat2 file moved (flags 0)", "0",
		   syscall(SYS_renameat2, dir, "file", dir, "moved", 0));
	expect_ret("mkdirat at-dir/sub", "0", mkdirat(dir, "sub", 0755));
	expect_ret("unlinkat sub (no AT_REMOVEDIR)", "-1 EISDIR", unlinkat(dir, "sub", 0));
	expect_ret("unlinkat sub AT_REMOVEDIR", "0", unlinkat(dir, "sub", AT_REMOVEDIR));
	expect_ret("unlinkat moved", "0", unlinkat(dir, "moved", 0));
	expect_ret("unlinkat moved again", "-1 ENOENT", unlinkat(dir, "moved", 0));
	close(dir);
	expect_ret("unlinkat at-dir AT_REMOVEDIR", "0", unlinkat(AT_FDCWD, "at-dir", AT_REMOVEDIR));
}

/* ---- mmap, sendfile ---- */

/* "same", or where a and b first differ. */
static const char *differs(const char *a, const char *b, size_t n)
{
	static char line[64];

	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i]) {
			snprintf(line, sizeof(line), "differs from byte %zu", i);
			return line;
		}
	return "same";
}

static void test_mmap(void)
{
	const size_t len = 3 * 4096 + 100;
	char *want = malloc(len);
	int fd;
	char *p;

	make_file("mapped", len, 'M');
	pattern(want, 0, len, 'M');
	fd = open("mapped", O_RDONLY);
	p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	expect("mmap MAP_PRIVATE PROT_READ", "ok", "%s", p == MAP_FAILED ? ret(-1) : "ok");
	if (p != MAP_FAILED) {
		expect("  content", "same", "%s", differs(p, want, len));
		expect("  past the end of the file, in its page", "zeros", "%s",
		       p[len] == 0 && p[4 * 4096 - 1] == 0 ? "zeros" : "not zeros");
		munmap(p, len);
	}
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 8192);
	expect("mmap at offset 8192", "same", "%s",
	       p == MAP_FAILED ? ret(-1) : differs(p, want + 8192, 4096));
	if (p != MAP_FAILED)
		munmap(p, 4096);
	close(fd);
	free(want);
}

static void test_sendfile(void)
{
	const size_t len = 300000;
	int in, out;
	off_t off = 1000;
	long total = 0, n;

	make_file("send-src", len, 'S');
	in = open("send-src", O_RDONLY);
	out = open("send-dst", O_WRONLY | O_CREAT | O_EXCL, 0644);
	while ((n = sendfile(out, in, NULL, len - (size_t)total)) > 0)
		total += n;
	expect("sendfile file to file", "300000", "%s", n < 0 ? ret(n) : ret(total));
	close(out);
	expect("  read send-dst", verified('S', len), "%s", verify("send-dst", 'S', len));
	expect_ret("  the source offset moved", "300000", lseek(in, 0, SEEK_CUR));
	out = open("send-part", O_WRONLY | O_CREAT | O_EXCL, 0644);
	expect_ret("sendfile 16 from offset 1000", "16", sendfile(out, in, &off, 16));
	expect("  offset", "1016", "%lld", (long long)off);
	close(out);
	close(in);
	char buf[20] = "";
	in = open("send-part", O_RDONLY);
	read(in, buf, sizeof(buf));
	expect("  send-part (bytes 1000-1006)", "0000062", "%.7s", buf);
	close(in);
}

/* ---- /dev ---- */

static void test_dev(void)
{
	char buf[4096];
	int fd, zero = 1;

	fd = open("/dev/null", O_RDWR);
	expect_ret("/dev/null write 10", "10", write(fd, "0123456789", 10));
	expect_ret("/dev/null read", "0", read(fd, buf, sizeof(buf)));
	close(fd);
	fd = open("/dev/zero", O_RDONLY);
	memset(buf, 1, sizeof(buf));
	expect_ret("/dev/zero read 4096", "4096", read(fd, buf, sizeof(buf)));
	for (size_t i = 0; i < sizeof(buf); i++)
		zero &= buf[i] == 0;
	expect("  all zero", "yes", "%s", zero ? "yes" : "no");
	close(fd);
	fd = open("/dev/urandom", O_RDONLY);
	memset(buf, 0, 16);
	expect_ret("/dev/urandom read 16", "16", read(fd, buf, 16));
	zero = 1;
	for (int i = 0; i < 16; i++)
		zero &= buf[i] == 0;
	expect("  not all zero", "yes", "%s", zero ? "no" : "yes");
	close(fd);
}

static int usage(void)
{
	fprintf(stderr, "usage: fstest [-q] [-m MSIZE] [DIR]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *dir = "/";
	int opt;

	setvbuf(stdout, NULL, _IOLBF, 0);
	t.msize = 524288;
	while ((opt = getopt(argc, argv, "qm:")) != -1) {
		if (opt == 'q')
			t.quick = 1;
		else if (opt == 'm')
			t.msize = strtol(optarg, NULL, 0);
		else
			return usage();
	}
	if (optind < argc)
		dir = argv[optind++];
	if (optind < argc || t.msize < 2)
		return usage();
	if (chdir(dir) || mkdir("fstest", 0755) || chdir("fstest") ||
	    !getcwd(t.base, sizeof(t.base))) {
		printf("fstest: cannot make and enter %s/fstest: %s (it needs a fresh directory)\n",
		       dir, errname(errno));
		return 2;
	}
	printf("fstest: %s, msize %ld\n", t.quick ? "quick" : "full", t.msize);
	test_sizes();
	test_dir();
	test_names();
	test_rename_unlink();
	test_errors();
	test_threads();
	test_stdio();
	test_stat();
	test_truncate_seek();
	test_append_pio();
	test_links();
	test_dirs();
	test_fds();
	test_times();
	test_access();
	test_at_calls();
	test_mmap();
	test_sendfile();
	test_dev();
	printf("fstest: %d checks, %d failed\n", t.checks, t.failures);
	return t.failures ? 1 : 0;
}
