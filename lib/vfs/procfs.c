/*
 * procfs (lib/vfs/vfs.h, docs/vfs.md "/proc"): the few files of Linux's
 * /proc that programs read about themselves, in Linux's formats. One
 * process, pid 1:
 *
 *   /proc/self -> 1, /proc/thread-self -> 1/task/TID, /proc/meminfo
 *   /proc/1/{stat,statm,status,comm}, /proc/1/task/TID/{stat,statm,status,comm}
 *
 * A vnode is made at each lookup and names what it shows in its priv (a
 * kind, a tid and whether it is a task's view); nothing is kept between
 * lookups, so a thread that has exited is simply not found (ENOENT), and
 * an open file of one reads ESRCH. A file's text is made when it is read
 * at offset 0 (or first read) and kept in the open handle, so reads in
 * pieces see one consistent snapshot, as Linux's seq_file gives.
 *
 * comm is writable: the first 15 bytes name the thread (musl's
 * pthread_setname_np() of another thread writes task/TID/comm). The other
 * files refuse writes as Linux does: EINVAL, and EIO for meminfo.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/kc/include/stdlib.h" /* kmalloc(), by its path: the host test finds it too */
#include "kernel/irq.h"
#include "kernel/page.h"
#include "kernel/sections.h"
#include "kernel/time.h"
#include "lib/vfs/vfs.h"
#include "sched/sched.h"

#define PROC_SUPER_MAGIC 0x9fa0
#define PROC_PID 1
#define PROC_TTL_NS 1 /* names are looked up afresh each time: threads come and go */
#define DT_DIR 4
#define DT_REG 8
#define DT_LNK 10
#define COMM_MAX 15 /* Linux's TASK_COMM_LEN less its NUL */
#define USER_HZ 100 /* AT_CLKTCK: the unit of stat's times */
#define TEXT_MAX 4096
#define TID_BATCH 32
#define PF_RANDOMIZE 0x00400000 /* what stat's flags show for a Linux process */
#define EXIT_SIGNAL 17		/* SIGCHLD */

enum kind {
	K_ROOT,
	K_SELF,
	K_THREAD_SELF,
	K_MEMINFO,
	K_PID,
	K_TASKS,
	K_TID,
	K_STAT,
	K_STATM,
	K_STATUS,
	K_COMM
};

/* What a vnode shows, packed in its priv: a kind, a tid, and whether it is a task's view. */
#define NODE(kind, tid, task) ((void *)(uintptr_t)(((uint64_t)(tid) << 9) | ((task) << 8) | (kind)))
#define NODE_KIND(vn) ((enum kind)((uintptr_t)(vn)->priv & 0xff))
#define NODE_TASK(vn) (((uintptr_t)(vn)->priv >> 8) & 1)
#define NODE_TID(vn) ((uint64_t)(uintptr_t)(vn)->priv >> 9)

struct entry {
	const char *name;
	enum kind kind;
};

static const struct entry root_entries[] = {
	{ "meminfo", K_MEMINFO },
	{ "self", K_SELF },
	{ "thread-self", K_THREAD_SELF },
};

/* A pid's directory; a task's has all but "task". */
static const struct entry pid_entries[] = {
	{ "comm", K_COMM },	{ "stat", K_STAT },  { "statm", K_STATM },
	{ "status", K_STATUS }, { "task", K_TASKS },
};
#define NROOT (sizeof(root_entries) / sizeof(root_entries[0]))
#define NPID (sizeof(pid_entries) / sizeof(pid_entries[0]))

/* An open file: its text, made at a read from offset 0. */
struct proc_text {
	struct mutex lock;
	bool made;
	size_t len;
	char buf[TEXT_MAX];
};

/* A thread as the files show it, copied with interrupts off. */
struct thread_view {
	char name[COMM_MAX + 1];
	char state;
	uint64_t runtime_ns;
};

static const struct vnode_ops dir_ops, link_ops, file_ops;

/* An application thread (the system-call layer keeps state for it). Interrupts off. */
static bool is_app_tid(struct thread *t, void *arg)
{
	return *thread_abi(t) && thread_id(t) == *(const uint64_t *)arg;
}

static bool count_app(struct thread *t, void *arg)
{
	*(unsigned *)arg += *thread_abi(t) != NULL;
	return false;
}

static unsigned app_threads(void)
{
	unsigned long flags = irq_save();
	unsigned n = 0;

	sched_find_thread(count_app, &n);
	irq_restore(flags);
	return n;
}

static bool view(uint64_t tid, struct thread_view *v)
{
	unsigned long flags = irq_save();
	struct thread *t = sched_find_thread(is_app_tid, &tid);

	if (t) {
		strncpy(v->name, thread_name(t), COMM_MAX);
		v->name[COMM_MAX] = '\0';
		v->state = thread_state_letter(t);
		v->runtime_ns = thread_runtime_ns(t);
	}
	irq_restore(flags);
	return t != NULL;
}

/* The tids of application threads from min on, ascending, at most max of them. */
struct tid_batch {
	uint64_t min;
	uint64_t tids[TID_BATCH];
	size_t n;
};

static bool collect(struct thread *t, void *arg)
{
	struct tid_batch *b = arg;
	uint64_t id = thread_id(t);
	size_t i;

	if (!*thread_abi(t) || id < b->min)
		return false;
	if (b->n == TID_BATCH && id > b->tids[TID_BATCH - 1])
		return false;
	for (i = b->n < TID_BATCH ? b->n : TID_BATCH - 1; i > 0 && b->tids[i - 1] > id; i--)
		b->tids[i] = b->tids[i - 1];
	b->tids[i] = id;
	if (b->n < TID_BATCH)
		b->n++;
	return false;
}

static void tids_from(struct tid_batch *b, uint64_t min)
{
	unsigned long flags = irq_save();

	b->min = min;
	b->n = 0;
	sched_find_thread(collect, b);
	irq_restore(flags);
}

/* A decimal name ("12") as a tid; 0 if it is none. */
static uint64_t tid_of_name(const char *s)
{
	uint64_t v = 0;

	if (*s < '1' || *s > '9')
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	return v;
}

static uint32_t type_of(enum kind k)
{
	switch (k) {
	case K_SELF:
	case K_THREAD_SELF:
		return VFS_IFLNK;
	case K_ROOT:
	case K_PID:
	case K_TASKS:
	case K_TID:
		return VFS_IFDIR;
	default:
		return VFS_IFREG;
	}
}

/* readdir's d_type for a kind. */
static unsigned dtype_of(enum kind k)
{
	uint32_t type = type_of(k);

	return VFS_ISDIR(type) ? DT_DIR : VFS_ISLNK(type) ? DT_LNK : DT_REG;
}

static struct vnode *node_new(struct vnode *dir, enum kind kind, uint64_t tid, bool task)
{
	uint32_t type = type_of(kind);
	const struct vnode_ops *ops = VFS_ISDIR(type) ? &dir_ops : &file_ops;
	void *priv = NODE(kind, tid, task);
	struct vnode *vn;

	if (VFS_ISLNK(type))
		ops = &link_ops;
	vn = vnode_new(dir->mnt, ops, type, (uint64_t)(uintptr_t)priv + 1, priv);
	if (vn && VFS_ISREG(type))
		vn->flags = VNODE_SEQ;
	return vn;
}

static int lookup_in(const struct entry *e, size_t n, struct vnode *dir, const char *name,
		     uint64_t tid, bool task, struct vnode **out)
{
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(e[i].name, name)) {
			*out = node_new(dir, e[i].kind, tid, task);
			return *out ? 1 : -ENOMEM;
		}
	}
	return -ENOENT;
}

static int proc_lookup(struct vnode *dir, const char *const *names, int n, struct vnode **out)
{
	uint64_t tid = tid_of_name(names[0]);
	struct thread_view v;

	(void)n;
	switch (NODE_KIND(dir)) {
	case K_ROOT:
		if (tid == PROC_PID) {
			*out = node_new(dir, K_PID, PROC_PID, false);
			return *out ? 1 : -ENOMEM;
		}
		return lookup_in(root_entries, NROOT, dir, names[0], 0, false, out);
	case K_PID:
		return lookup_in(pid_entries, NPID, dir, names[0], PROC_PID, false, out);
	case K_TID:
		return lookup_in(pid_entries, NPID - 1, dir, names[0], NODE_TID(dir), true, out);
	case K_TASKS:
		if (!tid || !view(tid, &v))
			return -ENOENT;
		*out = node_new(dir, K_TID, tid, true);
		return *out ? 1 : -ENOMEM;
	default:
		return -ENOTDIR;
	}
}

static int proc_getattr(struct vnode *vn, struct vattr *a)
{
	uint64_t ns = clock_realtime_ns();
	struct vfs_time t = { (int64_t)(ns / NSEC_PER_SEC), (int64_t)(ns % NSEC_PER_SEC) };
	enum kind k = NODE_KIND(vn);

	*a = (struct vattr){
		.ino = vn->ino, .nlink = 1, .blksize = 1024, .atime = t, .mtime = t, .ctime = t
	};
	if (VFS_ISDIR(vn->type)) {
		a->mode = VFS_IFDIR | 0555;
		a->nlink = 2;
	} else if (VFS_ISLNK(vn->type)) {
		a->mode = VFS_IFLNK | 0777;
	} else {
		a->mode = VFS_IFREG | (k == K_COMM ? 0644 : 0444);
	}
	return 0;
}

/* O_CREAT and mkdir in /proc: nothing may be made there, and Linux says ENOENT. */
static int proc_create(struct vnode *dir, const char *name, uint32_t mode, int flags,
		       struct vnode **out, struct vfs_handle *h)
{
	(void)dir, (void)name, (void)mode, (void)flags, (void)out, (void)h;
	return -ENOENT;
}

static int proc_mkdir(struct vnode *dir, const char *name, uint32_t mode)
{
	(void)dir, (void)name, (void)mode;
	return -ENOENT;
}

static int fill_entries(const struct entry *e, size_t n, uint64_t first, uint64_t tid, bool task,
			uint64_t cookie, vfs_filldir fill, void *ctx)
{
	for (uint64_t i = cookie > first ? cookie - first : 0; i < n; i++) {
		const void *priv = NODE(e[i].kind, tid, task);

		if (!fill(ctx, e[i].name, strlen(e[i].name), (uint64_t)(uintptr_t)priv + 1,
			  dtype_of(e[i].kind), first + i + 1))
			return 1;
	}
	return 0;
}

/* The tasks directory: a cookie past ".." is the last tid listed, plus 3. */
static void fill_tids(uint64_t cookie, vfs_filldir fill, void *ctx)
{
	struct tid_batch b;
	char name[24];

	for (uint64_t min = cookie < 3 ? 1 : cookie - 2;; min = b.tids[b.n - 1] + 1) {
		tids_from(&b, min);
		if (!b.n)
			return;
		for (size_t i = 0; i < b.n; i++) {
			int len = snprintf(name, sizeof(name), "%lu", (unsigned long)b.tids[i]);

			if (!fill(ctx, name, (size_t)len,
				  (uint64_t)(uintptr_t)NODE(K_TID, b.tids[i], true) + 1, DT_DIR,
				  b.tids[i] + 3))
				return;
		}
	}
}

static int proc_readdir(struct vnode *vn, struct vfs_handle *h, uint64_t cookie, vfs_filldir fill,
			void *ctx)
{
	enum kind k = NODE_KIND(vn);

	(void)h;
	if (cookie < 1 && !fill(ctx, ".", 1, vn->ino, DT_DIR, 1))
		return 0;
	if (cookie < 2 && !fill(ctx, "..", 2, vn->ino, DT_DIR, 2))
		return 0;
	if (k == K_ROOT) {
		if (fill_entries(root_entries, NROOT, 2, 0, false, cookie, fill, ctx))
			return 0;
		if (cookie < NROOT + 3)
			fill(ctx, "1", 1, (uint64_t)(uintptr_t)NODE(K_PID, PROC_PID, false) + 1,
			     DT_DIR, NROOT + 3);
	} else if (k == K_PID) {
		fill_entries(pid_entries, NPID, 2, PROC_PID, false, cookie, fill, ctx);
	} else if (k == K_TID) {
		fill_entries(pid_entries, NPID - 1, 2, NODE_TID(vn), true, cookie, fill, ctx);
	} else {
		fill_tids(cookie, fill, ctx);
	}
	return 0;
}

static long proc_readlink(struct vnode *vn, char *buf, size_t size)
{
	char target[48];
	int len = NODE_KIND(vn) == K_SELF
			  ? snprintf(target, sizeof(target), "%d", PROC_PID)
			  : snprintf(target, sizeof(target), "%d/task/%lu", PROC_PID,
				     (unsigned long)thread_id(thread_self()));

	if ((size_t)len > size)
		len = (int)size;
	memcpy(buf, target, (size_t)len);
	return len;
}

static int proc_statfs(struct vnode *vn, struct vfs_statfs *st)
{
	(void)vn;
	*st = (struct vfs_statfs){
		.type = PROC_SUPER_MAGIC, .bsize = 4096, .namelen = VFS_NAME_MAX, .frsize = 4096
	};
	return 0;
}

/* Appends to t's text, as much as fits. */
static void __attribute__((format(printf, 2, 3))) put(struct proc_text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, sizeof(t->buf) - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len += (size_t)n < sizeof(t->buf) - t->len ? (size_t)n
							      : sizeof(t->buf) - 1 - t->len;
}

static uint64_t text_pages(void)
{
	return ((uint64_t)(__text_end - __app_text_start) + PAGE_SIZE - 1) / PAGE_SIZE;
}

/* Linux's /proc/PID/stat: 52 fields; what has no meaning here is 0. */
static void make_stat(struct proc_text *t, uint64_t tid, bool task, const struct thread_view *v)
{
	struct page_stats ps;
	uint64_t cpu = task ? v->runtime_ns : sched_busy_ns();
	uint64_t ticks = cpu / (NSEC_PER_SEC / USER_HZ);

	page_stats(&ps);
	put(t, "%lu (%s) %c 0 1 1 0 -1 %u 0 0 0 0 %lu 0 0 0 20 0 %u 0 0 %lu %lu %lu ",
	    (unsigned long)tid, v->name, v->state, PF_RANDOMIZE, (unsigned long)ticks,
	    app_threads(), (unsigned long)ps.app, (unsigned long)(ps.app / PAGE_SIZE), ~0UL);
	put(t, "%lu %lu 0 0 0 0 0 0 0 0 0 0 %d 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
	    (unsigned long)__app_text_start, (unsigned long)__text_end, EXIT_SIGNAL);
}

/* size resident shared text lib data dt, in pages. */
static void make_statm(struct proc_text *t)
{
	struct page_stats ps;
	unsigned long pages;

	page_stats(&ps);
	pages = (unsigned long)(ps.app / PAGE_SIZE);
	put(t, "%lu %lu 0 %lu 0 %lu 0\n", pages, pages, (unsigned long)text_pages(), pages);
}

static void kb_line(struct proc_text *t, const char *name, uint64_t bytes)
{
	put(t, "%s:\t%8lu kB\n", name, (unsigned long)(bytes >> 10));
}

static void make_status(struct proc_text *t, uint64_t tid, const struct thread_view *v)
{
	struct page_stats ps;

	page_stats(&ps);
	put(t,
	    "Name:\t%s\nState:\t%c (%s)\nTgid:\t%d\nNgid:\t0\nPid:\t%lu\nPPid:\t0\n"
	    "TracerPid:\t0\n",
	    v->name, v->state, v->state == 'R' ? "running" : "sleeping", PROC_PID,
	    (unsigned long)tid);
	kb_line(t, "VmPeak", ps.app_peak);
	kb_line(t, "VmSize", ps.app);
	kb_line(t, "VmLck", 0);
	kb_line(t, "VmPin", 0);
	kb_line(t, "VmHWM", ps.app_peak);
	kb_line(t, "VmRSS", ps.app);
	kb_line(t, "RssAnon", ps.app);
	kb_line(t, "RssFile", 0);
	kb_line(t, "RssShmem", 0);
	kb_line(t, "VmData", ps.app);
	kb_line(t, "VmExe", text_pages() * PAGE_SIZE);
	kb_line(t, "VmLib", 0);
	kb_line(t, "VmSwap", 0);
	put(t, "Threads:\t%u\n", app_threads());
}

/* Linux's /proc/meminfo layout: the name padded to 16 columns, the number to 8. */
static void meminfo_line(struct proc_text *t, const char *name, uint64_t bytes)
{
	char label[24];

	snprintf(label, sizeof(label), "%s:", name);
	put(t, "%-16s%8lu kB\n", label, (unsigned long)(bytes >> 10));
}

static void make_meminfo(struct proc_text *t)
{
	struct page_stats ps;

	page_stats(&ps);
	meminfo_line(t, "MemTotal", ps.total);
	meminfo_line(t, "MemFree", ps.free);
	meminfo_line(t, "MemAvailable", ps.free);
	meminfo_line(t, "Buffers", 0);
	meminfo_line(t, "Cached", 0);
	meminfo_line(t, "SwapCached", 0);
	meminfo_line(t, "SwapTotal", 0);
	meminfo_line(t, "SwapFree", 0);
	meminfo_line(t, "AnonPages", ps.app);
	meminfo_line(t, "Shmem", 0);
}

/* The file's text now: 0, or -ESRCH if its thread has exited. */
static int make_text(struct vnode *vn, struct proc_text *t)
{
	uint64_t tid = NODE_TID(vn);
	struct thread_view v;
	enum kind k = NODE_KIND(vn);

	t->len = 0;
	if (k == K_MEMINFO) {
		make_meminfo(t);
		return 0;
	}
	if (!view(tid, &v))
		return -ESRCH;
	if (k == K_STAT)
		make_stat(t, tid, NODE_TASK(vn), &v);
	else if (k == K_STATM)
		make_statm(t);
	else if (k == K_STATUS)
		make_status(t, tid, &v);
	else
		put(t, "%s\n", v.name);
	return 0;
}

static int proc_open(struct vnode *vn, int flags, struct vfs_handle *h)
{
	struct proc_text *t;

	(void)flags;
	if (!VFS_ISREG(vn->type))
		return 0;
	t = kcalloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	h->priv = t;
	return 0;
}

static void proc_close(struct vnode *vn, struct vfs_handle *h)
{
	(void)vn;
	kfree(h->priv);
}

static long proc_read(struct vnode *vn, struct vfs_handle *h, void *buf, size_t n, uint64_t off)
{
	struct proc_text *t = h->priv;
	long r = 0;

	mutex_lock(&t->lock);
	if (off == 0 || !t->made) {
		r = make_text(vn, t);
		t->made = r == 0;
	}
	if (!r && off < t->len) {
		r = (long)(n < t->len - off ? n : t->len - off);
		memcpy(buf, t->buf + off, (size_t)r);
	}
	mutex_unlock(&t->lock);
	return r;
}

/* Names the thread after the first COMM_MAX bytes (up to a NUL); Linux ignores the offset. */
static long write_comm(uint64_t tid, const char *buf, size_t n)
{
	char name[COMM_MAX + 1] = { 0 };
	unsigned long flags;
	struct thread *t;

	memcpy(name, buf, n < COMM_MAX ? n : COMM_MAX);
	flags = irq_save();
	t = sched_find_thread(is_app_tid, &tid);
	if (t)
		thread_set_name(t, name);
	irq_restore(flags);
	return t ? (long)n : -ESRCH;
}

static long proc_write(struct vnode *vn, struct vfs_handle *h, const void *buf, size_t n,
		       uint64_t *off, bool append)
{
	(void)h, (void)off, (void)append;
	if (NODE_KIND(vn) == K_COMM)
		return write_comm(NODE_TID(vn), buf, n);
	return NODE_KIND(vn) == K_MEMINFO ? -EIO : -EINVAL;
}

static const struct vnode_ops dir_ops = {
	.lookup = proc_lookup,
	.getattr = proc_getattr,
	.create = proc_create,
	.mkdir = proc_mkdir,
	.readdir = proc_readdir,
	.statfs = proc_statfs,
};

static const struct vnode_ops link_ops = {
	.getattr = proc_getattr,
	.readlink = proc_readlink,
	.statfs = proc_statfs,
};

static const struct vnode_ops file_ops = {
	.getattr = proc_getattr,
	.open = proc_open,
	.close = proc_close,
	.read = proc_read,
	.write = proc_write,
	.statfs = proc_statfs,
};

static int procfs_mount(struct mount *mnt, const char *dev, const char *opts, struct vnode **root)
{
	(void)dev, (void)opts;
	*root = vnode_new(mnt, &dir_ops, VFS_IFDIR, 1, NODE(K_ROOT, 0, false));
	return *root ? 0 : -ENOMEM;
}

const struct vfs_fstype procfs_type = {
	.name = "procfs",
	.mount = procfs_mount,
	.dentry_ttl_ns = PROC_TTL_NS,
};
