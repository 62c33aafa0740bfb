/*
 * What the socket files share (socket.c, sock_io.c, sock_opt.c): struct
 * sock, the ABI's structs and constants as x86_64 Linux has them, and the
 * helpers that turn an fd into a socket and a sockaddr into an address.
 */
#ifndef LIB_NET_SOCK_PRIV_H
#define LIB_NET_SOCK_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/net/net_priv.h"
#include "lib/vfs/fd.h"
#include "lib/vfs/poll.h"
#include "sched/sched.h"

/* Families, types, protocols */
#define AF_UNSPEC 0
#define AF_INET 2
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define SOCK_TYPE_MASK 0xf
#define SOCK_TYPE_MAX 10 /* SOCK_PACKET; above: EINVAL */
#define SOCK_NONBLOCK O_NONBLOCK
#define SOCK_CLOEXEC O_CLOEXEC
#define IPPROTO_IP 0
#define IPPROTO_UDP IP_PROTO_UDP

/* Message flags */
#define MSG_OOB 0x1
#define MSG_PEEK 0x2
#define MSG_TRUNC 0x20
#define MSG_DONTWAIT 0x40
#define MSG_ERRQUEUE 0x2000
#define MSG_NOSIGNAL 0x4000
#define MSG_CMSG_CLOEXEC 0x40000000

#define SHUT_RD 0
#define SHUT_WR 1
#define SHUT_RDWR 2

#define SOCKADDR_STORAGE_LEN 128 /* the longest address a call may pass */
#define SOCK_IOV_MAX 1024	 /* UIO_MAXIOV */
#define SOCK_INT_MAX 0x7fffffff
#define UDP_PAYLOAD_MAX (IP_LEN_MAX - IP_HDR_LEN - UDP_HDR_LEN) /* 65507 */

#define SIGPIPE 13
#define SIGPIPE_CODE 0 /* SI_USER, as Linux's send_sig() gives */

struct abi_sockaddr_in {
	uint16_t family;
	uint16_t port; /* network order */
	uint32_t addr; /* network order */
	uint8_t zero[8];
};

struct abi_iovec {
	uint64_t base, len;
};

struct abi_msghdr {
	uint64_t name;
	uint32_t namelen;
	uint32_t pad0;
	uint64_t iov, iovlen;
	uint64_t control, controllen;
	int32_t flags;
	uint32_t pad1;
};

struct abi_mmsghdr {
	struct abi_msghdr hdr;
	uint32_t len;
	uint32_t pad;
};

struct sock {
	struct file file; /* file.priv points back here */
	struct udp_pcb pcb;
	struct waitq readers;
	struct poll_head poll;
	unsigned rx_seq; /* counts arrivals and shutdowns, for waiters (interrupts off) */
	bool shut_rd, shut_wr;
	int error;		     /* SO_ERROR: none is ever set for UDP without ICMP errors */
	int rcvbuf_opt, sndbuf;	     /* as getsockopt shows them */
	uint64_t rcvtimeo, sndtimeo; /* ns; 0: none */
	uint64_t ino;
};

/* The socket at fd with a reference taken (sock_put it): 0, -EBADF or -ENOTSOCK. */
int sock_get(int fd, struct sock **out);
void sock_put(struct sock *s);
/* The struct file is a socket's. */
bool sock_is(const struct file *f);

/* Reads a sockaddr from the application: len checks, then the copy. 0 or -errno. */
int sock_addr_in(const void *app, uint32_t len, struct abi_sockaddr_in *sa);
/* Writes addr:port as a sockaddr_in to app, cut to room bytes; 0 or -EFAULT. */
int sock_addr_put(void *app, uint32_t room, uint32_t addr, uint16_t port);
/*
 * Writes addr:port as a sockaddr_in to the application's (app, *app_len),
 * truncated to the length there, and the full length back; 0 or -errno.
 */
int sock_addr_out(void *app, uint32_t *app_len, uint32_t addr, uint16_t port);

/* Wakes readers and pollers: a datagram came, or a shutdown. Stack lock held. */
void sock_wake(struct sock *s, unsigned events);

/*
 * The application's buffers of one call: one buffer (read, write, sendto,
 * recvfrom) or an iovec array still in the application's memory (sendmsg,
 * recvmsg), read one entry at a time.
 */
struct sock_iter {
	const struct abi_iovec *app; /* NULL: the one buffer below */
	size_t cnt;
	struct abi_iovec single;
};

void sock_iter_single(struct sock_iter *it, const void *buf, size_t n);
/* Checks every entry (-EFAULT, -EINVAL, -EMSGSIZE for too many); *total their bytes. */
int sock_iter_app(struct sock_iter *it, const struct abi_iovec *app, uint64_t cnt, size_t *total);

/*
 * Sends total bytes from it as one datagram, to `to` or the connected
 * peer (sock_io.c). The bytes, or -errno. Takes the stack lock itself.
 */
long sock_send(struct sock *s, struct sock_iter *it, size_t total, int flags,
	       const struct abi_sockaddr_in *to);
/*
 * Receives one datagram into it (room: total bytes), waiting unless
 * non-blocking; its source in *from, MSG_TRUNC in *msg_flags if cut.
 * The bytes (the datagram's length with MSG_TRUNC), or -errno.
 */
long sock_recv(struct sock *s, struct sock_iter *it, size_t total, int flags, struct udp_from *from,
	       int *msg_flags);

#endif
