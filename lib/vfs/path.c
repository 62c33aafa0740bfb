/*
 * Path calls without a file system (lib/vfs/path.h). Each checks its
 * arguments in Linux's order (bad flags, then the path's memory, an empty
 * path, a relative path's directory fd) and then finds nothing: ENOENT.
 */
#include "lib/vfs/path.h"

#include <errno.h>
#include <stdbool.h>

#include "kernel/uaccess.h"
#include "lib/vfs/fd.h"

#define PATH_MAX 4096
#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_EACCESS 0x200
#define AT_SYMLINK_FOLLOW 0x400
#define AT_NO_AUTOMOUNT 0x800
#define AT_EMPTY_PATH 0x1000
#define AT_STATX_SYNC_TYPE 0x6000
#define F_OK 0
#define R_OK 4
#define W_OK 2
#define X_OK 1
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#define RENAME_WHITEOUT 4

/*
 * Looks a path up: -EFAULT, -ENAMETOOLONG, -ENOENT for "" (unless
 * empty_ok), -EBADF or -ENOTDIR for a relative path under a dirfd that is
 * no directory, else -ENOENT. 1 for "" with empty_ok.
 */
static long lookup(int dirfd, const char *path, bool empty_ok)
{
	char buf[PATH_MAX];
	long n = strncpy_from_app(buf, path, sizeof(buf));

	if (n < 0)
		return n;
	if (n == 0)
		return empty_ok ? 1 : -ENOENT;
	if (buf[0] != '/' && dirfd != AT_FDCWD)
		return fd_is_open(dirfd) ? -ENOTDIR : -EBADF; /* no fd is a directory yet */
	return -ENOENT;
}

long sys_openat(int dirfd, const char *path, int flags, uint32_t mode)
{
	(void)flags, (void)mode;
	return lookup(dirfd, path, false);
}

long sys_open(const char *path, int flags, uint32_t mode)
{
	return sys_openat(AT_FDCWD, path, flags, mode);
}

long sys_creat(const char *path, uint32_t mode)
{
	return sys_openat(AT_FDCWD, path, 0, mode);
}

long sys_newfstatat(int dirfd, const char *path, void *st, int flags)
{
	long r;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH))
		return -EINVAL;
	r = lookup(dirfd, path, flags & AT_EMPTY_PATH);
	if (r == 1)
		return dirfd == AT_FDCWD ? -ENOENT : fd_stat(dirfd, st);
	return r;
}

long sys_stat(const char *path, void *st)
{
	return sys_newfstatat(AT_FDCWD, path, st, 0);
}

long sys_lstat(const char *path, void *st)
{
	return sys_newfstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

long sys_statx(int dirfd, const char *path, int flags, unsigned mask, void *stx)
{
	(void)stx;
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE) ||
	    (flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE || mask & 0x80000000u)
		return -EINVAL;
	/* musl does not use it on x86_64; a file it could describe is an fd, for fstat. */
	return lookup(dirfd, path, false);
}

long sys_faccessat2(int dirfd, const char *path, int mode, int flags)
{
	if (mode & ~(R_OK | W_OK | X_OK) ||
	    flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	return lookup(dirfd, path, false);
}

long sys_faccessat(int dirfd, const char *path, int mode)
{
	return sys_faccessat2(dirfd, path, mode, 0);
}

long sys_access(const char *path, int mode)
{
	return sys_faccessat2(AT_FDCWD, path, mode, 0);
}

long sys_readlinkat(int dirfd, const char *path, char *buf, size_t size)
{
	(void)buf;
	if ((long)size <= 0)
		return -EINVAL;
	return lookup(dirfd, path, false);
}

long sys_readlink(const char *path, char *buf, size_t size)
{
	return sys_readlinkat(AT_FDCWD, path, buf, size);
}

long sys_mkdirat(int dirfd, const char *path, uint32_t mode)
{
	(void)mode;
	return lookup(dirfd, path, false);
}

long sys_mkdir(const char *path, uint32_t mode)
{
	return sys_mkdirat(AT_FDCWD, path, mode);
}

long sys_unlinkat(int dirfd, const char *path, int flags)
{
	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	return lookup(dirfd, path, false);
}

long sys_unlink(const char *path)
{
	return sys_unlinkat(AT_FDCWD, path, 0);
}

long sys_rmdir(const char *path)
{
	return sys_unlinkat(AT_FDCWD, path, AT_REMOVEDIR);
}

long sys_renameat2(int fromfd, const char *from, int tofd, const char *to, unsigned flags)
{
	long r;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT) ||
	    (flags & RENAME_NOREPLACE && flags & RENAME_EXCHANGE))
		return -EINVAL;
	r = lookup(fromfd, from, false);
	if (r == -EFAULT || r == -ENAMETOOLONG)
		return r;
	r = lookup(tofd, to, false);
	return r == -EFAULT || r == -ENAMETOOLONG ? r : -ENOENT;
}

long sys_renameat(int fromfd, const char *from, int tofd, const char *to)
{
	return sys_renameat2(fromfd, from, tofd, to, 0);
}

long sys_rename(const char *from, const char *to)
{
	return sys_renameat2(AT_FDCWD, from, AT_FDCWD, to, 0);
}

long sys_link(const char *from, const char *to)
{
	return sys_renameat2(AT_FDCWD, from, AT_FDCWD, to, 0);
}

long sys_symlink(const char *target, const char *path)
{
	long r = lookup(AT_FDCWD, target, true);

	return r == -EFAULT || r == -ENAMETOOLONG ? r : lookup(AT_FDCWD, path, false);
}

long sys_fchmodat(int dirfd, const char *path, uint32_t mode)
{
	(void)mode;
	return lookup(dirfd, path, false);
}

long sys_chmod(const char *path, uint32_t mode)
{
	return sys_fchmodat(AT_FDCWD, path, mode);
}

long sys_chown(const char *path, uint32_t uid, uint32_t gid)
{
	(void)uid, (void)gid;
	return lookup(AT_FDCWD, path, false);
}

long sys_truncate(const char *path, int64_t len)
{
	if (len < 0)
		return -EINVAL;
	return lookup(AT_FDCWD, path, false);
}

long sys_utimensat(int dirfd, const char *path, const void *times, int flags)
{
	(void)times;
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (!path) /* futimens(): the fd itself, which has no times to set */
		return fd_is_open(dirfd) ? -EPERM : -EBADF;
	return lookup(dirfd, path, false);
}

long sys_statfs(const char *path, void *buf)
{
	(void)buf;
	return lookup(AT_FDCWD, path, false);
}

long sys_chdir(const char *path)
{
	return lookup(AT_FDCWD, path, false);
}

long sys_fchdir(int fd)
{
	return fd_is_open(fd) ? -ENOTDIR : -EBADF;
}

long sys_getcwd(char *buf, size_t size)
{
	if (size < 2)
		return -ERANGE;
	return copy_to_app(buf, "/", 2) < 0 ? -EFAULT : 2;
}

long sys_getdents64(int fd, void *dirp, size_t count)
{
	(void)dirp, (void)count;
	return fd_is_open(fd) ? -ENOTDIR : -EBADF;
}
