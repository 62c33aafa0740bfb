/*
 * Guest tests of the memory layers: page allocator, page tables, stacks and
 * the heap, inside the real kernel. Prints "ok - ..." or "not ok - ..." per
 * check and exits with the number of failures. Expects a small machine
 * (run.sh -m 48) so that exhausting the heap is quick.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/paging.h"
#include "kernel/page.h"
#include "kernel/stack.h"
#include "lib/libc/malloc.h"

static int failures;

static void check(int ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	failures += !ok;
}

extern const char __text_start[], __rodata_start[], __data_start[];
extern char boot_stack_bottom[];

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

int main(void)
{
	test_page_tables();
	test_device_mapping();
	test_pages();
	test_stacks();
	test_heap_basics();
	test_heap_misuse();
	test_heap_stress();
	test_heap_exhaustion();
	printf("memtest: %d failed\n", failures);
	return failures;
}
