/*
 * A TCP echo server: every byte a client sends goes back to it.
 *
 *   tcpecho [-p PORT] [-n COUNT] [-c ADDR:PORT]
 *
 * One thread, nonblocking sockets and level-triggered epoll. A connection
 * whose peer reads slowly keeps what it could not send and stops reading
 * (waiting for EPOLLOUT) until that is gone, so memory stays bounded and
 * the sender is held back by TCP's own window. -n COUNT ends the program
 * with status 0 after COUNT connections have closed, with a summary line,
 * so that a test can end the guest cleanly. -c first makes an active open
 * to ADDR:PORT, sends one line, and prints what comes back until the peer
 * closes. The same source builds for Ceres and as a static Linux program.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEFAULT_PORT 7
#define BUF_BYTES 65536
#define EPOLL_BATCH 64
#define BACKLOG 128
#define ACTIVE_LINE "hello from tcpecho\n"

/* A connection and what it has read but not yet sent back. */
struct conn {
	int fd;
	size_t off, len;
	unsigned char buf[BUF_BYTES];
};

static struct {
	int ep, lfd;
	unsigned long long closed, bytes, limit;
} echo;

static void usage(void)
{
	fprintf(stderr, "usage: tcpecho [-p PORT] [-n COUNT] [-c ADDR:PORT]\n");
	exit(2);
}

static unsigned long long parse_number(const char *s, const char *what, unsigned long long max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max) {
		fprintf(stderr, "tcpecho: bad %s '%s'\n", what, s);
		usage();
	}
	return v;
}

static void die(const char *what)
{
	fprintf(stderr, "tcpecho: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* -c: one line to ADDR:PORT, and what comes back, printed. */
static void active_open(const char *spec)
{
	char host[64], reply[256];
	const char *colon = strchr(spec, ':');
	struct sockaddr_in a = { .sin_family = AF_INET };
	size_t got = 0;
	long r;
	int fd;

	if (!colon || (size_t)(colon - spec) >= sizeof(host))
		usage();
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = 0;
	a.sin_port = htons((unsigned short)parse_number(colon + 1, "port", 65535));
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
		usage();
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (void *)&a, sizeof(a)) < 0)
		die("active open");
	if (write(fd, ACTIVE_LINE, strlen(ACTIVE_LINE)) < 0)
		die("active open: write");
	shutdown(fd, SHUT_WR);
	while (got < sizeof(reply) - 1 && (r = read(fd, reply + got, sizeof(reply) - 1 - got)) > 0)
		got += (size_t)r;
	reply[got] = 0;
	reply[strcspn(reply, "\n")] = 0;
	printf("tcpecho: active open to %s got '%s'\n", spec, reply);
	close(fd);
}

static void watch(struct conn *c, unsigned events, int op)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	if (epoll_ctl(echo.ep, op, c->fd, &ev) < 0)
		die("epoll_ctl");
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	free(c);
	echo.closed++;
}

static void accept_all(void)
{
	int fd;

	while ((fd = accept4(echo.lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
		struct conn *c = malloc(sizeof(*c));
		int one = 1;

		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->off = c->len = 0;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		watch(c, EPOLLIN, EPOLL_CTL_ADD);
	}
}

/* Sends what c holds; 0 when all of it went, 1 if the peer must read first, -1 on an error. */
static int flush(struct conn *c)
{
	while (c->off < c->len) {
		long w = write(c->fd, c->buf + c->off, c->len - c->off);

		if (w < 0)
			return errno == EAGAIN ? 1 : -1;
		c->off += (size_t)w;
	}
	c->off = c->len = 0;
	return 0;
}

/* Reads and echoes until the socket is empty or the peer is slow; -1: the connection is done. */
static int serve(struct conn *c)
{
	int f = flush(c);

	while (f == 0) {
		long r = read(c->fd, c->buf, sizeof(c->buf));

		if (r == 0 || (r < 0 && errno != EAGAIN))
			return -1;
		if (r < 0)
			return 0;
		echo.bytes += (unsigned long long)r;
		c->len = (size_t)r;
		f = flush(c);
	}
	if (f < 0)
		return -1;
	watch(c, EPOLLOUT, EPOLL_CTL_MOD); /* read again once the peer took this */
	return 1;
}

static void run(void)
{
	struct epoll_event evs[EPOLL_BATCH];
	struct conn lc = { .fd = echo.lfd };

	watch(&lc, EPOLLIN, EPOLL_CTL_ADD);
	while (!echo.limit || echo.closed < echo.limit) {
		int n = epoll_wait(echo.ep, evs, EPOLL_BATCH, -1);

		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			int r;

			if (c == &lc) {
				accept_all();
				continue;
			}
			r = serve(c);
			if (r < 0)
				conn_close(c);
			else if (r == 0 && (evs[i].events & EPOLLOUT))
				watch(c, EPOLLIN, EPOLL_CTL_MOD);
		}
	}
}

int main(int argc, char **argv)
{
	unsigned port = DEFAULT_PORT;
	const char *active = NULL;
	struct sockaddr_in a = { .sin_family = AF_INET };
	int one = 1;

	setvbuf(stdout, NULL, _IONBF, 0);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-p") && i + 1 < argc)
			port = (unsigned)parse_number(argv[++i], "port", 65535);
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			echo.limit = parse_number(argv[++i], "count", ~0ull);
		else if (!strcmp(argv[i], "-c") && i + 1 < argc)
			active = argv[++i];
		else
			usage();
	}
	if (active)
		active_open(active);
	echo.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	a.sin_port = htons((unsigned short)port);
	if (echo.lfd < 0 || setsockopt(echo.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(echo.lfd, (void *)&a, sizeof(a)) < 0 || listen(echo.lfd, BACKLOG) < 0)
		die("listen");
	echo.ep = epoll_create1(0);
	if (echo.ep < 0)
		die("epoll_create1");
	printf("tcpecho: listening on port %u\n", port);
	run();
	printf("tcpecho: %llu connections, %llu bytes echoed\n", echo.closed, echo.bytes);
	return 0;
}
