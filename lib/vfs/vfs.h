/*
 * The VFS (docs/vfs.md): a tree of mounted file systems behind the Linux
 * path and file calls. A file system gives vnodes (its files) and the
 * operations below; the core keeps the dentry cache (names to vnodes),
 * walks paths, follows symlinks and mount points, and turns an opened
 * vnode into a struct file for the fd table (lib/vfs/fd.h).
 *
 * File systems: ramfs (lib/vfs/ramfs.c, the root when there is no 9p
 * device, and /tmp on request), devfs (lib/vfs/devfs.c, /dev, always),
 * 9pfs (lib/vfs/fs_9p.c, in images that carry the fs subsystem).
 *
 * Locking: the namespace (dentries, mounts) has one mutex, vfs_ns_lock,
 * which the core holds around lookup, create, mkdir, unlink, rename,
 * symlink and link calls into a file system: those see a stable tree.
 * I/O on open files (read, write, readdir, getattr, setattr, fsync) runs
 * without it, concurrently; a file system serialises what it must itself.
 * Operations are called in thread context and may block.
 *
 * Buffers handed to operations are the kernel's (the core copies to and
 * from the application). Operations return 0 or a count, else a negative
 * errno as Linux would give it. A missing operation means the file system
 * cannot do it: the core answers as Linux does (EPERM, EINVAL, ENOTDIR...).
 */
#ifndef LIB_VFS_VFS_H
#define LIB_VFS_VFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/list.h"
#include "lib/vfs/fd.h"
#include "sched/sync.h"

#define VFS_NAME_MAX 255
#define VFS_PATH_MAX 4096
#define VFS_SYMLINKS_MAX 40 /* followed in one lookup: then ELOOP */

/* File types and permission bits, as Linux's st_mode. */
#define VFS_IFMT 0170000
#define VFS_IFSOCK 0140000
#define VFS_IFLNK 0120000
#define VFS_IFREG 0100000
#define VFS_IFBLK 0060000
#define VFS_IFDIR 0040000
#define VFS_IFCHR 0020000
#define VFS_IFIFO 0010000
#define VFS_ISDIR(m) (((m)&VFS_IFMT) == VFS_IFDIR)
#define VFS_ISREG(m) (((m)&VFS_IFMT) == VFS_IFREG)
#define VFS_ISLNK(m) (((m)&VFS_IFMT) == VFS_IFLNK)

/* Open flags beyond fd.h's, x86_64 values. */
#define VFS_O_CREAT 0100
#define VFS_O_EXCL 0200
#define VFS_O_NOCTTY 0400
#define VFS_O_TRUNC 01000
#define VFS_O_DSYNC 010000
#define VFS_O_DIRECT 040000
#define VFS_O_LARGEFILE 0100000
#define VFS_O_DIRECTORY 0200000
#define VFS_O_NOFOLLOW 0400000
#define VFS_O_NOATIME 01000000
#define VFS_O_PATH 010000000
#define VFS_O_SYNC 04010000
#define VFS_O_TMPFILE 020200000

struct vfs_time {
	int64_t sec, nsec;
};

/* What stat() shows of a file. */
struct vattr {
	uint32_t mode; /* VFS_IF* | permissions */
	uint32_t uid, gid;
	uint64_t ino, nlink, rdev, size, blocks, blksize;
	struct vfs_time atime, mtime, ctime;
};

/* What setattr changes: the VSET_* in mask. */
#define VSET_MODE 0x1u
#define VSET_UID 0x2u
#define VSET_GID 0x4u
#define VSET_SIZE 0x8u
#define VSET_ATIME 0x10u     /* to atime */
#define VSET_MTIME 0x20u     /* to mtime */
#define VSET_ATIME_NOW 0x40u /* to the file system's now */
#define VSET_MTIME_NOW 0x80u
struct vattr_set {
	unsigned mask;
	uint32_t mode, uid, gid;
	uint64_t size;
	struct vfs_time atime, mtime;
};

struct vfs_statfs {
	uint64_t type, bsize, blocks, bfree, bavail, files, ffree, fsid, namelen, frsize, flags;
};

/* Handed to readdir: one entry. Returns false when the caller's buffer is full. */
typedef bool (*vfs_filldir)(void *ctx, const char *name, size_t len, uint64_t ino, unsigned dtype,
			    uint64_t next_cookie);

struct vnode;
struct mount;

/*
 * An open instance of a vnode: what the file system keeps per open (a 9p
 * fid opened with Tlopen). The core passes it back on every I/O call.
 */
struct vfs_handle {
	void *priv;
};

struct vnode_ops {
	/*
	 * Looks up to n names under dir (a directory), one after another:
	 * names[0] in dir, names[1] in that, ... Fills out[i] (a new
	 * reference each) for the names found and returns how many (1..n). A
	 * file system that walks one name at a time returns 1. It stops early
	 * after a name that is no directory or is a symlink. The first name
	 * not there: -ENOENT if it is names[0], else the count so far. Names
	 * are never "." or ".." (the core resolves those).
	 */
	int (*lookup)(struct vnode *dir, const char *const *names, int n, struct vnode **out);
	int (*getattr)(struct vnode *vn, struct vattr *a);
	int (*setattr)(struct vnode *vn, const struct vattr_set *s);
	/*
	 * Creates a regular file name in dir (which has none) with mode and
	 * opens it with flags (O_ACCMODE, O_APPEND, ...): *out and h. Or, with
	 * flags < 0, creates it only (mknod-like), h unused.
	 */
	int (*create)(struct vnode *dir, const char *name, uint32_t mode, int flags,
		      struct vnode **out, struct vfs_handle *h);
	int (*mkdir)(struct vnode *dir, const char *name, uint32_t mode);
	/* Removes name (a directory when rmdir; then -ENOTEMPTY if it has entries). */
	int (*unlink)(struct vnode *dir, const char *name, bool rmdir);
	/* Renames; the target, if any, is replaced (the core has checked the types). */
	int (*rename)(struct vnode *odir, const char *oname, struct vnode *ndir, const char *nname);
	int (*symlink)(struct vnode *dir, const char *name, const char *target);
	/* The target into buf (size bytes, not NUL terminated): its length. */
	long (*readlink)(struct vnode *vn, char *buf, size_t size);
	/* A new name in dir for vn (not a directory). */
	int (*link)(struct vnode *dir, const char *name, struct vnode *vn);

	/* Opens vn with flags (O_ACCMODE, O_APPEND, O_TRUNC is done by the core via setattr). */
	int (*open)(struct vnode *vn, int flags, struct vfs_handle *h);
	void (*close)(struct vnode *vn, struct vfs_handle *h);
	long (*read)(struct vnode *vn, struct vfs_handle *h, void *buf, size_t n, uint64_t off);
	/* With append, at the end of the file as the file system knows it; *off becomes where it ended. */
	long (*write)(struct vnode *vn, struct vfs_handle *h, const void *buf, size_t n,
		      uint64_t *off, bool append);
	/*
	 * Entries of the open directory from cookie (0: the start), each to
	 * fill until it returns false: 0, or an error. "." and ".." are
	 * the file system's to give.
	 */
	int (*readdir)(struct vnode *vn, struct vfs_handle *h, uint64_t cookie, vfs_filldir fill,
		       void *ctx);
	int (*fsync)(struct vnode *vn, struct vfs_handle *h, bool datasync);
	int (*statfs)(struct vnode *vn, struct vfs_statfs *st);
	/* For device files: what poll() sees and ioctl() does; NULL: always ready, ENOTTY. */
	unsigned (*poll)(struct vnode *vn, struct vfs_handle *h);
	long (*ioctl)(struct vnode *vn, struct vfs_handle *h, unsigned long cmd, unsigned long arg);
	/* The last reference is gone: free what priv holds. */
	void (*release)(struct vnode *vn);
};

/*
 * A vnode's flags. VNODE_SEQ: a file generated as it is read (procfs), as
 * Linux's seq_file: pwrite is ESPIPE, lseek takes SEEK_SET and SEEK_CUR only.
 */
#define VNODE_SEQ 0x1u

struct vnode {
	const struct vnode_ops *ops;
	struct mount *mnt;
	uint32_t type;	/* VFS_IF*: fixed for the vnode's life */
	unsigned flags; /* VNODE_*: set by the file system as it makes the vnode */
	uint64_t ino;
	int refs; /* vnode_hold/vnode_put */
	void *priv;
};

/* A new vnode with one reference, or NULL (no memory). */
struct vnode *vnode_new(struct mount *mnt, const struct vnode_ops *ops, uint32_t type, uint64_t ino,
			void *priv);
struct vnode *vnode_hold(struct vnode *vn);
void vnode_put(struct vnode *vn);

/* A kind of file system, by name ("9pfs", "ramfs", "devfs"). */
struct vfs_fstype {
	const char *name;
	/*
	 * Mounts dev (the 9p tag; NULL for ramfs and devfs) with opts: the
	 * root vnode in *root (a reference), mnt->priv as it likes. On failure
	 * a message that says why is the file system's to print.
	 */
	int (*mount)(struct mount *mnt, const char *dev, const char *opts, struct vnode **root);
	void (*unmount)(struct mount *mnt);
	/* Prints what the mount counted, for the exit report (vfs_report); may be NULL. */
	void (*report)(struct mount *mnt);
	/* Dentries of this file system stay valid only so long (ns; 0: until changed here). */
	uint64_t dentry_ttl_ns;
};

struct mount {
	const struct vfs_fstype *type;
	const char *dev;
	struct vnode *root;
	void *priv;
	uint64_t st_dev; /* what stat() shows as st_dev: set by the core, one per mount */
};

/*
 * The file systems there are. fs_9p_type is weak: only images with the fs
 * subsystem have it; procfs_type too (the host tests leave it out).
 */
extern const struct vfs_fstype ramfs_type, devfs_type, fs_9p_type, procfs_type;

/*
 * Mounts at boot (kernel/main.c), after the devices: the root from
 * vfs.rootfs (9pfs or ramfs; default 9pfs) on vfs.rootdev (not given:
 * dev NULL, and 9pfs tries "rootfs", then "fs0", naming the tags it found
 * when neither is there); a ramfs root when the image has no 9pfs or the
 * mount fails (said at info level, or warned); devfs at /dev; procfs at
 * /proc; a ramfs at /tmp if vfs.tmp=ramfs, else /tmp is a directory of a
 * ramfs root; then the application's own files (APP_FILES), each directory
 * a ramfs where the root has none. 0, or -ENOMEM.
 */
int vfs_init(void);

/* Mounts type at path (a directory, or a name in a directory that is not there yet). */
int vfs_mount(const char *path, const struct vfs_fstype *type, const char *dev, const char *opts);

/*
 * Is f a file opened through the VFS (by path)? Then the vnode and the
 * handle behind it, for mmap, sendfile and the fd calls.
 */
struct vnode *vfs_file_vnode(struct file *f);
/* Reads n bytes at off of a VFS file into kernel memory; the count. */
long vfs_file_pread_kernel(struct file *f, void *buf, size_t n, uint64_t off);
/*
 * What mmap() of f maps: VFS_MAP_FILE (its contents, read with
 * vfs_file_pread_kernel), VFS_MAP_ZERO (anonymous memory: /dev/zero), or
 * -ENODEV (no contents: a pipe, a socket, a directory, another device).
 */
#define VFS_MAP_ZERO 0
#define VFS_MAP_FILE 1
int vfs_file_mmap_kind(struct file *f);

/* Counters for the exit report. */
struct vfs_stats {
	uint64_t lookups, dcache_hits, dcache_misses, opens, bad_paths;
};
void vfs_stats(struct vfs_stats *st);
/* Prints what vfs_stats() and the file systems count (shutdown's report). */
void vfs_report(void);

#endif
