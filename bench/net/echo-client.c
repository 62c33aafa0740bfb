/*
 * The host's side of the UDP echo benchmark (bench/net.sh): keeps WINDOW
 * datagrams outstanding at an echo server, sending one more for each reply,
 * for SECONDS, and reports the replies per second.
 *
 *   echo-client HOST PORT [-w WINDOW] [-s SIZE] [-d SECONDS] [-W WARMUP] [-l LOSS_MS]
 *
 * Each datagram carries a sequence number, and a reply counts only if it
 * brings back what was sent. When nothing comes back for LOSS_MS (default
 * 20, well above a TCG guest's p99 round trip), whatever is outstanding is
 * taken as lost and the window is filled again, so a dropped datagram costs
 * a short pause, not a stall (a late reply still counts). The first WARMUP replies (ARP,
 * caches) are not timed; a server that does not give them in 30 s scores 0.
 * Prints:
 *   RESULT udp_echo_pps <replies per second>
 *   INFO sent N received N lost N bad N window N size N seconds S
 * Built with the host's compiler; Linux only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LOSS_MS 20
#define MAX_SIZE 1472
#define MIN_SIZE 8

static struct {
	int fd;
	unsigned window, size;
	int loss_ms;
	uint64_t next_seq, sent, received, lost, bad;
	unsigned outstanding;
	unsigned char out[MAX_SIZE], in[MAX_SIZE + 1];
} c;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr, "usage: echo-client HOST PORT [-w WINDOW] [-s SIZE] [-d SECONDS] "
			"[-W WARMUP] [-l LOSS_MS]\n");
	exit(2);
}

static int send_one(void)
{
	memcpy(c.out, &c.next_seq, sizeof(c.next_seq));
	if (send(c.fd, c.out, c.size, 0) < 0) {
		/* A full queue, or an ICMP error for an earlier datagram: not sent. */
		if (errno == EAGAIN || errno == ENOBUFS || errno == ECONNREFUSED)
			return 0;
		perror("echo-client: send");
		exit(1);
	}
	c.next_seq++;
	c.sent++;
	c.outstanding++;
	return 1;
}

static void fill_window(void)
{
	while (c.outstanding < c.window && send_one())
		;
}

/* Reads every reply that is there; how many good ones. */
static unsigned read_replies(void)
{
	unsigned good = 0;
	ssize_t n;

	while ((n = recv(c.fd, c.in, sizeof(c.in), MSG_DONTWAIT)) >= 0) {
		uint64_t seq;

		memcpy(&seq, c.in, sizeof(seq));
		if ((size_t)n != c.size || seq >= c.next_seq ||
		    memcmp(c.in + sizeof(seq), c.out + sizeof(seq), c.size - sizeof(seq))) {
			c.bad++;
			continue;
		}
		if (c.outstanding)
			c.outstanding--;
		c.received++;
		good++;
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNREFUSED) {
		perror("echo-client: recv");
		exit(1);
	}
	return good;
}

/* Runs until `replies` good replies came or `seconds` passed; good replies. */
static uint64_t run(uint64_t replies, double seconds)
{
	struct pollfd pfd = { .fd = c.fd, .events = POLLIN };
	double end = now_s() + seconds;
	uint64_t got = 0;

	fill_window();
	while (got < replies && now_s() < end) {
		int n = poll(&pfd, 1, c.loss_ms);

		if (n < 0 && errno != EINTR) {
			perror("echo-client: poll");
			exit(1);
		}
		if (n == 0) {
			c.lost += c.outstanding;
			c.outstanding = 0;
		} else if (n > 0) {
			got += read_replies();
		}
		fill_window();
	}
	return got;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	double seconds = 3, t0, t1;
	uint64_t warmup = 200, got;
	int opt;

	c.window = 32;
	c.size = 64;
	c.loss_ms = LOSS_MS;
	while ((opt = getopt(argc, argv, "w:s:d:W:l:")) != -1) {
		switch (opt) {
		case 'w':
			c.window = (unsigned)atoi(optarg);
			break;
		case 's':
			c.size = (unsigned)atoi(optarg);
			break;
		case 'd':
			seconds = atof(optarg);
			break;
		case 'W':
			warmup = strtoull(optarg, NULL, 10);
			break;
		case 'l':
			c.loss_ms = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2 || c.window < 1 || c.size < MIN_SIZE || c.size > MAX_SIZE ||
	    seconds <= 0 || c.loss_ms < 1)
		usage();
	if (inet_pton(AF_INET, argv[optind], &sin.sin_addr) != 1)
		usage();
	sin.sin_port = htons((uint16_t)atoi(argv[optind + 1]));
	for (unsigned i = 0; i < c.size; i++)
		c.out[i] = (unsigned char)(i * 7 + 1);

	c.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (c.fd < 0 || connect(c.fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		perror("echo-client: socket");
		return 1;
	}
	/* A server that stops answering scores 0, rather than leaving the run out. */
	if (warmup && run(warmup, 30) < warmup) {
		fprintf(stderr, "echo-client: %llu of %llu warm-up replies from %s:%s in 30 s\n",
			(unsigned long long)c.received, (unsigned long long)warmup, argv[optind],
			argv[optind + 1]);
		printf("RESULT udp_echo_pps 0\n");
		printf("INFO sent %llu received %llu lost %llu bad %llu window %u size %u seconds "
		       "30 "
		       "(warm-up failed)\n",
		       (unsigned long long)c.sent, (unsigned long long)c.received,
		       (unsigned long long)c.lost, (unsigned long long)c.bad, c.window, c.size);
		return 1;
	}
	c.sent = c.received = c.lost = c.bad = 0;
	t0 = now_s();
	got = run(UINT64_MAX, seconds);
	t1 = now_s();
	printf("RESULT udp_echo_pps %.0f\n", (double)got / (t1 - t0));
	printf("INFO sent %llu received %llu lost %llu bad %llu window %u size %u seconds %.2f\n",
	       (unsigned long long)c.sent, (unsigned long long)c.received,
	       (unsigned long long)c.lost, (unsigned long long)c.bad, c.window, c.size, t1 - t0);
	return got ? 0 : 1;
}
