#include "kernel/page.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86_64/arch.h"
#include "kernel/ksyms.h"
#include "kernel/page_runs.h"
#include "kernel/params.h"
#include "kernel/printk.h"
#include "kernel/sections.h"
#include "lib/kc/strto.h"

/* Page 0, the kernel, the boot information, the metadata, every module. */
#define RESERVED_MAX (4 + BOOTINFO_MODS_MAX)

static struct {
	uint64_t limit;	       /* mem=: no RAM at or above it is used */
	struct page_runs runs; /* changed with interrupts off */
	uint64_t *app;	       /* bit f: frame f is the application's (page_set_app) */
	uint64_t app_frames;   /* bits set in app */
	uint64_t app_peak;     /* the most app_frames has been */
	uint64_t total;	       /* frames ever added */
	uint64_t bad_frees;
	struct {
		uint64_t lo, hi;
	} reserved[RESERVED_MAX];
	int nreserved;
} pages;

/* mem=SIZE[K|M|G]: the RAM the kernel uses ends at SIZE (a smaller machine, for tests). */
static int mem_set(const struct param *p, const char *val)
{
	char *end;
	unsigned long long v;
	int shift;

	(void)p;
	if (kstrtoull(val, &end, 10, &v) < 0)
		return -EINVAL;
	shift = *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 0;
	if ((shift && end[1]) || (!shift && *end) || v > UINT64_MAX >> shift)
		return -EINVAL;
	pages.limit = (uint64_t)v << shift;
	return 0;
}

static void mem_show(const struct param *p, char *buf, size_t size)
{
	(void)p;
	if (pages.limit)
		snprintf(buf, size, "%lluK", (unsigned long long)(pages.limit >> 10));
	else
		snprintf(buf, size, "all");
}

PARAM_CUSTOM("mem", mem_set, mem_show, "use RAM only below this address: a number, with K, M or G");

static void reserve(uint64_t lo, uint64_t hi)
{
	pages.reserved[pages.nreserved++] = (typeof(pages.reserved[0])){ lo, hi };
}

/* Frees the whole pages of [lo, hi) that no reserved range covers. */
static void add_range(uint64_t lo, uint64_t hi)
{
	lo = (lo + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	hi &= ~(PAGE_SIZE - 1);
	if (hi > pages.runs.nframes << PAGE_SHIFT)
		hi = pages.runs.nframes << PAGE_SHIFT;
	if (lo >= hi)
		return;
	for (int i = 0; i < pages.nreserved; i++) {
		if (pages.reserved[i].lo < hi && pages.reserved[i].hi > lo) {
			add_range(lo, pages.reserved[i].lo);
			add_range(pages.reserved[i].hi, hi);
			return;
		}
	}
	/* Overlapping map entries would free a frame twice: the second is refused. */
	if (page_runs_free(&pages.runs, lo >> PAGE_SHIFT, (hi - lo) >> PAGE_SHIFT) == 0)
		pages.total += (hi - lo) >> PAGE_SHIFT;
	else
		pr_warn("page: memory map entries overlap at %#lx-%#lx; counted once",
			(unsigned long)lo, (unsigned long)hi);
}

static void add_available(const struct bootinfo *bi, uint64_t lo_limit, uint64_t hi_limit)
{
	for (size_t i = 0; i < bi->nmem; i++) {
		uint64_t lo = bi->mem[i].base, hi = lo + bi->mem[i].len;

		if (bi->mem[i].type != BOOTINFO_MEM_AVAILABLE || hi < lo)
			continue;
		if (pages.limit && hi_limit > pages.limit)
			hi_limit = pages.limit;
		add_range(lo < lo_limit ? lo_limit : lo, hi > hi_limit ? hi_limit : hi);
	}
}

/*
 * Where to keep the metadata: the first available range, past what is in
 * use, big enough. The first one is right after the kernel on every machine
 * we boot, which keeps boot's writes in memory the loader touched already.
 */
static uint64_t place_meta(const struct bootinfo *bi, uint64_t size, uint64_t limit)
{
	for (size_t i = 0; i < bi->nmem; i++) {
		uint64_t lo = (bi->mem[i].base + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
		uint64_t hi = bi->mem[i].base + bi->mem[i].len;
		bool moved = true;

		if (bi->mem[i].type != BOOTINFO_MEM_AVAILABLE)
			continue;
		while (moved) { /* step past every reserved range it overlaps */
			moved = false;
			for (int r = 0; r < pages.nreserved; r++) {
				if (pages.reserved[r].lo < lo + size && pages.reserved[r].hi > lo) {
					lo = (pages.reserved[r].hi + PAGE_SIZE - 1) &
					     ~(PAGE_SIZE - 1);
					moved = true;
				}
			}
		}
		if (lo + size <= hi && lo + size <= limit)
			return lo;
	}
	return 0;
}

int page_init(const struct bootinfo *bi, uint64_t limit)
{
	uint64_t top = 0, meta, size, nframes;

	for (size_t i = 0; i < bi->nmem; i++)
		if (bi->mem[i].type == BOOTINFO_MEM_AVAILABLE &&
		    bi->mem[i].base + bi->mem[i].len > top)
			top = bi->mem[i].base + bi->mem[i].len;
	if (pages.limit && top > pages.limit)
		top = pages.limit;
	if (pages.limit && limit > pages.limit)
		limit = pages.limit;
	nframes = top >> PAGE_SHIFT;
	if (nframes >= PAGE_RUNS_NONE) {
		pr_crit("page: %lu MiB of RAM is more than the allocator counts",
			(unsigned long)(top >> 20));
		return -E2BIG;
	}
	reserve(0, PAGE_SIZE);
	reserve((uint64_t)__kernel_start, (uint64_t)__kernel_end);
	reserve(bi->info_start, bi->info_end);
	for (size_t i = 0; i < bi->nmods; i++)
		reserve(bi->mods[i].start, bi->mods[i].end);
	size = page_runs_meta_size(nframes);
	size = (size + 7) & ~7ULL;
	size += (nframes + 63) / 64 * sizeof(uint64_t); /* the application's pages */
	meta = nframes ? place_meta(bi, size, limit) : 0;
	if (!meta) {
		pr_crit("page: no usable RAM for %lu bytes of page records below %#lx "
			"(the memory map has %zu entries, %lu KiB of RAM in all%s)",
			(unsigned long)size, (unsigned long)limit, bi->nmem,
			(unsigned long)(top >> 10), pages.limit ? ", cut by mem=" : "");
		return -ENOMEM;
	}
	reserve(meta, meta + size);
	page_runs_init(&pages.runs, nframes, (void *)meta);
	pages.app = (uint64_t *)(meta + ((page_runs_meta_size(nframes) + 7) & ~7ULL));
	memset(pages.app, 0, (nframes + 63) / 64 * sizeof(uint64_t));
	add_available(bi, 0, limit);
	/* The application's own data and bss, which it may name in system calls. */
	page_set_app((void *)__app_data_start,
		     (size_t)(__app_data_end - __app_data_start) / PAGE_SIZE, true);
	page_set_app((void *)__app_bss_start, (size_t)(__bss_end - __app_bss_start) / PAGE_SIZE,
		     true);
	pr_info("page: %lu KiB of RAM managed, %lu KiB free", (unsigned long)(pages.total * 4),
		(unsigned long)(pages.runs.nfree * 4));
	return 0;
}

int page_add_high(const struct bootinfo *bi, uint64_t limit)
{
	uint64_t before = pages.total;

	add_available(bi, limit, UINT64_MAX);
	if (pages.total != before)
		pr_info("page: %lu KiB above %lu MiB added",
			(unsigned long)((pages.total - before) * 4), (unsigned long)(limit >> 20));
	return 0;
}

void *page_alloc(size_t n)
{
	unsigned long flags = irq_save();
	uint64_t first;
	int err = page_runs_alloc(&pages.runs, n, &first);

	irq_restore(flags);
	return err ? NULL : (void *)(first << PAGE_SHIFT);
}

/* Sets or clears the application bits of frames [f, f + n). Interrupts off. */
static void mark_app(uint64_t f, uint64_t n, bool app)
{
	for (; n && f < pages.runs.nframes; f++, n--) {
		uint64_t *word = &pages.app[f / 64], bit = 1ULL << (f % 64);

		if (app && !(*word & bit)) {
			*word |= bit;
			pages.app_frames++;
		} else if (!app && *word & bit) {
			*word &= ~bit;
			pages.app_frames--;
		}
	}
	if (pages.app_frames > pages.app_peak)
		pages.app_peak = pages.app_frames;
}

void page_set_app(void *p, size_t n, bool app)
{
	unsigned long flags = irq_save();

	mark_app((uint64_t)p >> PAGE_SHIFT, n, app);
	irq_restore(flags);
}

bool page_is_app(uint64_t addr, size_t len)
{
	uint64_t f, last;

	if (!len)
		return true;
	if (addr + len < addr || !pages.app)
		return false;
	last = (addr + len - 1) >> PAGE_SHIFT;
	for (f = addr >> PAGE_SHIFT; f <= last; f++)
		if (f >= pages.runs.nframes || !(pages.app[f / 64] >> (f % 64) & 1))
			return false;
	return true;
}

void *page_alloc_at(void *p, size_t n)
{
	unsigned long flags;
	int err;

	if ((uint64_t)p & (PAGE_SIZE - 1))
		return NULL;
	flags = irq_save();
	err = page_runs_take(&pages.runs, (uint64_t)p >> PAGE_SHIFT, n);
	irq_restore(flags);
	return err ? NULL : p;
}

void *page_largest_run(size_t *n)
{
	unsigned long flags = irq_save();
	uint64_t first = 0;

	*n = page_runs_largest(&pages.runs, &first);
	irq_restore(flags);
	return *n ? (void *)(first << PAGE_SHIFT) : NULL;
}

static __attribute__((noinline, cold)) void bad_free(const char *what, void *p, size_t n,
						     void *caller)
{
	char fn[64];

	pages.bad_frees++;
	ksyms_describe((uintptr_t)caller, fn, sizeof(fn));
	pr_err("page: %s of %zu pages at %p, from %p (%s)", what, n, p, caller, fn);
}

void page_free(void *p, size_t n)
{
	unsigned long flags;
	int err;

	if ((uint64_t)p & (PAGE_SIZE - 1)) {
		bad_free("unaligned free", p, n, __builtin_return_address(0));
		return;
	}
	flags = irq_save();
	err = page_runs_free(&pages.runs, (uint64_t)p >> PAGE_SHIFT, n);
	if (!err) /* a free page belongs to nobody */
		mark_app((uint64_t)p >> PAGE_SHIFT, n, false);
	irq_restore(flags);
	if (err)
		bad_free(err == -EALREADY ? "double free" : "bad free", p, n,
			 __builtin_return_address(0));
}

void page_stats(struct page_stats *st)
{
	unsigned long flags = irq_save();

	st->total = pages.total << PAGE_SHIFT;
	st->free = pages.runs.nfree << PAGE_SHIFT;
	st->largest = page_runs_largest(&pages.runs, NULL) << PAGE_SHIFT;
	st->bad_frees = pages.bad_frees;
	st->app = pages.app_frames << PAGE_SHIFT;
	st->app_peak = pages.app_peak << PAGE_SHIFT;
	irq_restore(flags);
}
