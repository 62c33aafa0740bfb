/*
 * Open files and the file descriptor table (docs/abi.md). A struct file
 * is what an fd names; dup() shares one, close() drops a reference. The
 * system calls on fds live here and call the file's operations: the
 * console's (lib/vfs/console.c), pipes, sockets, eventfds, epolls and the
 * files the VFS opens by path (lib/vfs/vfile.c).
 */
#ifndef LIB_VFS_FD_H
#define LIB_VFS_FD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define O_ACCMODE 03
#define O_RDONLY 00
#define O_WRONLY 01
#define O_RDWR 02
#define O_APPEND 02000
#define O_NONBLOCK 04000
#define O_CLOEXEC 02000000
#define O_PATH 010000000 /* an fd that only names a place (lib/vfs/vfile.c) */

/* struct stat as x86_64 Linux has it (144 bytes). */
struct abi_stat {
	uint64_t st_dev, st_ino, st_nlink;
	uint32_t st_mode, st_uid, st_gid, pad0;
	uint64_t st_rdev;
	int64_t st_size, st_blksize, st_blocks;
	int64_t st_atime_sec, st_atime_nsec, st_mtime_sec, st_mtime_nsec, st_ctime_sec,
		st_ctime_nsec;
	int64_t reserved[3];
};

struct file;
struct poll_watch;

/*
 * What a kind of file does. Buffers are the application's: the operation
 * copies with copy_to_app/copy_from_app. A missing operation answers as
 * Linux does for a file that cannot do it.
 */
struct file_ops {
	long (*read)(struct file *f, void *buf, size_t n);
	long (*write)(struct file *f, const void *buf, size_t n);
	long (*ioctl)(struct file *f, unsigned long cmd, unsigned long arg);
	void (*stat)(struct file *f, struct abi_stat *st);
	/*
	 * The POLL* events true now; with w, also adds w to the file's
	 * poll_head (lib/vfs/poll.h). Missing: POLL_DEFAULT, never changing.
	 */
	unsigned (*poll)(struct file *f, struct poll_watch *w);
	/*
	 * Optional: readv/writev of the whole vector in one operation (a
	 * socket's datagram); iov is the application's struct iovec array,
	 * iovcnt already checked against IOV_MAX. Without them the fd layer
	 * calls read/write once per buffer.
	 */
	long (*readv)(struct file *f, const void *iov, int iovcnt);
	long (*writev)(struct file *f, const void *iov, int iovcnt);
	/*
	 * Optional, for files with a position (the VFS's): reads and writes at
	 * off, leaving the position alone, and lseek (whence already checked to
	 * be one Linux knows). Without them pread, pwrite and lseek are ESPIPE.
	 */
	long (*pread)(struct file *f, void *buf, size_t n, uint64_t off);
	long (*pwrite)(struct file *f, const void *buf, size_t n, uint64_t off);
	long (*llseek)(struct file *f, int64_t off, int whence);
	/* Optional: fstat that can fail (a file system's getattr); preferred to stat. */
	int (*fstat)(struct file *f, struct abi_stat *st);
	void (*release)(struct file *f); /* the last reference is gone */
};

struct file {
	const struct file_ops *ops;
	unsigned flags; /* O_ACCMODE, O_APPEND, O_NONBLOCK; the VFS's keep the rest F_GETFL shows */
	int refs;
	void *priv;
};

/* Installs f at the lowest free fd (f's reference passes to it); the fd, or -EMFILE. */
int fd_install(struct file *f, bool cloexec);
/* Installs f at exactly fd, which must be free (boot: the console). 0 or -EBADF. */
int fd_install_at(int fd, struct file *f);
/* The file at fd with a reference taken, or NULL. */
struct file *fd_get(int fd);
/* Drops a reference from fd_get() or a file's creator; the last calls release. */
void fd_put(struct file *f);
/*
 * Another reference to f if it still has one, else NULL (its last one is
 * gone and its release is running or about to): for holders that keep no
 * reference of their own, such as an epoll's items. Interrupts off: on
 * one CPU that excludes every other change to the count (fd_put's runs
 * with preemption off), and the caller's lookup of f stays whole.
 */
struct file *fd_tryhold(struct file *f);
/* Is fd open? */
bool fd_is_open(int fd);

/* RLIMIT_NOFILE: fds are below the limit; it may be raised up to FD_HARD_LIMIT. */
#define FD_SOFT_DEFAULT 1024
#define FD_HARD_LIMIT 65536
uint64_t fd_limit(void);
void fd_set_limit(uint64_t limit);

long sys_read(int fd, void *buf, size_t n);
long sys_write(int fd, const void *buf, size_t n);
long sys_readv(int fd, const void *iov, int iovcnt);
long sys_writev(int fd, const void *iov, int iovcnt);
long sys_pread64(int fd, void *buf, size_t n, int64_t off);
/* The offset is one register on x86_64 (pos_l; pos_h is unused). */
long sys_preadv(int fd, const void *iov, int iovcnt, int64_t off);
long sys_pwritev(int fd, const void *iov, int iovcnt, int64_t off);
long sys_pwrite64(int fd, const void *buf, size_t n, int64_t off);
long sys_lseek(int fd, int64_t off, int whence);
long sys_close(int fd);
long sys_dup(int fd);
long sys_dup2(int fd, int newfd);
long sys_dup3(int fd, int newfd, int flags);
long sys_fcntl(int fd, int cmd, unsigned long arg);
long sys_ioctl(int fd, unsigned long cmd, unsigned long arg);
long sys_fstat(int fd, void *st);

/* fstat() into kernel memory: for the path calls' AT_EMPTY_PATH and statx. 0, -EBADF... */
long fd_stat_kernel(int fd, struct abi_stat *st);

#endif
