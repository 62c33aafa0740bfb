/*
 * The application's mappings (docs/abi.md): anonymous memory, and private
 * copies of files (read in at mmap time, docs/vfs.md). Each mapping is a
 * record [start, end) with its protection, in a range tree (kernel/rtree.h)
 * so that a lookup costs O(log n) however many threads' stacks there are;
 * munmap and mprotect split records, and only memory a record covers is
 * ever freed or re-protected: a stray munmap cannot give away the kernel's
 * own pages. The lock is "no preemption", as the heap's: the idle thread
 * frees what exited threads deferred, and it may not block.
 *
 * New memory is zeroed on first touch (arch/x86_64/paging.h): a thread's
 * 128 KiB stack, of which it uses a few pages, costs those pages' zeroing
 * and not all of it, and a large mapping is made at once. Small mappings
 * are zeroed as they are made, which costs less than the faults would.
 */
#include "kernel/mmap.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/paging.h"
#include "kernel/list.h"
#include "kernel/page.h"
#include "kernel/printk.h"
#include "kernel/rtree.h"
#include "lib/abi/thread.h"
#include "lib/vfs/fd.h"
#include "lib/vfs/vfs.h"
#include "sched/sched.h"

/* The VFS, in images with the fs subsystem (Makefile, CERES_NEEDS). */
#pragma weak vfs_file_mmap_kind
#pragma weak vfs_file_pread_kernel

#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define PROT_KNOWN (PROT_READ | PROT_WRITE | PROT_EXEC)

#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_SHARED_VALIDATE 0x03
#define MAP_TYPE 0x0F
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_FIXED_NOREPLACE 0x100000

#define MREMAP_MAYMOVE 1
#define MREMAP_FIXED 2

#define MADV_DONTNEED 4

/* Memory as the page allocator hands it out (and takes it back). */
#define PROT_DEFAULT (PROT_READ | PROT_WRITE)

/* Mappings at least this long are zeroed on first touch; smaller ones at once. */
#define LAZY_MIN (16 * 1024)

#define BRK_ALIGN (2UL << 20)

struct region {
	struct rnode node; /* [node.start, node.end) */
	int prot;
	bool plain; /* every page present with PROT_DEFAULT: nothing to undo at munmap */
};

static struct {
	struct rtree regions;
	uint64_t brk_base, brk_end; /* the heap brk() moves: [base, end) is in use */
	struct mmap_stats stats;
} mm;

static void lock(void)
{
	sched_preempt_disable();
}

static void unlock(void)
{
	sched_preempt_enable();
}

static uint64_t page_round(uint64_t n)
{
	return (n + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
}

static struct region *region_of(struct rnode *n)
{
	return n ? container_of(n, struct region, node) : NULL;
}

/* The first region that ends after addr, and the one after r. */
static struct region *first_after(uint64_t addr)
{
	return region_of(rtree_first_after(&mm.regions, addr));
}

static struct region *next_region(const struct region *r)
{
	return region_of(rtree_next(&mm.regions, &r->node));
}

#define for_each_region_in(r, lo, hi) \
	for (struct region *r = first_after(lo); r && r->node.start < (hi); r = next_region(r))

static unsigned paging_flags(int prot)
{
	return (prot & PROT_WRITE ? PAGING_WRITE : 0) | (prot & PROT_EXEC ? PAGING_EXEC : 0);
}

/* Gives [start, end) the page-table permissions prot means (pages still to be zeroed wait). */
static int protect(uint64_t start, uint64_t end, int prot)
{
	return paging_protect(start, end - start, paging_flags(prot), prot & PROT_KNOWN);
}

/* [start, end) becomes fresh zero pages with prot, filled on first touch. */
static int make_lazy(uint64_t start, uint64_t end, int prot)
{
	return paging_set_lazy(start, end - start, paging_flags(prot), prot & PROT_KNOWN);
}

/* Splits the record holding addr so that one starts there; -ENOMEM. */
static int split_at(uint64_t addr)
{
	struct region *r = region_of(rtree_find(&mm.regions, addr)), *n;

	if (!r || r->node.start == addr)
		return 0;
	n = kmalloc(sizeof(*n));
	if (!n)
		return -ENOMEM;
	*n = (struct region){ .node = { .start = addr, .end = r->node.end },
			      .prot = r->prot,
			      .plain = r->plain };
	r->node.end = addr; /* its start, and so its place in the tree, stay */
	rtree_insert(&mm.regions, &n->node);
	mm.stats.regions++;
	return 0;
}

/* Is all of [start, end) in records? */
static bool covered(uint64_t start, uint64_t end)
{
	uint64_t at = start;

	for_each_region_in(r, start, end)
	{
		if (r->node.start > at)
			return false;
		at = r->node.end;
	}
	return at >= end;
}

static bool overlaps(uint64_t start, uint64_t end)
{
	struct region *r = first_after(start);

	return r && r->node.start < end;
}

static void insert(struct region *n)
{
	rtree_insert(&mm.regions, &n->node);
	mm.stats.regions++;
}

/* Frees what records hold in [start, end), records and all. Locked. */
static void unmap_locked(uint64_t start, uint64_t end)
{
	struct region *r, *next;

	if (split_at(start) < 0 || split_at(end) < 0)
		pr_warn("mmap: no memory to split a mapping; unmapping all of it");
	for (r = first_after(start); r && r->node.start < end; r = next) {
		uint64_t lo = r->node.start, hi = r->node.end;

		next = next_region(r);
		/* The page allocator's pages are mapped as it handed them out. */
		if (!r->plain && paging_map(lo, lo, hi - lo, PAGING_WRITE) < 0)
			pr_warn("mmap: no memory to restore the tables for %#lx-%#lx; leaking it",
				(unsigned long)lo, (unsigned long)hi);
		else
			page_free((void *)lo, (hi - lo) / PAGE_SIZE);
		mm.stats.bytes -= hi - lo;
		rtree_remove(&mm.regions, &r->node);
		kfree(r);
		mm.stats.regions--;
	}
}

/*
 * Records len bytes of new pages at mem (freeing them on failure), zero
 * pages with prot: the address, or -ENOMEM. Small ones are zeroed here.
 * Locked.
 */
static long map_new(void *mem, uint64_t len, int prot)
{
	struct region *r = mem ? kmalloc(sizeof(*r)) : NULL;
	uint64_t lo = (uint64_t)mem, hi = lo + len;
	int err;

	if (!r) {
		if (mem)
			page_free(mem, len / PAGE_SIZE);
		return -ENOMEM;
	}
	*r = (struct region){ .node = { .start = lo, .end = hi }, .prot = prot };
	if (len >= LAZY_MIN) {
		err = make_lazy(lo, hi, prot);
	} else {
		memset(mem, 0, len);
		r->plain = prot == PROT_DEFAULT;
		err = r->plain ? 0 : protect(lo, hi, prot);
	}
	if (err < 0) {
		paging_map(lo, lo, len, PAGING_WRITE);
		page_free(mem, len / PAGE_SIZE);
		kfree(r);
		return -ENOMEM;
	}
	page_set_app(mem, len / PAGE_SIZE, true);
	insert(r);
	mm.stats.bytes += len;
	if (mm.stats.bytes > mm.stats.peak_bytes)
		mm.stats.peak_bytes = mm.stats.bytes;
	return (long)mem;
}

/*
 * Sets [start, end), all in records, to prot; or, with fresh, replaces it
 * with zero pages of prot (MAP_FIXED, MADV_DONTNEED). Locked.
 */
static int reprotect_locked(uint64_t start, uint64_t end, int prot, bool fresh)
{
	int err = split_at(start);

	if (!err)
		err = split_at(end);
	if (err)
		return err;
	for_each_region_in(r, start, end)
	{
		int want = prot < 0 ? r->prot : prot;

		if (fresh)
			err = make_lazy(r->node.start, r->node.end, want);
		else if (r->prot != want || !r->plain)
			err = protect(r->node.start, r->node.end, want);
		if (err)
			return err;
		r->plain = r->plain && !fresh && want == PROT_DEFAULT;
		r->prot = want;
	}
	return 0;
}

/* An anonymous mapping of n bytes (page-rounded) at addr as flags ask: the address or an errno. */
static long map_anon(uint64_t a, uint64_t n, int prot, int flags)
{
	long ret;

	if (!(flags & (MAP_FIXED | MAP_FIXED_NOREPLACE))) {
		void *mem = page_alloc(n / PAGE_SIZE); /* a hint is only a hint */

		lock();
		ret = map_new(mem, n, prot);
		unlock();
		return ret;
	}
	lock();
	if (flags & MAP_FIXED_NOREPLACE) {
		ret = overlaps(a, a + n) ? -EEXIST : -ENOMEM;
	} else {
		/* Inside what was mapped: fresh zero pages in place, as Linux gives. */
		ret = a + n > a && covered(a, a + n) ? reprotect_locked(a, a + n, prot, true)
						     : -ENOMEM;
		if (!ret)
			ret = (long)a;
	}
	unlock();
	if (ret == -ENOMEM)
		pr_warn_once("mmap: a fixed mapping at %p outside the application's mappings is "
			     "not supported (memory is identity mapped)",
			     (void *)a);
	return ret;
}

/*
 * Is f a file mmap can map so (docs/vfs.md)? 1: read its contents into
 * fresh memory; 0: anonymous memory (/dev/zero); or the errno Linux
 * gives: EBADF for an O_PATH fd; EACCES for a file not open for reading,
 * or shared and writable on a file opened read-only; ENODEV for what has
 * no contents to map (pipes, sockets) and for a shared writable mapping,
 * which nothing here writes back.
 */
static int file_kind(struct file *f, int prot, int type)
{
	int kind = f->flags & O_PATH	 ? -EBADF
		   : !vfs_file_mmap_kind ? -ENODEV /* no VFS in this image: no such file */
					 : vfs_file_mmap_kind(f);

	if (kind < 0 || kind == VFS_MAP_ZERO)
		return kind < 0 ? kind : 0;
	if ((f->flags & O_ACCMODE) == O_WRONLY)
		return -EACCES;
	if (type != MAP_PRIVATE && prot & PROT_WRITE)
		return (f->flags & O_ACCMODE) == O_RDWR ? -ENODEV : -EACCES;
	return 1;
}

/* Reads the file into the new mapping [a, a + n) (writable now), then gives it prot. */
static long fill(struct file *f, uint64_t a, uint64_t n, size_t len, int64_t off, int prot)
{
	size_t done = 0;
	long r = 0;

	/*
	 * Pages zeroed on first touch would zero what a device (virtio-9p)
	 * put there by DMA before the CPU touched them: touch them first.
	 */
	memset((void *)a, 0, n);
	while (done < len) {
		r = vfs_file_pread_kernel(f, (char *)a + done, len - done, (uint64_t)off + done);
		if (r <= 0)
			break;
		done += (size_t)r;
	}
	lock();
	if (r < 0)
		unmap_locked(a, a + n);
	else if (prot != PROT_DEFAULT)
		r = reprotect_locked(a, a + n, prot, false);
	unlock();
	return r < 0 ? r : (long)a;
}

long sys_mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t off)
{
	uint64_t a = (uint64_t)addr, n = page_round(len);
	int type = flags & MAP_TYPE, kind = 0;
	struct file *f = NULL;
	long ret;

	if (!len || (off & (int64_t)(PAGE_SIZE - 1)) || prot & ~PROT_KNOWN ||
	    (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE))
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS)) {
		f = fd_get(fd);
		if (!f)
			return -EBADF;
		kind = file_kind(f, prot, type);
		if (kind <= 0) {
			fd_put(f);
			if (kind < 0)
				return kind;
		}
	}
	if (n < len || ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && (a & (PAGE_SIZE - 1)))) {
		ret = n < len ? -ENOMEM : -EINVAL;
	} else {
		ret = map_anon(a, n, kind ? PROT_DEFAULT : prot, flags);
		if (ret >= 0 && kind)
			ret = fill(f, (uint64_t)ret, n, len, off, prot);
	}
	if (kind)
		fd_put(f);
	return ret;
}

long sys_munmap(void *addr, size_t len)
{
	uint64_t a = (uint64_t)addr, n = page_round(len), sp;

	if ((a & (PAGE_SIZE - 1)) || !len || a + n < a)
		return -EINVAL;
	/*
	 * musl's detached threads unmap their own stack and then exit, and
	 * this call runs on that stack: it is freed when the thread is.
	 */
	__asm__("mov %%rsp, %0" : "=r"(sp));
	if (sp >= a && sp < a + n)
		return abi_defer_unmap(a, n);
	lock();
	unmap_locked(a, a + n);
	unlock();
	return 0;
}

void mmap_unmap_now(uint64_t start, size_t len)
{
	lock();
	unmap_locked(start, start + len);
	unlock();
}

long sys_mprotect(void *addr, size_t len, int prot)
{
	uint64_t a = (uint64_t)addr, n = page_round(len);
	long ret;

	if ((a & (PAGE_SIZE - 1)) || prot & ~PROT_KNOWN || a + n < a)
		return -EINVAL;
	if (!n)
		return 0;
	lock();
	ret = covered(a, a + n) ? reprotect_locked(a, a + n, prot, false) : -ENOMEM;
	unlock();
	return ret;
}

long sys_madvise(void *addr, size_t len, int advice)
{
	uint64_t a = (uint64_t)addr, n = page_round(len);
	long ret = 0;

	if ((a & (PAGE_SIZE - 1)) || a + n < a)
		return -EINVAL;
	/* Every advice Linux knows is a hint here, except that DONTNEED gives zero pages. */
	if (advice < 0 || (advice > 4 && advice < 8) ||
	    (advice > 25 && advice != 100 && advice != 101))
		return -EINVAL;
	if (!n)
		return 0;
	lock();
	if (!covered(a, a + n))
		ret = -ENOMEM;
	else if (advice == MADV_DONTNEED)
		ret = reprotect_locked(a, a + n, -1, true); /* each part keeps its protection */
	unlock();
	return ret;
}

long sys_mremap(void *old, size_t old_len, size_t new_len, int flags, void *new_addr)
{
	uint64_t a = (uint64_t)old, on = page_round(old_len), nn = page_round(new_len);
	struct region *r;
	long ret;

	(void)new_addr;
	if ((a & (PAGE_SIZE - 1)) || !new_len || nn < new_len || flags & ~3 ||
	    (flags & MREMAP_FIXED && !(flags & MREMAP_MAYMOVE)))
		return -EINVAL;
	if (flags & MREMAP_FIXED) {
		pr_warn_once("mremap: MREMAP_FIXED is not supported (memory is identity mapped)");
		return -EINVAL;
	}
	lock();
	if (!on || !covered(a, a + on)) {
		ret = -EFAULT;
	} else if (nn <= on) {
		unmap_locked(a + nn, a + on);
		ret = (long)a;
	} else if (!(flags & MREMAP_MAYMOVE)) {
		ret = -ENOMEM; /* the pages after it are not ours to take */
	} else {
		r = region_of(rtree_find(&mm.regions, a));
		ret = map_new(page_alloc(nn / PAGE_SIZE), nn, PROT_DEFAULT);
		if (ret > 0) {
			memcpy((void *)ret, old, on); /* the new tail stays zero */
			if (r->prot != PROT_DEFAULT)
				reprotect_locked((uint64_t)ret, (uint64_t)ret + nn, r->prot, false);
			unmap_locked(a, a + on);
		}
	}
	unlock();
	return ret;
}

long sys_msync(void *addr, size_t len, int flags)
{
	(void)len;
	if ((uint64_t)addr & (PAGE_SIZE - 1) || flags & ~7 || (flags & 5) == 5)
		return -EINVAL;
	return 0; /* anonymous memory has nowhere to be written back to */
}

/*
 * The break starts in the middle of the longest free run, 2 MiB aligned,
 * so that the pages above it are likely to stay free for a while: memory
 * is identity mapped, and growing takes exactly the pages after the break
 * (page_alloc_at), or fails as Linux fails, answering the old break.
 */
long sys_brk(void *addr)
{
	uint64_t want = (uint64_t)addr, cur, have, need = page_round(want);

	lock();
	if (!mm.brk_base) {
		size_t n;
		uint64_t lo = (uint64_t)page_largest_run(&n);

		mm.brk_base = (lo + n * PAGE_SIZE / 2) & ~(BRK_ALIGN - 1);
		if (mm.brk_base < lo)
			mm.brk_base = page_round(lo);
		mm.brk_end = mm.brk_base;
	}
	cur = mm.brk_end;
	unlock();
	if (want < mm.brk_base || need < want)
		return (long)
			cur;	/* brk(0) asks where it is; a wrapped address gets no answer else */
	have = page_round(cur); /* the break moves by bytes; pages back it */
	if (need > have) {
		if (!page_alloc_at((void *)have, (need - have) / PAGE_SIZE))
			return (long)cur;
		memset((void *)have, 0, need - have);
		page_set_app((void *)have, (need - have) / PAGE_SIZE, true);
	} else if (need < have) {
		page_free((void *)need, (have - need) / PAGE_SIZE);
	}
	lock();
	mm.brk_end = want;
	unlock();
	return (long)want;
}

bool mmap_find_stack(uint64_t addr, uintptr_t *lo, uintptr_t *hi, bool *in_guard)
{
	const struct region *r = region_of(rtree_find(&mm.regions, addr)), *up;

	if (!r)
		return false;
	*in_guard = !(r->prot & PROT_WRITE);
	up = r;
	if (*in_guard) {
		up = region_of(rtree_find(&mm.regions, r->node.end));
		if (!up || !(up->prot & PROT_WRITE))
			return false;
	}
	*lo = up->node.start;
	*hi = up->node.end;
	return true;
}

void mmap_stats(struct mmap_stats *st)
{
	lock();
	*st = mm.stats;
	unlock();
}
