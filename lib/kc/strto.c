#include "lib/kc/strto.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>

static unsigned digit_value(int c)
{
	if (isdigit(c))
		return (unsigned)(c - '0');
	if (isalpha(c))
		return (unsigned)(tolower(c) - 'a' + 10);
	return UINT_MAX;
}

int kstrtoull(const char *s, char **end, int base, unsigned long long *v)
{
	const char *p = s;
	unsigned long long n = 0;
	bool overflow = false;

	if ((base == 0 || base == 16) && p[0] == '0' && tolower(p[1]) == 'x' &&
	    digit_value(p[2]) < 16) {
		p += 2;
		base = 16;
	} else if (base == 0) {
		base = *p == '0' ? 8 : 10;
	}
	if (base < 2 || base > 36 || digit_value(*p) >= (unsigned)base) {
		if (end)
			*end = (char *)s;
		return -EINVAL;
	}
	for (; digit_value(*p) < (unsigned)base; p++) {
		unsigned d = digit_value(*p);

		if (n > (ULLONG_MAX - d) / (unsigned)base)
			overflow = true;
		else
			n = n * (unsigned)base + d;
	}
	if (end)
		*end = (char *)p;
	if (overflow)
		return -ERANGE;
	*v = n;
	return 0;
}
