/*
 * The TCP header as it travels (RFC 9293 3.1) and its options: MSS
 * (RFC 9293 3.2), window scale and timestamps (RFC 7323), SACK-permitted
 * and SACK (RFC 2018). Packed structs and named constants only;
 * multi-byte fields are in network byte order.
 */
#ifndef LIB_NET_TCP_WIRE_H
#define LIB_NET_TCP_WIRE_H

#include <stdint.h>

#define TCP_HDR_LEN 20	   /* without options */
#define TCP_HDR_MAX 60	   /* data offset 15 words */
#define TCP_OPT_SPACE 40   /* TCP_HDR_MAX - TCP_HDR_LEN */
#define TCP_DOFF_MIN 5	   /* 32-bit words */
#define TCP_DOFF_SHIFT 4   /* in doff_rsvd */
#define TCP_DOFF_UNIT 4	   /* bytes per word */
#define TCP_WIN_MAX 0xffff /* the unscaled window field */

/* flags */
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

struct tcp_hdr {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t doff_rsvd; /* data offset << 4 */
	uint8_t flags;
	uint16_t wnd;
	uint16_t csum;
	uint16_t urg;
} __attribute__((packed));

/* Option kinds and their lengths (kind and length bytes included). */
#define TCP_OPT_EOL 0
#define TCP_OPT_NOP 1
#define TCP_OPT_MSS 2
#define TCP_OPT_WSCALE 3
#define TCP_OPT_SACK_PERM 4
#define TCP_OPT_SACK 5
#define TCP_OPT_TS 8
#define TCP_OPTLEN_MSS 4
#define TCP_OPTLEN_WSCALE 3
#define TCP_OPTLEN_SACK_PERM 2
#define TCP_OPTLEN_SACK_BASE 2 /* then 8 bytes per block */
#define TCP_OPTLEN_SACK_BLOCK 8
#define TCP_OPTLEN_TS 10
#define TCP_WSCALE_MAX 14 /* RFC 7323 2.3 */
#define TCP_SACK_BLOCKS_MAX 4

#endif
