/*
 * The framing of gdb's remote serial protocol, and the hex and escaping it
 * carries data in (docs/gdbstub.md): no I/O and no state but a receiver's,
 * so the host tests drive it byte by byte. A packet is
 * "$payload#cc", cc the payload's byte sum mod 256 in two hex digits; the
 * receiver answers "+" (good) or "-" (send it again). A 0x03 byte between
 * packets asks the target to stop.
 */
#ifndef KERNEL_GDB_PACKET_H
#define KERNEL_GDB_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GDB_PACKET_START '$'
#define GDB_PACKET_END '#'
#define GDB_ACK '+'
#define GDB_NAK '-'
#define GDB_INTERRUPT 0x03
#define GDB_ESCAPE '}'
#define GDB_ESCAPE_XOR 0x20

/* What one byte fed to a receiver completed. */
enum gdb_rx_event {
	GDB_RX_NONE,	     /* nothing yet: more bytes needed */
	GDB_RX_PACKET,	     /* a packet with a good checksum is in the buffer */
	GDB_RX_BAD_CHECKSUM, /* a packet whose checksum did not match: dropped */
	GDB_RX_OVERLONG,     /* a packet longer than the buffer: dropped at its end */
	GDB_RX_INTERRUPT,    /* 0x03 between packets */
	GDB_RX_ACK,
	GDB_RX_NAK,
};

enum gdb_rx_state {
	GDB_RX_IDLE, /* between packets */
	GDB_RX_DATA,
	GDB_RX_SUM_HI,
	GDB_RX_SUM_LO,
};

struct gdb_rx {
	char *buf;
	size_t cap; /* payload bytes buf holds, plus one for the NUL */
	size_t len; /* payload bytes so far (beyond cap - 1 they are counted, not kept) */
	enum gdb_rx_state state;
	uint8_t sum; /* of the payload so far */
	int want;    /* the checksum's high digit, shifted; -1 if it was no hex digit */
};

/* A receiver into buf (cap bytes, at least 2). */
void gdb_rx_init(struct gdb_rx *rx, char *buf, size_t cap);

/*
 * Takes the next byte from the line. On GDB_RX_PACKET, rx->buf holds the
 * payload, NUL-terminated, and rx->len its length, until the next call.
 * Bytes between packets other than the ones named above are dropped, and a
 * '$' inside a packet starts a new one (the old one was cut off).
 */
enum gdb_rx_event gdb_rx_feed(struct gdb_rx *rx, uint8_t c);

/* The checksum of n bytes. */
uint8_t gdb_checksum(const char *s, size_t n);

/* The value of a hex digit, or -1. */
int gdb_hex_value(char c);

/*
 * Parses hex digits at *p into *v and moves *p past them; false if there
 * is none, or more than a 64-bit value holds.
 */
bool gdb_parse_hex(const char **p, uint64_t *v);

/* Writes n bytes as 2n hex digits (no NUL); returns 2n. */
size_t gdb_to_hex(char *dst, const void *src, size_t n);

/* Reads 2n hex digits into n bytes; 0, or -EINVAL if one is not a hex digit. */
int gdb_from_hex(void *dst, const char *src, size_t n);

/*
 * Copies what of src[0..n) fits in cap bytes of dst, escaping '#', '$',
 * '}' and '*' as binary replies must; returns the bytes written, and in
 * *taken how many of src they hold.
 */
size_t gdb_escape(char *dst, size_t cap, const char *src, size_t n, size_t *taken);

#endif
