/*
 * The VFS's system calls (docs/vfs.md, docs/abi.md): those that name files
 * by path (path.c, names.c, attr.c) and those on open VFS files beyond
 * read and write (attr.c, vfs_sys.c; read, write, lseek and the fd table
 * are lib/vfs/fd.h's).
 */
#ifndef LIB_VFS_PATH_H
#define LIB_VFS_PATH_H

#include <stddef.h>
#include <stdint.h>

long sys_open(const char *path, int flags, uint32_t mode);
long sys_openat(int dirfd, const char *path, int flags, uint32_t mode);
long sys_creat(const char *path, uint32_t mode);
long sys_stat(const char *path, void *st);
long sys_lstat(const char *path, void *st);
long sys_newfstatat(int dirfd, const char *path, void *st, int flags);
long sys_statx(int dirfd, const char *path, int flags, unsigned mask, void *stx);
long sys_access(const char *path, int mode);
long sys_faccessat(int dirfd, const char *path, int mode);
long sys_faccessat2(int dirfd, const char *path, int mode, int flags);
long sys_readlink(const char *path, char *buf, size_t size);
long sys_readlinkat(int dirfd, const char *path, char *buf, size_t size);
long sys_mkdir(const char *path, uint32_t mode);
long sys_mkdirat(int dirfd, const char *path, uint32_t mode);
long sys_rmdir(const char *path);
long sys_unlink(const char *path);
long sys_unlinkat(int dirfd, const char *path, int flags);
long sys_rename(const char *from, const char *to);
long sys_renameat(int fromfd, const char *from, int tofd, const char *to);
long sys_renameat2(int fromfd, const char *from, int tofd, const char *to, unsigned flags);
long sys_link(const char *from, const char *to);
long sys_linkat(int fromfd, const char *from, int tofd, const char *to, int flags);
long sys_symlink(const char *target, const char *path);
long sys_symlinkat(const char *target, int dirfd, const char *path);
long sys_chmod(const char *path, uint32_t mode);
long sys_fchmodat(int dirfd, const char *path, uint32_t mode);
long sys_fchmod(int fd, uint32_t mode);
long sys_chown(const char *path, uint32_t uid, uint32_t gid);
long sys_lchown(const char *path, uint32_t uid, uint32_t gid);
long sys_fchownat(int dirfd, const char *path, uint32_t uid, uint32_t gid, int flags);
long sys_fchown(int fd, uint32_t uid, uint32_t gid);
long sys_truncate(const char *path, int64_t len);
long sys_ftruncate(int fd, int64_t len);
long sys_utimensat(int dirfd, const char *path, const void *times, int flags);
long sys_statfs(const char *path, void *buf);
long sys_fstatfs(int fd, void *buf);
long sys_chdir(const char *path);
long sys_fchdir(int fd);
long sys_getcwd(char *buf, size_t size);
long sys_getdents64(int fd, void *dirp, size_t count);
long sys_fsync(int fd);
long sys_fdatasync(int fd);
long sys_sendfile(int out_fd, int in_fd, int64_t *offset, size_t count);

#endif
