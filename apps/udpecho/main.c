/*
 * A UDP echo server: every datagram goes back to its sender, byte for byte.
 *
 *   udpecho [-p PORT] [-m epoll|poll] [-n COUNT]
 *
 * The socket is nonblocking; readiness comes from epoll (level-triggered,
 * the default) or poll, and each wakeup drains the socket, recvfrom and
 * sendto until EAGAIN. -n COUNT ends the program with status 0 after COUNT
 * datagrams, with a summary line, so that a test can end the guest cleanly.
 * The same source is the Ceres application (make APP=udpecho) and the
 * static Linux program the benchmark's Linux guest runs (make APP=udpecho
 * linux): only the kernel under it differs.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEFAULT_PORT 7
#define MAX_DATAGRAM 65536
#define EPOLL_BATCH 8

enum wait_mode { MODE_EPOLL, MODE_POLL };

static struct {
	unsigned long long count; /* datagrams echoed (or dropped on send) */
	unsigned long long bytes;
	unsigned long long send_errors;
	unsigned long long limit; /* -n; 0: forever */
	unsigned char buf[MAX_DATAGRAM];
} echo;

static void usage(void)
{
	fprintf(stderr, "usage: udpecho [-p PORT] [-m epoll|poll] [-n COUNT]\n");
	exit(2);
}

static unsigned long long parse_number(const char *s, const char *what, unsigned long long max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max) {
		fprintf(stderr, "udpecho: bad %s '%s'\n", what, s);
		usage();
	}
	return v;
}

static int open_socket(unsigned port)
{
	struct sockaddr_in sin;
	int fd, flags;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("udpecho: socket");
		return -1;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		perror("udpecho: fcntl O_NONBLOCK");
		goto err_close;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		perror("udpecho: bind");
		goto err_close;
	}
	return fd;

err_close:
	close(fd);
	return -1;
}

/* Echoes what the socket holds, until EAGAIN. 1: the -n limit is reached;
 * 0: drained; -1: an error that is not the peer's. */
static int drain(int fd)
{
	struct sockaddr_in from;
	socklen_t len;
	ssize_t n;

	for (;;) {
		len = sizeof(from);
		n = recvfrom(fd, echo.buf, sizeof(echo.buf), 0, (struct sockaddr *)&from, &len);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			perror("udpecho: recvfrom");
			return -1;
		}
		/* A full transmit queue drops the reply, as the network may. */
		if (sendto(fd, echo.buf, (size_t)n, 0, (struct sockaddr *)&from, len) < 0) {
			if (echo.send_errors++ == 0)
				perror("udpecho: sendto");
		}
		echo.count++;
		echo.bytes += (unsigned long long)n;
		if (echo.limit && echo.count >= echo.limit)
			return 1;
	}
}

static int serve_epoll(int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	struct epoll_event evs[EPOLL_BATCH];
	int ep, n, rc = -1;

	ep = epoll_create1(0);
	if (ep < 0) {
		perror("udpecho: epoll_create1");
		return -1;
	}
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		perror("udpecho: epoll_ctl");
		goto out;
	}
	for (;;) {
		n = epoll_wait(ep, evs, EPOLL_BATCH, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("udpecho: epoll_wait");
			goto out;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].events & (EPOLLERR | EPOLLHUP))
				fprintf(stderr, "udpecho: epoll reports events 0x%x\n",
					evs[i].events);
			rc = drain(fd);
			if (rc)
				goto out;
		}
	}
out:
	close(ep);
	return rc < 0 ? -1 : 0;
}

static int serve_poll(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int n, rc;

	for (;;) {
		n = poll(&pfd, 1, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("udpecho: poll");
			return -1;
		}
		if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))
			fprintf(stderr, "udpecho: poll reports events 0x%x\n", pfd.revents);
		rc = drain(fd);
		if (rc)
			return rc < 0 ? -1 : 0;
	}
}

int main(int argc, char **argv)
{
	enum wait_mode mode = MODE_EPOLL;
	unsigned port = DEFAULT_PORT;
	int fd, opt, rc;

	/* The console is a pipe: without this the ready line would wait in a buffer. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "p:m:n:h")) != -1) {
		switch (opt) {
		case 'p':
			port = (unsigned)parse_number(optarg, "port", 65535);
			break;
		case 'm':
			if (strcmp(optarg, "epoll") == 0)
				mode = MODE_EPOLL;
			else if (strcmp(optarg, "poll") == 0)
				mode = MODE_POLL;
			else
				usage();
			break;
		case 'n':
			echo.limit = parse_number(optarg, "count", ~0ULL);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	fd = open_socket(port);
	if (fd < 0)
		return 1;
	printf("udpecho: listening on port %u (%s)\n", port, mode == MODE_EPOLL ? "epoll" : "poll");
	rc = mode == MODE_EPOLL ? serve_epoll(fd) : serve_poll(fd);
	close(fd);
	printf("udpecho: echoed %llu datagrams, %llu bytes, %llu send errors\n", echo.count,
	       echo.bytes, echo.send_errors);
	return rc < 0 ? 1 : 0;
}
