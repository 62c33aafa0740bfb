/*
 * The process (lib/abi/process.h). Ceres runs one: pid 1, its own process
 * group and session, no parent (ppid 0) and no children. Credentials start
 * as root and change by Linux's rules, though nothing checks them yet;
 * of the limits, RLIMIT_NOFILE is enforced (the fd table), the others are
 * kept and reported.
 */
#include "lib/abi/process.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "kernel/page.h"
#include "kernel/params.h"
#include "kernel/random.h"
#include "kernel/time.h"
#include "kernel/uaccess.h"
#include "lib/vfs/fd.h"
#include "sched/sched.h"

#define PID 1
#define UTS_LEN 65
#define RLIM_NLIMITS 16
#define RLIMIT_STACK 3
#define RLIMIT_CORE 4
#define RLIMIT_NPROC 6
#define RLIMIT_NOFILE 7
#define RLIMIT_MEMLOCK 8
#define RLIMIT_SIGPENDING 11
#define RLIMIT_MSGQUEUE 12
#define RLIMIT_NICE 13
#define RLIMIT_RTPRIO 14
#define RLIM_INFINITY UINT64_MAX

#define GRND_NONBLOCK 1
#define GRND_RANDOM 2
#define GRND_INSECURE 4

#define RUSAGE_SELF 0
#define RUSAGE_CHILDREN (-1)
#define RUSAGE_THREAD 1
#define CLK_TCK 100

static const char *nodename = "ceres";
PARAM_STRING("uname.nodename", nodename, "the host name uname() and gethostname() report");

struct rlimit {
	uint64_t cur, max;
};

static struct {
	uint32_t ruid, euid, suid, rgid, egid, sgid;
	uint32_t umask;
	char nodename[UTS_LEN];
	struct rlimit limits[RLIM_NLIMITS];
	bool ready;
} proc = { .umask = 022 };

/* Linux's defaults for a root shell, except where Ceres knows better. */
static void init_limits(void)
{
	if (proc.ready)
		return;
	for (int i = 0; i < RLIM_NLIMITS; i++)
		proc.limits[i] = (struct rlimit){ RLIM_INFINITY, RLIM_INFINITY };
	proc.limits[RLIMIT_CORE] = (struct rlimit){ 0, RLIM_INFINITY };
	proc.limits[RLIMIT_NPROC] = (struct rlimit){ 63448, 63448 };
	proc.limits[RLIMIT_NOFILE] = (struct rlimit){ fd_limit(), FD_HARD_LIMIT };
	proc.limits[RLIMIT_MEMLOCK] = (struct rlimit){ 8 << 20, 8 << 20 };
	proc.limits[RLIMIT_SIGPENDING] = (struct rlimit){ 63448, 63448 };
	proc.limits[RLIMIT_MSGQUEUE] = (struct rlimit){ 819200, 819200 };
	proc.limits[RLIMIT_NICE] = (struct rlimit){ 0, 0 };
	proc.limits[RLIMIT_RTPRIO] = (struct rlimit){ 0, 0 };
	if (!proc.limits[RLIMIT_STACK].cur)
		proc.limits[RLIMIT_STACK] = (struct rlimit){ 8 << 20, RLIM_INFINITY };
	strncpy(proc.nodename, nodename, UTS_LEN - 1);
	proc.ready = true;
}

void process_set_stack_size(uint64_t bytes)
{
	init_limits();
	proc.limits[RLIMIT_STACK] = (struct rlimit){ bytes, bytes }; /* it cannot grow */
}

long sys_getpid(void)
{
	return PID;
}

long sys_getppid(void)
{
	return 0; /* started by no process */
}

long sys_getpgrp(void)
{
	return PID;
}

static long only_us(int pid)
{
	if (pid < 0)
		return -EINVAL;
	return pid == 0 || pid == PID ? PID : -ESRCH;
}

long sys_getpgid(int pid)
{
	return only_us(pid);
}

long sys_getsid(int pid)
{
	return only_us(pid);
}

long sys_setsid(void)
{
	return -EPERM; /* it leads its process group already */
}

long sys_setpgid(int pid, int pgid)
{
	long r = only_us(pid);

	if (r < 0)
		return r;
	if (pgid < 0)
		return -EINVAL;
	return -EPERM; /* a session leader cannot move */
}

long sys_getuid(void)
{
	return proc.ruid;
}

long sys_geteuid(void)
{
	return proc.euid;
}

long sys_getgid(void)
{
	return proc.rgid;
}

long sys_getegid(void)
{
	return proc.egid;
}

#define KEEP ((uint32_t)-1)

/*
 * setres[ug]id by Linux's rule: with euid 0 anything goes; otherwise each
 * new id must be one of the current three.
 */
static long set3(uint32_t *cur, uint32_t r, uint32_t e, uint32_t s)
{
	uint32_t want[3] = { r, e, s };

	if (proc.euid != 0) {
		for (int i = 0; i < 3; i++)
			if (want[i] != KEEP && want[i] != cur[0] && want[i] != cur[1] &&
			    want[i] != cur[2])
				return -EPERM;
	}
	for (int i = 0; i < 3; i++)
		if (want[i] != KEEP)
			cur[i] = want[i];
	return 0;
}

static long setres(bool uid, uint32_t r, uint32_t e, uint32_t s)
{
	uint32_t cur[3] = { uid ? proc.ruid : proc.rgid, uid ? proc.euid : proc.egid,
			    uid ? proc.suid : proc.sgid };
	long err = set3(cur, r, e, s);

	if (err)
		return err;
	if (uid)
		proc.ruid = cur[0], proc.euid = cur[1], proc.suid = cur[2];
	else
		proc.rgid = cur[0], proc.egid = cur[1], proc.sgid = cur[2];
	return 0;
}

long sys_setresuid(uint32_t r, uint32_t e, uint32_t s)
{
	return setres(true, r, e, s);
}

long sys_setresgid(uint32_t r, uint32_t e, uint32_t s)
{
	return setres(false, r, e, s);
}

/* setuid: root sets all three; others only the effective one. */
long sys_setuid(uint32_t uid)
{
	if (uid == KEEP)
		return -EINVAL;
	return proc.euid == 0 ? setres(true, uid, uid, uid) : setres(true, KEEP, uid, KEEP);
}

long sys_setgid(uint32_t gid)
{
	if (gid == KEEP)
		return -EINVAL;
	return proc.euid == 0 ? setres(false, gid, gid, gid) : setres(false, KEEP, gid, KEEP);
}

long sys_setreuid(uint32_t r, uint32_t e)
{
	return setres(true, r, e, KEEP);
}

long sys_setregid(uint32_t r, uint32_t e)
{
	return setres(false, r, e, KEEP);
}

static long put3(uint32_t *r, uint32_t *e, uint32_t *s, uint32_t a, uint32_t b, uint32_t c)
{
	if (copy_to_app(r, &a, sizeof(a)) < 0 || copy_to_app(e, &b, sizeof(b)) < 0 ||
	    copy_to_app(s, &c, sizeof(c)) < 0)
		return -EFAULT;
	return 0;
}

long sys_getresuid(uint32_t *r, uint32_t *e, uint32_t *s)
{
	return put3(r, e, s, proc.ruid, proc.euid, proc.suid);
}

long sys_getresgid(uint32_t *r, uint32_t *e, uint32_t *s)
{
	return put3(r, e, s, proc.rgid, proc.egid, proc.sgid);
}

long sys_getgroups(int size, uint32_t *list)
{
	(void)list;
	return size < 0 ? -EINVAL : 0; /* no supplementary groups */
}

long sys_setgroups(size_t size, const uint32_t *list)
{
	(void)list;
	if (size > 65536)
		return -EINVAL;
	return proc.euid == 0 ? 0 : -EPERM; /* there are none to keep, so none are kept */
}

uint32_t process_umask(void)
{
	return proc.umask;
}

long sys_umask(uint32_t mask)
{
	uint32_t old = proc.umask;

	proc.umask = mask & 0777;
	return old;
}

long sys_uname(void *buf)
{
	char u[6][UTS_LEN];

	init_limits();
	memset(u, 0, sizeof(u));
	strcpy(u[0], "Linux"); /* what the programs built for Linux expect to see */
	strcpy(u[1], proc.nodename);
	strcpy(u[2], "6.1.0-ceres");
	strcpy(u[3], "#1 Ceres");
	strcpy(u[4], "x86_64");
	strcpy(u[5], "(none)");
	return copy_to_app(buf, u, sizeof(u));
}

long sys_sethostname(const char *name, size_t len)
{
	char n[UTS_LEN] = { 0 };

	if (len >= UTS_LEN)
		return -EINVAL;
	if (proc.euid != 0)
		return -EPERM;
	if (copy_from_app(n, name, len) < 0)
		return -EFAULT;
	init_limits();
	memcpy(proc.nodename, n, sizeof(n));
	return 0;
}

long sys_getrandom(void *buf, size_t len, unsigned flags)
{
	char chunk[256];
	size_t done = 0;

	if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) ||
	    (flags & (GRND_RANDOM | GRND_INSECURE)) == (GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if (len > INT32_MAX)
		len = INT32_MAX; /* Linux's most per call */
	while (done < len) {
		size_t k = len - done < sizeof(chunk) ? len - done : sizeof(chunk);

		random_fill(chunk, k);
		if (copy_to_app((char *)buf + done, chunk, k) < 0)
			return done ? (long)done : -EFAULT;
		done += k;
	}
	return (long)done;
}

/* Sets the limit to *nl if given, after reading the old one into *ol: 0 or -errno. */
static long rlimit_swap(int resource, const struct rlimit *nl, struct rlimit *ol)
{
	if (resource < 0 || resource >= RLIM_NLIMITS)
		return -EINVAL;
	init_limits();
	*ol = proc.limits[resource];
	if (!nl)
		return 0;
	if (nl->cur > nl->max)
		return -EINVAL;
	if (resource == RLIMIT_NOFILE && nl->max > FD_HARD_LIMIT)
		return -EPERM; /* above the most fds the table can have */
	if (nl->max > ol->max && proc.euid != 0)
		return -EPERM;
	if (resource == RLIMIT_STACK && nl->cur > ol->max)
		return -EPERM; /* the main thread's stack is what it is */
	proc.limits[resource] = *nl;
	if (resource == RLIMIT_NOFILE)
		fd_set_limit(nl->cur);
	return 0;
}

long sys_prlimit64(int pid, int resource, const void *new_rlim, void *old_rlim)
{
	struct rlimit nl, ol;
	long err;

	if (pid < 0)
		return -EINVAL;
	if (pid && pid != PID)
		return -ESRCH;
	if (resource < 0 || resource >= RLIM_NLIMITS)
		return -EINVAL;
	if (new_rlim && copy_from_app(&nl, new_rlim, sizeof(nl)) < 0)
		return -EFAULT;
	err = rlimit_swap(resource, new_rlim ? &nl : NULL, &ol);
	if (err)
		return err;
	if (old_rlim && copy_to_app(old_rlim, &ol, sizeof(ol)) < 0)
		return -EFAULT;
	return 0;
}

/* Unlike prlimit64, these two always copy: a NULL limit is -EFAULT. */
long sys_getrlimit(int resource, void *rlim)
{
	struct rlimit l;
	long err = rlimit_swap(resource, NULL, &l);

	return err ? err : copy_to_app(rlim, &l, sizeof(l));
}

long sys_setrlimit(int resource, const void *rlim)
{
	struct rlimit nl, ol;

	if (resource < 0 || resource >= RLIM_NLIMITS)
		return -EINVAL;
	if (copy_from_app(&nl, rlim, sizeof(nl)) < 0)
		return -EFAULT;
	return rlimit_swap(resource, &nl, &ol);
}

/* struct sysinfo as x86_64 Linux has it. */
struct abi_sysinfo {
	int64_t uptime;
	uint64_t loads[3];
	uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	uint16_t procs, pad;
	uint64_t totalhigh, freehigh;
	uint32_t mem_unit;
	char reserved[4];
};

long sys_sysinfo(void *info)
{
	struct abi_sysinfo si = { 0 };
	struct page_stats ps;
	struct sched_stats ss;

	page_stats(&ps);
	sched_stats(&ss);
	si.uptime = (int64_t)(clock_monotonic_ns() / NSEC_PER_SEC);
	si.totalram = ps.total;
	si.freeram = ps.free;
	si.procs = (uint16_t)(ss.threads - 1); /* idle is no thread of the application's */
	si.mem_unit = 1;
	return copy_to_app(info, &si, sizeof(si));
}

struct abi_rusage {
	int64_t utime_sec, utime_usec, stime_sec, stime_usec;
	int64_t maxrss, ixrss, idrss, isrss, minflt, majflt, nswap, inblock, oublock, msgsnd,
		msgrcv, nsignals, nvcsw, nivcsw;
};

long sys_getrusage(int who, void *usage)
{
	struct abi_rusage ru = { 0 };
	struct page_stats ps;
	uint64_t ns;

	if (who != RUSAGE_SELF && who != RUSAGE_CHILDREN && who != RUSAGE_THREAD)
		return -EINVAL;
	if (who != RUSAGE_CHILDREN) {
		/* All of it is user time: the kernel runs inside the application. */
		ns = who == RUSAGE_SELF ? sched_busy_ns() : thread_runtime_ns(thread_self());
		ru.utime_sec = (int64_t)(ns / NSEC_PER_SEC);
		ru.utime_usec = (int64_t)(ns % NSEC_PER_SEC / NSEC_PER_USEC);
		page_stats(&ps);
		ru.maxrss = (int64_t)((ps.total - ps.free) >> 10); /* all RAM in use, in KiB */
	}
	return copy_to_app(usage, &ru, sizeof(ru));
}

long sys_times(void *buf)
{
	int64_t t[4] = { (int64_t)(sched_busy_ns() / (NSEC_PER_SEC / CLK_TCK)), 0, 0, 0 };

	if (buf && copy_to_app(buf, t, sizeof(t)) < 0)
		return -EFAULT;
	return (long)(clock_monotonic_ns() / (NSEC_PER_SEC / CLK_TCK));
}

long sys_wait4(int pid, int *status, int options, void *rusage)
{
	(void)pid, (void)status, (void)rusage;
	if (options & ~(1 | 2 | 8 | 0x01000000 | 0x20000000 | 0x40000000 | 0x80000000))
		return -EINVAL;
	return -ECHILD; /* no process has children here */
}

long sys_getcpu(unsigned *cpu, unsigned *node, void *cache)
{
	unsigned zero = 0;

	(void)cache;
	if ((cpu && copy_to_app(cpu, &zero, sizeof(zero)) < 0) ||
	    (node && copy_to_app(node, &zero, sizeof(zero)) < 0))
		return -EFAULT;
	return 0;
}
