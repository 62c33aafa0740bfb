/*
 * The Internet checksum (RFC 1071): the one's complement of the one's
 * complement sum of 16-bit words. Values here are numbers in host order
 * (the words are read as they travel, big-endian); a caller stores the
 * result with net_htons().
 */
#ifndef LIB_NET_CHECKSUM_H
#define LIB_NET_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/*
 * Adds len bytes at data to the running sum (32-bit, not yet folded). A
 * buffer summed in pieces must be cut at even offsets; an odd last byte is
 * padded with zero.
 */
uint32_t net_csum_add(uint32_t sum, const void *data, size_t len);
/* The sum folded to 16 bits, not complemented (what a checksum offload wants seeded). */
uint16_t net_csum_reduce(uint32_t sum);
/* The sum folded and complemented: the checksum field's value. */
uint16_t net_csum_fold(uint32_t sum);
/* The checksum of len bytes at data. */
uint16_t net_csum(const void *data, size_t len);
/* The sum of the IPv4 pseudo-header (RFC 768): addresses in host order. */
uint32_t net_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);

#endif
