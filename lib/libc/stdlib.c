#include <stdlib.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>

#include "kernel/panic.h"
#include "kernel/shutdown.h"

void exit(int status)
{
	shutdown_app_exit(status);
}

void _exit(int status)
{
	shutdown_app_exit(status);
}

void abort(void)
{
	panic("abort() called");
}

int abs(int v)
{
	return v < 0 ? -v : v;
}

long labs(long v)
{
	return v < 0 ? -v : v;
}

static int digit_value(int c)
{
	if (isdigit(c))
		return c - '0';
	if (isalpha(c))
		return tolower(c) - 'a' + 10;
	return INT_MAX;
}

/*
 * The common part of the strto* family: skips space, reads a sign and a
 * base prefix, accumulates digits up to limit (the magnitude allowed for
 * that sign) and saturates with ERANGE past it.
 */
static uintmax_t parse_integer(const char *s, char **end, int base, int *neg, uintmax_t pos_limit,
			       uintmax_t neg_limit)
{
	const char *p = s;
	uintmax_t v = 0, limit;
	int any = 0, overflow = 0;

	while (isspace(*p))
		p++;
	*neg = *p == '-';
	if (*p == '-' || *p == '+')
		p++;
	if ((base == 0 || base == 16) && p[0] == '0' && tolower(p[1]) == 'x' &&
	    digit_value(p[2]) < 16) {
		p += 2;
		base = 16;
	} else if (base == 0) {
		base = *p == '0' ? 8 : 10;
	}
	limit = *neg ? neg_limit : pos_limit;
	if (base < 2 || base > 36) {
		errno = EINVAL;
		p = s;
	} else {
		for (; digit_value(*p) < base; p++, any = 1) {
			unsigned d = (unsigned)digit_value(*p);
			if (v > (limit - d) / (unsigned)base)
				overflow = 1;
			else
				v = v * (unsigned)base + d;
		}
	}
	if (end)
		*end = (char *)(any ? p : s);
	if (overflow) {
		errno = ERANGE;
		return limit;
	}
	return v;
}

long long strtoll(const char *restrict s, char **restrict end, int base)
{
	int neg;
	uintmax_t v = parse_integer(s, end, base, &neg, LLONG_MAX, (uintmax_t)LLONG_MAX + 1);

	return neg ? (long long)(0 - v) : (long long)v;
}

unsigned long long strtoull(const char *restrict s, char **restrict end, int base)
{
	int neg, saved = errno;
	uintmax_t v;

	errno = 0;
	v = parse_integer(s, end, base, &neg, ULLONG_MAX, ULLONG_MAX);
	if (errno == ERANGE)
		return ULLONG_MAX; /* out of range either way: not negated */
	errno = saved;
	return neg ? 0 - v : v;
}

long strtol(const char *restrict s, char **restrict end, int base)
{
	return (long)strtoll(s, end, base);
}

unsigned long strtoul(const char *restrict s, char **restrict end, int base)
{
	return (unsigned long)strtoull(s, end, base);
}

int atoi(const char *s)
{
	return (int)strtol(s, NULL, 10);
}

long atol(const char *s)
{
	return strtol(s, NULL, 10);
}
