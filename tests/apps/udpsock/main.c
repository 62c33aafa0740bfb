/*
 * UDP sockets against Linux (docs/net.md): the same static musl program runs
 * natively and in Ceres, and the outputs must agree line for line. Every
 * line is one call with its result and errno name: argument checks in
 * Linux's order, datagrams over 127.0.0.1 (peek, truncation, iovecs,
 * connect and disconnect), names, options, a receive timeout, a signal
 * interrupting a blocking receive, shutdown, poll, fstat. Needs no network
 * device: only loopback.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <signal.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

static pthread_t main_thread;
/* Interrupts the main thread's blocking receive after 300 ms. */
static void *killer(void *a)
{
	(void)a;
	struct timespec ts = { 0, 300000000 };
	nanosleep(&ts, NULL);
	pthread_kill(main_thread, SIGALRM);
	return NULL;
}

static const char *errno_name(int e)
{
	switch (e) {
#define E(x)    \
	case x: \
		return #x;
		E(EINVAL)
		E(EAFNOSUPPORT)
		E(EPROTONOSUPPORT)
		E(ESOCKTNOSUPPORT)
		E(EADDRNOTAVAIL)
		E(EADDRINUSE)
		E(EFAULT)
		E(EOPNOTSUPP)
		E(ENOTCONN)
		E(EAGAIN)
		E(EDESTADDRREQ)
		E(EACCES)
		E(EMSGSIZE)
		E(ENOTSOCK)
		E(EBADF)
		E(ENOPROTOOPT)
		E(EPIPE)
		E(EINTR)
		E(ENETUNREACH)
		E(EDOM)
#undef E
	default:
		return "other";
	}
}
/* One call: its text, its result and, if it failed, errno's name. */
#define T(x)                                                                         \
	do {                                                                         \
		errno = 0;                                                           \
		long r_ = (x);                                                       \
		printf("%-70s = %ld %s\n", #x, r_, r_ < 0 ? errno_name(errno) : ""); \
	} while (0)
static void on_alarm(int sig)
{
	(void)sig;
}
int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	struct sigaction sa = { .sa_handler = on_alarm };
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	T(socket(AF_INET, SOCK_SEQPACKET, 0));
	T(socket(AF_INET, 11, 0));
	T(socket(AF_INET, SOCK_DGRAM | 0x100, 0));
	T(socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP));
	T(socket(AF_INET, SOCK_DGRAM, -1));
	T(socket(45, SOCK_DGRAM, 0));
	T(socket(AF_INET, -1, 0));
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(0) };
	T(bind(s, (void *)&a, sizeof(a) - 1));
	T(bind(s, (void *)&a, 200));
	a.sin_family = AF_INET6;
	T(bind(s, (void *)&a, sizeof(a)));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(0x01020304);
	T(bind(s, (void *)&a, sizeof(a)));
	T(bind(s, NULL, sizeof(a)));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(40000);
	T(bind(s, (void *)&a, sizeof(a)));
	T(bind(s, (void *)&a, sizeof(a)));
	int s4 = socket(AF_INET, SOCK_DGRAM, 0);
	T(bind(s4, (void *)&a, sizeof(a)));
	a.sin_addr.s_addr = 0;
	T(bind(s4, (void *)&a, sizeof(a)));
	T(listen(s, 1));
	T(accept(s, NULL, NULL));
	T(accept4(s, NULL, NULL, 0x1234));
	T(shutdown(s, 3));
	char buf[2000];
	T(recv(s, buf, 10, MSG_DONTWAIT));
	T(send(s, buf, 10, 0));
	int s2 = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in d = { .sin_family = AF_INET,
				 .sin_port = htons(40000),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	T(sendto(s2, buf, 10, 0, (void *)&d, sizeof(d) - 1));
	T(sendto(s2, buf, 10, 0, (void *)1, sizeof(d)));
	T(sendto(s2, NULL, 10, 0, (void *)&d, sizeof(d)));
	T(sendto(s2, buf, 70000, 0, (void *)&d, sizeof(d)));
	T(sendto(s2, buf, 10, MSG_OOB, (void *)&d, sizeof(d)));
	d.sin_addr.s_addr = INADDR_BROADCAST;
	T(sendto(s2, buf, 10, 0, (void *)&d, sizeof(d)));
	d.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d.sin_port = 0;
	T(sendto(s2, buf, 10, 0, (void *)&d, sizeof(d)));
	d.sin_port = htons(40000);
	T(sendto(s2, "hello", 5, 0, (void *)&d, sizeof(d)));
	T(sendto(s2, "", 0, 0, (void *)&d, sizeof(d)));
	T(sendto(s2, "truncated!", 10, 0, (void *)&d, sizeof(d)));
	struct pollfd pfd = { .fd = s, .events = POLLIN | POLLOUT };
	T(poll(&pfd, 1, 1000));
	printf("revents %#x\n", pfd.revents);
	int n = -1;
	T(ioctl(s, FIONREAD, &n));
	printf("fionread %d\n", n);
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	memset(buf, 0, sizeof buf);
	T(recvfrom(s, buf, sizeof buf, MSG_PEEK, (void *)&from, &fl));
	printf("peek '%s' from %s fl %d\n", buf, inet_ntoa(from.sin_addr), fl);
	T(recvfrom(s, buf, sizeof buf, 0, NULL, NULL));
	printf("'%s'\n", buf);
	T(recvfrom(s, buf, sizeof buf, 0, NULL, NULL));
	fl = 4;
	T(recvfrom(s, buf, 4, MSG_TRUNC, (void *)&from, &fl));
	printf("fl %d\n", fl);
	T(recv(s, buf, 10, MSG_DONTWAIT));
	T(sendto(s2, "abcdefghij", 10, 0, (void *)&d, sizeof(d)));
	char p1[3], p2[4];
	struct iovec iov[2] = { { p1, 3 }, { p2, 4 } };
	struct msghdr m = {
		.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = iov, .msg_iovlen = 2
	};
	T(recvmsg(s, &m, 0));
	printf("'%.3s' '%.4s' flags %#x namelen %d\n", p1, p2, m.msg_flags, m.msg_namelen);
	struct iovec siov[2] = { { "foo", 3 }, { "bar", 3 } };
	struct msghdr sm = {
		.msg_name = &d, .msg_namelen = sizeof(d), .msg_iov = siov, .msg_iovlen = 2
	};
	T(sendmsg(s2, &sm, 0));
	memset(buf, 0, sizeof buf);
	T(read(s, buf, sizeof buf));
	printf("'%s'\n", buf);
	T(connect(s2, (void *)&d, sizeof(d)));
	T(write(s2, "via write", 9));
	memset(buf, 0, sizeof buf);
	T(recv(s, buf, sizeof buf, 0));
	printf("'%s'\n", buf);
	struct sockaddr_in pn;
	socklen_t pl = sizeof(pn);
	T(getpeername(s2, (void *)&pn, &pl));
	printf("peer %s:%d\n", inet_ntoa(pn.sin_addr), ntohs(pn.sin_port));
	pl = sizeof(pn);
	T(getsockname(s2, (void *)&pn, &pl));
	printf("name %s\n", inet_ntoa(pn.sin_addr));
	struct sockaddr u = { .sa_family = AF_UNSPEC };
	T(connect(s2, &u, sizeof(u)));
	pl = sizeof(pn);
	T(getpeername(s2, (void *)&pn, &pl));
	pl = sizeof(pn);
	T(getsockname(s2, (void *)&pn, &pl));
	printf("name %s\n", inet_ntoa(pn.sin_addr));
	pl = 3;
	T(getsockname(s, (void *)&pn, &pl));
	printf("pl %d\n", pl);
	pl = -1;
	T(getsockname(s, (void *)&pn, &pl));
	T(getsockname(0, (void *)&pn, &pl));
	T(getsockname(99, (void *)&pn, &pl));
	int v = 1;
	socklen_t l = sizeof(v);
	T(setsockopt(s2, SOL_SOCKET, SO_RCVBUF, &v, 2));
	T(setsockopt(s2, SOL_SOCKET, SO_RCVBUF, &v, 4));
	T(getsockopt(s2, SOL_SOCKET, SO_RCVBUF, &v, &l));
	printf("rcvbuf %d\n", v);
	v = 100000;
	T(setsockopt(s2, SOL_SOCKET, SO_RCVBUF, &v, 4));
	l = 4;
	T(getsockopt(s2, SOL_SOCKET, SO_RCVBUF, &v, &l));
	printf("rcvbuf %d\n", v);
	v = 0;
	T(setsockopt(s2, SOL_SOCKET, SO_SNDBUF, &v, 4));
	l = 4;
	T(getsockopt(s2, SOL_SOCKET, SO_SNDBUF, &v, &l));
	printf("sndbuf %d\n", v);
	T(setsockopt(s2, SOL_SOCKET, 999, &v, 4));
	T(setsockopt(s2, 999, 1, &v, 4));
	T(setsockopt(s2, IPPROTO_UDP, 999, &v, 4));
	l = 2;
	T(getsockopt(s2, SOL_SOCKET, SO_TYPE, &v, &l));
	printf("l %d\n", l);
	l = 8;
	long lv = -1;
	T(getsockopt(s2, SOL_SOCKET, SO_TYPE, &lv, &l));
	printf("l %d v %lx\n", l, lv);
	l = 4;
	T(getsockopt(s2, SOL_SOCKET, SO_ERROR, &v, &l));
	printf("err %d\n", v);
	l = 4;
	T(getsockopt(s2, SOL_SOCKET, 999, &v, &l));
	l = 4;
	T(getsockopt(s2, 999, 1, &v, &l));
	l = -1;
	T(getsockopt(s2, SOL_SOCKET, SO_TYPE, &v, &l));
	v = 1;
	T(setsockopt(s2, SOL_SOCKET, SO_REUSEADDR, &v, 4));
	l = 4;
	T(getsockopt(s2, SOL_SOCKET, SO_REUSEADDR, &v, &l));
	printf("reuse %d\n", v);
	struct timeval tv = { 0, 200000 };
	T(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	T(recv(s, buf, 10, 0));
	tv.tv_usec = 0;
	T(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	pthread_t kt;
	main_thread = pthread_self();
	pthread_create(&kt, NULL, killer, NULL);
	T(recv(s, buf, 10, 0));
	pthread_join(kt, NULL);
	int r1 = socket(AF_INET, SOCK_DGRAM, 0), r2 = socket(AF_INET, SOCK_DGRAM, 0);
	v = 1;
	setsockopt(r1, SOL_SOCKET, SO_REUSEADDR, &v, 4);
	setsockopt(r2, SOL_SOCKET, SO_REUSEADDR, &v, 4);
	a.sin_port = htons(40001);
	T(bind(r1, (void *)&a, sizeof(a)));
	T(bind(r2, (void *)&a, sizeof(a)));
	T(shutdown(s2, SHUT_WR));
	T(sendto(s2, buf, 10, MSG_NOSIGNAL, (void *)&d, sizeof(d)));
	T(shutdown(s, SHUT_RD));
	T(recv(s, buf, 10, 0));
	T(recv(s, buf, 10, MSG_DONTWAIT));
	pfd.fd = s;
	pfd.events = POLLIN;
	T(poll(&pfd, 1, 0));
	printf("revents %#x\n", pfd.revents);
	struct stat st;
	T(fstat(s, &st));
	printf("mode %o\n", st.st_mode);
	T(socketpair(AF_INET, SOCK_DGRAM, 0, (int[2]){ 0 }));
	T(close(s));
	T(close(s));
	printf("udpsock: done\n");
	return 0;
}
