/*
 * gdb's packet framing (kernel/gdb_packet.c), byte by byte as the serial
 * line brings it: good packets, bad checksums, packets too long for the
 * buffer, a packet cut off by the next, acks and Ctrl-C between packets;
 * and the hex and escaping the stub's replies use.
 */
#define CHECK_SUITE "gdb_packet"
#include "tests/unit/check.h"

#include <errno.h>

#include "kernel/gdb_packet.h"

/* Feeds s; returns the last event other than NONE (NONE if there was none) and counts them. */
static enum gdb_rx_event feed(struct gdb_rx *rx, const char *s, int *events)
{
	enum gdb_rx_event last = GDB_RX_NONE, e;

	*events = 0;
	for (; *s; s++) {
		e = gdb_rx_feed(rx, (uint8_t)*s);
		if (e != GDB_RX_NONE) {
			last = e;
			++*events;
		}
	}
	return last;
}

TEST(a_good_packet_arrives_whole)
{
	char buf[64];
	struct gdb_rx rx;
	int n;

	gdb_rx_init(&rx, buf, sizeof(buf));
	CHECK_EQ(feed(&rx, "$qSupported:swbreak+#", &n), GDB_RX_NONE);
	CHECK_EQ(gdb_rx_feed(&rx, '8'), GDB_RX_NONE);
	CHECK_EQ(gdb_rx_feed(&rx, 'b'), GDB_RX_PACKET);
	CHECK_STREQ(buf, "qSupported:swbreak+");
	CHECK_EQ(rx.len, strlen("qSupported:swbreak+"));
}

TEST(checksum_is_the_byte_sum_and_either_case_of_hex_is_taken)
{
	char buf[16];
	struct gdb_rx rx;
	int n;

	CHECK_EQ(gdb_checksum("g", 1), 0x67);
	CHECK_EQ(gdb_checksum("", 0), 0);
	gdb_rx_init(&rx, buf, sizeof(buf));
	CHECK_EQ(feed(&rx, "$?#3F", &n), GDB_RX_PACKET);
	CHECK_EQ(feed(&rx, "$?#3f", &n), GDB_RX_PACKET);
	CHECK_EQ(feed(&rx, "$#00", &n), GDB_RX_PACKET);
	CHECK_STREQ(buf, "");
}

TEST(a_bad_checksum_is_reported_and_the_next_packet_still_arrives)
{
	char buf[16];
	struct gdb_rx rx;
	int n;

	gdb_rx_init(&rx, buf, sizeof(buf));
	CHECK_EQ(feed(&rx, "$g#00", &n), GDB_RX_BAD_CHECKSUM);
	CHECK_EQ(feed(&rx, "$g#zz", &n), GDB_RX_BAD_CHECKSUM);
	CHECK_EQ(feed(&rx, "$g#6z", &n), GDB_RX_BAD_CHECKSUM);
	CHECK_EQ(feed(&rx, "$g#67", &n), GDB_RX_PACKET);
	CHECK_STREQ(buf, "g");
}

TEST(an_overlong_packet_is_dropped_at_its_end)
{
	char buf[8], line[64];
	struct gdb_rx rx;
	int n;

	gdb_rx_init(&rx, buf, sizeof(buf));
	/* 7 bytes fit (and the NUL); 8 do not. */
	snprintf(line, sizeof(line), "$1234567#%02x", gdb_checksum("1234567", 7));
	CHECK_EQ(feed(&rx, line, &n), GDB_RX_PACKET);
	snprintf(line, sizeof(line), "$12345678#%02x", gdb_checksum("12345678", 8));
	CHECK_EQ(feed(&rx, line, &n), GDB_RX_OVERLONG);
	CHECK_EQ(n, 1);
	/* Much longer: still one event, and then the line is in step again. */
	CHECK_EQ(feed(&rx, "$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa#00", &n), GDB_RX_OVERLONG);
	CHECK_EQ(n, 1);
	CHECK_EQ(feed(&rx, "$g#67", &n), GDB_RX_PACKET);
}

TEST(a_packet_cut_off_by_the_next_start_is_dropped)
{
	char buf[16];
	struct gdb_rx rx;
	int n;

	gdb_rx_init(&rx, buf, sizeof(buf));
	CHECK_EQ(feed(&rx, "$mffff$g#67", &n), GDB_RX_PACKET);
	CHECK_EQ(n, 1);
	CHECK_STREQ(buf, "g");
}

TEST(acks_naks_and_interrupts_between_packets)
{
	char buf[16];
	struct gdb_rx rx;

	gdb_rx_init(&rx, buf, sizeof(buf));
	CHECK_EQ(gdb_rx_feed(&rx, '+'), GDB_RX_ACK);
	CHECK_EQ(gdb_rx_feed(&rx, '-'), GDB_RX_NAK);
	CHECK_EQ(gdb_rx_feed(&rx, 0x03), GDB_RX_INTERRUPT);
	CHECK_EQ(gdb_rx_feed(&rx, 'x'), GDB_RX_NONE); /* noise */
	/* Inside a packet they are data. */
	CHECK_EQ(gdb_rx_feed(&rx, '$'), GDB_RX_NONE);
	CHECK_EQ(gdb_rx_feed(&rx, '+'), GDB_RX_NONE);
	CHECK_EQ(gdb_rx_feed(&rx, 0x03), GDB_RX_NONE);
}

TEST(hex_parsing_stops_at_the_first_other_character)
{
	const char *s = "7fff1234,10:rest", *p = s;
	uint64_t v;

	CHECK(gdb_parse_hex(&p, &v));
	CHECK_EQ(v, 0x7fff1234);
	CHECK_EQ(*p, ',');
	p++;
	CHECK(gdb_parse_hex(&p, &v));
	CHECK_EQ(v, 0x10);
	p++;
	CHECK(!gdb_parse_hex(&p, &v)); /* 'r' is no digit */
	CHECK_EQ(*p, 'r');
	p = "ffffffffffffffff";
	CHECK(gdb_parse_hex(&p, &v));
	CHECK_EQ(v, UINT64_MAX);
	p = "1ffffffffffffffff"; /* 17 digits */
	CHECK(!gdb_parse_hex(&p, &v));
}

TEST(bytes_to_hex_and_back)
{
	const uint8_t in[] = { 0x00, 0x7f, 0x80, 0xff, 0x0a };
	uint8_t out[sizeof(in)];
	char hex[2 * sizeof(in) + 1] = { 0 };

	CHECK_EQ(gdb_to_hex(hex, in, sizeof(in)), 10);
	CHECK_STREQ(hex, "007f80ff0a");
	CHECK_EQ(gdb_from_hex(out, "007F80ff0a", sizeof(out)), 0);
	CHECK(!memcmp(in, out, sizeof(in)));
	CHECK_EQ(gdb_from_hex(out, "0g", 1), -EINVAL);
	CHECK_EQ(gdb_from_hex(out, "g0", 1), -EINVAL);
}

TEST(escaping_for_binary_replies)
{
	char out[16];
	size_t taken, n;

	n = gdb_escape(out, sizeof(out), "a$b#c}d*", 8, &taken);
	CHECK_EQ(taken, 8);
	CHECK_EQ(n, 12);
	CHECK(!memcmp(out,
		      "a}\x04"
		      "b}\x03"
		      "c}]d}\x0a",
		      12));
	/* An escape never splits across the end of the room. */
	n = gdb_escape(out, 2, "a$", 2, &taken);
	CHECK_EQ(n, 1);
	CHECK_EQ(taken, 1);
}
