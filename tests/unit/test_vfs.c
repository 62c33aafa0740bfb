/*
 * The VFS core (lib/vfs: the walk, the dentry cache, mounts, open files,
 * the path calls) over ramfs and devfs, and over a fake file system that
 * counts its lookup calls and whose names expire: several uncached names
 * go to the file system in one lookup, cached ones not at all, expired
 * ones again; ".." leaves a mount; the cache stays bounded; the
 * application's own files fill the directories the root lacks.
 *
 * The modules are kernel code: application memory is plain memory here
 * (NULL is the bad pointer), the clock is a variable, pages come from
 * malloc, and mutexes are free (one thread, no thread pointer; the shared
 * stand-ins are tests/unit/fake_kernel.c's and fake_vfs.c's). Each case runs in a process
 * of its own (check.h), so each boots its own VFS.
 */
#define CHECK_SUITE "vfs"
#include "tests/unit/check.h"

#include <errno.h>

#include "kernel/page.h"
#include "kernel/params.h"
#include "lib/vfs/fd.h"
#include "lib/vfs/path.h"
#include "lib/vfs/vfs.h"
#include "lib/vfs/vfs_priv.h"
#include "sched/sched.h"
#include "sched/sync.h"
#include "tests/unit/fake_kernel.h"
#include "tests/unit/fake_vfs.h"

#define O_CREAT 0100
#define O_EXCL 0200
#define O_DIRECTORY 0200000
#define FAKE_TTL 1000

/* ---- the host stand-ins ---- */

void page_stats(struct page_stats *st)
{
	*st = (struct page_stats){ .total = 64 << 20, .free = 32 << 20 };
}

/* ---- a fake file system: a/b/c/d, each a directory, names that expire ---- */

static struct {
	int calls, last_n; /* lookup calls, and how many names the last one asked for */
} fake;

static const struct vnode_ops fake_ops;

static int fake_lookup(struct vnode *dir, const char *const *names, int n, struct vnode **out)
{
	int i;

	fake.calls++;
	fake.last_n = n;
	for (i = 0; i < n; i++) {
		/* Each directory holds one name: the next letter after its own. */
		char want = (char)('a' + dir->ino);

		if (names[i][0] != want || names[i][1])
			break;
		out[i] = vnode_new(dir->mnt, &fake_ops, VFS_IFDIR, dir->ino + 1, NULL);
		dir = out[i];
	}
	return i ? i : -ENOENT;
}

static const struct vnode_ops fake_ops = { .lookup = fake_lookup };

static int fake_mount(struct mount *mnt, const char *dev, const char *opts, struct vnode **root)
{
	(void)dev, (void)opts;
	*root = vnode_new(mnt, &fake_ops, VFS_IFDIR, 0, NULL);
	return 0;
}

static const struct vfs_fstype fake_type = {
	.name = "fake",
	.mount = fake_mount,
	.dentry_ttl_ns = FAKE_TTL,
};

/* ---- the application's own files (APP_FILES), laid out as tools/appfiles.sh does ---- */

struct vfs_app_file {
	const char *path;
	const void *data;
	uint64_t size;
};

const struct vfs_app_file vfs_app_files[] = {
	{ "ceres/conf", "abc", 3 }, { "ceres/empty", "", 0 }, { "etc/passwd", "nobody\n", 7 },
	{ "tmp/hidden", "x", 1 },   { "nodir", "x", 1 },      { "a/b/c", "x", 1 },
};
const uint64_t vfs_app_nfiles = sizeof(vfs_app_files) / sizeof(vfs_app_files[0]);

/* ---- helpers ---- */

/* A booted VFS: the ramfs root (no 9p in this binary), /dev, and the fake at /mnt. */
static void boot(void)
{
	CHECK_EQ(vfs_init(), 0);
	CHECK_EQ(sys_mkdir("/mnt", 0755), 0);
	CHECK_EQ(vfs_mount("/mnt", &fake_type, NULL, NULL), 0);
}

static long stat_of(const char *path, struct abi_stat *st)
{
	return sys_newfstatat(AT_FDCWD, path, st, 0);
}

/* ---- the cases ---- */

TEST(root_is_ramfs_without_9p)
{
	struct abi_stat st;

	boot();
	CHECK_STRSTR(fake_log(), "this image has no 9p support");
	CHECK_EQ(stat_of("/tmp", &st), 0);
	CHECK_EQ(st.st_mode & VFS_IFMT, VFS_IFDIR);
	CHECK_EQ(stat_of("/dev/null", &st), 0);
	CHECK_EQ(st.st_rdev, 0x103);
}

TEST(uncached_names_go_in_one_lookup)
{
	struct abi_stat st;

	boot();
	fake.calls = 0;
	CHECK_EQ(stat_of("/mnt/a/b/c/d", &st), 0);
	CHECK_EQ(fake.calls, 1);
	CHECK_EQ(fake.last_n, 4);
	CHECK_EQ(st.st_ino, 4);
	CHECK_EQ(stat_of("/mnt/a/b/c/d", &st), 0);
	CHECK_EQ(fake.calls, 1); /* all four from the cache */
	CHECK_EQ(stat_of("/mnt/a/b/x", &st), -ENOENT);
	CHECK_EQ(fake.calls, 2);
	CHECK_EQ(fake.last_n, 1);
}

TEST(expired_names_are_looked_up_again)
{
	struct abi_stat st;

	boot();
	CHECK_EQ(stat_of("/mnt/a/b", &st), 0);
	fake.calls = 0;
	fake_now += FAKE_TTL - 1;
	CHECK_EQ(stat_of("/mnt/a/b", &st), 0);
	CHECK_EQ(fake.calls, 0);
	fake_now += 2;
	CHECK_EQ(stat_of("/mnt/a/b", &st), 0);
	CHECK_EQ(fake.calls, 1);
	CHECK_EQ(fake.last_n, 2);
}

TEST(dotdot_leaves_a_mount_and_never_the_root)
{
	struct abi_stat st;
	char buf[64];

	boot();
	CHECK_EQ(sys_chdir("/mnt/a/b"), 0);
	CHECK_EQ(sys_getcwd(buf, sizeof(buf)), 9);
	CHECK_STREQ(buf, "/mnt/a/b");
	CHECK_EQ(stat_of("../../../dev/null", &st), 0);
	CHECK_EQ(stat_of("../../../../../../dev/zero", &st), 0);
	CHECK_EQ(sys_chdir("/dev"), 0);
	CHECK_EQ(sys_chdir(".."), 0);
	CHECK_EQ(sys_getcwd(buf, sizeof(buf)), 2);
	CHECK_STREQ(buf, "/");
	CHECK_EQ(sys_getcwd(buf, 1), -ERANGE);
	CHECK_EQ(sys_rmdir("/dev"), -EBUSY);
	CHECK_EQ(sys_rename("/dev/null", "/tmp/null"), -EXDEV);
}

TEST(path_errors)
{
	struct abi_stat st;
	char *longname = calloc(1, VFS_PATH_MAX + 1);

	boot();
	CHECK_EQ(stat_of(NULL, &st), -EFAULT);
	CHECK_EQ(stat_of("", &st), -ENOENT);
	memset(longname, 'x', VFS_NAME_MAX + 1);
	CHECK_EQ(stat_of(longname, &st), -ENAMETOOLONG);
	memset(longname, '/', VFS_PATH_MAX);
	CHECK_EQ(stat_of(longname, &st), -ENAMETOOLONG);
	longname[VFS_PATH_MAX - 1] = '\0';
	CHECK_EQ(stat_of(longname, &st), 0); /* 4095 slashes: the root */
	free(longname);
	CHECK_EQ(sys_symlink("loop", "/tmp/loop"), 0);
	CHECK_EQ(stat_of("/tmp/loop", &st), -ELOOP);
	CHECK_EQ(sys_newfstatat(AT_FDCWD, "/tmp/loop", &st, AT_SYMLINK_NOFOLLOW), 0);
	CHECK_EQ(stat_of("/dev/null/x", &st), -ENOTDIR);
	CHECK_EQ(stat_of("/dev/null/", &st), -ENOTDIR);
	CHECK_EQ(sys_openat(99, "x", 0, 0), -EBADF);
}

TEST(symlinks_up_to_the_limit)
{
	struct abi_stat st;
	char from[32], to[32];

	boot();
	CHECK_EQ(sys_mkdir("/tmp/d", 0755), 0);
	CHECK_EQ(sys_symlink("d", "/tmp/l0"), 0);
	for (int i = 1; i <= VFS_SYMLINKS_MAX; i++) {
		snprintf(from, sizeof(from), "l%d", i - 1);
		snprintf(to, sizeof(to), "/tmp/l%d", i);
		CHECK_EQ(sys_symlink(from, to), 0);
	}
	CHECK_EQ(stat_of("/tmp/l39", &st), 0);
	CHECK_EQ(stat_of("/tmp/l40", &st), -ELOOP);
	CHECK_EQ(stat_of("/tmp/l39/", &st), 0);
}

TEST(the_cache_stays_bounded)
{
	struct abi_stat st;
	uint64_t entries, evictions;
	char name[32];

	boot();
	CHECK_EQ(sys_mkdir("/tmp/w", 0755), 0);
	for (int i = 0; i < DCACHE_MAX + 500; i++) {
		long fd;

		snprintf(name, sizeof(name), "/tmp/w/%d", i);
		fd = sys_openat(AT_FDCWD, name, O_CREAT | O_EXCL, 0644);
		CHECK(fd >= 0);
		sys_close((int)fd);
	}
	dcache_counts(&entries, &evictions);
	CHECK(entries <= DCACHE_MAX + 16);
	CHECK(evictions >= 500);
	CHECK_EQ(stat_of("/tmp/w/0", &st), 0); /* evicted, found again */
}

TEST(app_files_fill_what_the_root_lacks)
{
	struct abi_stat st;
	char buf[16];
	long fd;

	boot();
	fd = sys_openat(AT_FDCWD, "/ceres/conf", 0, 0);
	CHECK(fd >= 0);
	CHECK_EQ(sys_read((int)fd, buf, sizeof(buf)), 3);
	CHECK(!memcmp(buf, "abc", 3));
	sys_close((int)fd);
	CHECK_EQ(stat_of("/ceres/empty", &st), 0);
	CHECK_EQ(st.st_size, 0);
	CHECK_EQ(st.st_mode, VFS_IFREG | 0644);
	CHECK_EQ(stat_of("/etc/passwd", &st), 0);
	CHECK_EQ(st.st_size, 7);
	CHECK_EQ(sys_rmdir("/ceres"), -EBUSY); /* a ramfs of its own */
	/* The root has a /tmp of its own: the image's file for it is not used. */
	CHECK_EQ(stat_of("/tmp/hidden", &st), -ENOENT);
	CHECK_STRSTR(fake_log(), "the image's file 'nodir' is not DIR/NAME");
	CHECK_STRSTR(fake_log(), "the image's file 'a/b/c' is not DIR/NAME");
}

TEST(open_read_write_and_list)
{
	char buf[256];
	long fd, n, dfd;
	int names = 0;

	boot();
	fd = sys_openat(AT_FDCWD, "/tmp/f", O_CREAT | O_EXCL | O_RDWR, 0644);
	CHECK(fd >= 0);
	CHECK_EQ(sys_openat(AT_FDCWD, "/tmp/f", O_CREAT | O_EXCL, 0644), -EEXIST);
	CHECK_EQ(sys_write((int)fd, "hello", 5), 5);
	CHECK_EQ(sys_pread64((int)fd, buf, sizeof(buf), 1), 4);
	CHECK(!memcmp(buf, "ello", 4));
	CHECK_EQ(sys_lseek((int)fd, 0, 1), 5);
	CHECK_EQ(sys_read((int)fd, NULL, 1), 0); /* at the end: nothing to copy */
	sys_close((int)fd);
	dfd = sys_openat(AT_FDCWD, "/tmp", O_DIRECTORY, 0);
	CHECK(dfd >= 0);
	CHECK_EQ(sys_getdents64((int)dfd, buf, 8), -EINVAL);
	while ((n = sys_getdents64((int)dfd, buf, 40)) > 0)
		for (long off = 0; off < n; off += *(uint16_t *)(buf + off + 16))
			names++;
	CHECK_EQ(names, 3); /* ., .., f */
	CHECK_EQ(sys_lseek((int)dfd, 0, 0), 0);
	CHECK(sys_getdents64((int)dfd, buf, sizeof(buf)) > 0);
	sys_close((int)dfd);
	CHECK_EQ(sys_unlinkat(AT_FDCWD, "/tmp", AT_REMOVEDIR), -ENOTEMPTY);
	CHECK_EQ(sys_unlink("/tmp/f"), 0);
	CHECK_EQ(sys_unlink("/tmp/f"), -ENOENT);
}

/* rlimit.nofile=N sets the fd table's limit the application starts with. */
TEST(rlimit_nofile_parameter)
{
	char good[] = "rlimit.nofile=4";
	char bad[] = "rlimit.nofile=0 rlimit.nofile=65537 rlimit.nofile=x";
	struct params_result r;
	long fd;

	boot();
	CHECK_EQ(fd_limit(), FD_SOFT_DEFAULT);
	params_parse(good, __start_ceres_params, __stop_ceres_params, &r);
	CHECK_EQ(fd_limit(), 4);
	do
		fd = sys_openat(AT_FDCWD, "/dev/null", 0, 0);
	while (fd >= 0 && fd < 4);
	CHECK_EQ(fd, -EMFILE);
	params_parse(bad, __start_ceres_params, __stop_ceres_params, &r);
	CHECK_EQ(fd_limit(), 4);
}
