/*
 * qsort as a heapsort: O(n log n) in the worst case, no recursion and no
 * memory of its own, which suits a kernel stack. Not stable (neither is
 * qsort required to be).
 */
#include <stdlib.h>

static void swap(unsigned char *a, unsigned char *b, size_t size)
{
	while (size--) {
		unsigned char t = *a;

		*a++ = *b;
		*b++ = t;
	}
}

/* Lets element i sink until the heap of n elements below it is ordered. */
static void sift_down(unsigned char *base, size_t i, size_t n, size_t size,
		      int (*cmp)(const void *, const void *))
{
	for (;;) {
		size_t child = 2 * i + 1, max = i;

		if (child < n && cmp(base + child * size, base + max * size) > 0)
			max = child;
		if (child + 1 < n && cmp(base + (child + 1) * size, base + max * size) > 0)
			max = child + 1;
		if (max == i)
			return;
		swap(base + i * size, base + max * size, size);
		i = max;
	}
}

void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	unsigned char *b = base;

	if (n < 2 || !size)
		return;
	for (size_t i = n / 2; i-- > 0;)
		sift_down(b, i, n, size, cmp);
	for (size_t end = n - 1; end > 0; end--) {
		swap(b, b + end * size, size);
		sift_down(b, 0, end, size, cmp);
	}
}

void *bsearch(const void *key, const void *base, size_t n, size_t size,
	      int (*cmp)(const void *, const void *))
{
	const unsigned char *b = base;

	while (n) {
		const unsigned char *mid = b + (n / 2) * size;
		int c = cmp(key, mid);

		if (!c)
			return (void *)mid;
		if (c > 0) {
			b = mid + size;
			n -= n / 2 + 1;
		} else {
			n /= 2;
		}
	}
	return NULL;
}
