/*
 * Parsing the network parameters' values: dotted-quad addresses and
 * "A.B.C.D/N[:G.W.A.Y]". Strict: four decimal parts of 0-255, no spaces,
 * nothing after the end.
 */
#include "lib/net/net_priv.h"

#include <errno.h>

#define QUAD_PARTS 4
#define PART_MAX 255
#define PART_DIGITS_MAX 3
#define PREFIX_MAX 32
#define PREFIX_DIGITS_MAX 2
#define DECIMAL 10

/* Reads a decimal number of at most max_digits digits up to max; the end, or NULL. */
static const char *read_number(const char *s, unsigned max, int max_digits, unsigned *out)
{
	unsigned v = 0;
	int digits = 0;

	while (*s >= '0' && *s <= '9') {
		if (++digits > max_digits)
			return NULL;
		v = v * DECIMAL + (unsigned)(*s++ - '0');
	}
	if (!digits || v > max)
		return NULL;
	*out = v;
	return s;
}

/* Reads an address; the end, or NULL. */
static const char *read_ipv4(const char *s, uint32_t *addr)
{
	uint32_t a = 0;

	for (int i = 0; i < QUAD_PARTS; i++) {
		unsigned part;

		if (i && *s++ != '.')
			return NULL;
		s = read_number(s, PART_MAX, PART_DIGITS_MAX, &part);
		if (!s)
			return NULL;
		a = a << 8 | part;
	}
	*addr = a;
	return s;
}

int net_parse_ipv4(const char *s, uint32_t *addr)
{
	uint32_t a;

	s = s ? read_ipv4(s, &a) : NULL;
	if (!s || *s)
		return -EINVAL;
	*addr = a;
	return 0;
}

static uint32_t prefix_mask(unsigned prefix)
{
	return prefix ? ~0u << (PREFIX_MAX - prefix) : 0;
}

/* Changes the outputs only when the whole value is good. */
int net_parse_cidr(const char *s, uint32_t *addr, uint32_t *mask, uint32_t *gw)
{
	uint32_t a, g = 0;
	unsigned prefix;

	s = s ? read_ipv4(s, &a) : NULL;
	if (!s || *s++ != '/')
		return -EINVAL;
	s = read_number(s, PREFIX_MAX, PREFIX_DIGITS_MAX, &prefix);
	if (!s || (*s == ':' && net_parse_ipv4(s + 1, &g) < 0) || (*s && *s != ':'))
		return -EINVAL;
	*addr = a;
	*mask = prefix_mask(prefix);
	*gw = g;
	return 0;
}

int net_mask_prefix(uint32_t mask)
{
	for (unsigned prefix = 0; prefix <= PREFIX_MAX; prefix++)
		if (prefix_mask(prefix) == mask)
			return (int)prefix;
	return -EINVAL;
}
