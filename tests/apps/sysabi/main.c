/*
 * A differential test of the Linux x86_64 system-call ABI. Each case makes
 * one system call, mostly through syscall() so that only the kernel is
 * measured and not the libc wrapped around it, and prints exactly one line:
 *   name(arguments): result
 * where result is the return value, "-1 ENAME" for an error, or a
 * normalised description for values that rightly differ between kernels
 * (pids, times, addresses, sizes, random bytes). The same binary runs on
 * Ceres and natively on Linux; the two outputs must match line by line,
 * except for the lines tests/apps/sysabi/README.md lists.
 *
 * The runner pipes stdout and gives the program a readable stdin; several
 * cases depend on that and say so.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "../errname.h"
#include "../say.h"

/* musl ships no <linux/futex.h> or <asm/prctl.h>: the ABI's own numbers. */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_WAIT_BITSET 9
#define FUTEX_PRIVATE 128
#define FUTEX_CLOCK_REALTIME 256
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

/* The kernel's sigset is one word, not libc's 128 bytes. */
#define KSIGSET_SIZE 8
#define SIGBIT(s) (1UL << ((s)-1))

#define PAGE 4096UL

/*
 * The common shapes of a line. Each reads errno before anything else can
 * change it, so call them directly on the system call's return value.
 */
static void result(const char *what, long ret)
{
	if (ret == -1)
		printf("%s: -1 %s\n", what, errname(errno));
	else
		printf("%s: %ld\n", what, ret);
}

/* Success prints 'ok' (a normalised description), not the value. */
static void outcome(const char *what, long ret, const char *ok)
{
	if (ret == -1)
		printf("%s: -1 %s\n", what, errname(errno));
	else
		printf("%s: %s\n", what, ok);
}

static long gettid_raw(void)
{
	return syscall(SYS_gettid);
}

/* ---- the heap break: first, before anything else can move it ---- */

static void test_brk(void)
{
	long cur = syscall(SYS_brk, 0L);
	long low = syscall(SYS_brk, 1L);
	long grown, back;
	int writable = 0;

	/* No libc call sits between these, so no malloc can move the break. */
	grown = syscall(SYS_brk, cur + 65536);
	if (grown == cur + 65536) {
		memset((char *)cur, 0x5a, 65536);
		writable = ((volatile char *)cur)[65535] == 0x5a;
	}
	back = syscall(SYS_brk, cur);

	say("brk(0)", "%s", cur > 0 ? "> 0" : "<= 0");
	/* Linux never fails brk with an error: it answers the old break. */
	say("brk(1) (below the heap)", "%s", low == cur ? "unchanged" : "moved");
	say("brk(+64 KiB)", "%s",
	    grown != cur + 65536 ? "unchanged"
	    : writable		 ? "moved, writable"
				 : "moved, NOT writable");
	say("brk(back)", "%s", back == cur ? "restored" : "NOT restored");
}

/* ---- file descriptors ---- */

static void test_write(void)
{
	static const char buf[] = "hello\n";
	struct iovec iov[2] = { { (void *)"hel", 3 }, { (void *)"lo\n", 3 } };

	result("write(1, buf, 6)", syscall(SYS_write, 1, buf, 6L));
	result("write(1, buf, 0)", syscall(SYS_write, 1, buf, 0L));
	result("write(-1, ...)", syscall(SYS_write, -1L, buf, 6L));
	result("write(1, NULL, 5)", syscall(SYS_write, 1, NULL, 5L));
	result("writev(1, iov, 2)", syscall(SYS_writev, 1, iov, 2L));
	result("writev(1, iov, 0)", syscall(SYS_writev, 1, iov, 0L));
	result("writev(-1, iov, 2)", syscall(SYS_writev, -1L, iov, 2L));
	result("writev(1, NULL, 1)", syscall(SYS_writev, 1, NULL, 1L));
	result("writev(1, iov, -1)", syscall(SYS_writev, 1, iov, -1L));
	result("writev(1, iov, IOV_MAX + 1)", syscall(SYS_writev, 1, iov, (long)IOV_MAX + 1));
}

/* Reads never wait: only error paths, and zero-length reads. */
static void test_read(void)
{
	char buf[8];
	struct iovec iov = { buf, sizeof(buf) };

	result("read(-1, buf, 8)", syscall(SYS_read, -1L, buf, 8L));
	result("read(9999, buf, 8)", syscall(SYS_read, 9999L, buf, 8L));
	/* fd 1 is the write end of a pipe: open, but not for reading. */
	result("read(1, buf, 8)", syscall(SYS_read, 1, buf, 8L));
	result("read(0, buf, 0)", syscall(SYS_read, 0, buf, 0L));
	result("readv(0, NULL, 1)", syscall(SYS_readv, 0, NULL, 1L));
	result("readv(-1, iov, 1)", syscall(SYS_readv, -1L, &iov, 1L));
	result("readv(0, iov, 0)", syscall(SYS_readv, 0, &iov, 0L));
}

static void test_close_dup(void)
{
	long fd;

	result("close(-1)", syscall(SYS_close, -1L));
	fd = syscall(SYS_dup, 1);
	/* dup takes the lowest free number; 0-2 are taken, others may be. */
	outcome("dup(1)", fd, fd > 2 ? "> 2" : "<= 2");
	result("close(dup'd fd)", syscall(SYS_close, fd));
	result("close(dup'd fd) again", syscall(SYS_close, fd));
	result("dup(-1)", syscall(SYS_dup, -1L));
	result("dup(9999)", syscall(SYS_dup, 9999L));

	result("dup2(1, 1)", syscall(SYS_dup2, 1, 1));
	result("dup2(1, 10)", syscall(SYS_dup2, 1, 10));
	result("fcntl(10, F_GETFD) after dup2", syscall(SYS_fcntl, 10, F_GETFD));
	result("close(10)", syscall(SYS_close, 10));
	result("dup2(-1, 10)", syscall(SYS_dup2, -1L, 10));
	result("dup2(1, -1)", syscall(SYS_dup2, 1, -1L));
	/* Beyond RLIMIT_NOFILE, whatever it is: EBADF, not EMFILE. */
	result("dup2(1, INT_MAX)", syscall(SYS_dup2, 1, (long)INT_MAX));

	/* Unlike dup2, dup3 refuses to copy a descriptor onto itself. */
	result("dup3(1, 1, 0)", syscall(SYS_dup3, 1, 1, 0));
	result("dup3(1, 10, O_CLOEXEC)", syscall(SYS_dup3, 1, 10, (long)O_CLOEXEC));
	result("fcntl(10, F_GETFD) after dup3", syscall(SYS_fcntl, 10, F_GETFD));
	result("close(10)", syscall(SYS_close, 10));
	result("dup3(1, 10, 0x1234)", syscall(SYS_dup3, 1, 10, 0x1234L));
	result("dup3(-1, 10, 0)", syscall(SYS_dup3, -1L, 10, 0));
}

static void test_fcntl(void)
{
	long fd, fl;

	result("fcntl(1, F_GETFD)", syscall(SYS_fcntl, 1, F_GETFD));
	/* Only the access mode: status flags depend on how the runner opened it. */
	fl = syscall(SYS_fcntl, 1, F_GETFL);
	outcome("fcntl(1, F_GETFL) & O_ACCMODE", fl,
		(fl & O_ACCMODE) == O_WRONLY ? "O_WRONLY"
		: (fl & O_ACCMODE) == O_RDWR ? "O_RDWR"
					     : "O_RDONLY");
	result("fcntl(1, 9999)", syscall(SYS_fcntl, 1, 9999));
	result("fcntl(-1, F_GETFD)", syscall(SYS_fcntl, -1L, F_GETFD));

	fd = syscall(SYS_fcntl, 1, F_DUPFD, 10);
	outcome("fcntl(1, F_DUPFD, 10)", fd, fd >= 10 ? ">= 10" : "< 10");
	result("fcntl(fd, F_SETFD, FD_CLOEXEC)", syscall(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC));
	result("fcntl(fd, F_GETFD)", syscall(SYS_fcntl, fd, F_GETFD));
	result("fcntl(fd, F_SETFD, 0)", syscall(SYS_fcntl, fd, F_SETFD, 0));
	result("fcntl(fd, F_GETFD)", syscall(SYS_fcntl, fd, F_GETFD));
	syscall(SYS_close, fd);
	/* The lower bound is checked against RLIMIT_NOFILE as an unsigned. */
	result("fcntl(1, F_DUPFD, -1)", syscall(SYS_fcntl, 1, F_DUPFD, -1L));
}

/* The runner pipes stdout, so fd 1 is a pipe: not seekable, not a tty. */
static void test_seek_ioctl(void)
{
	struct winsize ws;

	result("lseek(1, 0, SEEK_CUR)", syscall(SYS_lseek, 1, 0L, (long)SEEK_CUR));
	result("lseek(-1, 0, SEEK_SET)", syscall(SYS_lseek, -1L, 0L, (long)SEEK_SET));
	/* Linux checks whence before asking the file whether it can seek. */
	result("lseek(1, 0, 99)", syscall(SYS_lseek, 1, 0L, 99L));
	result("ioctl(1, TIOCGWINSZ)", syscall(SYS_ioctl, 1, (long)TIOCGWINSZ, &ws));
	result("ioctl(-1, TIOCGWINSZ)", syscall(SYS_ioctl, -1L, (long)TIOCGWINSZ, &ws));
}

/* ---- memory ---- */

static long mmap_raw(void *addr, unsigned long len, long prot, long flags, long fd, long off)
{
	return syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

static int all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static void test_mmap(void)
{
	const long rw = PROT_READ | PROT_WRITE, anon = MAP_ANONYMOUS | MAP_PRIVATE;
	long p = mmap_raw(NULL, PAGE, rw, anon, -1, 0);

	if (p == -1) {
		result("mmap(4096, RW, ANON|PRIVATE)", p);
	} else {
		unsigned char *m = (unsigned char *)p;
		int zero = all_zero(m, PAGE);

		memset(m, 0xa5, PAGE);
		say("mmap(4096, RW, ANON|PRIVATE)", "%s, %s, %s",
		    p % PAGE ? "NOT page aligned" : "page aligned",
		    zero ? "zero filled" : "NOT zero filled",
		    m[0] == 0xa5 && m[PAGE - 1] == 0xa5 ? "writable" : "NOT writable");
		result("munmap(p, 4096)", syscall(SYS_munmap, p, PAGE));
	}
	result("mmap(len 0)", mmap_raw(NULL, 0, rw, anon, -1, 0));
	result("mmap(0x10001, MAP_FIXED)",
	       mmap_raw((void *)0x10001, PAGE, rw, anon | MAP_FIXED, -1, 0));
	result("mmap(flags ANON only)", mmap_raw(NULL, PAGE, rw, MAP_ANONYMOUS, -1, 0));
	result("mmap(offset 1)", mmap_raw(NULL, PAGE, rw, anon, -1, 1));
	result("mmap(PRIVATE, fd -1, not ANON)",
	       mmap_raw(NULL, PAGE, PROT_READ, MAP_PRIVATE, -1, 0));
	result("mmap(len 1 << 62)", mmap_raw(NULL, 1UL << 62, rw, anon, -1, 0));
}

static void test_munmap_mprotect(void)
{
	const long rw = PROT_READ | PROT_WRITE;
	long p = mmap_raw(NULL, 2 * PAGE, rw, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	volatile char *m = (volatile char *)p;

	if (p == -1) {
		result("mmap(8192) for munmap/mprotect", p);
		return;
	}
	m[0] = 42;
	result("munmap(p + 1, 4096)", syscall(SYS_munmap, p + 1, PAGE));
	result("munmap(p, 0)", syscall(SYS_munmap, p, 0L));
	result("mprotect(p, 4096, NONE)", syscall(SYS_mprotect, p, PAGE, (long)PROT_NONE));
	result("mprotect(p, 4096, RW)", syscall(SYS_mprotect, p, PAGE, rw));
	say("p[0] after mprotect round trip", "%d", m[0]);
	result("mprotect(p + 1, 4096, RW)", syscall(SYS_mprotect, p + 1, PAGE, rw));
	result("mprotect(p, 0, RW)", syscall(SYS_mprotect, p, 0L, rw));
	result("mprotect(p, 4096, 0x100)", syscall(SYS_mprotect, p, PAGE, 0x100L));

	/* Unmapping a hole is fine; changing a hole's protection is not. */
	result("munmap(p + 4096, 4096)", syscall(SYS_munmap, p + PAGE, PAGE));
	result("munmap(p + 4096, 4096) again", syscall(SYS_munmap, p + PAGE, PAGE));
	result("mprotect(unmapped, 4096, RW)", syscall(SYS_mprotect, p + PAGE, PAGE, rw));
	syscall(SYS_munmap, p, PAGE);
}

static void test_madvise_mremap(void)
{
	long p = mmap_raw(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	long q, hole, ret;
	unsigned char *m = (unsigned char *)p;

	if (p == -1) {
		result("mmap(4096) for madvise/mremap", p);
		return;
	}
	memset(m, 7, PAGE);
	/* On private anonymous memory the next touch sees a fresh zero page. */
	ret = syscall(SYS_madvise, p, PAGE, (long)MADV_DONTNEED);
	outcome("madvise(p, 4096, DONTNEED)", ret,
		all_zero(m, PAGE) ? "0, page reads zero after" : "0, page KEPT its data");
	result("madvise(p + 1, 4096, DONTNEED)",
	       syscall(SYS_madvise, p + 1, PAGE, (long)MADV_DONTNEED));
	result("madvise(p, 0, DONTNEED)", syscall(SYS_madvise, p, 0L, (long)MADV_DONTNEED));
	result("madvise(p, 4096, 9999)", syscall(SYS_madvise, p, PAGE, 9999L));

	memset(m, 0x3c, PAGE);
	q = syscall(SYS_mremap, p, PAGE, 4 * PAGE, (long)MREMAP_MAYMOVE);
	if (q == -1) {
		result("mremap(4096 -> 16384, MAYMOVE)", q);
		syscall(SYS_munmap, p, PAGE);
		return;
	}
	m = (unsigned char *)q;
	m[4 * PAGE - 1] = 1;
	say("mremap(4096 -> 16384, MAYMOVE)", "%s, %s, %s",
	    q % PAGE ? "NOT page aligned" : "page aligned",
	    m[0] == 0x3c && m[PAGE - 1] == 0x3c ? "data kept" : "data LOST",
	    all_zero(m + PAGE, 3 * PAGE - 1) ? "new part zero" : "new part NOT zero");
	result("mremap(p + 1, ...)",
	       syscall(SYS_mremap, q + 1, PAGE, 2 * PAGE, (long)MREMAP_MAYMOVE));
	result("mremap(new_len 0)", syscall(SYS_mremap, q, PAGE, 0L, (long)MREMAP_MAYMOVE));
	result("mremap(flags 0x100)", syscall(SYS_mremap, q, PAGE, 2 * PAGE, 0x100L));

	syscall(SYS_munmap, q, 4 * PAGE);
	hole = q;
	result("madvise(unmapped, 4096, DONTNEED)",
	       syscall(SYS_madvise, hole, PAGE, (long)MADV_DONTNEED));
	result("mremap(unmapped, ...)",
	       syscall(SYS_mremap, hole, PAGE, 2 * PAGE, (long)MREMAP_MAYMOVE));
}

/* ---- time ---- */

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static void test_clocks(void)
{
	struct timespec a = { 0, 0 }, b = { 0, 0 }, res = { 0, 0 };
	struct timeval tv = { 0, 0 };
	long ret, t, t2 = 0;

	ret = syscall(SYS_clock_gettime, CLOCK_REALTIME, &a);
	outcome("clock_gettime(REALTIME)", ret,
		a.tv_sec > 1577836800 && a.tv_nsec >= 0 && a.tv_nsec < 1000000000 ? "ok, after 2020"
										  : "implausible");
	ret = syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &a);
	outcome("clock_gettime(MONOTONIC)", ret,
		a.tv_sec >= 0 && a.tv_nsec >= 0 && a.tv_nsec < 1000000000 ? "ok" : "implausible");
	result("clock_gettime(12345)", syscall(SYS_clock_gettime, 12345, &a));
	/* Through libc's wrapper this would crash in the vDSO, not fail. */
	result("clock_gettime(MONOTONIC, NULL)", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, NULL));

	ret = syscall(SYS_clock_getres, CLOCK_MONOTONIC, &res);
	outcome("clock_getres(MONOTONIC)", ret,
		res.tv_sec == 0 && res.tv_nsec > 0 ? "ok, 0 < res < 1 s" : "implausible");
	ret = syscall(SYS_clock_getres, CLOCK_REALTIME, &res);
	outcome("clock_getres(REALTIME)", ret,
		res.tv_sec == 0 && res.tv_nsec > 0 ? "ok, 0 < res < 1 s" : "implausible");
	result("clock_getres(MONOTONIC, NULL)", syscall(SYS_clock_getres, CLOCK_MONOTONIC, NULL));
	result("clock_getres(12345)", syscall(SYS_clock_getres, 12345, &res));

	syscall(SYS_clock_gettime, CLOCK_REALTIME, &a);
	ret = syscall(SYS_gettimeofday, &tv, NULL);
	syscall(SYS_clock_gettime, CLOCK_REALTIME, &b);
	outcome("gettimeofday(&tv, NULL)", ret,
		tv.tv_usec >= 0 && tv.tv_usec < 1000000 && tv.tv_sec >= a.tv_sec &&
				tv.tv_sec <= b.tv_sec
			? "ok, agrees with REALTIME"
			: "disagrees with REALTIME");
	result("gettimeofday(NULL, NULL)", syscall(SYS_gettimeofday, NULL, NULL));

	syscall(SYS_clock_gettime, CLOCK_REALTIME, &a);
	t = syscall(SYS_time, NULL);
	ret = syscall(SYS_time, &t2);
	syscall(SYS_clock_gettime, CLOCK_REALTIME, &b);
	/*
	 * Linux's time() reads the seconds its timer tick last stored, which
	 * lag CLOCK_REALTIME by up to a tick: just after a second turns over,
	 * time() still says the one before.
	 */
	outcome("time(NULL)", t,
		t >= a.tv_sec - 1 && t <= b.tv_sec ? "agrees with REALTIME" : "disagrees");
	outcome("time(&t)", ret, ret == t2 ? "returns what it stores" : "returns != stores");
}

static void test_sleep(void)
{
	struct timespec t0, t1, req = { 0, 1000000 };
	long ret;
	int err;

	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t0);
	ret = syscall(SYS_nanosleep, &req, NULL);
	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t1);
	outcome("nanosleep(1 ms)", ret,
		ts_ns(&t1) - ts_ns(&t0) >= 1000000 ? "0, MONOTONIC advanced >= 1 ms"
						   : "0, MONOTONIC advanced < 1 ms");

	req = (struct timespec){ 0, 0 };
	result("nanosleep(0)", syscall(SYS_nanosleep, &req, NULL));
	req = (struct timespec){ 0, 1000000000 };
	result("nanosleep(tv_nsec 1e9)", syscall(SYS_nanosleep, &req, NULL));
	req = (struct timespec){ 0, -1 };
	result("nanosleep(tv_nsec -1)", syscall(SYS_nanosleep, &req, NULL));
	req = (struct timespec){ -1, 0 };
	result("nanosleep(tv_sec -1)", syscall(SYS_nanosleep, &req, NULL));
	result("nanosleep(NULL)", syscall(SYS_nanosleep, NULL, NULL));

	/* The libc function returns the error number and leaves errno alone. */
	req = (struct timespec){ 0, 1000 };
	errno = 0;
	err = clock_nanosleep(12345, 0, &req, NULL);
	say("clock_nanosleep(12345) libc", "returns %s, errno %s", err ? errname(err) : "0",
	    errno ? errname(errno) : "untouched");
	result("clock_nanosleep(12345) raw", syscall(SYS_clock_nanosleep, 12345, 0, &req, NULL));
	/* An absolute time already past returns at once. */
	req = (struct timespec){ 0, 0 };
	result("clock_nanosleep(MONOTONIC, ABSTIME, 0)",
	       syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &req, NULL));
	req = (struct timespec){ 0, 1000000 };
	result("clock_nanosleep(MONOTONIC, 1 ms)",
	       syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &req, NULL));
}

/* ---- identity ---- */

static void show_id(const char *what, long id)
{
	if (id == -1)
		result(what, id);
	else
		say(what, "%s", id ? "nonzero" : "0");
}

static void test_ids(void)
{
	long pid = syscall(SYS_getpid), tid = gettid_raw(), ppid = syscall(SYS_getppid), old;

	say("getpid()", "%s", pid > 0 ? "> 0" : "<= 0");
	/* Linux numbers a process's first thread with the process's own pid. */
	say("gettid()", "%s, %s getpid() in the main thread", tid > 0 ? "> 0" : "<= 0",
	    tid == pid ? "==" : "!=");
	say("getppid()", "%s", ppid >= 0 ? ">= 0" : "< 0");
	show_id("getuid()", syscall(SYS_getuid));
	show_id("geteuid()", syscall(SYS_geteuid));
	show_id("getgid()", syscall(SYS_getgid));
	show_id("getegid()", syscall(SYS_getegid));

	old = syscall(SYS_umask, 027);
	say("umask(027) then umask(077)", "%04lo", syscall(SYS_umask, 077));
	/* Only the permission bits survive. */
	syscall(SYS_umask, 07777);
	say("umask(07777) then umask(old)", "%04lo", syscall(SYS_umask, old));
}

static void test_uname(void)
{
	struct utsname u;
	long ret = syscall(SYS_uname, &u);

	if (ret == -1) {
		result("uname(&u)", ret);
	} else {
		say("uname(&u)", "%ld", ret);
		say("uname sysname", "%s", u.sysname);
		say("uname machine", "%s", u.machine);
		say("uname release", "%s", u.release[0] ? "non-empty" : "empty");
	}
	result("uname(NULL)", syscall(SYS_uname, NULL));
}

/* ---- limits and accounting ---- */

static void test_rlimit(void)
{
	struct rlimit rl, nofile;
	long ret;

	ret = syscall(SYS_getrlimit, RLIMIT_STACK, &rl);
	outcome("getrlimit(RLIMIT_STACK)", ret,
		rl.rlim_cur <= rl.rlim_max ? "ok, cur <= max" : "cur > max");
	result("getrlimit(9999)", syscall(SYS_getrlimit, 9999, &rl));
	result("getrlimit(RLIMIT_STACK, NULL)", syscall(SYS_getrlimit, RLIMIT_STACK, NULL));

	syscall(SYS_getrlimit, RLIMIT_NOFILE, &nofile);
	ret = syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &rl);
	outcome("prlimit64(0, RLIMIT_NOFILE, NULL, &old)", ret,
		rl.rlim_cur > 0 && rl.rlim_cur <= rl.rlim_max && rl.rlim_cur == nofile.rlim_cur &&
				rl.rlim_max == nofile.rlim_max
			? "ok, 0 < cur <= max, agrees with getrlimit"
			: "implausible");
	result("prlimit64(0, 9999, NULL, &old)", syscall(SYS_prlimit64, 0, 9999, NULL, &rl));
}

static void test_sysinfo_rusage(void)
{
	struct sysinfo si;
	struct rusage ru;
	long ret;

	ret = syscall(SYS_sysinfo, &si);
	outcome("sysinfo(&si)", ret,
		si.totalram > 0 && si.freeram <= si.totalram && si.mem_unit > 0 && si.procs > 0
			? "ok, totalram > 0, freeram <= totalram"
			: "implausible");
	result("sysinfo(NULL)", syscall(SYS_sysinfo, NULL));

	ret = syscall(SYS_getrusage, RUSAGE_SELF, &ru);
	outcome("getrusage(RUSAGE_SELF)", ret,
		ru.ru_utime.tv_usec < 1000000 && ru.ru_stime.tv_usec < 1000000 ? "ok"
									       : "implausible");
	outcome("getrusage(RUSAGE_THREAD)", syscall(SYS_getrusage, RUSAGE_THREAD, &ru), "ok");
	outcome("getrusage(RUSAGE_CHILDREN)", syscall(SYS_getrusage, (long)RUSAGE_CHILDREN, &ru),
		"ok");
	result("getrusage(12345)", syscall(SYS_getrusage, 12345, &ru));
	result("getrusage(RUSAGE_SELF, NULL)", syscall(SYS_getrusage, RUSAGE_SELF, NULL));
}

/* ---- process attributes ---- */

static void test_prctl(void)
{
	char name[32];

	result("prctl(PR_SET_NAME, \"abi-test\")",
	       syscall(SYS_prctl, PR_SET_NAME, "abi-test", 0, 0, 0));
	memset(name, 'x', sizeof(name));
	outcome("prctl(PR_GET_NAME)", syscall(SYS_prctl, PR_GET_NAME, name, 0, 0, 0), name);
	/* The name is 16 bytes with its NUL: longer ones are cut. */
	syscall(SYS_prctl, PR_SET_NAME, "0123456789abcdefghij", 0, 0, 0);
	memset(name, 'x', sizeof(name));
	outcome("prctl(PR_GET_NAME) after a 20-char name",
		syscall(SYS_prctl, PR_GET_NAME, name, 0, 0, 0), name);
	result("prctl(PR_GET_NAME, NULL)", syscall(SYS_prctl, PR_GET_NAME, NULL, 0, 0, 0));
	result("prctl(9999)", syscall(SYS_prctl, 9999, 0, 0, 0, 0));
}

static void test_random(void)
{
	unsigned char buf[16];

	result("getrandom(buf, 16, 0)", syscall(SYS_getrandom, buf, 16L, 0));
	result("getrandom(buf, 16, GRND_NONBLOCK)", syscall(SYS_getrandom, buf, 16L, 1));
	result("getrandom(buf, 0, 0)", syscall(SYS_getrandom, buf, 0L, 0));
	result("getrandom(NULL, 16, 0)", syscall(SYS_getrandom, NULL, 16L, 0));
	result("getrandom(buf, 16, 0x1000)", syscall(SYS_getrandom, buf, 16L, 0x1000));
}

static void test_sched(void)
{
	cpu_set_t set;
	long ret;

	result("sched_yield()", syscall(SYS_sched_yield));
	CPU_ZERO(&set);
	/* The kernel answers the bytes it wrote, libc's wrapper answers 0. */
	ret = syscall(SYS_sched_getaffinity, 0, sizeof(set), &set);
	if (ret == -1 || ret == 0)
		result("sched_getaffinity(0, 128, &set) raw", ret);
	else
		say("sched_getaffinity(0, 128, &set) raw", "%s, CPU 0 %s the set",
		    ret > 0 && ret <= (long)sizeof(set) ? "> 0" : "out of range",
		    CPU_ISSET(0, &set) ? "in" : "NOT in");
	result("sched_getaffinity(0, 128, &set) libc", sched_getaffinity(0, sizeof(set), &set));
	result("sched_getaffinity(0, 0, &set)", syscall(SYS_sched_getaffinity, 0, 0L, &set));
	result("sched_getaffinity(0, 3, &set)", syscall(SYS_sched_getaffinity, 0, 3L, &set));
	result("sched_getaffinity(0, 128, NULL)",
	       syscall(SYS_sched_getaffinity, 0, sizeof(set), NULL));
}

/* ---- signals ---- */

/* The kernel's struct sigaction on x86_64. */
struct ksigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	unsigned long mask;
};

static volatile sig_atomic_t usr1_runs, usr1_code, usr1_pid;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (sig == SIGUSR1 && si->si_signo == SIGUSR1)
		usr1_runs++;
	usr1_code = si->si_code;
	usr1_pid = si->si_pid;
}

static const char *si_code_name(int code)
{
	switch (code) {
	case SI_USER:
		return "SI_USER";
	case SI_TKILL:
		return "SI_TKILL";
	case SI_QUEUE:
		return "SI_QUEUE";
	default:
		return "other";
	}
}

/* What the handler saw since the last call, on one line. */
static void handler_report(const char *what, long ret, int runs_before)
{
	int runs = usr1_runs - runs_before;

	if (ret == -1)
		result(what, ret);
	else if (!runs)
		say(what, "%ld, handler did not run", ret);
	else
		say(what, "%ld, handler ran %d time(s), %s, si_pid %s getpid()", ret, runs,
		    si_code_name(usr1_code), usr1_pid == syscall(SYS_getpid) ? "==" : "!=");
}

static long ksigaction(int sig, const struct ksigaction *act, struct ksigaction *old, long size)
{
	return syscall(SYS_rt_sigaction, sig, act, old, size);
}

static void test_sigaction(void)
{
	struct sigaction sa;
	struct ksigaction k = { SIG_DFL, 0, NULL, 0 }, old;
	long pid = syscall(SYS_getpid), tid = gettid_raw();
	int before;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	/* libc's sigaction supplies the restorer that x86_64 needs. */
	result("sigaction(SIGUSR1, handler)", sigaction(SIGUSR1, &sa, NULL));
	ksigaction(SIGUSR1, NULL, &old, KSIGSET_SIZE);
	say("rt_sigaction(SIGUSR1, NULL, &old)", "%s",
	    (void *)old.handler == (void *)on_usr1 && (old.flags & SA_SIGINFO)
		    ? "handler and SA_SIGINFO read back"
		    : "handler NOT read back");

	before = usr1_runs;
	/* A signal sent to oneself is delivered before kill returns. */
	handler_report("kill(getpid(), SIGUSR1)", syscall(SYS_kill, pid, SIGUSR1), before);
	before = usr1_runs;
	handler_report("tgkill(getpid(), gettid(), SIGUSR1)",
		       syscall(SYS_tgkill, pid, tid, SIGUSR1), before);

	result("rt_sigaction(SIGKILL, &act)", ksigaction(SIGKILL, &k, NULL, KSIGSET_SIZE));
	result("rt_sigaction(SIGSTOP, &act)", ksigaction(SIGSTOP, &k, NULL, KSIGSET_SIZE));
	/* Asking about SIGKILL is allowed; only changing it is not. */
	result("rt_sigaction(SIGKILL, NULL, &old)", ksigaction(SIGKILL, NULL, &old, KSIGSET_SIZE));
	result("rt_sigaction(0, &act)", ksigaction(0, &k, NULL, KSIGSET_SIZE));
	result("rt_sigaction(65, &act)", ksigaction(65, &k, NULL, KSIGSET_SIZE));
	result("rt_sigaction(SIGUSR1, sigsetsize 4)", ksigaction(SIGUSR1, NULL, &old, 4));
	result("rt_sigaction(SIGUSR1, bad act pointer)",
	       ksigaction(SIGUSR1, (const struct ksigaction *)8, NULL, KSIGSET_SIZE));

	/* An ignored signal is discarded; the default action would kill us. */
	k.handler = SIG_IGN;
	result("rt_sigaction(SIGUSR2, SIG_IGN)", ksigaction(SIGUSR2, &k, &old, KSIGSET_SIZE));
	result("kill(getpid(), SIGUSR2) ignored", syscall(SYS_kill, pid, SIGUSR2));
	ksigaction(SIGUSR2, &old, NULL, KSIGSET_SIZE);

	result("kill(getpid(), 0)", syscall(SYS_kill, pid, 0));
	result("kill(getpid(), 9999)", syscall(SYS_kill, pid, 9999));
	result("kill(999999999, 0)", syscall(SYS_kill, 999999999L, 0));
	result("tgkill(getpid(), gettid(), 0)", syscall(SYS_tgkill, pid, tid, 0));
	result("tgkill(0, gettid(), SIGUSR1)", syscall(SYS_tgkill, 0, tid, SIGUSR1));
	result("tgkill(getpid(), gettid(), 9999)", syscall(SYS_tgkill, pid, tid, 9999));
	result("tgkill(getpid(), 999999999, 0)", syscall(SYS_tgkill, pid, 999999999L, 0));
}

static long ksigprocmask(int how, const unsigned long *set, unsigned long *old)
{
	return syscall(SYS_rt_sigprocmask, how, set, old, KSIGSET_SIZE);
}

static void test_sigprocmask(void)
{
	unsigned long usr1 = SIGBIT(SIGUSR1), unstoppable = SIGBIT(SIGKILL) | SIGBIT(SIGSTOP);
	unsigned long old, cur = 0, pending = 0;
	long pid = syscall(SYS_getpid), ret;
	int before;

	result("rt_sigprocmask(SIG_BLOCK, SIGUSR1)", ksigprocmask(SIG_BLOCK, &usr1, &old));
	before = usr1_runs;
	handler_report("kill(getpid(), SIGUSR1) while blocked", syscall(SYS_kill, pid, SIGUSR1),
		       before);
	ret = syscall(SYS_rt_sigpending, &pending, KSIGSET_SIZE);
	outcome("rt_sigpending()", ret, pending & usr1 ? "SIGUSR1 pending" : "SIGUSR1 NOT pending");
	before = usr1_runs;
	/* The pending signal is delivered as the unblocking call returns. */
	handler_report("rt_sigprocmask(SIG_UNBLOCK, SIGUSR1)",
		       ksigprocmask(SIG_UNBLOCK, &usr1, NULL), before);
	pending = ~0UL;
	ret = syscall(SYS_rt_sigpending, &pending, KSIGSET_SIZE);
	outcome("rt_sigpending() after", ret,
		pending & usr1 ? "SIGUSR1 still pending" : "SIGUSR1 not pending");

	/* SIGKILL and SIGSTOP cannot be blocked: the kernel drops them silently. */
	result("rt_sigprocmask(SIG_BLOCK, SIGKILL|SIGSTOP)",
	       ksigprocmask(SIG_BLOCK, &unstoppable, NULL));
	ret = ksigprocmask(SIG_BLOCK, NULL, &cur);
	outcome("rt_sigprocmask(SIG_BLOCK, NULL, &cur)", ret,
		cur & unstoppable ? "SIGKILL or SIGSTOP in the mask"
				  : "neither SIGKILL nor SIGSTOP in the mask");
	result("rt_sigprocmask(99, &set)", ksigprocmask(99, &usr1, NULL));
	result("rt_sigprocmask(SIG_BLOCK, sigsetsize 4)",
	       syscall(SYS_rt_sigprocmask, SIG_BLOCK, &usr1, NULL, 4L));
	result("rt_sigprocmask(SIG_SETMASK, old)", ksigprocmask(SIG_SETMASK, &old, NULL));
}

/* ---- futex ---- */

static int futex_word = 5, futex_word2;

static long futex(void *uaddr, int op, int val, const struct timespec *ts, void *uaddr2, int val3)
{
	return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

static void test_futex(void)
{
	struct timespec ms = { 0, 1000000 }, bad = { 0, 1000000000 }, zero = { 0, 0 };
	char *odd = (char *)&futex_word + 1;

	result("futex(WAKE, 1) no waiters", futex(&futex_word, FUTEX_WAKE, 1, NULL, NULL, 0));
	result("futex(WAKE_PRIVATE, 1) no waiters",
	       futex(&futex_word, FUTEX_WAKE | FUTEX_PRIVATE, 1, NULL, NULL, 0));
	result("futex(WAIT_PRIVATE, 6) value is 5",
	       futex(&futex_word, FUTEX_WAIT | FUTEX_PRIVATE, 6, NULL, NULL, 0));
	result("futex(WAIT, 6) value is 5", futex(&futex_word, FUTEX_WAIT, 6, NULL, NULL, 0));
	result("futex(WAIT_PRIVATE, 5, 1 ms)",
	       futex(&futex_word, FUTEX_WAIT | FUTEX_PRIVATE, 5, &ms, NULL, 0));
	result("futex(WAIT_PRIVATE, 5, tv_nsec 1e9)",
	       futex(&futex_word, FUTEX_WAIT | FUTEX_PRIVATE, 5, &bad, NULL, 0));
	result("futex(NULL, WAIT_PRIVATE)",
	       futex(NULL, FUTEX_WAIT | FUTEX_PRIVATE, 0, &ms, NULL, 0));
	result("futex(unaligned, WAIT_PRIVATE)",
	       futex(odd, FUTEX_WAIT | FUTEX_PRIVATE, 0, &ms, NULL, 0));
	result("futex(op 99)", futex(&futex_word, 99, 0, NULL, NULL, 0));
	/* CLOCK_REALTIME is only for the bitset (absolute) waits. */
	result("futex(WAIT|CLOCK_REALTIME)",
	       futex(&futex_word, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 5, &ms, NULL, 0));
	/* Bitset waits take an absolute time: 0 is long past. */
	result("futex(WAIT_BITSET_PRIVATE, 5, abs 0)",
	       futex(&futex_word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE, 5, &zero, NULL, -1));
	result("futex(WAIT_BITSET_PRIVATE, bitset 0)",
	       futex(&futex_word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE, 5, &zero, NULL, 0));
	result("futex(REQUEUE_PRIVATE) no waiters",
	       futex(&futex_word, FUTEX_REQUEUE | FUTEX_PRIVATE, 1, (void *)1L, &futex_word2, 0));
}

/* ---- thread state ---- */

static void test_arch_prctl(void)
{
	unsigned long fs = 0, gs, self;
	long ret;

	/* Both libcs keep the thread's own address at %fs:0. */
	__asm__ volatile("mov %%fs:0, %0" : "=r"(self));
	ret = syscall(SYS_arch_prctl, ARCH_GET_FS, &fs);
	outcome("arch_prctl(ARCH_GET_FS, &fs)", ret,
		fs && fs == self ? "0, == %fs:0 self pointer" : "0, != %fs:0 self pointer");
	outcome("arch_prctl(ARCH_GET_GS, &gs)", syscall(SYS_arch_prctl, ARCH_GET_GS, &gs), "0");
	result("arch_prctl(ARCH_GET_FS, NULL)", syscall(SYS_arch_prctl, ARCH_GET_FS, NULL));
	result("arch_prctl(0x9999, &fs)", syscall(SYS_arch_prctl, 0x9999, &fs));
}

static long main_pid, main_tid;

static void *thread_main(void *arg)
{
	long tid = gettid_raw();

	if (syscall(SYS_getpid) != main_pid || tid == main_tid || tid <= 0)
		return NULL;
	return arg;
}

static void test_thread(void)
{
	pthread_t t;
	void *ret = NULL;
	int err;

	main_pid = syscall(SYS_getpid);
	main_tid = gettid_raw();
	err = pthread_create(&t, NULL, thread_main, (void *)42L);
	if (err) {
		say("pthread_create", "%s", errname(err));
		return;
	}
	err = pthread_join(t, &ret);
	if (err)
		say("pthread_join", "%s", errname(err));
	else
		say("pthread_create + pthread_join", "returned %ld%s", (long)ret,
		    ret ? ", same pid, own tid" : " (pid or tid wrong)");
}

/* Last: it redirects where the kernel clears our tid when the thread exits. */
static void test_set_tid_address(void)
{
	static int clear_me;
	long ret = syscall(SYS_set_tid_address, &clear_me);

	outcome("set_tid_address(&x)", ret, ret == gettid_raw() ? "== gettid" : "!= gettid");
}

/* ---- processes and files ---- */

static void test_process(void)
{
	char *argv[] = { "/nonexistent", NULL }, *envp[] = { NULL };
	int status = 0;
	long pid;

	result("wait4(-1, WNOHANG) no children", syscall(SYS_wait4, -1L, &status, WNOHANG, NULL));
	/* 0x100 is no wait4 option (0x40000000 would be __WCLONE, a valid one). */
	result("wait4(-1, options 0x100)", syscall(SYS_wait4, -1L, &status, 0x100L, NULL));

	fflush(stdout);
	pid = syscall(SYS_fork);
	if (pid == 0)
		_exit(0);
	if (pid == -1) {
		result("fork()", pid);
	} else {
		long reaped = syscall(SYS_wait4, pid, &status, 0, NULL);

		say("fork()", reaped == pid && WIFEXITED(status) && !WEXITSTATUS(status)
				      ? "child"
				      : "child not reaped cleanly");
	}
	result("execve(\"/nonexistent\")", syscall(SYS_execve, "/nonexistent", argv, envp));
	result("execve(NULL)", syscall(SYS_execve, NULL, argv, envp));
}

static void test_files(void)
{
	struct stat st;

	result("open(\"/no/such/file\", O_RDONLY)", syscall(SYS_open, "/no/such/file", O_RDONLY));
	result("openat(AT_FDCWD, \"/no/such/file\")",
	       syscall(SYS_openat, (long)AT_FDCWD, "/no/such/file", O_RDONLY));
	result("open(\"\", O_RDONLY)", syscall(SYS_open, "", O_RDONLY));
	result("open(NULL, O_RDONLY)", syscall(SYS_open, NULL, O_RDONLY));
	result("stat(\"/no/such/file\")", syscall(SYS_stat, "/no/such/file", &st));
	result("stat(NULL)", syscall(SYS_stat, NULL, &st));
	result("fstat(-1)", syscall(SYS_fstat, -1L, &st));
	result("access(\"/no/such/file\", F_OK)", syscall(SYS_access, "/no/such/file", F_OK));
	/* The mode is checked before the path is looked up. */
	result("access(\"/no/such/file\", 0x100)", syscall(SYS_access, "/no/such/file", 0x100));
}

/*
 * A scratch directory under /tmp (ramfs in the guest, the host's /tmp
 * natively), named after the pid so that runs never meet; the lines name
 * it DIR. Each case is a raw system call on it or in it.
 */
static char dir[64], file[80], link_[80], sub[80], inner[80];

static void test_file_io(int fd)
{
	char buf[16];

	result("write(DIR/f, 5)", syscall(SYS_write, fd, "hello", 5L));
	result("lseek(DIR/f, 0, SEEK_CUR)", syscall(SYS_lseek, fd, 0L, (long)SEEK_CUR));
	result("lseek(DIR/f, -10, SEEK_END)", syscall(SYS_lseek, fd, -10L, (long)SEEK_END));
	result("lseek(DIR/f, 5, SEEK_DATA)", syscall(SYS_lseek, fd, 5L, (long)SEEK_DATA));
	result("lseek(DIR/f, 1, SEEK_HOLE)", syscall(SYS_lseek, fd, 1L, (long)SEEK_HOLE));
	result("pread64(DIR/f, 16, 1)", syscall(SYS_pread64, fd, buf, sizeof(buf), 1L));
	result("pread64(DIR/f, 16, -1)", syscall(SYS_pread64, fd, buf, sizeof(buf), -1L));
	result("pwrite64(DIR/f, 1, 9)", syscall(SYS_pwrite64, fd, "!", 1L, 9L));
	result("ftruncate(DIR/f, -1)", syscall(SYS_ftruncate, fd, -1L));
	result("ftruncate(DIR/f, 3)", syscall(SYS_ftruncate, fd, 3L));
	result("fstat(DIR/f)", syscall(SYS_fstat, fd, &(struct stat){ 0 }));
	result("fsync(DIR/f)", syscall(SYS_fsync, fd));
	result("fdatasync(DIR/f)", syscall(SYS_fdatasync, fd));
	result("fcntl(DIR/f, F_GETFL) & O_ACCMODE", syscall(SYS_fcntl, fd, F_GETFL) & O_ACCMODE);
	result("getdents64(DIR/f)", syscall(SYS_getdents64, fd, buf, sizeof(buf)));
	result("fchdir(DIR/f)", syscall(SYS_fchdir, fd));
}

static void test_dir_errors(void)
{
	char buf[16];
	long fd;

	result("mkdir(DIR) again", syscall(SYS_mkdir, dir, 0755));
	result("open(DIR, O_WRONLY)", syscall(SYS_open, dir, O_WRONLY));
	result("open(DIR/f, O_DIRECTORY)", syscall(SYS_open, file, O_RDONLY | O_DIRECTORY));
	result("stat(DIR/f/x)", syscall(SYS_stat, sub, &(struct stat){ 0 }));
	result("symlink(loop, DIR/loop)", syscall(SYS_symlink, "loop", link_));
	result("stat(DIR/loop)", syscall(SYS_stat, link_, &(struct stat){ 0 }));
	result("open(DIR/loop, O_NOFOLLOW)", syscall(SYS_open, link_, O_RDONLY | O_NOFOLLOW));
	result("readlink(DIR/loop)", syscall(SYS_readlink, link_, buf, sizeof(buf)));
	result("readlink(DIR/f)", syscall(SYS_readlink, file, buf, sizeof(buf)));
	result("rmdir(DIR) not empty", syscall(SYS_rmdir, dir));
	result("rmdir(DIR/f)", syscall(SYS_rmdir, file));
	result("unlink(DIR)", syscall(SYS_unlink, dir));
	result("rename(DIR, DIR/f/x)", syscall(SYS_rename, dir, sub));
	result("rename(DIR, DIR/d)", syscall(SYS_rename, dir, inner));
	fd = syscall(SYS_open, dir, O_RDONLY | O_DIRECTORY);
	outcome("open(DIR, O_DIRECTORY)", fd, "ok");
	result("getdents64(DIR, 1 byte)", syscall(SYS_getdents64, fd, buf, 1L));
	result("getdents64(DIR, NULL)", syscall(SYS_getdents64, fd, NULL, 4096L));
	result("read(DIR)", syscall(SYS_read, fd, buf, sizeof(buf)));
	syscall(SYS_close, fd);
	result("unlink(DIR/loop)", syscall(SYS_unlink, link_));
	result("unlink(DIR/f)", syscall(SYS_unlink, file));
	result("rmdir(DIR)", syscall(SYS_rmdir, dir));
}

static void test_paths(void)
{
	long fd;

	snprintf(dir, sizeof(dir), "/tmp/sysabi-%ld", (long)getpid());
	snprintf(file, sizeof(file), "%s/f", dir);
	snprintf(link_, sizeof(link_), "%s/loop", dir);
	snprintf(sub, sizeof(sub), "%s/f/x", dir);
	snprintf(inner, sizeof(inner), "%s/d", dir);
	result("mkdir(DIR)", syscall(SYS_mkdir, dir, 0755));
	fd = syscall(SYS_open, file, O_RDWR | O_CREAT | O_EXCL, 0644);
	outcome("open(DIR/f, O_CREAT | O_EXCL)", fd, "ok");
	result("open(DIR/f, O_CREAT | O_EXCL) again",
	       syscall(SYS_open, file, O_RDWR | O_CREAT | O_EXCL, 0644));
	if (fd >= 0) {
		test_file_io((int)fd);
		syscall(SYS_close, fd);
	}
	test_dir_errors();
	/* stdout is a pipe: no position, nothing to sync, no directory. */
	result("fsync(1)", syscall(SYS_fsync, 1));
	result("ftruncate(1, 0)", syscall(SYS_ftruncate, 1, 0L));
	result("getdents64(1)", syscall(SYS_getdents64, 1, dir, 16L));
	result("fchdir(1)", syscall(SYS_fchdir, 1));
	fd = syscall(SYS_open, "/dev/null", O_WRONLY);
	outcome("open(/dev/null)", fd, "ok");
	result("write(/dev/null, 5)", syscall(SYS_write, fd, "hello", 5L));
	syscall(SYS_close, fd);
}

static void test_unknown(void)
{
	result("syscall(9999)", syscall(9999));
	result("syscall(-1)", syscall(-1L));
}

int main(void)
{
	/* Line-buffer the pipe so printf and raw writes interleave in order. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_brk();
	test_write();
	test_read();
	test_close_dup();
	test_fcntl();
	test_seek_ioctl();
	test_mmap();
	test_munmap_mprotect();
	test_madvise_mremap();
	test_clocks();
	test_sleep();
	test_ids();
	test_uname();
	test_rlimit();
	test_sysinfo_rusage();
	test_prctl();
	test_random();
	test_sched();
	test_sigaction();
	test_sigprocmask();
	test_futex();
	test_arch_prctl();
	test_thread();
	test_process();
	test_files();
	test_paths();
	test_unknown();
	test_set_tid_address();
	printf("sysabi: done\n");
	return 0;
}
