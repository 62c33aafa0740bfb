#include "kernel/gdb_packet.h"

#include <errno.h>

/* Run-length encoding marks a repeat with '*' in replies: escaped in binary data too. */
#define GDB_RLE_MARK '*'

static const char hex_digits[] = "0123456789abcdef";

void gdb_rx_init(struct gdb_rx *rx, char *buf, size_t cap)
{
	*rx = (struct gdb_rx){ .buf = buf, .cap = cap, .state = GDB_RX_IDLE };
}

static enum gdb_rx_event between_packets(struct gdb_rx *rx, uint8_t c)
{
	switch (c) {
	case GDB_PACKET_START:
		rx->state = GDB_RX_DATA;
		rx->len = 0;
		rx->sum = 0;
		return GDB_RX_NONE;
	case GDB_INTERRUPT:
		return GDB_RX_INTERRUPT;
	case GDB_ACK:
		return GDB_RX_ACK;
	case GDB_NAK:
		return GDB_RX_NAK;
	default:
		return GDB_RX_NONE; /* line noise */
	}
}

/* The checksum's second digit ends the packet: good, bad or too long. */
static enum gdb_rx_event packet_end(struct gdb_rx *rx, uint8_t c)
{
	int lo = gdb_hex_value((char)c);

	rx->state = GDB_RX_IDLE;
	if (rx->len >= rx->cap)
		return GDB_RX_OVERLONG;
	rx->buf[rx->len] = '\0';
	if (lo < 0 || rx->want < 0 || (rx->want | lo) != rx->sum)
		return GDB_RX_BAD_CHECKSUM;
	return GDB_RX_PACKET;
}

enum gdb_rx_event gdb_rx_feed(struct gdb_rx *rx, uint8_t c)
{
	int hi;

	switch (rx->state) {
	case GDB_RX_IDLE:
		return between_packets(rx, c);
	case GDB_RX_DATA:
		if (c == GDB_PACKET_START)
			return between_packets(rx, c); /* the last one was cut off: start over */
		if (c == GDB_PACKET_END) {
			rx->state = GDB_RX_SUM_HI;
			return GDB_RX_NONE;
		}
		rx->sum += c;
		if (rx->len < rx->cap - 1)
			rx->buf[rx->len] = (char)c;
		if (rx->len < rx->cap) /* counts to cap at most: cap means too long */
			rx->len++;
		return GDB_RX_NONE;
	case GDB_RX_SUM_HI:
		hi = gdb_hex_value((char)c);
		/* A bad digit still ends the packet, one byte on: it fails the check there. */
		rx->want = hi < 0 ? -1 : hi << 4;
		rx->state = GDB_RX_SUM_LO;
		return GDB_RX_NONE;
	case GDB_RX_SUM_LO:
		return packet_end(rx, c);
	}
	return GDB_RX_NONE;
}

uint8_t gdb_checksum(const char *s, size_t n)
{
	uint8_t sum = 0;

	while (n--)
		sum += (uint8_t)*s++;
	return sum;
}

int gdb_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool gdb_parse_hex(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	int d, n = 0;

	for (; (d = gdb_hex_value(*s)) >= 0; s++, n++) {
		if (n == 16)
			return false;
		x = x << 4 | (uint64_t)d;
	}
	if (!n)
		return false;
	*p = s;
	*v = x;
	return true;
}

size_t gdb_to_hex(char *dst, const void *src, size_t n)
{
	const uint8_t *b = src;

	for (size_t i = 0; i < n; i++) {
		dst[2 * i] = hex_digits[b[i] >> 4];
		dst[2 * i + 1] = hex_digits[b[i] & 0xF];
	}
	return 2 * n;
}

int gdb_from_hex(void *dst, const char *src, size_t n)
{
	uint8_t *b = dst;

	for (size_t i = 0; i < n; i++) {
		int hi = gdb_hex_value(src[2 * i]),
		    lo = hi < 0 ? -1 : gdb_hex_value(src[2 * i + 1]);

		if (lo < 0)
			return -EINVAL;
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static bool needs_escape(char c)
{
	return c == GDB_PACKET_START || c == GDB_PACKET_END || c == GDB_ESCAPE || c == GDB_RLE_MARK;
}

size_t gdb_escape(char *dst, size_t cap, const char *src, size_t n, size_t *taken)
{
	size_t out = 0, i;

	for (i = 0; i < n; i++) {
		bool esc = needs_escape(src[i]);

		if (out + 1 + esc > cap)
			break;
		if (esc) {
			dst[out++] = GDB_ESCAPE;
			dst[out++] = (char)(src[i] ^ GDB_ESCAPE_XOR);
		} else {
			dst[out++] = src[i];
		}
	}
	*taken = i;
	return out;
}
