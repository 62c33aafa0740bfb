/*
 * TCP sockets against Linux (docs/net.md): the same static musl program runs
 * natively and in Ceres, and the outputs must agree line for line. Every
 * line is one call with its result and errno name, or a fact about what came
 * back (never a port number or a timing, which differ between runs). All
 * over 127.0.0.1 inside one program, with threads where a call must block:
 * creation, options, bind conflicts, the handshake, data both ways (peek,
 * iovecs, MSG_WAITALL), names, shutdown and EOF, refused and nonblocking
 * connects with SO_ERROR, EAGAIN, EPIPE and SIGPIPE, resets, epoll level
 * and edge, accept4's flags, 4 MiB through the loopback with a checksum, and
 * a file through sendfile.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define BULK_BYTES (4u << 20)
#define SENDFILE_BYTES 300000
#define SENDFILE_PATH "/tmp/tcpsock.sendfile"

static const char *errno_name(int e)
{
	switch (e) {
#define E(x)    \
	case x: \
		return #x;
		E(EINVAL)
		E(EPROTONOSUPPORT)
		E(EADDRINUSE)
		E(EADDRNOTAVAIL)
		E(EFAULT)
		E(EOPNOTSUPP)
		E(ENOTCONN)
		E(EAGAIN)
		E(EPIPE)
		E(ECONNREFUSED)
		E(ECONNRESET)
		E(EINPROGRESS)
		E(EALREADY)
		E(EISCONN)
		E(ENOPROTOOPT)
		E(ENOTSOCK)
		E(EBADF)
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

static volatile int sigpipes;

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static struct sockaddr_in loopback(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static int getint(int fd, int level, int name)
{
	int v = -1;
	socklen_t l = sizeof(v);

	if (getsockopt(fd, level, name, &v, &l) < 0)
		return -errno;
	return v;
}

static uint16_t port_of(int fd)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);

	getsockname(fd, (void *)&a, &l);
	return ntohs(a.sin_port);
}

/* A listener on 127.0.0.1, port chosen by the kernel. */
static int listener(int backlog)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = loopback(0);

	bind(fd, (void *)&a, sizeof(a));
	listen(fd, backlog);
	return fd;
}

static int connect_to(uint16_t port, int flags)
{
	int fd = socket(AF_INET, SOCK_STREAM | flags, 0);
	struct sockaddr_in a = loopback(port);

	if (connect(fd, (void *)&a, sizeof(a)) < 0 && errno != EINPROGRESS)
		return -errno;
	return fd;
}

static void print_events(const char *what, unsigned ev)
{
	printf("%s:%s%s%s%s%s\n", what, ev & POLLIN ? " IN" : "", ev & POLLOUT ? " OUT" : "",
	       ev & POLLERR ? " ERR" : "", ev & POLLHUP ? " HUP" : "",
	       ev & POLLRDHUP ? " RDHUP" : "");
}

static void poll_one(const char *what, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT | POLLRDHUP };

	poll(&p, 1, 1000);
	print_events(what, p.revents);
}

static void creation_and_options(void)
{
	T(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP));
	int s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
	int one = 1;
	struct linger lg = { 1, 0 };
	socklen_t l = sizeof(lg);

	printf("type %d protocol %d acceptconn %d\n", getint(s, SOL_SOCKET, SO_TYPE),
	       getint(s, SOL_SOCKET, SO_PROTOCOL), getint(s, SOL_SOCKET, SO_ACCEPTCONN));
	printf("nodelay %d keepalive %d error %d\n", getint(s, IPPROTO_TCP, TCP_NODELAY),
	       getint(s, SOL_SOCKET, SO_KEEPALIVE), getint(s, SOL_SOCKET, SO_ERROR));
	printf("sndbuf %d rcvbuf %d\n", getint(s, SOL_SOCKET, SO_SNDBUF),
	       getint(s, SOL_SOCKET, SO_RCVBUF));
	printf("keepidle %d keepintvl %d keepcnt %d maxseg %d\n",
	       getint(s, IPPROTO_TCP, TCP_KEEPIDLE), getint(s, IPPROTO_TCP, TCP_KEEPINTVL),
	       getint(s, IPPROTO_TCP, TCP_KEEPCNT), getint(s, IPPROTO_TCP, TCP_MAXSEG));
	printf("cork %d\n", getint(s, IPPROTO_TCP, TCP_CORK));
	T(setsockopt(s, IPPROTO_TCP, TCP_CORK, &one, sizeof(one)));
	printf("cork %d\n", getint(s, IPPROTO_TCP, TCP_CORK));
	T(setsockopt(s, IPPROTO_TCP, TCP_CORK, &(int){ 0 }, sizeof(int)));
	T(setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)));
	T(setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)));
	T(setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)));
	int v = 30;
	T(setsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof(v)));
	v = 0;
	T(setsockopt(s, IPPROTO_TCP, TCP_KEEPCNT, &v, sizeof(v)));
	v = 4096;
	T(setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)));
	T(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	lg.l_onoff = lg.l_linger = 9;
	T(getsockopt(s, SOL_SOCKET, SO_LINGER, &lg, &l));
	printf("linger %d %d\n", lg.l_onoff, lg.l_linger);
	printf("nodelay %d keepalive %d keepidle %d rcvbuf %d\n",
	       getint(s, IPPROTO_TCP, TCP_NODELAY), getint(s, SOL_SOCKET, SO_KEEPALIVE),
	       getint(s, IPPROTO_TCP, TCP_KEEPIDLE), getint(s, SOL_SOCKET, SO_RCVBUF));
	poll_one("fresh socket", s);
	char c;
	T(recv(s, &c, 1, 0));
	struct sockaddr_in a;
	l = sizeof(a);
	T(getpeername(s, (void *)&a, &l));
	T(shutdown(s, SHUT_WR));
	close(s);
}

static void bind_rules(void)
{
	int one = 1;
	int a = listener(4);
	struct sockaddr_in sa = loopback(port_of(a));
	int b = socket(AF_INET, SOCK_STREAM, 0);

	printf("listener port nonzero %d acceptconn %d\n", port_of(a) != 0,
	       getint(a, SOL_SOCKET, SO_ACCEPTCONN));
	T(bind(b, (void *)&sa, sizeof(sa)));
	T(setsockopt(b, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	T(bind(b, (void *)&sa, sizeof(sa)));
	sa.sin_addr.s_addr = htonl(0x01020304);
	T(bind(b, (void *)&sa, sizeof(sa)));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0;
	T(bind(b, (void *)&sa, sizeof(sa)));
	T(bind(b, (void *)&sa, sizeof(sa)));
	T(listen(b, 0));
	T(listen(b, 5));
	T(connect(b, (void *)&sa, sizeof(sa)));
	close(a);
	close(b);
}

/* The other end writes "late" after 200 ms, in three pieces for MSG_WAITALL. */
static void *late_writer(void *arg)
{
	int fd = *(int *)arg;

	sleep_ms(200);
	write(fd, "la", 2);
	sleep_ms(50);
	write(fd, "t", 1);
	sleep_ms(50);
	write(fd, "e!", 2);
	return NULL;
}

static void data_and_names(void)
{
	int l = listener(8);
	int c = connect_to(port_of(l), 0);
	struct sockaddr_in from, cn, cp, sn, sp;
	socklen_t fl = sizeof(from), n1 = sizeof(cn), n2 = sizeof(cp), n3 = sizeof(sn),
		  n4 = sizeof(sp);
	int s = accept(l, (void *)&from, &fl);
	char buf[64] = { 0 };
	int n = -1;

	printf("accepted %d fl %d\n", s >= 0, fl);
	getsockname(c, (void *)&cn, &n1);
	getpeername(c, (void *)&cp, &n2);
	getsockname(s, (void *)&sn, &n3);
	getpeername(s, (void *)&sp, &n4);
	printf("names agree %d %d %d, accept's address is the peer %d\n",
	       cn.sin_port == sp.sin_port && cn.sin_addr.s_addr == sp.sin_addr.s_addr,
	       cp.sin_port == sn.sin_port, sn.sin_port == htons(port_of(l)),
	       from.sin_port == cn.sin_port);
	printf("peer %s\n", inet_ntoa(cp.sin_addr));
	T(connect(c, (void *)&cp, sizeof(cp)));
	T(write(c, "hello", 5));
	T(send(c, " world", 6, 0));
	sleep_ms(50);
	T(ioctl(s, FIONREAD, &n));
	printf("fionread %d\n", n);
	T(recv(s, buf, sizeof(buf), MSG_PEEK));
	printf("peek '%s'\n", buf);
	memset(buf, 0, sizeof(buf));
	fl = sizeof(from);
	T(recvfrom(s, buf, 4, 0, (void *)&from, &fl));
	printf("'%s' fl %d\n", buf, fl);
	char p1[3] = { 0 }, p2[8] = { 0 };
	struct iovec iov[2] = { { p1, 2 }, { p2, 7 } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
	T(recvmsg(s, &m, 0));
	printf("'%s' '%s' flags %d\n", p1, p2, m.msg_flags);
	struct iovec w[3] = { { "a", 1 }, { "bc", 2 }, { "def", 3 } };
	T(writev(s, w, 3));
	memset(buf, 0, sizeof(buf));
	T(recv(c, buf, 6, MSG_WAITALL));
	printf("'%s'\n", buf);
	T(recv(c, buf, 1, MSG_DONTWAIT));
	pthread_t t;
	pthread_create(&t, NULL, late_writer, &s);
	memset(buf, 0, sizeof(buf));
	T(recv(c, buf, 5, MSG_WAITALL));
	printf("'%s'\n", buf);
	pthread_join(t, NULL);

	/* Half close: the server reads EOF and can still write. */
	T(shutdown(c, SHUT_WR));
	T(read(s, buf, sizeof(buf)));
	poll_one("server after the client's SHUT_WR", s);
	T(write(s, "after", 5));
	memset(buf, 0, sizeof(buf));
	T(read(c, buf, sizeof(buf)));
	printf("'%s'\n", buf);
	T(send(c, "x", 1, MSG_NOSIGNAL));
	printf("sigpipes %d\n", sigpipes);
	T(send(c, "x", 1, 0));
	printf("sigpipes %d\n", sigpipes);
	close(s);
	T(read(c, buf, sizeof(buf)));
	poll_one("client after both closes", c);
	close(c);
	close(l);
}

static void refused_and_nonblocking(void)
{
	int l = listener(1);
	uint16_t port = port_of(l);
	int s, c;

	close(l);
	T(connect_to(port, 0) == -ECONNREFUSED ? -1 : 0);
	c = connect_to(port, SOCK_NONBLOCK);
	poll_one("nonblocking connect to a closed port", c);
	int first = getint(c, SOL_SOCKET, SO_ERROR);
	printf("so_error %s, then %d\n", errno_name(first), getint(c, SOL_SOCKET, SO_ERROR));
	close(c);

	l = listener(4);
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = loopback(port_of(l));
	T(connect(c, (void *)&a, sizeof(a)));
	poll_one("nonblocking connect to a listener", c);
	printf("so_error %d\n", getint(c, SOL_SOCKET, SO_ERROR));
	T(connect(c, (void *)&a, sizeof(a)));
	T(connect(c, (void *)&a, sizeof(a)));
	char b;
	T(read(c, &b, 1));
	s = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	printf("accept4 nonblock %d cloexec %d\n", (fcntl(s, F_GETFL) & O_NONBLOCK) != 0,
	       (fcntl(s, F_GETFD) & FD_CLOEXEC) != 0);
	fcntl(l, F_SETFL, O_NONBLOCK);
	T(accept(l, NULL, NULL));
	T(accept4(l, NULL, NULL, 0x1234));
	T(read(s, &b, 1));

	/* Fill the client's send side and the server's receive side. */
	static char chunk[65536];
	long total = 0, r;
	while ((r = write(c, chunk, sizeof(chunk))) > 0)
		total += r;
	printf("filled %d, then %s\n", total > 0, errno_name(errno));
	poll_one("client with a full send buffer", c);
	close(s); /* unread data: a reset */
	sleep_ms(100);
	T(write(c, chunk, 1));
	T(write(c, chunk, 1));
	printf("sigpipes %d\n", sigpipes);
	close(c);
	close(l);
}

static void resets(void)
{
	int l = listener(4);
	int c = connect_to(port_of(l), 0);
	int s = accept(l, NULL, NULL);
	struct linger lg = { 1, 0 };
	char b;

	setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(s);
	sleep_ms(100);
	poll_one("client after a reset", c);
	T(read(c, &b, 1));
	T(read(c, &b, 1));
	T(send(c, "x", 1, MSG_NOSIGNAL));
	close(c);
	close(l);
}

static void epoll_modes(void)
{
	int l = listener(4);
	int c = connect_to(port_of(l), 0);
	int s = accept(l, NULL, NULL);
	int et = epoll_create1(0), lt = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET | EPOLLRDHUP }, out[4];
	char buf[16];

	epoll_ctl(et, EPOLL_CTL_ADD, s, &ev);
	ev.events = EPOLLIN | EPOLLRDHUP;
	epoll_ctl(lt, EPOLL_CTL_ADD, s, &ev);
	T(epoll_wait(et, out, 4, 0));
	T(write(c, "0123456789", 10));
	T(epoll_wait(et, out, 4, 1000));
	T(read(s, buf, 5));
	T(epoll_wait(et, out, 4, 0));
	T(epoll_wait(lt, out, 4, 0));
	T(write(c, "ab", 2));
	T(epoll_wait(et, out, 4, 1000));
	T(read(s, buf, sizeof(buf)));
	T(epoll_wait(lt, out, 4, 0));
	shutdown(c, SHUT_WR);
	T(epoll_wait(et, out, 4, 1000));
	printf("events%s%s\n", out[0].events & EPOLLIN ? " IN" : "",
	       out[0].events & EPOLLRDHUP ? " RDHUP" : "");
	/* A listener is readable while a connection waits. */
	ev.events = EPOLLIN;
	epoll_ctl(lt, EPOLL_CTL_ADD, l, &ev);
	int c2 = connect_to(port_of(l), 0);
	T(epoll_wait(lt, out, 4, 1000));
	close(c2);
	close(et);
	close(lt);
	close(c);
	close(s);
	close(l);
}

struct bulk {
	int fd;
	uint32_t sum;
};

static uint32_t byte_at(uint32_t i)
{
	return (i * 2654435761u) >> 24;
}

static void *bulk_writer(void *arg)
{
	struct bulk *b = arg;
	static unsigned char buf[32768];

	for (uint32_t off = 0; off < BULK_BYTES; off += sizeof(buf)) {
		for (uint32_t i = 0; i < sizeof(buf); i++)
			buf[i] = (unsigned char)byte_at(off + i);
		if (write(b->fd, buf, sizeof(buf)) != (long)sizeof(buf))
			return NULL;
	}
	close(b->fd);
	return NULL;
}

static void bulk(void)
{
	int l = listener(4);
	int c = connect_to(port_of(l), 0);
	struct bulk b = { .fd = accept(l, NULL, NULL) };
	static unsigned char buf[50000];
	uint32_t got = 0, bad = 0;
	pthread_t t;
	long r;

	pthread_create(&t, NULL, bulk_writer, &b);
	while ((r = read(c, buf, sizeof(buf))) > 0) {
		for (long i = 0; i < r; i++)
			bad += buf[i] != (unsigned char)byte_at(got + (uint32_t)i);
		got += (uint32_t)r;
	}
	pthread_join(t, NULL);
	printf("bulk: %u bytes, %u wrong, last read %ld\n", got, bad, r);
	close(c);
	close(l);
}

/* A file's bytes through sendfile to a socket (the kernel's buffer through the socket's write). */
static void *sendfile_writer(void *arg)
{
	struct bulk *b = arg;
	int fd = open(SENDFILE_PATH, O_RDONLY);
	off_t off = 0;

	while (off < SENDFILE_BYTES && sendfile(b->fd, fd, &off, SENDFILE_BYTES - (size_t)off) > 0)
		;
	close(fd);
	close(b->fd);
	return NULL;
}

static void file_to_socket(void)
{
	int l = listener(4);
	int c = connect_to(port_of(l), 0);
	struct bulk b = { .fd = accept(l, NULL, NULL) };
	static unsigned char buf[SENDFILE_BYTES];
	uint32_t got = 0, bad = 0;
	pthread_t t;
	long r;
	int fd;

	for (uint32_t i = 0; i < SENDFILE_BYTES; i++)
		buf[i] = (unsigned char)byte_at(i);
	mkdir("/tmp", 0777);
	fd = open(SENDFILE_PATH, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	T(write(fd, buf, SENDFILE_BYTES));
	close(fd);
	pthread_create(&t, NULL, sendfile_writer, &b);
	while ((r = read(c, buf, sizeof(buf))) > 0) {
		for (long i = 0; i < r; i++)
			bad += buf[i] != (unsigned char)byte_at(got + (uint32_t)i);
		got += (uint32_t)r;
	}
	pthread_join(t, NULL);
	printf("sendfile: %u bytes, %u wrong\n", got, bad);
	unlink(SENDFILE_PATH);
	close(c);
	close(l);
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_sigpipe };

	setvbuf(stdout, NULL, _IONBF, 0);
	sigaction(SIGPIPE, &sa, NULL);
	creation_and_options();
	bind_rules();
	data_and_names();
	refused_and_nonblocking();
	resets();
	epoll_modes();
	bulk();
	file_to_socket();
	puts("tcpsock: done");
	return 0;
}
