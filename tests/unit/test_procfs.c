/*
 * procfs (lib/vfs/procfs.c) over the VFS core, on the host under the
 * sanitizers, with a fake thread list and fake memory figures: stat's 52
 * fields hold the figures, the task directory lists every application
 * thread once even when there are more than one batch of them and the
 * listing is read a few entries at a time, comm keeps 15 bytes, a thread
 * that is gone reads ESRCH and is not found, and a file read in pieces is
 * one snapshot until it is read from 0 again.
 *
 * The stand-ins are tests/unit/fake_vfs.c's, as test_vfs.c has them
 * (application memory is plain memory, the clock a variable), plus the scheduler's thread functions over an array.
 */
#define CHECK_SUITE "procfs"
#include "tests/unit/check.h"

#include <errno.h>

#include "kernel/page.h"
#include "lib/vfs/fd.h"
#include "lib/vfs/path.h"
#include "lib/vfs/vfs.h"
#include "lib/vfs/vfs_priv.h"
#include "sched/sched.h"
#include "sched/sync.h"
#include "tests/unit/fake_kernel.h"
#include "tests/unit/fake_vfs.h"

#define O_WRONLY 01
#define O_DIRECTORY 0200000
#define SEEK_SET 0
#define SEEK_END 2
#define NTHREADS 40 /* more than procfs lists in one batch */
#define APP_BYTES (1u << 20)

/* The image's text, as linker.ld would place it: three pages and a bit. */
__asm__(".section .rodata\n"
	".globl __app_text_start\n__app_text_start:\n.skip 12388\n"
	".globl __text_end\n__text_end:\n.byte 0\n"
	".previous");

/* ---- the host stand-ins ---- */

void page_stats(struct page_stats *st)
{
	*st = (struct page_stats){
		.total = 64 << 20, .free = 32 << 20, .app = APP_BYTES, .app_peak = 2 * APP_BYTES
	};
}

/* Threads: [0] is a kernel thread (no system-call state), then the application's. */
struct thread {
	uint64_t id;
	char name[THREAD_NAME_MAX];
	void *abi;
	bool exited;
};

static struct thread threads[NTHREADS + 1];
static int nthreads;
static int abi_mark; /* what an application thread's abi slot points at */

static void add_threads(int n)
{
	threads[0] = (struct thread){ .id = 900 };
	strcpy(threads[0].name, "netdev");
	for (int i = 1; i <= n; i++) {
		/* Not in tid order: 100 + 7i mod 41 for the workers. */
		threads[i] = (struct thread){ .id = i == 1 ? 1 : 100 + (uint64_t)(7 * i % 41),
					      .abi = &abi_mark };
		strcpy(threads[i].name, i == 1 ? "main" : "worker");
	}
	nthreads = n + 1;
}

struct thread *sched_find_thread(bool (*pred)(struct thread *t, void *arg), void *arg)
{
	CHECK(!irqs_enabled());
	for (int i = 0; i < nthreads; i++)
		if (!threads[i].exited && pred(&threads[i], arg))
			return &threads[i];
	return NULL;
}

void **thread_abi(struct thread *t)
{
	return &t->abi;
}

const char *thread_name(const struct thread *t)
{
	return t->name;
}

uint64_t thread_id(const struct thread *t)
{
	return t ? t->id : 1; /* thread_self() is NULL here: the main thread */
}

int thread_set_name(struct thread *t, const char *name)
{
	if (strlen(name) >= sizeof(t->name))
		return -ERANGE;
	strcpy(t->name, name);
	return 0;
}

char thread_state_letter(const struct thread *t)
{
	return t->id == 1 ? 'R' : 'S';
}

uint64_t thread_runtime_ns(const struct thread *t)
{
	return t->id * 10000000ull; /* one tick of AT_CLKTCK per unit of the id */
}

uint64_t sched_busy_ns(void)
{
	return 1234 * 10000000ull;
}

/* ---- helpers ---- */

static void boot(int n)
{
	add_threads(n);
	CHECK_EQ(vfs_init(), 0);
}

/* The whole of path into buf (NUL terminated): its length, or a negative errno. */
static long read_file(const char *path, char *buf, size_t size)
{
	long fd = sys_openat(AT_FDCWD, path, 0, 0), n, got = 0;

	if (fd < 0)
		return fd;
	while ((n = sys_read((int)fd, buf + got, size - 1 - (size_t)got)) > 0)
		got += n;
	sys_close((int)fd);
	buf[got] = '\0';
	return n < 0 ? n : got;
}

/* Space-separated words after the comm's ')', with the pid and comm: the field count. */
static int fields(char *s, char **f, int max)
{
	char *close = strrchr(s, ')');
	int n = 2;

	f[0] = s;
	f[1] = strchr(s, '(');
	if (!close || !f[1])
		return -1;
	for (char *p = strtok(close + 1, " \n"); p && n < max; p = strtok(NULL, " \n"))
		f[n++] = p;
	return n;
}

/* ---- the cases ---- */

TEST(stat_has_52_fields_with_the_figures)
{
	char buf[1024], *f[64];

	boot(3);
	CHECK(read_file("/proc/1/stat", buf, sizeof(buf)) > 0);
	CHECK(!strncmp(buf, "1 (main) R 0 1 1 0 -1 ", 22));
	CHECK_EQ(fields(buf, f, 64), 52);
	CHECK_STREQ(f[13], "1234"); /* utime: the process's CPU time in ticks */
	CHECK_STREQ(f[19], "3");    /* num_threads: the application's only */
	CHECK_STREQ(f[22], "1048576");
	CHECK_STREQ(f[23], "256"); /* rss in pages */
	CHECK_STREQ(f[24], "18446744073709551615");
	CHECK_STREQ(f[37], "17");
	CHECK(read_file("/proc/1/task/121/stat", buf, sizeof(buf)) > 0);
	CHECK(!strncmp(buf, "121 (worker) S ", 15));
	CHECK_EQ(fields(buf, f, 64), 52);
	CHECK_STREQ(f[13], "121"); /* a task's utime is its own */
	CHECK(read_file("/proc/self/statm", buf, sizeof(buf)) > 0);
	CHECK_STREQ(buf, "256 256 0 4 0 256 0\n");
}

TEST(status_and_meminfo_lines)
{
	char buf[2048];

	boot(2);
	CHECK(read_file("/proc/self/status", buf, sizeof(buf)) > 0);
	CHECK(!strncmp(buf, "Name:\tmain\nState:\tR (running)\nTgid:\t1\n", 38));
	CHECK_STRSTR(buf, "\nPid:\t1\nPPid:\t0\n");
	CHECK_STRSTR(buf, "\nVmPeak:\t    2048 kB\n");
	CHECK_STRSTR(buf, "\nVmRSS:\t    1024 kB\n");
	CHECK_STRSTR(buf, "\nThreads:\t2\n");
	CHECK(read_file("/proc/meminfo", buf, sizeof(buf)) > 0);
	CHECK(!strncmp(buf,
		       "MemTotal:          65536 kB\nMemFree:           32768 kB\n"
		       "MemAvailable:      32768 kB\n",
		       84));
}

/* Lists /proc/self/task with getdents64 calls of size bytes; counts each tid seen in seen[]. */
static void list_tasks(size_t size, int *seen, int *others)
{
	char buf[4096];
	long fd, n, last = 0;

	fd = sys_openat(AT_FDCWD, "/proc/self/task", O_DIRECTORY, 0);
	CHECK(fd >= 0);
	while ((n = sys_getdents64((int)fd, buf, size)) > 0) {
		for (long off = 0; off < n; off += *(uint16_t *)(buf + off + 16)) {
			const char *name = buf + off + 19;
			long tid = strtol(name, NULL, 10);

			if (name[0] == '.')
				continue;
			CHECK(tid > last); /* ascending */
			last = tid;
			if (tid > 0 && tid < 200)
				seen[tid]++;
			else
				(*others)++;
		}
	}
	CHECK_EQ(n, 0);
	sys_close((int)fd);
}

TEST(tasks_list_every_thread_once)
{
	/* A few entries a call (the listing resumes from cookies), then all in one call. */
	static const size_t sizes[] = { 100, 4096 };

	boot(NTHREADS);
	for (size_t k = 0; k < 2; k++) {
		int seen[200] = { 0 }, others = 0;

		list_tasks(sizes[k], seen, &others);
		CHECK_EQ(others, 0); /* the kernel thread (900) is not the application's */
		for (int i = 1; i <= NTHREADS; i++) {
			uint64_t tid = threads[i].id;

			CHECK_CONTEXT("buffer %zu, thread %lu", sizes[k], (unsigned long)tid);
			CHECK_EQ(seen[tid], 1);
		}
	}
}

TEST(comm_keeps_15_bytes_and_a_gone_thread_is_not_found)
{
	char buf[64];
	long fd;

	boot(3);
	fd = sys_openat(AT_FDCWD, "/proc/1/task/114/comm", O_WRONLY, 0);
	CHECK(fd >= 0);
	CHECK_EQ(sys_write((int)fd, "abcdefghijklmnopqrstuvwxyz", 26), 26);
	CHECK_STREQ(threads[2].name, "abcdefghijklmno");
	CHECK_EQ(sys_pwrite64((int)fd, "x", 1, 0), -ESPIPE);
	threads[2].exited = true;
	CHECK_EQ(sys_write((int)fd, "again", 5), -ESRCH);
	sys_close((int)fd);
	fake_now += 2; /* names in /proc last 1 ns: the next walk looks again */
	CHECK_EQ(read_file("/proc/1/task/114/comm", buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(read_file("/proc/1/task/121/comm", buf, sizeof(buf)), 7);
	CHECK_STREQ(buf, "worker\n");
	CHECK_EQ(read_file("/proc/2/stat", buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(read_file("/proc/1/task/900/comm", buf, sizeof(buf)), -ENOENT);
}

TEST(a_read_in_pieces_is_one_snapshot)
{
	char buf[64] = { 0 };
	long fd;

	boot(1);
	fd = sys_openat(AT_FDCWD, "/proc/self/comm", 0, 0);
	CHECK(fd >= 0);
	CHECK_EQ(sys_read((int)fd, buf, 2), 2);
	strcpy(threads[1].name, "renamed");
	CHECK_EQ(sys_read((int)fd, buf + 2, sizeof(buf) - 3), 3);
	CHECK_STREQ(buf, "main\n");
	CHECK_EQ(sys_lseek((int)fd, 0, SEEK_END), -EINVAL);
	CHECK_EQ(sys_lseek((int)fd, 0, SEEK_SET), 0);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(sys_read((int)fd, buf, sizeof(buf) - 1), 8);
	CHECK_STREQ(buf, "renamed\n");
	sys_close((int)fd);
}

TEST(links_and_what_cannot_be_made)
{
	char buf[64];
	struct abi_stat st;

	boot(1);
	CHECK_EQ(sys_readlink("/proc/self", buf, sizeof(buf)), 1);
	CHECK_EQ(buf[0], '1');
	CHECK_EQ(sys_readlink("/proc/thread-self", buf, sizeof(buf)), 8);
	CHECK(!memcmp(buf, "1/task/1", 8));
	CHECK_EQ(sys_newfstatat(AT_FDCWD, "/proc/self/comm", &st, 0), 0);
	CHECK_EQ(st.st_mode, VFS_IFREG | 0644);
	CHECK_EQ(sys_openat(AT_FDCWD, "/proc/new", 0100 | O_WRONLY, 0644), -ENOENT);
	CHECK_EQ(sys_mkdir("/proc/1/dir", 0755), -ENOENT);
	CHECK_EQ(sys_unlink("/proc/meminfo"), -EPERM);
}
