/*
 * storestrings: a TCP server that appends every line its clients send to a
 * file and acknowledges each only once it is durable (README.md has the
 * protocol).
 *
 *   storestrings [-p PORT] [-f FILE]
 *
 * One thread, one level-triggered epoll set, nonblocking sockets. Each turn
 * of the loop reads what every ready client sent, then commits the lines
 * gathered (batch.c: one write and one fsync for them all), then answers.
 * The same source is the Ceres application (make APP=storestrings) and a
 * static Linux program (make APP=storestrings linux).
 */
#include "storestrings.h"

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEFAULT_PORT 1234
#define DEFAULT_FILE "strings.txt"
#define LISTEN_BACKLOG 128
#define EPOLL_BATCH 64

static struct {
	int listen_fd;
	int epfd;
	bool accept_paused; /* out of descriptors or memory: wait for a close */
	unsigned paused_at; /* the client count then */
} server;

static void usage(void)
{
	fprintf(stderr, "usage: storestrings [-p PORT] [-f FILE]\n");
	exit(2);
}

static unsigned parse_port(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v == 0 || v > 65535) {
		fprintf(stderr, "storestrings: bad port '%s'\n", s);
		usage();
	}
	return (unsigned)v;
}

static int open_listener(unsigned port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("storestrings: socket");
		return -1;
	}
	/* A restart must not wait for the last run's TIME_WAIT connections. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		perror("storestrings: SO_REUSEADDR (going on without)");
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		perror("storestrings: bind");
		goto err_close;
	}
	if (listen(fd, LISTEN_BACKLOG) < 0) {
		perror("storestrings: listen");
		goto err_close;
	}
	return fd;

err_close:
	close(fd);
	return -1;
}

static void set_accepting(bool on)
{
	struct epoll_event ev = { .events = on ? EPOLLIN : 0, .data.ptr = NULL };

	if (epoll_ctl(server.epfd, EPOLL_CTL_MOD, server.listen_fd, &ev) < 0)
		perror("storestrings: epoll_ctl listener");
	server.accept_paused = !on;
	server.paused_at = client_count();
}

/* Takes every pending connection. When descriptors or memory run out, the
 * listener leaves the epoll set (a level-triggered one would wake us for
 * ever) until some client has gone. */
static void accept_all(void)
{
	for (;;) {
		int fd = accept4(server.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			client_new(fd, server.epfd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		perror("storestrings: accept4 (pausing until a client leaves)");
		set_accepting(false);
		return;
	}
}

static void on_event(const struct epoll_event *ev)
{
	struct client *c = ev->data.ptr;

	if (!c)
		accept_all();
	else if (ev->events & (EPOLLERR | EPOLLHUP))
		client_close(c);
	else if (ev->events & EPOLLIN)
		client_on_readable(c);
	/* EPOLLOUT alone: the settle below sends. */
}

static int serve(void)
{
	struct epoll_event evs[EPOLL_BATCH];

	for (;;) {
		int n = epoll_wait(server.epfd, evs, EPOLL_BATCH, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("storestrings: epoll_wait");
			return -1;
		}
		for (int i = 0; i < n; i++)
			on_event(&evs[i]);
		/* Answering may let a blocked client's buffered lines in: go on
		 * until a round queues nothing. */
		do {
			batch_commit();
			client_settle_all();
		} while (!batch_empty());
		if (server.accept_paused && client_count() < server.paused_at)
			set_accepting(true);
	}
}

int main(int argc, char **argv)
{
	const char *path = DEFAULT_FILE;
	unsigned port = DEFAULT_PORT;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	int opt;

	/* The console is a pipe: without this the startup line would wait. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Past a file size limit, write must fail with EFBIG and an ERR reply,
	 * not end the server. */
	signal(SIGXFSZ, SIG_IGN);
	while ((opt = getopt(argc, argv, "p:f:h")) != -1) {
		switch (opt) {
		case 'p':
			port = parse_port(optarg);
			break;
		case 'f':
			path = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	if (store_open(path) < 0)
		return 1;
	server.listen_fd = open_listener(port);
	if (server.listen_fd < 0)
		return 1;
	server.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (server.epfd < 0 || epoll_ctl(server.epfd, EPOLL_CTL_ADD, server.listen_fd, &ev) < 0) {
		perror("storestrings: epoll");
		return 1;
	}
	printf("storestrings: listening on port %u, appending to %s (%llu lines)\n", port, path,
	       store_lines());
	return serve() < 0 ? 1 : 0;
}
