/*
 * The Linux socket calls (docs/abi.md, docs/net.md). Sockets are files in
 * the one fd table (lib/vfs/fd.h), with read, write, poll and close like
 * any other. This issue serves AF_INET datagram sockets (UDP); stream
 * sockets answer as the Linux calls do for a protocol the kernel lacks.
 */
#ifndef LIB_NET_SOCKET_H
#define LIB_NET_SOCKET_H

#include <stddef.h>
#include <stdint.h>

long sys_socket(int domain, int type, int protocol);
long sys_socketpair(int domain, int type, int protocol, int *sv);
long sys_bind(int fd, const void *addr, uint32_t len);
long sys_connect(int fd, const void *addr, uint32_t len);
long sys_listen(int fd, int backlog);
long sys_accept(int fd, void *addr, uint32_t *len);
long sys_accept4(int fd, void *addr, uint32_t *len, int flags);
long sys_sendto(int fd, const void *buf, size_t n, int flags, const void *addr, uint32_t len);
long sys_recvfrom(int fd, void *buf, size_t n, int flags, void *addr, uint32_t *len);
long sys_sendmsg(int fd, const void *msg, int flags);
long sys_recvmsg(int fd, void *msg, int flags);
long sys_sendmmsg(int fd, void *msgs, unsigned n, int flags);
long sys_recvmmsg(int fd, void *msgs, unsigned n, int flags, void *timeout);
long sys_shutdown(int fd, int how);
long sys_getsockname(int fd, void *addr, uint32_t *len);
long sys_getpeername(int fd, void *addr, uint32_t *len);
long sys_setsockopt(int fd, int level, int name, const void *val, uint32_t len);
long sys_getsockopt(int fd, int level, int name, void *val, uint32_t *len);

#endif
