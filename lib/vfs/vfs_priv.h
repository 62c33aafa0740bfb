/*
 * The VFS core's internals (docs/vfs.md): dentries, the mount table, the
 * path walk and the open-file object, shared by vfs.c, dcache.c,
 * lookup.c, vfile.c and path.c. File systems see only lib/vfs/vfs.h.
 */
#ifndef LIB_VFS_VFS_PRIV_H
#define LIB_VFS_VFS_PRIV_H

#include "lib/vfs/vfs.h"

/* Linux's *at() flags and constants. */
#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_EACCESS 0x200
#define AT_SYMLINK_FOLLOW 0x400
#define AT_NO_AUTOMOUNT 0x800
#define AT_EMPTY_PATH 0x1000
#define AT_STATX_SYNC_TYPE 0x6000

#define DCACHE_MAX 4096	   /* unreferenced dentries kept; older ones are evicted */
#define DCACHE_BUCKETS 512 /* a power of two */

/*
 * A name in a directory and the vnode it names. Each holds a reference on
 * its parent and on its vnode. A mounted file system's root dentry has the
 * mount point's parent as parent and the mount point's name, so ".." and
 * getcwd() cross mounts with no special case. All fields change only
 * under vfs.ns_lock.
 */
struct dentry {
	struct dentry *parent; /* NULL: the root of the whole tree */
	struct vnode *vn;
	struct list_head hash; /* in its bucket while hashed (findable by name) */
	struct list_head lru;  /* on the LRU while refs == 0 */
	uint64_t expires;      /* monotonic ns; 0: valid until changed here */
	int refs;
	bool is_mount_root;
	bool under_mount; /* a mount hangs below: never expires, or the mount would be lost */
	bool removed;	  /* unlinked, or renamed away, by this guest: getcwd() says ENOENT */
	uint8_t len;
	char name[];
};

/* A mount: root (a dentry with parent and name as above) hides parent's name. */
struct vfs_mount_entry {
	struct list_head link;
	struct mount mnt;
	struct dentry *root;
};

/* The namespace lock (lib/vfs/vfs.h): dentries, mounts, cwd, and calls that change names. */
void vfs_ns_lock(void);
void vfs_ns_unlock(void);

/* dcache.c: dentries (all with the namespace lock held). */
struct dentry *dentry_hold(struct dentry *d);
void dentry_put(struct dentry *d);
/* The cached child name of parent, still valid, with a reference; or NULL. */
struct dentry *dcache_find(struct dentry *parent, const char *name, size_t len);
/* A new hashed child of parent naming vn (its reference passes in); NULL: no memory. */
struct dentry *dcache_add(struct dentry *parent, const char *name, size_t len, struct vnode *vn);
/* A dentry for a mounted root: not hashed, never expires. */
struct dentry *dentry_new_root(struct dentry *parent, const char *name, size_t len,
			       struct vnode *vn);
/* Forgets the cached name (it expired, or is hidden by a mount); holders keep theirs. */
void dcache_drop(struct dentry *parent, const char *name, size_t len);
/* The same after this guest removed or renamed the name: holders' dentries are stale. */
void dcache_remove(struct dentry *parent, const char *name, size_t len);
void dcache_counts(uint64_t *entries, uint64_t *evictions);

/* vfs.c: the tree. */
struct dentry *vfs_root(void);
struct dentry *vfs_cwd(void);	    /* a reference */
void vfs_set_cwd(struct dentry *d); /* takes d's reference */
/* The mount whose root hides name in parent, or NULL. */
struct vfs_mount_entry *vfs_mount_at(struct dentry *parent, const char *name, size_t len);
bool vfs_is_mount_root(const struct dentry *d);
/* Counters (vfs_stats()). */
enum vfs_counter { VC_LOOKUPS, VC_HITS, VC_MISSES, VC_OPENS, VC_BAD_PATHS };
void vfs_count(enum vfs_counter c);

/* lookup.c: the walk. */
enum last_type { LAST_NORM, LAST_DOT, LAST_DOTDOT, LAST_ROOT };
#define WALK_FOLLOW 0x1 /* follow a symlink as the last name */
#define WALK_EMPTY 0x2	/* "" means the directory itself (AT_EMPTY_PATH) */

/* The walk flags a *at() call's AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH ask for. */
static inline unsigned walk_flags_at(int at_flags)
{
	return (at_flags & AT_SYMLINK_NOFOLLOW ? 0 : WALK_FOLLOW) |
	       (at_flags & AT_EMPTY_PATH ? WALK_EMPTY : 0);
}
struct walk {
	struct dentry *parent; /* the last name's directory (a reference) */
	struct dentry *d;      /* what the last name names (a reference), or NULL */
	enum last_type last_type;
	bool trailing_slash; /* the path ended with "/" */
	size_t len;	     /* of name */
	char name[VFS_NAME_MAX + 1];
};
/*
 * Walks path (the application's) from dirfd. 0 with w filled (w->d NULL
 * if the last name is not there, which only the caller can judge), or a
 * negative errno, with nothing held. Takes the namespace lock itself, and
 * returns with it held on success: the caller ends with walk_done().
 */
int walk_path(int dirfd, const char *path, unsigned flags, struct walk *w);
/* The same for a kernel path from a dentry (vfs_init's mounts). */
int walk_kernel(struct dentry *from, const char *path, unsigned flags, struct walk *w);
/* Drops what w holds and the namespace lock. */
void walk_done(struct walk *w);

/*
 * Two walks under one lock (rename, link): walk_prepare copies the path in
 * and finds its start without the lock; walk_run walks with the lock held
 * by the caller and leaves it so; walk_release drops what w holds only.
 * A prepared walker is consumed by walk_run or walk_abort.
 */
struct walker;
int walk_prepare(int dirfd, const char *path, unsigned flags, struct walker **k);
int walk_run(struct walker *k, struct walk *w);
void walk_abort(struct walker *k);
void walk_release(struct walk *w);

/* path.c: helpers for the other system-call files. */
/* walk_path() to a file that must exist (ENOENT; ENOTDIR for "file/"). */
int path_resolve(int dirfd, const char *path, unsigned wflags, struct walk *w);
/* Is the application's path ""? 1, 0 or -EFAULT. */
int path_is_empty(const char *path);
/* mode as a creating call applies it: less the umask, permission bits only. */
uint32_t path_create_mode(uint32_t mode);

/* vfile.c: open files. */
struct vfile {
	struct file file;
	struct vnode *vn;
	struct dentry *d;
	struct vfs_handle h;
	bool opened; /* vn->ops->open succeeded: close it at the end */
	struct mutex pos_lock;
	uint64_t pos; /* for a directory: the next readdir cookie */
};
/* A struct file on d's vnode, opened with flags: with a reference, or a negative errno in *err. */
struct file *vfile_open(struct dentry *d, int flags, int *err);
/* A file already opened by create(). */
struct file *vfile_wrap(struct dentry *d, int flags, struct vfs_handle *h, int *err);
/* The VFS's own object behind f, or NULL for pipes, sockets, the console... */
struct vfile *vfile_of(struct file *f);

/* Attributes in Linux's struct stat. */
void vattr_to_stat(const struct vattr *a, const struct vnode *vn, struct abi_stat *st);
/* A vnode's attributes, with the core's defaults when the file system gives none. */
int vnode_getattr(struct vnode *vn, struct vattr *a);

#endif
