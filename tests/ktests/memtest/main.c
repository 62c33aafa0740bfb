/*
 * Guest tests of the memory layers: page allocator, page tables, stacks and
 * the kernel's heap, from inside the kernel (a kernel test: ktest.h). Prints
 * "ok - ..." or "not ok - ..." per check and exits with the number of
 * failures. With no argument it runs the basic set, which expects a small
 * machine (run.sh -m 48) so that exhausting memory is quick; the others are
 * named, with the machine tests/integration/memory.sh gives them:
 *   threads        as many threads as memory holds, alive at once (-m 128)
 *   blocks MIB N   at least N blocks of MIB MiB fit at once
 */
#include "tests/ktests/ktest.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/paging.h"
#include "boot/boot.h"
#include "kernel/malloc.h"
#include "kernel/page.h"
#include "kernel/sections.h"
#include "kernel/stack.h"
#include "lib/kc/strto.h"
#include "sched/sched.h"
#include "sched/sync.h"

static void test_page_tables(void)
{
	static int data_word;
	int text = paging_query((uintptr_t)__text_start);
	int rodata = paging_query((uintptr_t)__rodata_start);
	int data = paging_query((uintptr_t)&data_word);

	ktest_check(paging_query(0) < 0, "paging: page 0 is not mapped");
	ktest_check(text == PAGING_EXEC, "paging: kernel text is read-only and executable");
	ktest_check(rodata == 0, "paging: rodata is read-only and not executable");
	ktest_check(data == PAGING_WRITE, "paging: data is writable and not executable");
	ktest_check(paging_query((uintptr_t)boot_stack_bottom - 1) < 0,
		    "paging: the page below the boot stack is a guard page");
	ktest_check(paging_query((uintptr_t)boot_stack_bottom) == PAGING_WRITE,
		    "paging: the boot stack itself is mapped");
}

static void test_device_mapping(void)
{
	/* The LAPIC's page: never RAM, always there on x86. */
	volatile uint32_t *lapic = paging_map_device(0xFEE00000, 4096);
	void *high = paging_map_device(0x8000000000ULL, 4096);

	ktest_check(lapic == (volatile uint32_t *)0xFEE00000 &&
			    paging_query(0xFEE00000) == (PAGING_WRITE | PAGING_UNCACHED),
		    "paging: device memory is mapped uncached at its address");
	ktest_check(high && paging_query((uintptr_t)high) == (PAGING_WRITE | PAGING_UNCACHED),
		    "paging: device memory above 4 GiB can be mapped");
	ktest_check(lapic && (lapic[0x30 / 4] & 0xFF) != 0xFF,
		    "paging: the LAPIC version register reads through the mapping");
}

static void test_pages(void)
{
	struct page_stats before, during, after;
	void *a, *b;

	page_stats(&before);
	a = page_alloc(3);
	b = page_alloc(1);
	page_stats(&during);
	ktest_check(a && b && !((uintptr_t)a & 4095) && !((uintptr_t)b & 4095),
		    "pages: page_alloc gives page-aligned runs");
	ktest_check(before.free - during.free == 4 * 4096,
		    "pages: 3 + 1 pages cost exactly 4 pages");
	memset(a, 0x5A, 3 * 4096);
	page_free(a, 3);
	page_free(b, 1);
	page_stats(&after);
	ktest_check(after.free == before.free, "pages: freeing gives every page back");
	page_free(b, 1);
	page_stats(&after);
	ktest_check(after.bad_frees == before.bad_frees + 1 && after.free == before.free,
		    "pages: a double free is reported and ignored");
}

static void test_stacks(void)
{
	struct stack *s = stack_alloc(16384, "test");
	struct stack_span span;
	uintptr_t lo;

	ktest_check(s && s->hi - s->lo >= 16384, "stacks: stack_alloc gives the size asked");
	if (!s)
		return;
	ktest_check(paging_query(s->lo - 1) < 0 && paging_query(s->lo) == PAGING_WRITE,
		    "stacks: a new stack has an unmapped guard page below it");
	ktest_check(stack_find(s->lo - 8, &span) && span.lo == s->lo && span.hi == s->hi &&
			    span.in_guard,
		    "stacks: stack_find names the guard");
	lo = s->lo; /* s lives in the stack's own pages, which stack_free gives back */
	stack_free(s);
	ktest_check(paging_query(lo - 1) == PAGING_WRITE,
		    "stacks: stack_free maps the guard again");
}

static void test_heap_basics(void)
{
	struct heap_stats before, after;
	void *p;
	char *s;
	int ok = 1;

	kmalloc_stats(&before);
	for (size_t align = 16; align <= 65536; align *= 2) {
		p = kaligned_alloc(align, 100);
		ok &= p && !((uintptr_t)p % align);
		kfree(p);
	}
	ktest_check(ok, "heap: aligned_alloc honours alignments up to 64 KiB");
	ktest_check(!kaligned_alloc(3, 8), "heap: kaligned_alloc refuses a bad alignment");
	/*
	 * The NULL only: the kernel has no errno (malloc.c sets the
	 * application's, which a kernel test does not have).
	 */
	ktest_check(!kcalloc(SIZE_MAX / 2, 4), "heap: calloc catches n*size overflow");
	p = kmalloc(20 << 20); /* more than one page allocator block of old (16 MiB) */
	ktest_check(p != NULL, "heap: a 20 MiB allocation succeeds");
	kfree(p);
	s = kcalloc(1000, 1);
	ok = s != NULL;
	for (int i = 0; s && i < 1000; i++)
		ok &= !s[i];
	ktest_check(ok, "heap: calloc zeroes");
	s = krealloc(s, 100000);
	ktest_check(s && !s[999], "heap: realloc keeps the contents");
	kfree(s);
	kmalloc_stats(&after);
	ktest_check(after.in_use == before.in_use, "heap: in_use is back where it started");
}

static void test_heap_misuse(void)
{
	struct heap_stats before, after;
	char *p = kmalloc(24), *q = kmalloc(24);

	kmalloc_stats(&before);
	kfree(p);
	kfree(p);
	kmalloc_stats(&after);
	ktest_check(after.double_frees == before.double_frees + 1,
		    "heap: a double free is reported");
	q[24] = 'X'; /* one byte past the end */
	kfree(q);
	kmalloc_stats(&after);
	ktest_check(after.overflows == before.overflows + 1,
		    "heap: a write past the end is reported");
	p = kmalloc(64);
	ktest_check(p != NULL, "heap: still works after misuse");
	kfree(p);
}

/* A random mix of sizes, every block filled and checked before it goes. */
static void test_heap_stress(void)
{
	enum { SLOTS = 512, OPS = 200000 };
	static unsigned char *ptr[SLOTS];
	static size_t len[SLOTS];
	uint64_t x = 0x9E3779B97F4A7C15ULL;
	struct heap_stats before, after;
	int ok = 1;

	kmalloc_stats(&before);
	for (int op = 0; op < OPS; op++) {
		int i;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		i = (int)(x % SLOTS);
		for (size_t k = 0; ptr[i] && k < len[i]; k++)
			ok &= ptr[i][k] == (unsigned char)(i + k);
		kfree(ptr[i]);
		len[i] = x >> 40 & 7 ? (x >> 20) % 256 : (x >> 20) % 16384;
		ptr[i] = kmalloc(len[i]);
		ok &= ptr[i] != NULL;
		for (size_t k = 0; ptr[i] && k < len[i]; k++)
			ptr[i][k] = (unsigned char)(i + k);
	}
	for (int i = 0; i < SLOTS; i++) {
		kfree(ptr[i]);
		ptr[i] = NULL;
	}
	kmalloc_stats(&after);
	ktest_check(ok, "heap: 200000 random allocations keep their contents");
	ktest_check(after.in_use == before.in_use, "heap: stress leaves nothing in use");
}

/* Runs the heap dry, then checks that it comes back. */
static void test_heap_exhaustion(void)
{
	enum { CHUNK = 64 * 1024, MAX = 4096 };
	static void *chunk[MAX];
	struct heap_stats before, after;
	int n = 0;
	void *p;

	kmalloc_stats(&before);
	while (n < MAX && (chunk[n] = kmalloc(CHUNK)))
		n++;
	kmalloc_stats(&after);
	ktest_check(n > 0 && n < MAX && after.failures == before.failures + 1,
		    "heap: exhaustion returns NULL, once, and counts it");
	ktest_print("# %d chunks of 64 KiB before the heap ran out", n);
	while (n)
		kfree(chunk[--n]);
	kmalloc_stats(&after);
	ktest_check(after.in_use == before.in_use, "heap: everything freed after exhaustion");
	p = kmalloc(CHUNK);
	ktest_check(p != NULL, "heap: allocates again after exhaustion");
	kfree(p);
}

static void *idle_thread(void *arg)
{
	return arg;
}

/*
 * 4 KiB blocks until the heap runs dry (the page allocator is then empty),
 * then all freed: the pages go back to the page allocator, and a thread
 * can be made again. Before, the heap kept every page it ever grew by.
 */
static void test_heap_gives_back(void)
{
	enum { MAX = 1 << 16 };
	static void *block[MAX];
	struct page_stats before, full, after;
	struct heap_stats heap;
	struct thread *t;
	int n = 0;

	page_stats(&before);
	while (n < MAX && (block[n] = kmalloc(4096)))
		n++;
	page_stats(&full);
	while (n)
		kfree(block[--n]);
	page_stats(&after);
	kmalloc_stats(&heap);
	ktest_print("# 4 KiB blocks: %lu KiB of pages free before, %lu full, %lu after freeing; "
		    "heap pools %lu KiB",
		    (unsigned long)(before.free >> 10), (unsigned long)(full.free >> 10),
		    (unsigned long)(after.free >> 10), (unsigned long)(heap.pool_bytes >> 10));
	ktest_check(full.free < 64 * 1024, "heap: 4 KiB blocks take every page");
	/* The heap may keep some for reuse (HEAP_TRIM_MIN, doubled by earlier tests). */
	ktest_check(after.free >= before.free - (before.free - full.free) / 10,
		    "heap: freeing them gives 90% of the pages back to the page allocator");
	t = thread_create("memtest-idle", idle_thread, NULL, 0, false);
	ktest_check(t && thread_join(t, NULL) == 0, "heap: a thread can be created after that");
}

/*
 * A stack's guard page may need a 2 MiB page split, which needs a page for
 * the table. With no page left for it, stack_alloc must fail (and give its
 * pages back), never hand out a stack whose guard is still mapped.
 */
static void test_guard_needs_a_table(void)
{
	enum { RUNS = 64, STACK_PAGES = 18 };
	static struct {
		char *p;
		size_t n;
	} run[RUNS];
	struct page_stats st;
	int nruns = 0;
	char *huge = NULL;
	struct stack *s;

	/* Every page, in runs as long as they come. */
	for (size_t n = 1 << 20; n && nruns < RUNS;) {
		char *p = page_alloc(n);

		if (!p) {
			n /= 2;
			continue;
		}
		run[nruns].p = p, run[nruns++].n = n;
	}
	/* A 2 MiB page that is ours and still mapped whole. */
	for (int i = 0; i < nruns && !huge; i++) {
		uintptr_t a = ((uintptr_t)run[i].p + (2 << 20) - 1) & ~(uintptr_t)((2 << 20) - 1);

		if (a + (2 << 20) <= (uintptr_t)run[i].p + run[i].n * PAGE_SIZE &&
		    paging_query(a) & PAGING_HUGE)
			huge = (char *)a;
	}
	page_stats(&st);
	ktest_check(huge && st.free == 0, "stacks: memory used up, and a 2 MiB page found");
	if (huge) {
		page_free(huge, STACK_PAGES); /* the only free pages: the stack's own */
		s = stack_alloc(STACK_PAGES * PAGE_SIZE - PAGE_SIZE - 64, "test");
		page_stats(&st);
		ktest_check(!s, "stacks: no page for the split: stack_alloc fails");
		ktest_check(st.free == STACK_PAGES * PAGE_SIZE,
			    "stacks: ... and gives its pages back");
		ktest_check(paging_query((uintptr_t)huge) & PAGING_HUGE,
			    "stacks: ... and the 2 MiB page stays as it was");
		if (s)
			stack_free(s);
		for (int i = 0; i < nruns; i++) {
			char *p = run[i].p;
			size_t n = run[i].n;

			if (huge >= p &&
			    huge < p + n * PAGE_SIZE) { /* around the freed stack pages */
				if (huge > p)
					page_free(p, (size_t)(huge - p) / PAGE_SIZE);
				p = huge + STACK_PAGES * PAGE_SIZE;
				n -= (size_t)(p - run[i].p) / PAGE_SIZE;
			}
			if (n)
				page_free(p, n);
		}
	} else {
		for (int i = 0; i < nruns; i++)
			page_free(run[i].p, run[i].n);
	}
}

static struct semaphore hold;

static void *held_thread(void *arg)
{
	sem_down_until(&hold, 0);
	return arg;
}

/*
 * Threads alive at once until memory runs out. A default stack is 64 KiB,
 * 18 pages with its guard; a buddy allocator gave each a 32-page block and
 * stranded the rest: 1003 threads with 43% of 128 MiB still free.
 */
static void test_threads(void)
{
	enum { MAX = 8192 };
	static struct thread *t[MAX];
	struct page_stats st;
	int n = 0;

	while (n < MAX && (t[n] = thread_create("memtest-held", held_thread, NULL, 0, false)))
		n++;
	page_stats(&st);
	ktest_print("# %d threads alive at once; %lu KiB of %lu free then", n,
		    (unsigned long)(st.free >> 10), (unsigned long)(st.total >> 10));
	ktest_check(n > 1003, "threads: more than 1003 threads fit in 128 MiB");
	ktest_check(st.free < st.total / 20, "threads: ... and less than 5% of RAM is left over");
	for (int i = 0; i < n; i++)
		sem_up(&hold);
	for (int i = 0; i < n; i++)
		thread_join(t[i], NULL);
	t[0] = thread_create("memtest-idle", idle_thread, NULL, 0, false);
	ktest_check(t[0] && thread_join(t[0], NULL) == 0,
		    "threads: all joined, threads can be made again");
}

/* Blocks of mib MiB until none fits; at least want must. */
static void test_blocks(size_t mib, int want)
{
	enum { MAX = 4096 };
	static void *block[MAX];
	struct page_stats st;
	int n = 0;
	char what[96];

	while (n < MAX && (block[n] = kmalloc(mib << 20)))
		n++;
	page_stats(&st);
	ktest_print("# %d blocks of %zu MiB; %lu KiB of %lu free then", n, mib,
		    (unsigned long)(st.free >> 10), (unsigned long)(st.total >> 10));
	snprintf(what, sizeof(what), "blocks: at least %d blocks of %zu MiB fit", want, mib);
	ktest_check(n >= want, what);
	while (n)
		kfree(block[--n]);
}

/* A whole decimal number in s, at most max, into *v. */
static bool parse_number(const char *s, unsigned long long max, unsigned long long *v)
{
	char *end;

	return kstrtoull(s, &end, 10, v) == 0 && !*end && *v <= max;
}

int ktest_main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : "";
	unsigned long long mib, want;

	if (!strcmp(only, "threads")) {
		test_threads();
	} else if (!strcmp(only, "blocks") && argc > 3 &&
		   parse_number(argv[2], SIZE_MAX >> 20, &mib) &&
		   parse_number(argv[3], INT_MAX, &want)) {
		test_blocks((size_t)mib, (int)want);
	} else if (!*only) {
		test_page_tables();
		test_device_mapping();
		test_pages();
		test_stacks();
		test_heap_basics();
		test_heap_misuse();
		test_heap_stress();
		test_heap_exhaustion();
		test_heap_gives_back();
		test_guard_needs_a_table();
	} else {
		ktest_check(0, "memtest: the test asked for exists");
	}
	ktest_print("memtest: %d failed", ktest_failures);
	return ktest_failures;
}
