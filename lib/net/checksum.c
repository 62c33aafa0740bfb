/*
 * The Internet checksum, byte by byte in pairs: packets are short and the
 * network thread is not where the time goes; the host tests check it
 * against known vectors (tests/unit/test_net_csum.c).
 */
#include "lib/net/checksum.h"

#define WORD_BITS 16
#define WORD_MASK 0xffffu
#define BYTE_BITS 8
#define HALF_BITS 32 /* of the 64-bit accumulator */
#define HALF_MASK 0xffffffffu

uint32_t net_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t acc = sum; /* 64 bits: no carry is lost before the fold */

	for (; len >= 2; p += 2, len -= 2)
		acc += (uint32_t)p[0] << BYTE_BITS | p[1];
	if (len)
		acc += (uint32_t)p[0] << BYTE_BITS;
	while (acc >> HALF_BITS)
		acc = (acc & HALF_MASK) + (acc >> HALF_BITS);
	return (uint32_t)acc;
}

uint16_t net_csum_reduce(uint32_t sum)
{
	while (sum >> WORD_BITS)
		sum = (sum & WORD_MASK) + (sum >> WORD_BITS);
	return (uint16_t)sum;
}

uint16_t net_csum_fold(uint32_t sum)
{
	return (uint16_t)~net_csum_reduce(sum);
}

uint16_t net_csum(const void *data, size_t len)
{
	return net_csum_fold(net_csum_add(0, data, len));
}

uint32_t net_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
	uint64_t acc = (src >> WORD_BITS) + (src & WORD_MASK) + (dst >> WORD_BITS) +
		       (dst & WORD_MASK) + proto + len;

	return net_csum_reduce((uint32_t)acc);
}
