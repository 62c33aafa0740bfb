/*
 * devfs (lib/vfs/vfs.h, docs/vfs.md): /dev, with the device files programs
 * expect whatever the root is. One flat directory of character devices
 * with Linux's numbers and modes; their vnodes are made at mount and live
 * as long as the kernel. chmod, chown and utimes are kept, as devtmpfs
 * keeps them; there is nothing else to change.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lib/kc/include/stdlib.h" /* kmalloc(), by its path: the host test finds it too */
#include "kernel/console.h"
#include "kernel/random.h"
#include "kernel/time.h"
#include "lib/vfs/console.h"
#include "lib/vfs/vfs.h"

#define DEVFS_MAGIC 0x01021994 /* devtmpfs is a tmpfs */
#define DT_DIR 4
#define DT_CHR 2
#define ROOT_INO 1
#define ZERO_CHUNK 4096

/* Linux's st_rdev: new_encode_dev(). */
#define RDEV(major, minor) (((minor)&0xffu) | ((major) << 8) | (((minor) & ~0xffu) << 12))

enum dev_kind { DEV_NULL, DEV_ZERO, DEV_FULL, DEV_RANDOM, DEV_CONSOLE };

struct dev {
	const char *name;
	enum dev_kind kind;
	uint32_t major, minor, mode;
};

/*
 * Linux's /dev/stdin, stdout and stderr are symlinks into /proc/self/fd/,
 * which reopen whatever fds 0-2 are. Here they are the console itself, what
 * fds 0-2 are at start: nginx's default access log is /dev/stdout.
 */
static const struct dev devs[] = {
	{ "console", DEV_CONSOLE, 5, 1, 0600 }, { "full", DEV_FULL, 1, 7, 0666 },
	{ "null", DEV_NULL, 1, 3, 0666 },	{ "random", DEV_RANDOM, 1, 8, 0666 },
	{ "stderr", DEV_CONSOLE, 5, 1, 0600 },	{ "stdin", DEV_CONSOLE, 5, 1, 0600 },
	{ "stdout", DEV_CONSOLE, 5, 1, 0600 },	{ "tty", DEV_CONSOLE, 5, 0, 0666 },
	{ "urandom", DEV_RANDOM, 1, 9, 0666 },	{ "zero", DEV_ZERO, 1, 5, 0666 },
};
#define NDEVS (sizeof(devs) / sizeof(devs[0]))

/* What chmod, chown and utimes change, per node (the root is the last). */
struct node_attr {
	uint32_t mode, uid, gid;
	struct vfs_time atime, mtime, ctime;
};

static struct {
	struct mutex lock;
	struct vnode *root, *vns[NDEVS];
	struct node_attr attr[NDEVS + 1];
} devfs;

static const struct vnode_ops dev_ops, root_ops;

static struct vfs_time now(void)
{
	uint64_t ns = clock_realtime_ns();

	return (struct vfs_time){ (int64_t)(ns / 1000000000u), (int64_t)(ns % 1000000000u) };
}

static const struct dev *dev_of(struct vnode *vn)
{
	return vn->priv;
}

static struct node_attr *attr_of(struct vnode *vn)
{
	return vn == devfs.root ? &devfs.attr[NDEVS] : &devfs.attr[dev_of(vn) - devs];
}

static int dev_lookup(struct vnode *dir, const char *const *names, int n, struct vnode **out)
{
	(void)dir, (void)n;
	for (size_t i = 0; i < NDEVS; i++) {
		if (!strcmp(devs[i].name, names[0])) {
			out[0] = vnode_hold(devfs.vns[i]);
			return 1;
		}
	}
	return -ENOENT;
}

static int dev_getattr(struct vnode *vn, struct vattr *a)
{
	const struct node_attr *na = attr_of(vn);

	mutex_lock(&devfs.lock);
	*a = (struct vattr){ .mode = na->mode,
			     .uid = na->uid,
			     .gid = na->gid,
			     .ino = vn->ino,
			     .nlink = vn == devfs.root ? 2 : 1,
			     .blksize = 4096,
			     .atime = na->atime,
			     .mtime = na->mtime,
			     .ctime = na->ctime };
	if (vn != devfs.root)
		a->rdev = RDEV(dev_of(vn)->major, dev_of(vn)->minor);
	else
		a->size = (NDEVS + 2) * 20;
	mutex_unlock(&devfs.lock);
	return 0;
}

static int dev_setattr(struct vnode *vn, const struct vattr_set *s)
{
	struct node_attr *na = attr_of(vn);
	struct vfs_time t = now();

	if (s->mask & VSET_SIZE)
		return vn == devfs.root ? -EISDIR : 0; /* O_TRUNC of a device is nothing */
	mutex_lock(&devfs.lock);
	if (s->mask & VSET_MODE)
		na->mode = (na->mode & VFS_IFMT) | (s->mode & 07777);
	if (s->mask & VSET_UID)
		na->uid = s->uid;
	if (s->mask & VSET_GID)
		na->gid = s->gid;
	if (s->mask & (VSET_ATIME | VSET_ATIME_NOW))
		na->atime = s->mask & VSET_ATIME ? s->atime : t;
	if (s->mask & (VSET_MTIME | VSET_MTIME_NOW))
		na->mtime = s->mask & VSET_MTIME ? s->mtime : t;
	na->ctime = t;
	mutex_unlock(&devfs.lock);
	return 0;
}

/* h->priv keeps the open flags: the console's reads honour O_NONBLOCK. */
static int dev_open(struct vnode *vn, int flags, struct vfs_handle *h)
{
	(void)vn;
	h->priv = (void *)(uintptr_t)(unsigned)flags;
	return 0;
}

static long dev_read(struct vnode *vn, struct vfs_handle *h, void *buf, size_t n, uint64_t off)
{
	(void)off;
	switch (dev_of(vn)->kind) {
	case DEV_NULL:
		return 0;
	case DEV_ZERO:
	case DEV_FULL:
		memset(buf, 0, n);
		return (long)n;
	case DEV_RANDOM:
		random_fill(buf, n);
		return (long)n;
	case DEV_CONSOLE:
		return console_input_read(buf, n, (uintptr_t)h->priv & O_NONBLOCK);
	}
	return -EINVAL;
}

static long dev_write(struct vnode *vn, struct vfs_handle *h, const void *buf, size_t n,
		      uint64_t *off, bool append)
{
	(void)h, (void)off, (void)append;
	switch (dev_of(vn)->kind) {
	case DEV_FULL:
		return -ENOSPC;
	case DEV_CONSOLE:
		console_write(buf, n);
		return (long)n;
	default:
		return (long)n; /* null and zero swallow it; random mixes nothing in */
	}
}

static int dev_readdir(struct vnode *vn, struct vfs_handle *h, uint64_t cookie, vfs_filldir fill,
		       void *ctx)
{
	(void)h;
	if (cookie < 1 && !fill(ctx, ".", 1, vn->ino, DT_DIR, 1))
		return 0;
	if (cookie < 2 && !fill(ctx, "..", 2, vn->ino, DT_DIR, 2))
		return 0;
	for (uint64_t i = cookie < 2 ? 0 : cookie - 2; i < NDEVS; i++)
		if (!fill(ctx, devs[i].name, strlen(devs[i].name), devfs.vns[i]->ino, DT_CHR,
			  i + 3))
			break;
	return 0;
}

static int dev_statfs(struct vnode *vn, struct vfs_statfs *st)
{
	(void)vn;
	*st = (struct vfs_statfs){ .type = DEVFS_MAGIC,
				   .bsize = 4096,
				   .files = NDEVS + 1,
				   .namelen = VFS_NAME_MAX,
				   .frsize = 4096 };
	return 0;
}

static const struct vnode_ops root_ops = {
	.lookup = dev_lookup,
	.getattr = dev_getattr,
	.setattr = dev_setattr,
	.open = dev_open,
	.readdir = dev_readdir,
	.statfs = dev_statfs,
};

static const struct vnode_ops dev_ops = {
	.getattr = dev_getattr,
	.setattr = dev_setattr,
	.open = dev_open,
	.read = dev_read,
	.write = dev_write,
	.statfs = dev_statfs,
};

/* Made once; a second mount shares the nodes. */
static int make_nodes(struct mount *mnt)
{
	struct vfs_time t = now();

	devfs.root = vnode_new(mnt, &root_ops, VFS_IFDIR, ROOT_INO, NULL);
	if (!devfs.root)
		return -ENOMEM;
	devfs.attr[NDEVS] =
		(struct node_attr){ .mode = VFS_IFDIR | 0755, .atime = t, .mtime = t, .ctime = t };
	for (size_t i = 0; i < NDEVS; i++) {
		devfs.vns[i] =
			vnode_new(mnt, &dev_ops, VFS_IFCHR, ROOT_INO + 1 + i, (void *)&devs[i]);
		if (!devfs.vns[i])
			return -ENOMEM;
		devfs.attr[i] = (struct node_attr){
			.mode = VFS_IFCHR | devs[i].mode, .atime = t, .mtime = t, .ctime = t
		};
	}
	return 0;
}

static int devfs_mount(struct mount *mnt, const char *dev, const char *opts, struct vnode **root)
{
	int err;

	(void)dev, (void)opts;
	if (!devfs.root) {
		err = make_nodes(mnt);
		if (err < 0)
			return err;
	}
	*root = vnode_hold(devfs.root);
	return 0;
}

const struct vfs_fstype devfs_type = {
	.name = "devfs",
	.mount = devfs_mount,
};
