/*
 * What the socket files share (socket.c, sock_io.c, sock_opt.c, sock_tcp.c): struct
 * sock, the ABI's structs and constants as x86_64 Linux has them, and the
 * helpers that turn an fd into a socket and a sockaddr into an address.
 */
#ifndef LIB_NET_SOCK_PRIV_H
#define LIB_NET_SOCK_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/net/net_priv.h"
#include "lib/net/tcp.h"
#include "lib/vfs/fd.h"
#include "lib/vfs/poll.h"
#include "sched/sched.h"

/* Families, types, protocols */
#define AF_UNSPEC 0
#define AF_UNIX 1
#define AF_INET 2
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define SOCK_SEQPACKET 5
#define SOCK_TYPE_MASK 0xf
#define SOCK_TYPE_MAX 10 /* SOCK_PACKET; above: EINVAL */
#define SOCK_NONBLOCK O_NONBLOCK
#define SOCK_CLOEXEC O_CLOEXEC
#define IPPROTO_IP 0
#define IPPROTO_UDP IP_PROTO_UDP
#define IPPROTO_TCP IP_PROTO_TCP

/* Message flags */
#define MSG_OOB 0x1
#define MSG_PEEK 0x2
#define MSG_TRUNC 0x20
#define MSG_DONTWAIT 0x40
#define MSG_WAITALL 0x100
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

/* What a stream socket keeps beside its TCP block (sock_tcp.c). */
struct sock_stream {
	struct tcp_pcb *pcb;	 /* from socket() until the file's release */
	struct sock *bound_next; /* sock_tcp.c's list of bound stream sockets */
	bool bound, listening;
	bool connecting; /* a nonblocking connect() said EINPROGRESS; the next one reports */
	bool nodelay, keepalive, cork;
	bool bufs_set;			  /* SO_SNDBUF or SO_RCVBUF was set: no autotuning */
	int keepidle, keepintvl, keepcnt; /* s; TCP_KEEP* as getsockopt shows them */
	bool linger;
	int linger_s;
};

/*
 * A socket. Datagram sockets use pcb whole; a stream socket keeps only its
 * local name (laddr, lport) and SO_REUSE* flags there, and its TCP block
 * in stream. An end of an AF_UNIX pair is a SOCK_STREAM with unix_pair
 * set, and no TCP block (sock_unix.c).
 */
struct sock {
	struct file file; /* file.priv points back here */
	int type;	  /* SOCK_DGRAM or SOCK_STREAM */
	struct udp_pcb pcb;
	struct sock_stream stream;
	struct waitq readers; /* every waiter: readers, writers, connect, accept */
	struct poll_head poll;
	unsigned
		rx_seq; /* counts arrivals, TCP events and shutdowns, for waiters (interrupts off) */
	bool shut_rd, shut_wr;
	int error;		     /* SO_ERROR (positive); UDP sets none, without ICMP errors */
	int rcvbuf_opt, sndbuf;	     /* as getsockopt shows them */
	uint64_t rcvtimeo, sndtimeo; /* ns; 0: none */
	uint64_t ino;
	struct unix_pair *unix_pair; /* an AF_UNIX pair's end: the pair, and which end */
	int unix_end;
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

/* Copies n bytes between k and the buffers of it, from byte off of them on. 0 or -EFAULT. */
int sock_iter_copy_at(const struct sock_iter *it, size_t off, void *k, size_t n, bool to_app);
/* -EPIPE, and SIGPIPE to the caller unless MSG_NOSIGNAL. */
long sock_epipe(int flags);

/*
 * Stream sockets (sock_tcp.c). Each is called with the socket referenced
 * and its arguments checked, and takes the stack lock itself.
 */
int sock_tcp_open(struct sock *s);
void sock_tcp_release(struct sock *s);
int sock_tcp_bind(struct sock *s, uint32_t addr, uint16_t port);
int sock_tcp_connect(struct sock *s, uint32_t addr, uint16_t port);
int sock_tcp_listen(struct sock *s, int backlog);
/* The accepted connection's new socket in *out (its file not installed). */
int sock_tcp_accept(struct sock *s, int flags, struct sock **out);
int sock_tcp_shutdown(struct sock *s, int how);
/* getsockname (peer false) and getpeername; -ENOTCONN for a peer not there. */
int sock_tcp_name(struct sock *s, bool peer, uint32_t *addr, uint16_t *port);
long sock_tcp_send(struct sock *s, struct sock_iter *it, size_t total, int flags);
long sock_tcp_recv(struct sock *s, struct sock_iter *it, size_t total, int flags);
unsigned sock_tcp_poll(struct sock *s);
/* FIONREAD (out false): bytes waiting to be read; SIOCOUTQ: sent, not yet acknowledged. */
int sock_tcp_queued(struct sock *s, bool out);
/* Applies the socket's TCP options to its block (after setsockopt), the sizes too if bufs. Lock held. */
void sock_tcp_apply(struct sock *s, bool bufs);
#define TCP_KEEPIDLE_DEFAULT 7200 /* s: Linux's tcp_keepalive_time */
#define TCP_KEEPINTVL_DEFAULT 75
#define TCP_KEEPCNT_DEFAULT 9

/* A TCP socket (not an AF_UNIX pair's end). */
static inline bool sock_is_tcp(const struct sock *s)
{
	return s->type == SOCK_STREAM && !s->unix_pair;
}

/*
 * AF_UNIX stream pairs (sock_unix.c). sock_unix_check: socketpair()'s
 * type and protocol for AF_UNIX, 0 or -errno; sock_unix_pair makes the two
 * ends (files not installed). The calls below are the socket calls on an
 * end.
 */
int sock_unix_check(int type, int protocol);
int sock_unix_pair(int type, struct sock **a, struct sock **b);
long sock_unix_send(struct sock *s, struct sock_iter *it, size_t total, int flags);
long sock_unix_recv(struct sock *s, struct sock_iter *it, size_t total, int flags);
unsigned sock_unix_poll(struct sock *s);
int sock_unix_shutdown(struct sock *s, int how);
/* FIONREAD (out false): bytes waiting for this end; SIOCOUTQ: sent, not yet read by the peer. */
size_t sock_unix_queued(struct sock *s, bool out);
/* The peer is still there (getpeername). */
bool sock_unix_connected(struct sock *s);
void sock_unix_release(struct sock *s);

/* A fresh socket of type (SOCK_DGRAM or SOCK_STREAM, with SOCK_NONBLOCK); NULL without memory. */
struct sock *sock_new(int type);
/* Frees a socket whose file was never installed. */
void sock_free(struct sock *s);

#endif
