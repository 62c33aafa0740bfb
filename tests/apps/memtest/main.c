/*
 * Guest tests of the memory layers: page allocator, page tables, stacks and
 * the heap, inside the real kernel. Prints "ok - ..." or "not ok - ..." per
 * check and exits with the number of failures. With no argument it runs
 * the basic set, which expects a small machine (run.sh -m 48) so that
 * exhausting memory is quick; the others are named, with the machine
 * tests/integration/memory.sh gives them:
 *   threads        as many threads as memory holds, alive at once (-m 128)
 *   blocks MIB N   at least N blocks of MIB MiB fit at once
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/paging.h"
#include "boot/boot.h"
#include "kernel/page.h"
#include "kernel/sections.h"
#include "kernel/stack.h"
#include "lib/libc/malloc.h"
#include "sched/sched.h"

static int failures;

static void check(int ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	failures += !ok;
}

static void test_page_tables(void)
{
	static int data_word;
	int text = paging_query((uintptr_t)__text_start);
	int rodata = paging_query((uintptr_t)__rodata_start);
	int data = paging_query((uintptr_t)&data_word);

	check(paging_query(0) < 0, "paging: page 0 is not mapped");
	check(text == PAGING_EXEC, "paging: kernel text is read-only and executable");
	check(rodata == 0, "paging: rodata is read-only and not executable");
	check(data == PAGING_WRITE, "paging: data is writable and not executable");
	check(paging_query((uintptr_t)boot_stack_bottom - 1) < 0,
	      "paging: the page below the boot stack is a guard page");
	check(paging_query((uintptr_t)boot_stack_bottom) == PAGING_WRITE,
	      "paging: the boot stack itself is mapped");
}

static void test_device_mapping(void)
{
	/* The LAPIC's page: never RAM, always there on x86. */
	volatile uint32_t *lapic = paging_map_device(0xFEE00000, 4096);
	void *high = paging_map_device(0x8000000000ULL, 4096);

	check(lapic == (volatile uint32_t *)0xFEE00000 &&
		      paging_query(0xFEE00000) == (PAGING_WRITE | PAGING_UNCACHED),
	      "paging: device memory is mapped uncached at its address");
	check(high && paging_query((uintptr_t)high) == (PAGING_WRITE | PAGING_UNCACHED),
	      "paging: device memory above 4 GiB can be mapped");
	check(lapic && (lapic[0x30 / 4] & 0xFF) != 0xFF,
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
	check(a && b && !((uintptr_t)a & 4095) && !((uintptr_t)b & 4095),
	      "pages: page_alloc gives page-aligned runs");
	check(before.free - during.free == 4 * 4096, "pages: 3 + 1 pages cost exactly 4 pages");
	memset(a, 0x5A, 3 * 4096);
	page_free(a, 3);
	page_free(b, 1);
	page_stats(&after);
	check(after.free == before.free, "pages: freeing gives every page back");
	page_free(b, 1);
	page_stats(&after);
	check(after.bad_frees == before.bad_frees + 1 && after.free == before.free,
	      "pages: a double free is reported and ignored");
}

static void test_stacks(void)
{
	struct stack *s = stack_alloc(16384, "test");
	bool guard;

	check(s && s->hi - s->lo >= 16384, "stacks: stack_alloc gives the size asked");
	if (!s)
		return;
	check(paging_query(s->lo - 1) < 0 && paging_query(s->lo) == PAGING_WRITE,
	      "stacks: a new stack has an unmapped guard page below it");
	check(stack_find(s->lo - 8, &guard) == s && guard, "stacks: stack_find names the guard");
	stack_free(s);
	check(paging_query(s->lo - 1) == PAGING_WRITE, "stacks: stack_free maps the guard again");
}

static void test_heap_basics(void)
{
	struct heap_stats before, after;
	void *p;
	char *s;
	int ok = 1;

	malloc_stats(&before);
	for (size_t align = 16; align <= 65536; align *= 2) {
		p = aligned_alloc(align, 100);
		ok &= p && !((uintptr_t)p % align);
		free(p);
	}
	check(ok, "heap: aligned_alloc honours alignments up to 64 KiB");
	check(posix_memalign(&p, 3, 8) == EINVAL, "heap: posix_memalign refuses a bad alignment");
	errno = 0;
	check(!calloc(SIZE_MAX / 2, 4) && errno == ENOMEM, "heap: calloc catches n*size overflow");
	p = malloc(20 << 20); /* more than one page allocator block of old (16 MiB) */
	check(p != NULL, "heap: a 20 MiB allocation succeeds");
	free(p);
	s = calloc(1000, 1);
	ok = s != NULL;
	for (int i = 0; s && i < 1000; i++)
		ok &= !s[i];
	check(ok, "heap: calloc zeroes");
	s = realloc(s, 100000);
	check(s && !s[999], "heap: realloc keeps the contents");
	free(s);
	malloc_stats(&after);
	check(after.in_use == before.in_use, "heap: in_use is back where it started");
}

static void test_heap_misuse(void)
{
	struct heap_stats before, after;
	char *p = malloc(24), *q = malloc(24);

	malloc_stats(&before);
	free(p);
	free(p);
	malloc_stats(&after);
	check(after.double_frees == before.double_frees + 1, "heap: a double free is reported");
	q[24] = 'X'; /* one byte past the end */
	free(q);
	malloc_stats(&after);
	check(after.overflows == before.overflows + 1, "heap: a write past the end is reported");
	p = malloc(64);
	check(p != NULL, "heap: still works after misuse");
	free(p);
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

	malloc_stats(&before);
	for (int op = 0; op < OPS; op++) {
		int i;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		i = (int)(x % SLOTS);
		for (size_t k = 0; ptr[i] && k < len[i]; k++)
			ok &= ptr[i][k] == (unsigned char)(i + k);
		free(ptr[i]);
		len[i] = x >> 40 & 7 ? (x >> 20) % 256 : (x >> 20) % 16384;
		ptr[i] = malloc(len[i]);
		ok &= ptr[i] != NULL;
		for (size_t k = 0; ptr[i] && k < len[i]; k++)
			ptr[i][k] = (unsigned char)(i + k);
	}
	for (int i = 0; i < SLOTS; i++) {
		free(ptr[i]);
		ptr[i] = NULL;
	}
	malloc_stats(&after);
	check(ok, "heap: 200000 random allocations keep their contents");
	check(after.in_use == before.in_use, "heap: stress leaves nothing in use");
}

/* Runs the heap dry, then checks that it comes back. */
static void test_heap_exhaustion(void)
{
	enum { CHUNK = 64 * 1024, MAX = 4096 };
	static void *chunk[MAX];
	struct heap_stats before, after;
	int n = 0;
	void *p;

	malloc_stats(&before);
	while (n < MAX && (chunk[n] = malloc(CHUNK)))
		n++;
	malloc_stats(&after);
	check(n > 0 && n < MAX && after.failures == before.failures + 1,
	      "heap: exhaustion returns NULL, once, and counts it");
	printf("# %d chunks of 64 KiB before the heap ran out\n", n);
	while (n)
		free(chunk[--n]);
	malloc_stats(&after);
	check(after.in_use == before.in_use, "heap: everything freed after exhaustion");
	p = malloc(CHUNK);
	check(p != NULL, "heap: allocates again after exhaustion");
	free(p);
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
	pthread_t t;
	int n = 0;

	page_stats(&before);
	while (n < MAX && (block[n] = malloc(4096)))
		n++;
	page_stats(&full);
	while (n)
		free(block[--n]);
	page_stats(&after);
	malloc_stats(&heap);
	printf("# 4 KiB blocks: %lu KiB of pages free before, %lu full, %lu after freeing; "
	       "heap pools %lu KiB\n",
	       (unsigned long)(before.free >> 10), (unsigned long)(full.free >> 10),
	       (unsigned long)(after.free >> 10), (unsigned long)(heap.pool_bytes >> 10));
	check(full.free < 64 * 1024, "heap: 4 KiB blocks take every page");
	/* The heap may keep some for reuse (HEAP_TRIM_MIN, doubled by earlier tests). */
	check(after.free >= before.free - (before.free - full.free) / 10,
	      "heap: freeing them gives 90% of the pages back to the page allocator");
	check(pthread_create(&t, NULL, idle_thread, NULL) == 0 && pthread_join(t, NULL) == 0,
	      "heap: a thread can be created after that");
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
	check(huge && st.free == 0, "stacks: memory used up, and a 2 MiB page found");
	if (huge) {
		page_free(huge, STACK_PAGES); /* the only free pages: the stack's own */
		s = stack_alloc(STACK_PAGES * PAGE_SIZE - PAGE_SIZE - 64, "test");
		page_stats(&st);
		check(!s, "stacks: no page for the split: stack_alloc fails");
		check(st.free == STACK_PAGES * PAGE_SIZE, "stacks: ... and gives its pages back");
		check(paging_query((uintptr_t)huge) & PAGING_HUGE,
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

static sem_t hold;

static void *held_thread(void *arg)
{
	sem_wait(&hold);
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
	static pthread_t t[MAX];
	struct page_stats st;
	int n = 0;

	sem_init(&hold, 0, 0);
	while (n < MAX && pthread_create(&t[n], NULL, held_thread, NULL) == 0)
		n++;
	page_stats(&st);
	printf("# %d threads alive at once; %lu KiB of %lu free then\n", n,
	       (unsigned long)(st.free >> 10), (unsigned long)(st.total >> 10));
	check(n > 1003, "threads: more than 1003 threads fit in 128 MiB");
	check(st.free < st.total / 20, "threads: ... and less than 5% of RAM is left over");
	for (int i = 0; i < n; i++)
		sem_post(&hold);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	check(pthread_create(&t[0], NULL, idle_thread, NULL) == 0 && pthread_join(t[0], NULL) == 0,
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

	while (n < MAX && (block[n] = malloc(mib << 20)))
		n++;
	page_stats(&st);
	printf("# %d blocks of %zu MiB; %lu KiB of %lu free then\n", n, mib,
	       (unsigned long)(st.free >> 10), (unsigned long)(st.total >> 10));
	snprintf(what, sizeof(what), "blocks: at least %d blocks of %zu MiB fit", want, mib);
	check(n >= want, what);
	while (n)
		free(block[--n]);
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : "";

	if (!strcmp(only, "threads")) {
		test_threads();
	} else if (!strcmp(only, "blocks") && argc > 3) {
		test_blocks(strtoul(argv[2], NULL, 10), atoi(argv[3]));
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
		check(0, "memtest: the test asked for exists");
	}
	printf("memtest: %d failed\n", failures);
	return failures;
}
