/*
 * The network parameters' values (lib/net/config.c): addresses and
 * "A.B.C.D/N[:GW]", with what must be refused.
 */
#define CHECK_SUITE "net_config"
#include "tests/unit/check.h"

#include <errno.h>

#include "lib/net/net_priv.h"

TEST(addresses)
{
	uint32_t a = 1;

	CHECK_EQ(net_parse_ipv4("10.0.2.15", &a), 0);
	CHECK_EQ(a, 0x0a00020f);
	CHECK_EQ(net_parse_ipv4("255.255.255.0", &a), 0);
	CHECK_EQ(a, 0xffffff00);
	CHECK_EQ(net_parse_ipv4("0.0.0.0", &a), 0);
	CHECK_EQ(a, 0);
}

TEST(bad_addresses)
{
	static const char *const bad[] = { "",		 "10.0.2",    "10.0.2.15.1", "256.0.0.1",
					   "10.0.2.x",	 "10..2.15",  " 10.0.2.15",  "10.0.2.15 ",
					   "1000.0.0.1", "10.0.2.-1", "0010.0.0.1",  NULL };
	uint32_t a = 7;

	for (int i = 0; bad[i]; i++) {
		CHECK_CONTEXT("%s", bad[i]);
		CHECK_EQ(net_parse_ipv4(bad[i], &a), -EINVAL);
	}
	CHECK_EQ(net_parse_ipv4(NULL, &a), -EINVAL);
	CHECK_EQ(a, 7);
}

TEST(cidr)
{
	uint32_t a, m, g;

	CHECK_EQ(net_parse_cidr("172.44.0.2/24:172.44.0.1", &a, &m, &g), 0);
	CHECK_EQ(a, 0xac2c0002);
	CHECK_EQ(m, 0xffffff00);
	CHECK_EQ(g, 0xac2c0001);
	CHECK_EQ(net_parse_cidr("10.0.0.5/8", &a, &m, &g), 0);
	CHECK_EQ(m, 0xff000000);
	CHECK_EQ(g, 0);
	CHECK_EQ(net_parse_cidr("10.0.0.5/32", &a, &m, &g), 0);
	CHECK_EQ(m, 0xffffffff);
	CHECK_EQ(net_parse_cidr("10.0.0.5/0", &a, &m, &g), 0);
	CHECK_EQ(m, 0);
}

TEST(bad_cidr)
{
	static const char *const bad[] = { "10.0.0.5",
					   "10.0.0.5/",
					   "10.0.0.5/33",
					   "10.0.0.5/24:",
					   "10.0.0.5/24:1.2",
					   "10.0.0.5/24x",
					   "10.0.0.5/ 24",
					   "/24",
					   "10.0.0.5/24:1.2.3.4:5",
					   "10.0.0.5/024",
					   "10.0.0.5/24:",
					   NULL };
	uint32_t a, m, g;

	for (int i = 0; bad[i]; i++) {
		CHECK_CONTEXT("%s", bad[i]);
		CHECK_EQ(net_parse_cidr(bad[i], &a, &m, &g), -EINVAL);
	}
	a = m = g = 9;
	CHECK_EQ(net_parse_cidr("10.0.0.5/24:1.2.3", &a, &m, &g), -EINVAL);
	CHECK(a == 9 && m == 9 && g == 9);
}

TEST(mask_prefix)
{
	CHECK_EQ(net_mask_prefix(0xffffff00), 24);
	CHECK_EQ(net_mask_prefix(0xffffffff), 32);
	CHECK_EQ(net_mask_prefix(0), 0);
	CHECK_EQ(net_mask_prefix(0xff00ff00), -EINVAL);
}
