/*
 * Guest checks of libc pieces the host tests cannot reach (they would clash
 * with the host's own libc): the strto* family, qsort and bsearch. Prints
 * "ok - ..." or "not ok - ..." per check; exits with the failures.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

static void check(int ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	failures += !ok;
}

static void test_strto(void)
{
	char *end;

	errno = 0;
	check(strtol("  -42xyz", &end, 10) == -42 && !strcmp(end, "xyz") && !errno,
	      "strtol: sign, spaces, stops at the first non-digit");
	check(strtol("0x1f", NULL, 0) == 31 && strtol("017", NULL, 0) == 15 &&
		      strtol("z", NULL, 36) == 35,
	      "strtol: base 0 finds hex and octal; base 36");
	errno = 0;
	check(strtol("99999999999999999999", NULL, 10) == LONG_MAX && errno == ERANGE,
	      "strtol: overflow saturates at LONG_MAX with ERANGE");
	errno = 0;
	check(strtol("-99999999999999999999", NULL, 10) == LONG_MIN && errno == ERANGE,
	      "strtol: underflow saturates at LONG_MIN with ERANGE");
	errno = 0;
	check(strtoull("-99999999999999999999999", NULL, 10) == ULLONG_MAX && errno == ERANGE,
	      "strtoull: a negative overflow is ULLONG_MAX, not negated");
	errno = 0;
	check(strtoull("-1", NULL, 10) == ULLONG_MAX && !errno, "strtoull: -1 wraps, as C says");
	check(strtol("abc", &end, 10) == 0 && !strcmp(end, "abc"),
	      "strtol: no digits, no progress");
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static void test_sort(void)
{
	enum { N = 1000 };
	static int v[N];
	unsigned x = 12345;
	int ok = 1, key;

	for (int i = 0; i < N; i++) {
		x = x * 1103515245 + 12345;
		v[i] = (int)(x >> 8) % 5000 - 2500;
	}
	qsort(v, N, sizeof(v[0]), cmp_int);
	for (int i = 1; i < N; i++)
		ok &= v[i - 1] <= v[i];
	check(ok, "qsort: 1000 random ints come out in order");
	key = v[N / 3];
	check(bsearch(&key, v, N, sizeof(v[0]), cmp_int) != NULL, "bsearch: finds a present key");
	key = 9999;
	check(bsearch(&key, v, N, sizeof(v[0]), cmp_int) == NULL, "bsearch: misses an absent key");
}

int main(void)
{
	test_strto();
	test_sort();
	printf("libctest: %d failed\n", failures);
	return failures;
}
