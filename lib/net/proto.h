/*
 * Wire formats of the protocols lib/net speaks: Ethernet II, ARP for IPv4
 * over Ethernet (RFC 826), IPv4 (RFC 791), ICMP echo (RFC 792), UDP
 * (RFC 768) and the fixed part of a DHCP message (RFC 2131, 2132).
 * Packed structs and named constants only; multi-byte fields are in
 * network byte order, as they travel.
 */
#ifndef LIB_NET_PROTO_H
#define LIB_NET_PROTO_H

#include <stdint.h>

/* Ethernet II */
#define ETH_ADDR_LEN 6
#define ETH_HDR_LEN 14
#define ETH_TYPE_IPV4 0x0800
#define ETH_TYPE_ARP 0x0806
#define ETH_TYPE_VLAN 0x8100

struct eth_hdr {
	uint8_t dst[ETH_ADDR_LEN];
	uint8_t src[ETH_ADDR_LEN];
	uint16_t type;
} __attribute__((packed));

/* ARP, IPv4 over Ethernet only */
#define ARP_HTYPE_ETHER 1
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2
#define ARP_PKT_LEN 28

struct arp_pkt {
	uint16_t htype, ptype;
	uint8_t hlen, plen;
	uint16_t op;
	uint8_t sha[ETH_ADDR_LEN];
	uint32_t spa;
	uint8_t tha[ETH_ADDR_LEN];
	uint32_t tpa;
} __attribute__((packed));

/* IPv4 */
#define IP_VERSION 4
#define IP_HDR_LEN 20	  /* without options */
#define IP_IHL_MIN 5	  /* 32-bit words */
#define IP_LEN_MAX 0xffff /* total length field */
#define IP_FLAG_DF 0x4000 /* in frag_off */
#define IP_FLAG_MF 0x2000
#define IP_OFFSET_MASK 0x1fff
#define IP_TTL_DEFAULT 64
#define IP_PROTO_ICMP 1
#define IP_PROTO_TCP 6
#define IP_PROTO_UDP 17

struct ip_hdr {
	uint8_t ver_ihl; /* version << 4 | header length in 32-bit words */
	uint8_t tos;
	uint16_t total_len;
	uint16_t id;
	uint16_t frag_off; /* flags and fragment offset in 8-byte units */
	uint8_t ttl;
	uint8_t proto;
	uint16_t csum;
	uint32_t src, dst;
} __attribute__((packed));

/* ICMP */
#define ICMP_ECHO_REPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_ECHO_REQUEST 8
#define ICMP_HDR_LEN 8

struct icmp_hdr {
	uint8_t type, code;
	uint16_t csum;
	uint16_t id, seq; /* echo: identifier and sequence number */
} __attribute__((packed));

/* UDP */
#define UDP_HDR_LEN 8

struct udp_hdr {
	uint16_t sport, dport;
	uint16_t len; /* header and data */
	uint16_t csum;
} __attribute__((packed));

/* DHCP (BOOTP's fixed format and the options that follow it) */
#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define DHCP_OP_REQUEST 1
#define DHCP_OP_REPLY 2
#define DHCP_HTYPE_ETHER 1
#define DHCP_FLAG_BROADCAST 0x8000
#define DHCP_MAGIC 0x63825363
#define DHCP_CHADDR_LEN 16
#define DHCP_SNAME_LEN 64
#define DHCP_FILE_LEN 128

struct dhcp_msg {
	uint8_t op, htype, hlen, hops;
	uint32_t xid;
	uint16_t secs, flags;
	uint32_t ciaddr, yiaddr, siaddr, giaddr;
	uint8_t chaddr[DHCP_CHADDR_LEN];
	uint8_t sname[DHCP_SNAME_LEN];
	uint8_t file[DHCP_FILE_LEN];
	uint32_t magic;
	/* options follow */
} __attribute__((packed));

/* DHCP options (RFC 2132): code, length, value; pad and end have no length. */
#define DHCP_OPT_PAD 0
#define DHCP_OPT_SUBNET_MASK 1
#define DHCP_OPT_ROUTER 3
#define DHCP_OPT_DNS 6
#define DHCP_OPT_REQUESTED_IP 50
#define DHCP_OPT_LEASE_TIME 51
#define DHCP_OPT_MSG_TYPE 53
#define DHCP_OPT_SERVER_ID 54
#define DHCP_OPT_PARAM_LIST 55
#define DHCP_OPT_MAX_MSG_SIZE 57
#define DHCP_OPT_T1 58
#define DHCP_OPT_T2 59
#define DHCP_OPT_END 255

/* DHCP_OPT_MSG_TYPE values */
#define DHCP_DISCOVER 1
#define DHCP_OFFER 2
#define DHCP_REQUEST 3
#define DHCP_DECLINE 4
#define DHCP_ACK 5
#define DHCP_NAK 6
#define DHCP_RELEASE 7

#endif
