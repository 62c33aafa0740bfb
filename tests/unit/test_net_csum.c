/*
 * The Internet checksum (lib/net/checksum.c) against known vectors: RFC
 * 1071's worked example, a real IPv4 header, odd lengths, sums made in
 * pieces, and the pseudo-header against the bytes it stands for.
 */
#define CHECK_SUITE "net_csum"
#include "tests/unit/check.h"

#include "lib/net/checksum.h"

TEST(rfc1071_example)
{
	/* RFC 1071 section 3: the sum of these words is ddf2. */
	static const uint8_t data[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	CHECK_EQ(net_csum_reduce(net_csum_add(0, data, sizeof(data))), 0xddf2);
	CHECK_EQ(net_csum(data, sizeof(data)), 0x220d);
}

TEST(ipv4_header)
{
	/* 192.168.0.1 -> 192.168.0.199, UDP, checksum b861 in bytes 10-11. */
	uint8_t h[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			  0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };

	CHECK_EQ(net_csum(h, sizeof(h)), 0); /* a correct header sums to zero */
	h[10] = h[11] = 0;
	CHECK_EQ(net_csum(h, sizeof(h)), 0xb861);
}

TEST(odd_length_pads_with_zero)
{
	static const uint8_t odd[] = { 0x12, 0x34, 0x56 };
	static const uint8_t even[] = { 0x12, 0x34, 0x56, 0x00 };

	CHECK_EQ(net_csum(odd, sizeof(odd)), net_csum(even, sizeof(even)));
	CHECK_EQ(net_csum(odd, 3), (uint16_t) ~(0x1234 + 0x5600));
	CHECK_EQ(net_csum(odd, 0), 0xffff);
}

TEST(pieces_at_even_offsets)
{
	uint8_t buf[1501];
	uint32_t sum = 0;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	for (size_t off = 0; off < sizeof(buf); off += 100)
		sum = net_csum_add(sum, buf + off,
				   sizeof(buf) - off < 100 ? sizeof(buf) - off : 100);
	CHECK_EQ(net_csum_fold(sum), net_csum(buf, sizeof(buf)));
}

TEST(carries_wrap)
{
	uint8_t ff[65536];

	memset(ff, 0xff, sizeof(ff));
	CHECK_EQ(net_csum_reduce(net_csum_add(0, ff, sizeof(ff))), 0xffff);
	CHECK_EQ(net_csum_reduce(0x1ffffu), 1);
	CHECK_EQ(net_csum_reduce(0xfffeffffu), 0xfffe); /* fffe + ffff = 1fffd -> fffe */
}

TEST(pseudo_header_matches_its_bytes)
{
	/* 10.0.2.15 -> 10.0.2.2, UDP, length 13 */
	static const uint8_t pseudo[] = { 10, 0, 2, 15, 10, 0, 2, 2, 0, 17, 0, 13 };

	CHECK_EQ(net_csum_reduce(net_csum_pseudo(0x0a00020f, 0x0a000202, 17, 13)),
		 net_csum_reduce(net_csum_add(0, pseudo, sizeof(pseudo))));
	CHECK_EQ(net_csum_reduce(net_csum_pseudo(0xffffffff, 0xffffffff, 0xff, 0xffff)),
		 net_csum_reduce(0xffffu * 5 + 0xff));
}
