#include "kernel/page.h"

#include <stdbool.h>
#include <string.h>

#include "arch/x86_64/arch.h"
#include "kernel/ksyms.h"
#include "kernel/printk.h"

/*
 * meta[pfn]: FREE_HEAD | order for the first page of a free block; else 0.
 * The free lists are linked through link[pfn], not through the free pages
 * themselves: touching a page the first time costs the host real work
 * (under TCG here, ~3.5 ms per 2 MiB), and RAM the guest never touches is
 * RAM the host never has to provide.
 */
#define FREE_HEAD 0x80
#define ORDER_MASK 0x7F
#define NO_PAGE UINT32_MAX
/* Page 0, the kernel, the boot information, the metadata, every module. */
#define RESERVED_MAX (4 + BOOTINFO_MODS_MAX)

struct page_link {
	uint32_t next, prev;
};

extern const char __kernel_start[], __kernel_end[];

static struct {
	uint8_t *meta;
	struct page_link *link;
	uint64_t npages; /* frames meta covers: [0, npages) */
	uint32_t free[PAGE_MAX_ORDER + 1];
	uint64_t total, nfree; /* in pages */
	uint64_t bad_frees;
	struct {
		uint64_t lo, hi;
	} reserved[RESERVED_MAX];
	int nreserved;
} pages;

static void list_push(unsigned order, uint64_t pfn)
{
	uint32_t head = pages.free[order];

	pages.link[pfn] = (struct page_link){ .next = head, .prev = NO_PAGE };
	if (head != NO_PAGE)
		pages.link[head].prev = (uint32_t)pfn;
	pages.free[order] = (uint32_t)pfn;
	pages.meta[pfn] = FREE_HEAD | order;
}

static void list_remove(unsigned order, uint64_t pfn)
{
	struct page_link l = pages.link[pfn];

	if (l.prev != NO_PAGE)
		pages.link[l.prev].next = l.next;
	else
		pages.free[order] = l.next;
	if (l.next != NO_PAGE)
		pages.link[l.next].prev = l.prev;
	pages.meta[pfn] = 0;
}

/* Frees the aligned block of 2^order pages at pfn, merging with its buddies. */
static void free_block(uint64_t pfn, unsigned order)
{
	pages.nfree += 1UL << order;
	while (order < PAGE_MAX_ORDER) {
		uint64_t buddy = pfn ^ (1UL << order);

		if (buddy >= pages.npages || pages.meta[buddy] != (FREE_HEAD | order))
			break;
		list_remove(order, buddy);
		pfn &= ~(1UL << order);
		order++;
	}
	list_push(order, pfn);
}

/* The largest order k with pfn aligned to 2^k and 2^k <= n. */
static unsigned fit_order(uint64_t pfn, uint64_t n)
{
	unsigned k = 0;

	while (k < PAGE_MAX_ORDER && !(pfn & (1UL << k)) && (2UL << k) <= n)
		k++;
	return k;
}

/* Frees [pfn, pfn + n) as aligned blocks. */
static void free_run(uint64_t pfn, uint64_t n)
{
	while (n) {
		unsigned k = fit_order(pfn, n);

		free_block(pfn, k);
		pfn += 1UL << k;
		n -= 1UL << k;
	}
}

static void reserve(uint64_t lo, uint64_t hi)
{
	pages.reserved[pages.nreserved++] = (typeof(pages.reserved[0])){ lo, hi };
}

/* Frees the whole pages of [lo, hi) that no reserved range covers. */
static void add_range(uint64_t lo, uint64_t hi)
{
	lo = (lo + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	hi &= ~(PAGE_SIZE - 1);
	if (hi > pages.npages << PAGE_SHIFT)
		hi = pages.npages << PAGE_SHIFT;
	if (lo >= hi)
		return;
	for (int i = 0; i < pages.nreserved; i++) {
		if (pages.reserved[i].lo < hi && pages.reserved[i].hi > lo) {
			add_range(lo, pages.reserved[i].lo);
			add_range(pages.reserved[i].hi, hi);
			return;
		}
	}
	pages.total += (hi - lo) >> PAGE_SHIFT;
	free_run(lo >> PAGE_SHIFT, (hi - lo) >> PAGE_SHIFT);
}

static void add_available(const struct bootinfo *bi, uint64_t lo_limit, uint64_t hi_limit)
{
	for (size_t i = 0; i < bi->nmem; i++) {
		uint64_t lo = bi->mem[i].base, hi = lo + bi->mem[i].len;

		if (bi->mem[i].type != BOOTINFO_MEM_AVAILABLE || hi < lo)
			continue;
		add_range(lo < lo_limit ? lo_limit : lo, hi > hi_limit ? hi_limit : hi);
	}
}

/* Where to keep the metadata: the first available range, past what is in use, big enough. */
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

void page_init(const struct bootinfo *bi, uint64_t limit)
{
	uint64_t top = 0, meta, size;

	for (size_t i = 0; i < bi->nmem; i++)
		if (bi->mem[i].type == BOOTINFO_MEM_AVAILABLE &&
		    bi->mem[i].base + bi->mem[i].len > top)
			top = bi->mem[i].base + bi->mem[i].len;
	pages.npages = top >> PAGE_SHIFT;
	reserve(0, PAGE_SIZE);
	reserve((uint64_t)__kernel_start, (uint64_t)__kernel_end);
	reserve(bi->info_start, bi->info_end);
	for (size_t i = 0; i < bi->nmods; i++)
		reserve(bi->mods[i].start, bi->mods[i].end);
	size = pages.npages * (sizeof(struct page_link) + 1);
	meta = place_meta(bi, size, limit);
	if (!meta || pages.npages >= NO_PAGE) {
		pr_crit("page: no room for %lu bytes of page metadata below %#lx",
			(unsigned long)size, (unsigned long)limit);
		return;
	}
	reserve(meta, meta + size);
	pages.link = (struct page_link *)meta;
	pages.meta = (uint8_t *)(pages.link + pages.npages);
	memset(pages.meta, 0, pages.npages);
	for (int k = 0; k <= PAGE_MAX_ORDER; k++)
		pages.free[k] = NO_PAGE;
	add_available(bi, 0, limit);
	pr_info("page: %lu KiB of RAM managed, %lu KiB free", (unsigned long)(pages.total * 4),
		(unsigned long)(pages.nfree * 4));
}

void page_add_high(const struct bootinfo *bi, uint64_t limit)
{
	uint64_t before = pages.total;

	add_available(bi, limit, UINT64_MAX);
	if (pages.total != before)
		pr_info("page: %lu KiB above %lu MiB added",
			(unsigned long)((pages.total - before) * 4), (unsigned long)(limit >> 20));
}

static unsigned order_for(size_t n)
{
	unsigned k = 0;

	while ((1UL << k) < n)
		k++;
	return k;
}

/*
 * n pages from free blocks that lie side by side without being buddies
 * (a 20 MiB run made of two 16 MiB blocks, say): a walk over the metadata,
 * only for the large requests the buddy lists cannot serve. Interrupts off.
 */
static uint64_t alloc_run(uint64_t n)
{
	uint64_t start = 0, len = 0, pfn = 0, taken = 0;

	while (pfn < pages.npages && len < n) {
		if (!(pages.meta[pfn] & FREE_HEAD)) {
			len = 0;
			pfn++;
			continue;
		}
		if (!len)
			start = pfn;
		len += 1UL << (pages.meta[pfn] & ORDER_MASK);
		pfn += 1UL << (pages.meta[pfn] & ORDER_MASK);
	}
	if (len < n)
		return NO_PAGE;
	for (pfn = start; taken < n;) {
		unsigned order = pages.meta[pfn] & ORDER_MASK;

		list_remove(order, pfn);
		pages.nfree -= 1UL << order;
		taken += 1UL << order;
		pfn += 1UL << order;
	}
	free_run(start + n, taken - n);
	return start;
}

void *page_alloc(size_t n)
{
	unsigned want = order_for(n), order = want;
	unsigned long flags;
	uint64_t pfn;

	if (!n || n > pages.npages)
		return NULL;
	flags = irq_save();
	while (order <= PAGE_MAX_ORDER && pages.free[order] == NO_PAGE)
		order++;
	if (order > PAGE_MAX_ORDER) {
		pfn = alloc_run(n);
		irq_restore(flags);
		return pfn == NO_PAGE ? NULL : (void *)(pfn << PAGE_SHIFT);
	}
	pfn = pages.free[order];
	list_remove(order, pfn);
	pages.nfree -= 1UL << order;
	/* Give back the upper part: [n, 2^order) as aligned blocks. */
	free_run(pfn + n, (1UL << order) - n);
	irq_restore(flags);
	return (void *)(pfn << PAGE_SHIFT);
}

static bool is_free(uint64_t pfn)
{
	for (unsigned k = 0; k <= PAGE_MAX_ORDER; k++) {
		uint64_t head = pfn & ~((1UL << k) - 1);

		if (pages.meta[head] & FREE_HEAD && (pages.meta[head] & ORDER_MASK) >= k)
			return true;
	}
	return false;
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
	uint64_t pfn = (uint64_t)p >> PAGE_SHIFT;
	unsigned long flags;

	if ((uint64_t)p & (PAGE_SIZE - 1) || pfn + n > pages.npages || !n) {
		bad_free("bad free", p, n, __builtin_return_address(0));
		return;
	}
	flags = irq_save();
	for (uint64_t i = 0; i < n; i++) {
		if (is_free(pfn + i)) {
			irq_restore(flags);
			bad_free("double free", p, n, __builtin_return_address(0));
			return;
		}
	}
	free_run(pfn, n);
	irq_restore(flags);
}

void page_stats(struct page_stats *st)
{
	st->total = pages.total << PAGE_SHIFT;
	st->free = pages.nfree << PAGE_SHIFT;
	st->bad_frees = pages.bad_frees;
}
