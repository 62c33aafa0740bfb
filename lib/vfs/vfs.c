/*
 * The VFS core (lib/vfs/vfs.h, docs/vfs.md): vnodes, the mount table, the
 * root and the working directory, the boot-time mounts and the counters.
 * The dentry cache is dcache.c, the walk lookup.c, open files vfile.c and
 * the system calls path.c and vfs_sys.c.
 */
#include "lib/vfs/vfs.h"

#include <errno.h>
#include <string.h>

#include "lib/kc/include/stdlib.h" /* kmalloc(), by its path: the host test finds it too */
#include "kernel/errname.h"
#include "kernel/params.h"
#include "kernel/printk.h"
#include "lib/vfs/fd.h"
#include "lib/vfs/vfs_priv.h"

/* Only images with the fs subsystem (Makefile, FS_SRCS) carry 9pfs; the host tests no procfs. */
#pragma weak fs_9p_type
#pragma weak procfs_type

/*
 * The application's own files (APP_FILES in its app.mk), which the build
 * puts into the image (tools/appfiles.sh): "DIR/NAME" with its bytes, or
 * "DIR/" with none for an empty directory. Weak: most images have none.
 */
struct vfs_app_file {
	const char *path;
	const void *data;
	uint64_t size;
};
extern const struct vfs_app_file vfs_app_files[];
extern const uint64_t vfs_app_nfiles;
#pragma weak vfs_app_files
#pragma weak vfs_app_nfiles
#define APP_FILE_MODE 0644
#define APP_TMP_MODE 01777

/* st_dev of the first mount: major 0, minors from here, as Linux numbers its tmpfs mounts. */
#define FIRST_DEV 0x20

static const char *param_rootfs = "9pfs";
static const char *param_rootdev = "";
static const char *param_tmp = "";
PARAM_STRING("vfs.rootfs", param_rootfs, "the root file system: 9pfs (a host directory) or ramfs");
PARAM_STRING("vfs.rootdev", param_rootdev,
	     "the 9p mount tag of the root (default: rootfs, else fs0)");
PARAM_STRING("vfs.tmp", param_tmp, "ramfs: mount a RAM file system at /tmp");

static struct {
	struct mutex ns_lock;
	struct dentry *root, *cwd;
	struct list_head mounts; /* struct vfs_mount_entry */
	uint64_t next_dev;	 /* st_dev of the next mount */
	uint64_t counters[VC_BAD_PATHS + 1];
} vfs = { .mounts = { &vfs.mounts, &vfs.mounts } };

void vfs_ns_lock(void)
{
	mutex_lock(&vfs.ns_lock);
}

void vfs_ns_unlock(void)
{
	mutex_unlock(&vfs.ns_lock);
}

struct vnode *vnode_new(struct mount *mnt, const struct vnode_ops *ops, uint32_t type, uint64_t ino,
			void *priv)
{
	struct vnode *vn = kmalloc(sizeof(*vn));

	if (vn)
		*vn = (struct vnode){ .ops = ops,
				      .mnt = mnt,
				      .type = type & VFS_IFMT,
				      .ino = ino,
				      .refs = 1,
				      .priv = priv };
	return vn;
}

struct vnode *vnode_hold(struct vnode *vn)
{
	__atomic_add_fetch(&vn->refs, 1, __ATOMIC_RELAXED);
	return vn;
}

void vnode_put(struct vnode *vn)
{
	if (!vn || __atomic_sub_fetch(&vn->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	if (vn->ops->release)
		vn->ops->release(vn);
	kfree(vn);
}

struct dentry *vfs_root(void)
{
	return vfs.root;
}

struct dentry *vfs_cwd(void)
{
	return dentry_hold(vfs.cwd);
}

void vfs_set_cwd(struct dentry *d)
{
	struct dentry *old = vfs.cwd;

	vfs.cwd = d;
	dentry_put(old);
}

struct vfs_mount_entry *vfs_mount_at(struct dentry *parent, const char *name, size_t len)
{
	list_for_each(p, &vfs.mounts)
	{
		struct vfs_mount_entry *m = list_entry(p, struct vfs_mount_entry, link);

		if (m->root->parent == parent && m->root->len == len &&
		    !memcmp(m->root->name, name, len))
			return m;
	}
	return NULL;
}

bool vfs_is_mount_root(const struct dentry *d)
{
	return d->is_mount_root;
}

void vfs_count(enum vfs_counter c)
{
	__atomic_add_fetch(&vfs.counters[c], 1, __ATOMIC_RELAXED);
}

/* Mounts type on dev as a new file system: the entry, or NULL (the file system said why). */
static struct vfs_mount_entry *mount_new(const struct vfs_fstype *type, const char *dev,
					 const char *opts, int *err)
{
	struct vfs_mount_entry *m = kcalloc(1, sizeof(*m));
	struct vnode *root = NULL;

	*err = -ENOMEM;
	if (!m)
		return NULL;
	m->mnt.type = type;
	m->mnt.dev = dev;
	m->mnt.st_dev = FIRST_DEV + vfs.next_dev++;
	*err = type->mount(&m->mnt, dev, opts, &root);
	if (*err < 0) {
		kfree(m);
		return NULL;
	}
	m->mnt.root = root;
	return m;
}

/* Makes m's root the whole tree's. */
static int mount_root(struct vfs_mount_entry *m)
{
	m->root = dentry_new_root(NULL, "", 0, m->mnt.root);
	if (!m->root)
		return -ENOMEM;
	vnode_hold(m->mnt.root);
	vfs.root = m->root;
	vfs.cwd = dentry_hold(m->root);
	list_add_tail(&m->link, &vfs.mounts);
	return 0;
}

int vfs_mount(const char *path, const struct vfs_fstype *type, const char *dev, const char *opts)
{
	struct vfs_mount_entry *m;
	struct walk w;
	int err;

	err = walk_kernel(vfs.root, path, WALK_FOLLOW, &w);
	if (err < 0)
		return err;
	if (w.last_type != LAST_NORM)
		err = -EBUSY;
	else if (w.d && !VFS_ISDIR(w.d->vn->type))
		err = -ENOTDIR;
	else if (vfs_mount_at(w.parent, w.name, w.len))
		err = -EBUSY;
	if (err < 0)
		goto out;
	m = mount_new(type, dev, opts, &err);
	if (!m)
		goto out;
	m->root = dentry_new_root(w.parent, w.name, w.len, m->mnt.root);
	if (!m->root) {
		err = -ENOMEM;
		goto out;
	}
	vnode_hold(m->mnt.root);
	list_add_tail(&m->link, &vfs.mounts);
	dcache_drop(w.parent, w.name, w.len); /* what the name hid is not to be found */
	for (struct dentry *d = w.parent; d; d = d->parent)
		d->under_mount = true;
out:
	walk_done(&w);
	return err;
}

/* The 9p root, as vfs.rootdev asks: 0, or an errno after 9pfs said why. */
static int root_9p(void)
{
	struct vfs_mount_entry *m;
	int err;

	if (!&fs_9p_type) {
		pr_info("vfs: this image has no 9p support (it names no files); the root is a "
			"ramfs");
		return -ENODEV;
	}
	m = mount_new(&fs_9p_type, param_rootdev[0] ? param_rootdev : NULL, NULL, &err);
	if (!m) {
		pr_warn("vfs: no 9p root (%s); the root is a ramfs: files written there go away "
			"at exit",
			err_name(err));
		return err;
	}
	return mount_root(m);
}

static int root_ram(void)
{
	int err;
	struct vfs_mount_entry *m = mount_new(&ramfs_type, NULL, NULL, &err);

	return m ? mount_root(m) : err;
}

/* A directory in the root ramfs, for the mounts below it to hide nothing. */
static void make_dir(const char *name)
{
	struct vnode *root = vfs.root->vn;

	if (root->mnt->type == &ramfs_type && root->ops->mkdir)
		root->ops->mkdir(root, name, 01777);
}

/* Does the root have name (its own, or a mount there)? */
static bool root_has(const char *name, size_t len)
{
	struct vnode *root = vfs.root->vn, *vn;
	char buf[VFS_NAME_MAX + 1];
	const char *names[1] = { buf };

	if (vfs_mount_at(vfs.root, name, len))
		return true;
	memcpy(buf, name, len);
	buf[len] = '\0';
	if (root->ops->lookup(root, names, 1, &vn) < 1)
		return false;
	vnode_put(vn);
	return true;
}

/* The root vnode of the mount at /name (just made). */
static struct vnode *mounted_root(const char *name, size_t len)
{
	struct vfs_mount_entry *m = vfs_mount_at(vfs.root, name, len);

	return m ? m->root->vn : NULL;
}

/* File f (its directory mounted, with dir as root) into that ramfs. */
static int app_file_write(struct vnode *dir, const struct vfs_app_file *f, const char *name)
{
	struct vfs_handle h = { 0 };
	struct vnode *vn;
	uint64_t off = 0;
	long n;
	int err = dir->ops->create(dir, name, APP_FILE_MODE, O_WRONLY, &vn, &h);

	if (err < 0)
		return err;
	n = f->size ? vn->ops->write(vn, &h, f->data, f->size, &off, false) : 0;
	if (vn->ops->close)
		vn->ops->close(vn, &h);
	vnode_put(vn);
	return n < 0 ? (int)n : (uint64_t)n == f->size ? 0 : -ENOSPC;
}

/*
 * The application's files: each directory they name that the root lacks
 * becomes a ramfs of its own, with its files in it (tmp/: mode 1777, as
 * /tmp is). A directory the root has of its own (the share's /etc) is left
 * as it is, and the image's files for it are not used; a mount there (the
 * ramfs of vfs.tmp=ramfs) gets them. Boot time: nothing else walks yet.
 */
static void mount_app_files(void)
{
	char path[VFS_NAME_MAX + 2];

	for (uint64_t i = 0; &vfs_app_nfiles && i < vfs_app_nfiles; i++) {
		const struct vfs_app_file *f = &vfs_app_files[i];
		const char *slash = strchr(f->path, '/');
		size_t len = slash ? (size_t)(slash - f->path) : 0;
		struct vnode *dir;
		int err = 0;

		if (!len || len > VFS_NAME_MAX || strchr(slash + 1, '/')) {
			pr_warn("vfs: the image's file '%s' is not DIR/NAME; left out", f->path);
			continue;
		}
		dir = mounted_root(f->path, len);
		if (!dir && root_has(f->path, len))
			continue; /* the root's own directory */
		if (!dir) {
			path[0] = '/';
			memcpy(path + 1, f->path, len);
			path[len + 1] = '\0';
			err = vfs_mount(path, &ramfs_type, NULL, NULL);
			dir = err < 0 ? NULL : mounted_root(f->path, len);
			if (dir && len == 3 && !memcmp(f->path, "tmp", 3))
				dir->ops->setattr(dir, &(struct vattr_set){ .mask = VSET_MODE,
									    .mode = APP_TMP_MODE });
		}
		if (dir && slash[1])
			err = app_file_write(dir, f, slash + 1);
		if (!dir || err < 0)
			pr_warn("vfs: the image's file '%s' could not be made (%s)", f->path,
				err_name(err < 0 ? err : -ENOMEM));
	}
}

static bool checked_params(void)
{
	bool ram = !strcmp(param_rootfs, "ramfs");

	if (!ram && strcmp(param_rootfs, "9pfs"))
		pr_warn("vfs: vfs.rootfs=%s is neither 9pfs nor ramfs; using 9pfs", param_rootfs);
	if (param_tmp[0] && strcmp(param_tmp, "ramfs"))
		pr_warn("vfs: vfs.tmp=%s is not ramfs (the one file system /tmp can have); no "
			"mount at /tmp",
			param_tmp);
	return ram;
}

int vfs_init(void)
{
	bool ram = checked_params();
	int err = ram ? -ENODEV : root_9p();

	if (err < 0)
		err = root_ram();
	if (err < 0)
		return err;
	make_dir("tmp");
	err = vfs_mount("/dev", &devfs_type, NULL, NULL);
	if (err < 0)
		pr_warn("vfs: /dev could not be mounted (%s)", err_name(err));
	if (&procfs_type) {
		err = vfs_mount("/proc", &procfs_type, NULL, NULL);
		if (err < 0)
			pr_warn("vfs: /proc could not be mounted (%s)", err_name(err));
	}
	if (!strcmp(param_tmp, "ramfs")) {
		err = vfs_mount("/tmp", &ramfs_type, NULL, NULL);
		if (err < 0)
			pr_warn("vfs: a ramfs could not be mounted at /tmp (%s)", err_name(err));
	}
	mount_app_files();
	/* The report counts what the application asked for. */
	memset(vfs.counters, 0, sizeof(vfs.counters));
	return err == -ENOMEM ? err : 0;
}

void vfs_stats(struct vfs_stats *st)
{
	*st = (struct vfs_stats){ .lookups = vfs.counters[VC_LOOKUPS],
				  .dcache_hits = vfs.counters[VC_HITS],
				  .dcache_misses = vfs.counters[VC_MISSES],
				  .opens = vfs.counters[VC_OPENS],
				  .bad_paths = vfs.counters[VC_BAD_PATHS] };
}

void vfs_report(void)
{
	struct vfs_stats st;
	uint64_t entries, evictions;

	vfs_stats(&st);
	if (!st.lookups && !st.opens)
		return;
	dcache_counts(&entries, &evictions);
	pr_info("vfs: %lu lookups (%lu names from the dentry cache, %lu from the file system), "
		"%lu opens, %lu bad paths; %lu dentries, %lu evicted",
		(unsigned long)st.lookups, (unsigned long)st.dcache_hits,
		(unsigned long)st.dcache_misses, (unsigned long)st.opens,
		(unsigned long)st.bad_paths, (unsigned long)entries, (unsigned long)evictions);
	list_for_each(p, &vfs.mounts)
	{
		struct vfs_mount_entry *m = list_entry(p, struct vfs_mount_entry, link);

		if (m->mnt.type->report)
			m->mnt.type->report(&m->mnt);
	}
}
