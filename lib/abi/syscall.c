/*
 * The system-call table (docs/abi.md): one entry per Linux x86_64 number,
 * each an adapter that takes the arguments from the frame (rdi, rsi, rdx,
 * r10, r8, r9) as the types its implementation declares. The
 * implementations live beside their subsystems. A number without an entry
 * answers -ENOSYS, warns once naming the call, and is counted.
 *
 * The network, the readiness calls (poll, epoll, pipes, eventfds) and the
 * VFS with its path calls are linked only into images whose application
 * uses them (Makefile, CERES_NEEDS). Their implementations are weak references here, so an
 * image without them links, and such a call answers -ENOSYS, warning once
 * that the image leaves the subsystem out.
 */
#include "arch/x86_64/syscall.h"

#include <errno.h>
#include <stdint.h>

#include "kernel/mmap.h"
#include "kernel/printk.h"
#include "kernel/sys_time.h"
#include "lib/abi/itimer.h"
#include "lib/abi/process.h"
#include "lib/abi/signal.h"
#include "lib/abi/syscall_names.h"
#include "lib/abi/thread.h"
#include "lib/net/socket.h"
#include "lib/vfs/fd.h"
#include "lib/vfs/path.h"
#include "lib/vfs/poll.h"
#include "sched/futex.h"
#include "sched/sys_thread.h"

typedef long (*syscall_fn)(struct syscall_frame *f);

/* In the image only if the application needs them (see above). */
#pragma weak sys_open
#pragma weak sys_openat
#pragma weak sys_creat
#pragma weak sys_stat
#pragma weak sys_lstat
#pragma weak sys_newfstatat
#pragma weak sys_statx
#pragma weak sys_access
#pragma weak sys_faccessat
#pragma weak sys_faccessat2
#pragma weak sys_readlink
#pragma weak sys_readlinkat
#pragma weak sys_mkdir
#pragma weak sys_mkdirat
#pragma weak sys_rmdir
#pragma weak sys_unlink
#pragma weak sys_unlinkat
#pragma weak sys_rename
#pragma weak sys_renameat
#pragma weak sys_renameat2
#pragma weak sys_link
#pragma weak sys_linkat
#pragma weak sys_symlink
#pragma weak sys_symlinkat
#pragma weak sys_chmod
#pragma weak sys_fchmodat
#pragma weak sys_fchmod
#pragma weak sys_chown
#pragma weak sys_lchown
#pragma weak sys_fchownat
#pragma weak sys_fchown
#pragma weak sys_truncate
#pragma weak sys_ftruncate
#pragma weak sys_utimensat
#pragma weak sys_statfs
#pragma weak sys_fstatfs
#pragma weak sys_chdir
#pragma weak sys_fchdir
#pragma weak sys_getcwd
#pragma weak sys_getdents64
#pragma weak sys_fsync
#pragma weak sys_fdatasync
#pragma weak sys_sendfile
#pragma weak sys_poll
#pragma weak sys_ppoll
#pragma weak sys_select
#pragma weak sys_pselect6
#pragma weak sys_epoll_create
#pragma weak sys_epoll_create1
#pragma weak sys_epoll_ctl
#pragma weak sys_epoll_wait
#pragma weak sys_epoll_pwait
#pragma weak sys_epoll_pwait2
#pragma weak sys_eventfd
#pragma weak sys_eventfd2
#pragma weak sys_pipe
#pragma weak sys_pipe2
#pragma weak sys_socket
#pragma weak sys_socketpair
#pragma weak sys_bind
#pragma weak sys_connect
#pragma weak sys_listen
#pragma weak sys_accept
#pragma weak sys_accept4
#pragma weak sys_sendto
#pragma weak sys_recvfrom
#pragma weak sys_sendmsg
#pragma weak sys_recvmsg
#pragma weak sys_sendmmsg
#pragma weak sys_recvmmsg
#pragma weak sys_shutdown
#pragma weak sys_getsockname
#pragma weak sys_getpeername
#pragma weak sys_setsockopt
#pragma weak sys_getsockopt

static long absent(uint64_t nr);

#define A0(t) ((t)f->rdi)
#define A1(t) ((t)f->rsi)
#define A2(t) ((t)f->rdx)
#define A3(t) ((t)f->r10)
#define A4(t) ((t)f->r8)
#define A5(t) ((t)f->r9)

#define CALL0(fn)                                      \
	static long call_##fn(struct syscall_frame *f) \
	{                                              \
		(void)f;                               \
		return sys_##fn();                     \
	}
#define CALL1(fn, t0)                                  \
	static long call_##fn(struct syscall_frame *f) \
	{                                              \
		return sys_##fn(A0(t0));               \
	}
#define CALL2(fn, t0, t1)                              \
	static long call_##fn(struct syscall_frame *f) \
	{                                              \
		return sys_##fn(A0(t0), A1(t1));       \
	}
#define CALL3(fn, t0, t1, t2)                            \
	static long call_##fn(struct syscall_frame *f)   \
	{                                                \
		return sys_##fn(A0(t0), A1(t1), A2(t2)); \
	}
#define CALL4(fn, t0, t1, t2, t3)                                \
	static long call_##fn(struct syscall_frame *f)           \
	{                                                        \
		return sys_##fn(A0(t0), A1(t1), A2(t2), A3(t3)); \
	}
#define CALL5(fn, t0, t1, t2, t3, t4)                                    \
	static long call_##fn(struct syscall_frame *f)                   \
	{                                                                \
		return sys_##fn(A0(t0), A1(t1), A2(t2), A3(t3), A4(t4)); \
	}
#define CALL6(fn, t0, t1, t2, t3, t4, t5)                                        \
	static long call_##fn(struct syscall_frame *f)                           \
	{                                                                        \
		return sys_##fn(A0(t0), A1(t1), A2(t2), A3(t3), A4(t4), A5(t5)); \
	}
/* The implementation takes the frame itself (it reads or rewrites registers). */
#define CALLF(fn)                                      \
	static long call_##fn(struct syscall_frame *f) \
	{                                              \
		return sys_##fn(f);                    \
	}

/* The same for an implementation that may be absent from the image (weak). */
#define OPTIONAL(fn, ...)                              \
	static long call_##fn(struct syscall_frame *f) \
	{                                              \
		if (!sys_##fn)                         \
			return absent(f->rax);         \
		return sys_##fn(__VA_ARGS__);          \
	}

typedef const char *cstr;
typedef const void *cptr;
typedef void *ptr;

/* Files and descriptors: lib/vfs/. */
CALL3(read, int, ptr, size_t)
CALL3(write, int, cptr, size_t)
CALL3(readv, int, cptr, int)
CALL3(writev, int, cptr, int)
CALL4(pread64, int, ptr, size_t, int64_t)
CALL4(pwrite64, int, cptr, size_t, int64_t)
CALL4(preadv, int, cptr, int, int64_t)
CALL4(pwritev, int, cptr, int, int64_t)
CALL3(lseek, int, int64_t, int)
CALL1(close, int)
CALL1(dup, int)
CALL2(dup2, int, int)
CALL3(dup3, int, int, int)
CALL3(fcntl, int, int, unsigned long)
CALL3(ioctl, int, unsigned long, unsigned long)
CALL2(fstat, int, ptr)
/* The path calls and the VFS: lib/vfs/path.h, in images with the fs subsystem. */
OPTIONAL(open, A0(cstr), A1(int), A2(uint32_t))
OPTIONAL(openat, A0(int), A1(cstr), A2(int), A3(uint32_t))
OPTIONAL(creat, A0(cstr), A1(uint32_t))
OPTIONAL(stat, A0(cstr), A1(ptr))
OPTIONAL(lstat, A0(cstr), A1(ptr))
OPTIONAL(newfstatat, A0(int), A1(cstr), A2(ptr), A3(int))
OPTIONAL(statx, A0(int), A1(cstr), A2(int), A3(unsigned), A4(ptr))
OPTIONAL(access, A0(cstr), A1(int))
OPTIONAL(faccessat, A0(int), A1(cstr), A2(int))
OPTIONAL(faccessat2, A0(int), A1(cstr), A2(int), A3(int))
OPTIONAL(readlink, A0(cstr), A1(char *), A2(size_t))
OPTIONAL(readlinkat, A0(int), A1(cstr), A2(char *), A3(size_t))
OPTIONAL(mkdir, A0(cstr), A1(uint32_t))
OPTIONAL(mkdirat, A0(int), A1(cstr), A2(uint32_t))
OPTIONAL(rmdir, A0(cstr))
OPTIONAL(unlink, A0(cstr))
OPTIONAL(unlinkat, A0(int), A1(cstr), A2(int))
OPTIONAL(rename, A0(cstr), A1(cstr))
OPTIONAL(renameat, A0(int), A1(cstr), A2(int), A3(cstr))
OPTIONAL(renameat2, A0(int), A1(cstr), A2(int), A3(cstr), A4(unsigned))
OPTIONAL(link, A0(cstr), A1(cstr))
OPTIONAL(linkat, A0(int), A1(cstr), A2(int), A3(cstr), A4(int))
OPTIONAL(symlink, A0(cstr), A1(cstr))
OPTIONAL(symlinkat, A0(cstr), A1(int), A2(cstr))
OPTIONAL(chmod, A0(cstr), A1(uint32_t))
OPTIONAL(fchmodat, A0(int), A1(cstr), A2(uint32_t))
OPTIONAL(fchmod, A0(int), A1(uint32_t))
OPTIONAL(chown, A0(cstr), A1(uint32_t), A2(uint32_t))
OPTIONAL(lchown, A0(cstr), A1(uint32_t), A2(uint32_t))
OPTIONAL(fchownat, A0(int), A1(cstr), A2(uint32_t), A3(uint32_t), A4(int))
OPTIONAL(fchown, A0(int), A1(uint32_t), A2(uint32_t))
OPTIONAL(truncate, A0(cstr), A1(int64_t))
OPTIONAL(ftruncate, A0(int), A1(int64_t))
OPTIONAL(utimensat, A0(int), A1(cstr), A2(cptr), A3(int))
OPTIONAL(statfs, A0(cstr), A1(ptr))
OPTIONAL(fstatfs, A0(int), A1(ptr))
OPTIONAL(chdir, A0(cstr))
OPTIONAL(fchdir, A0(int))
OPTIONAL(getcwd, A0(char *), A1(size_t))
OPTIONAL(getdents64, A0(int), A1(ptr), A2(size_t))
OPTIONAL(fsync, A0(int))
OPTIONAL(fdatasync, A0(int))
OPTIONAL(sendfile, A0(int), A1(int), A2(int64_t *), A3(size_t))

/* Readiness and the files that wake event loops: lib/vfs/poll.h. */
OPTIONAL(poll, A0(ptr), A1(unsigned), A2(int))
OPTIONAL(ppoll, A0(ptr), A1(unsigned), A2(cptr), A3(const uint64_t *), A4(size_t))
OPTIONAL(select, A0(int), A1(ptr), A2(ptr), A3(ptr), A4(ptr))
OPTIONAL(pselect6, A0(int), A1(ptr), A2(ptr), A3(ptr), A4(ptr), A5(cptr))
OPTIONAL(epoll_create, A0(int))
OPTIONAL(epoll_create1, A0(int))
OPTIONAL(epoll_ctl, A0(int), A1(int), A2(int), A3(ptr))
OPTIONAL(epoll_wait, A0(int), A1(ptr), A2(int), A3(int))
OPTIONAL(epoll_pwait, A0(int), A1(ptr), A2(int), A3(int), A4(const uint64_t *), A5(size_t))
OPTIONAL(epoll_pwait2, A0(int), A1(ptr), A2(int), A3(cptr), A4(const uint64_t *), A5(size_t))
OPTIONAL(eventfd, A0(unsigned))
OPTIONAL(eventfd2, A0(unsigned), A1(int))
OPTIONAL(pipe, A0(int *))
OPTIONAL(pipe2, A0(int *), A1(int))

/* Sockets: lib/net/socket.h. */
OPTIONAL(socket, A0(int), A1(int), A2(int))
OPTIONAL(socketpair, A0(int), A1(int), A2(int), A3(int *))
OPTIONAL(bind, A0(int), A1(cptr), A2(uint32_t))
OPTIONAL(connect, A0(int), A1(cptr), A2(uint32_t))
OPTIONAL(listen, A0(int), A1(int))
OPTIONAL(accept, A0(int), A1(ptr), A2(uint32_t *))
OPTIONAL(accept4, A0(int), A1(ptr), A2(uint32_t *), A3(int))
OPTIONAL(sendto, A0(int), A1(cptr), A2(size_t), A3(int), A4(cptr), A5(uint32_t))
OPTIONAL(recvfrom, A0(int), A1(ptr), A2(size_t), A3(int), A4(ptr), A5(uint32_t *))
OPTIONAL(sendmsg, A0(int), A1(cptr), A2(int))
OPTIONAL(recvmsg, A0(int), A1(ptr), A2(int))
OPTIONAL(sendmmsg, A0(int), A1(ptr), A2(unsigned), A3(int))
OPTIONAL(recvmmsg, A0(int), A1(ptr), A2(unsigned), A3(int), A4(ptr))
OPTIONAL(shutdown, A0(int), A1(int))
OPTIONAL(getsockname, A0(int), A1(ptr), A2(uint32_t *))
OPTIONAL(getpeername, A0(int), A1(ptr), A2(uint32_t *))
OPTIONAL(setsockopt, A0(int), A1(int), A2(int), A3(cptr), A4(uint32_t))
OPTIONAL(getsockopt, A0(int), A1(int), A2(int), A3(ptr), A4(uint32_t *))

/* Memory: kernel/mmap.c. */
CALL6(mmap, ptr, size_t, int, int, int, int64_t)
CALL2(munmap, ptr, size_t)
CALL3(mprotect, ptr, size_t, int)
CALL3(madvise, ptr, size_t, int)
CALL5(mremap, ptr, size_t, size_t, int, ptr)
CALL3(msync, ptr, size_t, int)
CALL1(brk, ptr)

/* Threads and scheduling: sched/. */
CALLF(clone)
CALL1(exit, int)
CALL1(exit_group, int)
CALL1(set_tid_address, int *)
CALL0(gettid)
CALL2(arch_prctl, int, uint64_t)
CALL5(prctl, int, uint64_t, uint64_t, uint64_t, uint64_t)
CALL0(sched_yield)
CALL3(sched_getaffinity, int, size_t, ptr)
CALL3(sched_setaffinity, int, size_t, cptr)
CALL2(set_robust_list, ptr, size_t)
CALL3(get_robust_list, int, ptr, size_t *)
CALL6(futex, uint32_t *, int, uint32_t, cptr, uint32_t *, uint32_t)

/* Clocks and sleeping: kernel/sys_time.c. */
CALL2(clock_gettime, int, ptr)
CALL2(clock_getres, int, ptr)
CALL2(gettimeofday, ptr, ptr)
CALL1(time, int64_t *)
CALL2(nanosleep, cptr, ptr)
CALL4(clock_nanosleep, int, int, cptr, ptr)

/* Interval timers: lib/abi/itimer.c. */
CALL3(setitimer, int, cptr, ptr)
CALL2(getitimer, int, ptr)
CALL1(alarm, unsigned)

/* Signals: lib/abi/signal.c. */
CALL4(rt_sigaction, int, cptr, ptr, size_t)
CALL4(rt_sigprocmask, int, const uint64_t *, uint64_t *, size_t)
CALL2(rt_sigpending, uint64_t *, size_t)
CALL2(rt_sigsuspend, const uint64_t *, size_t)
CALLF(rt_sigreturn)
CALL2(sigaltstack, cptr, ptr)
CALL2(kill, int, int)
CALL2(tkill, int, int)
CALL3(tgkill, int, int, int)
CALL0(pause)

/* The process: lib/abi/process.c. */
CALL0(getpid)
CALL0(getppid)
CALL0(getpgrp)
CALL1(getpgid, int)
CALL1(getsid, int)
CALL0(setsid)
CALL2(setpgid, int, int)
CALL0(getuid)
CALL0(geteuid)
CALL0(getgid)
CALL0(getegid)
CALL1(setuid, uint32_t)
CALL1(setgid, uint32_t)
CALL2(setreuid, uint32_t, uint32_t)
CALL2(setregid, uint32_t, uint32_t)
CALL3(setresuid, uint32_t, uint32_t, uint32_t)
CALL3(setresgid, uint32_t, uint32_t, uint32_t)
CALL3(getresuid, uint32_t *, uint32_t *, uint32_t *)
CALL3(getresgid, uint32_t *, uint32_t *, uint32_t *)
CALL2(getgroups, int, uint32_t *)
CALL2(setgroups, size_t, const uint32_t *)
CALL1(umask, uint32_t)
CALL1(uname, ptr)
CALL2(sethostname, cstr, size_t)
CALL3(getrandom, ptr, size_t, unsigned)
CALL2(getrlimit, int, ptr)
CALL2(setrlimit, int, cptr)
CALL4(prlimit64, int, int, cptr, ptr)
CALL1(sysinfo, ptr)
CALL2(getrusage, int, ptr)
CALL1(times, ptr)
CALL4(wait4, int, int *, int, ptr)
CALL3(getcpu, unsigned *, unsigned *, ptr)

#define E(name) [NR_##name] = call_##name

static const syscall_fn table[SYSCALL_NR_MAX] = {
	E(read),
	E(write),
	E(readv),
	E(writev),
	E(pread64),
	E(pwrite64),
	E(preadv),
	E(pwritev),
	E(lseek),
	E(close),
	E(dup),
	E(dup2),
	E(dup3),
	E(fcntl),
	E(ioctl),
	E(fstat),
	E(open),
	E(openat),
	E(creat),
	E(stat),
	E(lstat),
	E(newfstatat),
	E(statx),
	E(access),
	E(faccessat),
	E(faccessat2),
	E(readlink),
	E(readlinkat),
	E(mkdir),
	E(mkdirat),
	E(rmdir),
	E(unlink),
	E(unlinkat),
	E(rename),
	E(renameat),
	E(renameat2),
	E(link),
	E(linkat),
	E(symlink),
	E(symlinkat),
	E(chmod),
	E(fchmodat),
	E(fchmod),
	E(chown),
	E(lchown),
	E(fchownat),
	E(fchown),
	E(truncate),
	E(ftruncate),
	E(utimensat),
	E(statfs),
	E(fstatfs),
	E(chdir),
	E(fchdir),
	E(getcwd),
	E(getdents64),
	E(fsync),
	E(fdatasync),
	E(sendfile),

	E(poll),
	E(ppoll),
	E(select),
	E(pselect6),
	E(epoll_create),
	E(epoll_create1),
	E(epoll_ctl),
	E(epoll_wait),
	E(epoll_pwait),
	E(epoll_pwait2),
	E(eventfd),
	E(eventfd2),
	E(pipe),
	E(pipe2),

	E(socket),
	E(socketpair),
	E(bind),
	E(connect),
	E(listen),
	E(accept),
	E(accept4),
	E(sendto),
	E(recvfrom),
	E(sendmsg),
	E(recvmsg),
	E(sendmmsg),
	E(recvmmsg),
	E(shutdown),
	E(getsockname),
	E(getpeername),
	E(setsockopt),
	E(getsockopt),

	E(mmap),
	E(munmap),
	E(mprotect),
	E(madvise),
	E(mremap),
	E(msync),
	E(brk),

	E(clone),
	E(exit),
	E(exit_group),
	E(set_tid_address),
	E(gettid),
	E(arch_prctl),
	E(prctl),
	E(sched_yield),
	E(sched_getaffinity),
	E(sched_setaffinity),
	E(set_robust_list),
	E(get_robust_list),
	E(futex),

	E(clock_gettime),
	E(clock_getres),
	E(gettimeofday),
	E(time),
	E(nanosleep),
	E(clock_nanosleep),

	E(setitimer),
	E(getitimer),
	E(alarm),

	E(rt_sigaction),
	E(rt_sigprocmask),
	E(rt_sigpending),
	E(rt_sigsuspend),
	E(rt_sigreturn),
	E(sigaltstack),
	E(kill),
	E(tkill),
	E(tgkill),
	E(pause),

	E(getpid),
	E(getppid),
	E(getpgrp),
	E(getpgid),
	E(getsid),
	E(setsid),
	E(setpgid),
	E(getuid),
	E(geteuid),
	E(getgid),
	E(getegid),
	E(setuid),
	E(setgid),
	E(setreuid),
	E(setregid),
	E(setresuid),
	E(setresgid),
	E(getresuid),
	E(getresgid),
	E(getgroups),
	E(setgroups),
	E(umask),
	E(uname),
	E(sethostname),
	E(getrandom),
	E(getrlimit),
	E(setrlimit),
	E(prlimit64),
	E(sysinfo),
	E(getrusage),
	E(times),
	E(wait4),
	E(getcpu),
};

static struct {
	uint64_t calls, unknown;
	uint8_t warned[(SYSCALL_NR_MAX + 7) / 8];
} stats;

static long unknown(uint64_t nr)
{
	stats.unknown++;
	if (nr < SYSCALL_NR_MAX && !(stats.warned[nr / 8] & (1u << nr % 8))) {
		stats.warned[nr / 8] |= (uint8_t)(1u << nr % 8);
		pr_warn("abi: %s (%lu) is not implemented", syscall_name(nr), (unsigned long)nr);
	} else if (nr >= SYSCALL_NR_MAX) {
		pr_warn_once("abi: system call number %#lx is out of range (no call has it)",
			     (unsigned long)nr);
	}
	return -ENOSYS;
}

/* An optional call whose subsystem this image leaves out. */
static long absent(uint64_t nr)
{
	stats.unknown++;
	if (!(stats.warned[nr / 8] & (1u << nr % 8))) {
		stats.warned[nr / 8] |= (uint8_t)(1u << nr % 8);
		pr_warn("abi: %s (%lu) is left out of this image: the application links no "
			"musl function that makes it (docs/abi.md, CERES_NEEDS)",
			syscall_name(nr), (unsigned long)nr);
	}
	return -ENOSYS;
}

int syscall_dispatch(struct syscall_frame *f)
{
	uint64_t nr = f->rax;
	syscall_fn fn = nr < SYSCALL_NR_MAX ? table[nr] : NULL;
	struct abi_thread *self = abi_self();
	long ret;

	stats.calls++;
	self->frame = f; /* for reports on where it waits */
	ret = fn ? fn(f) : unknown(nr);
	self->frame = NULL;
	f->rax = (uint64_t)ret;
	if (signal_ready_in(&self->sig) || ret == -ERESTARTSYS)
		signal_on_return(f, (long)nr);
	/* Every register comes back after a signal handler, and for gdb's single step. */
	return nr == NR_rt_sigreturn || syscall_frame_stepping(f);
}

void abi_report(void)
{
	pr_info("abi: %lu system calls, %lu of them not implemented", (unsigned long)stats.calls,
		(unsigned long)stats.unknown);
	signal_report();
}
