/*
 * System calls with garbage arguments (docs/abi.md): a fixed count of
 * calls with random numbers and arguments, drawn from a seeded generator,
 * so a failure replays. Every call must come back, and every failure must
 * be an errno a Linux program can get (1..133): nothing of the kernel's
 * own (ERESTARTSYS is 512) may leak. Skipped: the calls that end the
 * process or a thread, make threads or processes, sleep or wait, move
 * %fs, send signals, or read the console (it would wait for input); and
 * the ones that would write garbage to the console. Arguments are random
 * words, small numbers, -1, NULL, or pointers into a scratch buffer;
 * never pointers into the kernel, which shares the one address space
 * (so a write there is not caught: docs/abi.md says so). Prints "ok - ..."
 * lines and exits with the number of failures; argv[1] is the count,
 * argv[2] the seed. A call that answers ENOSYS is not tried again, so the
 * count goes to the calls that are there. Only for Ceres: natively, the
 * calls soon break musl's own heap (brk, munmap), as they may.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NR_MAX 460
#define ERRNO_MAX 133

static const int skipped[] = {
	SYS_exit,
	SYS_exit_group,
	SYS_rt_sigreturn,
	SYS_clone,
	SYS_clone3,
	SYS_fork,
	SYS_vfork,
	SYS_execve,
	SYS_execveat,
	SYS_pause,
	SYS_rt_sigsuspend,
	SYS_nanosleep,
	SYS_clock_nanosleep,
	SYS_futex,
	SYS_read,
	SYS_readv,
	SYS_pread64,
	SYS_preadv,
	SYS_preadv2,
	SYS_arch_prctl,
	SYS_kill,
	SYS_tkill,
	SYS_tgkill,
	SYS_rt_sigqueueinfo,
	SYS_rt_tgsigqueueinfo,
	SYS_rt_sigaction,
	SYS_write,
	SYS_writev,
	SYS_pwrite64,
	SYS_pwritev,
	SYS_pwritev2,
	SYS_wait4,
	SYS_waitid,
	SYS_select,
	SYS_pselect6,
	SYS_poll,
	SYS_ppoll,
	SYS_epoll_wait,
	SYS_epoll_pwait,
	SYS_sendfile,
	SYS_rt_sigtimedwait,
};

static uint64_t rng;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/*
 * 64 KiB the calls may scribble on, with a PROT_NONE page after it: a
 * random length from a pointer in here stops there, as on Linux.
 */
#define SCRATCH_SIZE 65536
static char *scratch;

static long arg(void)
{
	uint64_t r = next();

	switch (r % 10) {
	case 0 ... 3:
		return (long)next();
	case 4 ... 5:
		return (long)(next() % 65);
	case 6:
		return -1 - (long)(next() % 4);
	case 7:
		return 0;
	default:
		return (long)(scratch + next() % SCRATCH_SIZE);
	}
}

static int is_skipped(long nr)
{
	for (size_t i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++)
		if (skipped[i] == nr)
			return 1;
	return 0;
}

/* The first byte of .data: the kernel's (linker.ld). */
extern char __data_start[];

int main(int argc, char **argv)
{
	long r, calls = argc > 1 ? atol(argv[1]) : 20000, made = 0, errors = 0, bad = 0;
	int seen[ERRNO_MAX + 1] = { 0 }, kinds = 0, failures = 0;
	static char absent[NR_MAX];

	rng = argc > 2 ? strtoull(argv[2], NULL, 0) : 0x9E3779B97F4A7C15ULL;
	setvbuf(stdout, NULL, _IOLBF, 0);
	scratch = mmap(NULL, SCRATCH_SIZE + 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (scratch == MAP_FAILED || mprotect(scratch + SCRATCH_SIZE, 4096, PROT_NONE)) {
		printf("not ok - fuzz: a scratch mapping with a guard page\n");
		return 1;
	}
	printf("# %ld calls, seed %#llx\n", calls, (unsigned long long)rng);
	while (made < calls) {
		long nr = (long)(next() % NR_MAX), a[6];

		if (is_skipped(nr) || absent[nr])
			continue;
		for (int i = 0; i < 6; i++)
			a[i] = arg();
		/* Keep the scratch mapping, and the console this test reports on. */
		if ((nr == SYS_munmap || nr == SYS_mprotect || nr == SYS_mremap ||
		     nr == SYS_madvise || nr == SYS_mmap) &&
		    (unsigned long)a[0] - (unsigned long)scratch < SCRATCH_SIZE + 4096)
			continue;
		if ((nr == SYS_close || nr == SYS_dup2 || nr == SYS_dup3) &&
		    ((unsigned long)a[0] <= 2 || (unsigned long)a[1] <= 2))
			continue;
		if (argc > 3)
			printf("# %ld: %ld(%#lx, %#lx, %#lx, %#lx, %#lx, %#lx)\n", made, nr, a[0],
			       a[1], a[2], a[3], a[4], a[5]);
		errno = 0;
		r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		made++;
		if (r != -1)
			continue;
		errors++;
		if (errno == ENOSYS)
			absent[nr] = 1; /* not there: the rest of the calls go to those that are */
		if (errno < 1 || errno > ERRNO_MAX) {
			if (bad++ < 10)
				printf("# call %ld(%#lx, %#lx, %#lx, %#lx, %#lx, %#lx): errno %d\n",
				       nr, a[0], a[1], a[2], a[3], a[4], a[5], errno);
		} else if (!seen[errno]++) {
			kinds++;
		}
	}
	printf("# %ld failed, with %d different errnos\n", errors, kinds);
	printf("%s - fuzz: every failure of %ld calls is a Linux errno (%ld were not)\n",
	       bad ? "not ok" : "ok", made, bad);
	failures += bad != 0;
	printf("%s - fuzz: the system still answers afterwards\n",
	       syscall(SYS_getppid) == getppid() && getpid() > 0 ? "ok" : "not ok");
	printf("%s - fuzz: the calls failed in many ways (more than 10 errnos)\n",
	       kinds > 10 ? "ok" : "not ok");
	failures += kinds <= 10;
	/*
	 * The kernel's own data (linker.ld puts it first in .data, and the
	 * application's after it) is no buffer for a system call to fill.
	 */
	errno = 0;
	r = syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)__data_start);
	printf("%s - fuzz: a write into the kernel's data is refused (%ld, %s)\n",
	       r == -1 && errno == EFAULT ? "ok" : "not ok", r, strerror(errno));
	failures += !(r == -1 && errno == EFAULT);
	return failures;
}
