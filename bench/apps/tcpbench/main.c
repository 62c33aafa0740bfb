/*
 * The TCP benchmark's two ends (bench/tcp.sh, tests/integration/tcp_hostile.sh).
 *
 *   tcpbench -s [-p PORT] [-n COUNT]
 *   tcpbench -c ADDR:PORT MODE [-d SECONDS] [-n COUNT] [-z BYTES] [-k] [-r NAME]
 *
 * The server (in the guest) takes one connection at a time; the client's
 * first byte says what the connection is for: 'w' the client writes (the
 * server reads and discards until EOF, then answers the byte count as a
 * line), 'r' the client reads (the server writes until the peer goes), 'e'
 * echo until EOF, 'q' the server ends. -n COUNT ends it after COUNT
 * connections. The client (on the host, or in the guest for the error
 * tests) prints RESULT lines named NAME (default: after the mode):
 *   send  writes for SECONDS, then the server's count: MiB/s
 *   recv  reads for SECONDS: MiB/s; with -d 0 reads until EOF or an error
 *   crr   connect, one BYTES request echoed, close, for SECONDS (or -n
 *         COUNT times): per second
 *   rr    one connection, one BYTES request outstanding: median and p99 in us
 *   quit  tells the server to end
 * -k sets keepalive to 1 s idle, 1 s interval, 3 probes. Every failing call
 * is printed with its errno's name ("tcpbench: read: ECONNRESET"), and the
 * program exits 1. The same source builds for Ceres, as a static Linux
 * program for the Linux guest, and for the host.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../bench.h"

#define DEFAULT_PORT 5001
#define BULK_BUF 65536
#define RR_MAX 65536
#define RR_SAMPLES_MAX 1000000
#define BACKLOG 16
#define KEEP_SECONDS 1
#define KEEP_PROBES 3

/* The bulk buffer; rr reads its replies into the second half. */
static unsigned char buf[2 * BULK_BUF];

static const char *errno_name(int e)
{
	switch (e) {
	case ECONNREFUSED:
		return "ECONNREFUSED";
	case ECONNRESET:
		return "ECONNRESET";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	case EHOSTUNREACH:
		return "EHOSTUNREACH";
	case EPIPE:
		return "EPIPE";
	default:
		return strerror(e);
	}
}

static void die(const char *what)
{
	printf("tcpbench: %s: %s\n", what, errno_name(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: tcpbench -s [-p PORT] [-n COUNT]\n"
		"       tcpbench -c ADDR:PORT send|recv|crr|rr|quit [-d SECONDS] [-n COUNT]\n"
		"                [-z BYTES] [-k] [-r NAME]\n");
	exit(2);
}

static unsigned long parse(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max)
		usage();
	return v;
}

/* Writes all of p; 0, or -1 with errno. */
static int write_all(int fd, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads exactly n bytes; 0, or -1 (errno 0 for an early EOF). */
static int read_all(int fd, void *p, size_t n)
{
	unsigned char *c = p;

	while (n) {
		ssize_t r = read(fd, c, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = 0;
			return -1;
		}
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

/* 'w': read to EOF, answer the count. */
static void serve_sink(int fd)
{
	unsigned long long total = 0;
	char line[32];
	ssize_t r;

	while ((r = read(fd, buf, sizeof(buf))) > 0)
		total += (unsigned long long)r;
	snprintf(line, sizeof(line), "%llu\n", total);
	write_all(fd, line, strlen(line));
}

static void serve_echo(int fd)
{
	ssize_t r;

	while ((r = read(fd, buf, sizeof(buf))) > 0)
		if (write_all(fd, buf, (size_t)r) < 0)
			return;
}

/* One connection; 1 when the client asked the server to end. */
static int serve_one(int fd)
{
	int one = 1;
	char cmd;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (read_all(fd, &cmd, 1) < 0)
		return 0;
	switch (cmd) {
	case 'w':
		serve_sink(fd);
		break;
	case 'r':
		while (write_all(fd, buf, BULK_BUF) == 0)
			;
		break;
	case 'e':
		serve_echo(fd);
		break;
	case 'q':
		return 1;
	}
	return 0;
}

static int server(unsigned port, unsigned long count)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	unsigned long served = 0;
	int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1, quit = 0;

	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (void *)&a, sizeof(a)) < 0 || listen(lfd, BACKLOG) < 0)
		die("listen");
	printf("tcpbench: listening on port %u\n", port);
	while (!quit && (!count || served < count)) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die("accept");
		}
		quit = serve_one(fd);
		close(fd);
		served++;
	}
	printf("tcpbench: served %lu connections\n", served);
	return 0;
}

static struct {
	struct sockaddr_in peer;
	double seconds;
	unsigned long count;
	size_t size;
	int keepalive;
	const char *name;
} cli;

static int dial(char cmd)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1, secs = KEEP_SECONDS,
	    probes = KEEP_PROBES;

	if (fd < 0)
		die("socket");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (cli.keepalive &&
	    (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) < 0 ||
	     setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &secs, sizeof(secs)) < 0 ||
	     setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &secs, sizeof(secs)) < 0 ||
	     setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof(probes)) < 0))
		die("setsockopt keepalive");
	if (connect(fd, (void *)&cli.peer, sizeof(cli.peer)) < 0)
		die("connect");
	if (cmd && write_all(fd, &cmd, 1) < 0)
		die("write");
	return fd;
}

static uint64_t deadline(void)
{
	return bench_now_ns() + (uint64_t)(cli.seconds * 1e9);
}

static void result_rate(const char *suffix, double value)
{
	printf("RESULT %s%s %.1f\n", cli.name, suffix, value);
}

static void client_send(void)
{
	int fd = dial('w');
	uint64_t t0 = bench_now_ns(), end = deadline(), sent = 0;
	char line[32] = "";

	while (bench_now_ns() < end) {
		if (write_all(fd, buf, BULK_BUF) < 0)
			die("write");
		sent += BULK_BUF;
	}
	shutdown(fd, SHUT_WR);
	if (read(fd, line, sizeof(line) - 1) <= 0 || strtoull(line, NULL, 10) != sent) {
		printf("tcpbench: the server counted '%.20s', not %llu\n", line,
		       (unsigned long long)sent);
		exit(1);
	}
	result_rate("_mibps", (double)sent / (1 << 20) / ((double)(bench_now_ns() - t0) / 1e9));
	close(fd);
}

static void client_recv(void)
{
	int fd = dial('r');
	uint64_t t0 = bench_now_ns(), end = deadline(), got = 0;

	while (cli.seconds == 0 || bench_now_ns() < end) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("read");
		if (r == 0)
			break;
		got += (uint64_t)r;
	}
	if (cli.seconds == 0) {
		printf("tcpbench: read %llu bytes, then EOF\n", (unsigned long long)got);
		return;
	}
	result_rate("_mibps", (double)got / (1 << 20) / ((double)(bench_now_ns() - t0) / 1e9));
	close(fd);
}

/* One request of cli.size bytes, echoed; the round trip in ns. */
static uint64_t round_trip(int fd)
{
	uint64_t t = bench_now_ns();

	if (write_all(fd, buf, cli.size) < 0)
		die("write");
	if (read_all(fd, buf + RR_MAX, cli.size) < 0)
		die("read");
	return bench_now_ns() - t;
}

static void client_crr(void)
{
	uint64_t t0 = bench_now_ns(), end = deadline(), n = 0;

	while (cli.count ? n < cli.count : bench_now_ns() < end) {
		int fd = dial('e');

		round_trip(fd);
		close(fd);
		n++;
	}
	result_rate("_per_s", (double)n / ((double)(bench_now_ns() - t0) / 1e9));
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void client_rr(void)
{
	static uint64_t samples[RR_SAMPLES_MAX];
	int fd = dial('e');
	uint64_t end = deadline();
	size_t n = 0;

	round_trip(fd); /* warm: the first one pays for ARP and caches */
	while (n < RR_SAMPLES_MAX && bench_now_ns() < end)
		samples[n++] = round_trip(fd);
	close(fd);
	qsort(samples, n, sizeof(samples[0]), cmp_u64);
	result_rate("_median_us", (double)samples[n / 2] / 1e3);
	result_rate("_p99_us", (double)samples[(n * 99) / 100] / 1e3);
	printf("INFO %s round trips %zu\n", cli.name, n);
}

static int client(const char *spec, const char *mode)
{
	char host[64];
	const char *colon = strchr(spec, ':');

	if (!colon || (size_t)(colon - spec) >= sizeof(host))
		usage();
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = 0;
	cli.peer.sin_family = AF_INET;
	cli.peer.sin_port = htons((unsigned short)parse(colon + 1, 65535));
	if (inet_pton(AF_INET, host, &cli.peer.sin_addr) != 1)
		usage();
	if (!cli.name)
		cli.name = mode;
	if (!strcmp(mode, "send"))
		client_send();
	else if (!strcmp(mode, "recv"))
		client_recv();
	else if (!strcmp(mode, "crr"))
		client_crr();
	else if (!strcmp(mode, "rr"))
		client_rr();
	else if (!strcmp(mode, "quit"))
		close(dial('q'));
	else
		usage();
	return 0;
}

int main(int argc, char **argv)
{
	const char *spec = NULL, *mode = NULL;
	unsigned port = DEFAULT_PORT;
	unsigned long count = 0;
	int serve = 0;

	setvbuf(stdout, NULL, _IONBF, 0);
	signal(SIGPIPE, SIG_IGN);
	cli.seconds = 3;
	cli.size = 64;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-s"))
			serve = 1;
		else if (!strcmp(argv[i], "-p") && i + 1 < argc)
			port = (unsigned)parse(argv[++i], 65535);
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			count = parse(argv[++i], ~0ul);
		else if (!strcmp(argv[i], "-c") && i + 2 < argc) {
			spec = argv[++i];
			mode = argv[++i];
		} else if (!strcmp(argv[i], "-d") && i + 1 < argc)
			cli.seconds = (double)parse(argv[++i], 3600);
		else if (!strcmp(argv[i], "-z") && i + 1 < argc) {
			cli.size = parse(argv[++i], RR_MAX);
			if (!cli.size)
				usage();
		} else if (!strcmp(argv[i], "-k"))
			cli.keepalive = 1;
		else if (!strcmp(argv[i], "-r") && i + 1 < argc)
			cli.name = argv[++i];
		else
			usage();
	}
	if (serve == !!spec)
		usage();
	cli.count = count;
	return serve ? server(port, count) : client(spec, mode);
}
