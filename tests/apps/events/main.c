/*
 * A differential test of readiness (docs/poll.md): poll, ppoll, select,
 * pselect6 and epoll over pipes, eventfds and AF_UNIX socket pairs, and the
 * pipes, eventfds and socket pairs themselves. Each case prints one line, "name: result"; the same binary
 * runs natively on Linux and in Ceres and the outputs must agree line for
 * line (tests/integration/abi.sh). Nothing depends on timing beyond "a
 * wait that times out returns 0": where a second thread must act while
 * the first waits, the outcome is the same whichever comes first.
 *
 * With the argument "stdin" it instead waits (poll, then epoll) for a line
 * on stdin and echoes it: for a guest run with input on the serial line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "../errname.h"
#include "../say.h"

#define KSIGSET_SIZE 8 /* the kernel's sigset: one word */
#define SIGBIT(s) (1UL << ((s)-1))
#define PIPE_CAPACITY 65536
#define CHUNK 4096
#define WAIT_MS 20
#define MANY_PIPES 400 /* 800 fds: below the default RLIMIT_NOFILE of 1024 */

/* The return value, or "-1 ENAME". Call it directly on the call's result. */
static void result(const char *what, long ret)
{
	if (ret == -1)
		say(what, "-1 %s", errname(errno));
	else
		say(what, "%ld", ret);
}

/* Poll event bits by name, in a fixed order: "IN|OUT", or "0". */
static const char *events_str(unsigned ev)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ POLLIN, "IN" },	  { POLLPRI, "PRI" },	    { POLLOUT, "OUT" },
		{ POLLERR, "ERR" },	  { POLLHUP, "HUP" },	    { POLLNVAL, "NVAL" },
		{ POLLRDNORM, "RDNORM" }, { POLLRDBAND, "RDBAND" }, { POLLWRNORM, "WRNORM" },
		{ POLLWRBAND, "WRBAND" }, { POLLRDHUP, "RDHUP" },
	};
	static char buf[128];
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (ev & names[i].bit)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s",
						len ? "|" : "", names[i].name);
	if (ev & ~0x3fffu)
		snprintf(buf + len, sizeof(buf) - len, "%s%#x", len ? "|" : "", ev & ~0x3fffu);
	return buf[0] ? buf : "0";
}

/* poll() of one fd: "n revents". */
static void poll1(const char *what, int fd, short events, int timeout)
{
	struct pollfd p = { fd, events, 0 };
	int n = poll(&p, 1, timeout);

	if (n < 0)
		say(what, "-1 %s", errname(errno));
	else
		say(what, "%d %s", n, events_str((unsigned short)p.revents));
}

/* epoll_wait(): "n" and each event as "events@data". */
static void wait_ep(const char *what, int ep, int max, int timeout)
{
	struct epoll_event ev[8];
	char buf[256];
	size_t len;
	int n = epoll_wait(ep, ev, max, timeout);

	if (n < 0) {
		say(what, "-1 %s", errname(errno));
		return;
	}
	len = (size_t)snprintf(buf, sizeof(buf), "%d", n);
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, " %s@%llu",
					events_str(ev[i].events),
					(unsigned long long)ev[i].data.u64);
	say(what, "%s", buf);
}

static int ctl(int ep, int op, int fd, unsigned events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return epoll_ctl(ep, op, fd, &ev);
}

static void drain(int fd)
{
	char buf[CHUNK];
	int fl = fcntl(fd, F_GETFL);

	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	fcntl(fd, F_SETFL, fl);
}

/* ---- pipes ---- */

static void test_pipe_basics(void)
{
	int p[2], q[2], n = -1;
	struct stat a, b;
	char buf[100];

	result("pipe(p)", pipe(p) < 0 ? -1 : 0);
	fstat(p[0], &a);
	fstat(p[1], &b);
	say("fstat(pipe)", "%s %o, same inode %s", S_ISFIFO(a.st_mode) ? "fifo" : "not a fifo",
	    a.st_mode & 0777, a.st_ino == b.st_ino ? "yes" : "no");
	result("write(p[1], \"hello\")", write(p[1], "hello", 5));
	ioctl(p[0], FIONREAD, &n);
	say("FIONREAD(p[0])", "%d", n);
	n = -1;
	ioctl(p[1], FIONREAD, &n);
	say("FIONREAD(p[1])", "%d", n);
	memset(buf, 0, sizeof(buf));
	result("read(p[0], 100)", read(p[0], buf, sizeof(buf)));
	say("read's bytes", "%s", buf);
	result("write(p[0])", write(p[0], "x", 1));
	result("read(p[1])", read(p[1], buf, 1));
	result("lseek(p[0])", lseek(p[0], 0, SEEK_SET));
	result("ioctl(p[0], TIOCGWINSZ)", ioctl(p[0], TIOCGWINSZ, buf));
	result("pipe2(p, 0x1234)", syscall(SYS_pipe2, q, 0x1234));
	result("pipe2(NULL, 0)", syscall(SYS_pipe2, NULL, 0));
	result("pipe2(q, O_NONBLOCK | O_CLOEXEC)", pipe2(q, O_NONBLOCK | O_CLOEXEC));
	say("pipe2 flags", "nonblock %d %d, cloexec %d %d", !!(fcntl(q[0], F_GETFL) & O_NONBLOCK),
	    !!(fcntl(q[1], F_GETFL) & O_NONBLOCK), fcntl(q[0], F_GETFD), fcntl(q[1], F_GETFD));
	say("pipe access modes", "%d %d", fcntl(q[0], F_GETFL) & O_ACCMODE,
	    fcntl(q[1], F_GETFL) & O_ACCMODE);
	result("read(empty, O_NONBLOCK)", read(q[0], buf, 1));
	close(q[0]);
	close(q[1]);
	close(p[1]);
	result("read(no writer)", read(p[0], buf, 1));
	close(p[0]);
}

static void test_pipe_full(void)
{
	static char chunk[CHUNK];
	int p[2];
	long total = 0, r;

	pipe2(p, O_NONBLOCK);
	while ((r = write(p[1], chunk, sizeof(chunk))) > 0)
		total += r;
	say("fill with 4096-byte writes", "%ld bytes, then %s", total,
	    r < 0 ? errname(errno) : "no error");
	result("write(full, 1)", write(p[1], "x", 1));
	poll1("poll(full write end, OUT)", p[1], POLLOUT, 0);
	poll1("poll(full read end, IN)", p[0], POLLIN, 0);
	result("read(full, 4096)", read(p[0], chunk, sizeof(chunk)));
	poll1("poll(write end after 4096 read, OUT)", p[1], POLLOUT, 0);
	result("write(4096) into 4096 free", write(p[1], chunk, sizeof(chunk)));
	result("read(100)", read(p[0], chunk, 100));
	result("write(4096) into 100 free", write(p[1], chunk, sizeof(chunk)));
	drain(p[0]);
	result("write(4096) into empty", write(p[1], chunk, sizeof(chunk)));
	close(p[0]);
	close(p[1]);
}

static volatile sig_atomic_t sigpipes, usr1s;

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

static void on_usr1(int sig)
{
	(void)sig;
	usr1s++;
}

static void test_pipe_broken(void)
{
	struct sigaction sa = { .sa_handler = on_sigpipe };
	int p[2];

	pipe(p);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	result("write(no reader), SIGPIPE ignored", write(p[1], "x", 1));
	sigaction(SIGPIPE, &sa, NULL);
	result("write(no reader), SIGPIPE caught", write(p[1], "x", 1));
	say("SIGPIPEs caught", "%d", (int)sigpipes);
	poll1("poll(write end, no reader)", p[1], POLLOUT, 0);
	signal(SIGPIPE, SIG_DFL);
	close(p[1]);
	pipe(p);
	write(p[1], "ab", 2);
	close(p[1]);
	poll1("poll(read end, no writer, data)", p[0], POLLIN, 0);
	drain(p[0]);
	poll1("poll(read end, no writer, empty)", p[0], POLLIN, 0);
	close(p[0]);
}

struct later {
	int fd;	      /* where to write, or -1 */
	pthread_t to; /* whom to signal, if sig */
	int sig;
	uint64_t value; /* for an eventfd */
	size_t len;	/* bytes to write: 8 for an eventfd */
};

/* Signals, then writes, after a pause: the waiter is blocked by then, or sees it at once. */
static void *act_later(void *arg)
{
	struct later *l = arg;
	struct timespec pause = { 0, WAIT_MS * 1000000L };

	nanosleep(&pause, NULL);
	if (l->sig)
		pthread_kill(l->to, l->sig);
	nanosleep(&pause, NULL);
	if (l->fd >= 0)
		write(l->fd, l->len == 8 ? (void *)&l->value : (void *)"later", l->len);
	return NULL;
}

static pthread_t later(struct later *l)
{
	pthread_t t;

	pthread_create(&t, NULL, act_later, l);
	return t;
}

static void test_pipe_blocking(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct later l;
	char buf[16] = { 0 };
	pthread_t t;
	int p[2];

	pipe(p);
	l = (struct later){ .fd = p[1], .len = 5 };
	t = later(&l);
	result("read(pipe) until another thread writes", read(p[0], buf, sizeof(buf)));
	pthread_join(t, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	l = (struct later){ .fd = -1, .to = pthread_self(), .sig = SIGUSR1 };
	t = later(&l);
	result("read(pipe), a signal without SA_RESTART", read(p[0], buf, sizeof(buf)));
	pthread_join(t, NULL);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	l = (struct later){ .fd = p[1], .to = pthread_self(), .sig = SIGUSR1, .len = 5 };
	t = later(&l);
	result("read(pipe), a signal with SA_RESTART", read(p[0], buf, sizeof(buf)));
	pthread_join(t, NULL);
	say("SIGUSR1s caught", "%d", (int)usr1s);
	close(p[0]);
	close(p[1]);
}

struct bulk {
	int fd;
	long got;
	unsigned sum;
};

static void *read_all(void *arg)
{
	struct bulk *b = arg;
	unsigned char buf[3000];
	long r;

	while ((r = read(b->fd, buf, sizeof(buf))) > 0) {
		for (long i = 0; i < r; i++)
			b->sum = b->sum * 31 + buf[i];
		b->got += r;
	}
	return NULL;
}

static void test_pipe_bulk(void)
{
	static unsigned char data[200000];
	struct bulk b = { 0 };
	unsigned sum = 0;
	pthread_t t;
	int p[2];

	for (size_t i = 0; i < sizeof(data); i++) {
		data[i] = (unsigned char)(i * 7 + i / 251);
		sum = sum * 31 + data[i];
	}
	pipe(p);
	b.fd = p[0];
	pthread_create(&t, NULL, read_all, &b);
	result("write(200000) to a reading thread", write(p[1], data, sizeof(data)));
	close(p[1]);
	pthread_join(t, NULL);
	say("reader got", "%ld bytes, %s", b.got, b.sum == sum ? "intact" : "CORRUPT");
	close(p[0]);
}

#define WRITERS 4
#define RECORDS 500
#define RECORD 100

static void *write_records(void *arg)
{
	int fd = (int)((intptr_t)arg >> 8);
	char rec[RECORD];

	memset(rec, 'a' + (int)((intptr_t)arg & 0xff), sizeof(rec));
	for (int i = 0; i < RECORDS; i++)
		write(fd, rec, sizeof(rec));
	return NULL;
}

/* Writers of up to PIPE_BUF bytes each: their records never interleave. */
static void test_pipe_atomic(void)
{
	static char all[WRITERS * RECORDS * RECORD];
	pthread_t t[WRITERS];
	size_t got = 0;
	long r;
	int p[2], whole = 0;

	pipe(p);
	for (intptr_t i = 0; i < WRITERS; i++)
		pthread_create(&t[i], NULL, write_records, (void *)((intptr_t)p[1] << 8 | i));
	while (got < sizeof(all) && (r = read(p[0], all + got, 777)) > 0)
		got += (size_t)r;
	for (int i = 0; i < WRITERS; i++)
		pthread_join(t[i], NULL);
	for (size_t k = 0; k + RECORD <= got; k += RECORD)
		whole += !memcmp(all + k, all + k + 1, RECORD - 1);
	say("records from 4 writers", "%zu bytes, %d of %d whole", got, whole, WRITERS * RECORDS);
	close(p[0]);
	close(p[1]);
}

/* ---- eventfd ---- */

static void test_eventfd(void)
{
	uint64_t v = 3;
	uint32_t small = 1;
	int e = eventfd(0, EFD_NONBLOCK);
	struct stat st;

	result("eventfd2(0, 0x1234)", syscall(SYS_eventfd2, 0, 0x1234));
	fstat(e, &st);
	say("fstat(eventfd)", "type %o mode %o", st.st_mode & S_IFMT, st.st_mode & 0777);
	poll1("poll(eventfd at 0)", e, POLLIN | POLLOUT, 0);
	result("write(eventfd, 3)", write(e, &v, sizeof(v)));
	poll1("poll(eventfd at 3)", e, POLLIN | POLLOUT, 0);
	poll1("poll(eventfd at 3, RDNORM|WRNORM)", e, POLLRDNORM | POLLWRNORM, 0);
	result("read(eventfd, 4 bytes)", read(e, &small, sizeof(small)));
	result("write(eventfd, 4 bytes)", write(e, &small, sizeof(small)));
	v = 0;
	result("read(eventfd)", read(e, &v, sizeof(v)));
	say("value", "%llu", (unsigned long long)v);
	result("read(eventfd at 0, EFD_NONBLOCK)", read(e, &v, sizeof(v)));
	v = UINT64_MAX;
	result("write(eventfd, UINT64_MAX)", write(e, &v, sizeof(v)));
	v = UINT64_MAX - 1;
	result("write(eventfd, UINT64_MAX - 1)", write(e, &v, sizeof(v)));
	poll1("poll(eventfd at max)", e, POLLIN | POLLOUT, 0);
	v = 1;
	result("write(eventfd at max, 1)", write(e, &v, sizeof(v)));
	v = 0;
	result("write(eventfd at max, 0)", write(e, &v, sizeof(v)));
	read(e, &v, sizeof(v));
	say("read at max", "%#llx", (unsigned long long)v);
	result("ioctl(eventfd, FIONREAD)", ioctl(e, FIONREAD, &small));
	close(e);

	e = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC);
	say("eventfd flags", "nonblock %d, cloexec %d", !!(fcntl(e, F_GETFL) & O_NONBLOCK),
	    fcntl(e, F_GETFD));
	for (int i = 0; i < 4; i++) {
		v = 0;
		if (read(e, &v, sizeof(v)) < 0)
			say("semaphore read", "-1 %s", errname(errno));
		else
			say("semaphore read", "%llu", (unsigned long long)v);
	}
	close(e);
}

static void test_eventfd_blocking(void)
{
	struct later l;
	pthread_t t;
	uint64_t v = 0;
	int e = eventfd(0, 0);

	l = (struct later){ .fd = e, .value = 42, .len = 8 };
	t = later(&l);
	result("read(eventfd) until another thread writes", read(e, &v, sizeof(v)));
	say("value", "%llu", (unsigned long long)v);
	pthread_join(t, NULL);
	close(e);
}

/* ---- poll, ppoll ---- */

static void test_poll(void)
{
	struct pollfd p[3] = { { -1, POLLIN, 0x55 }, { 999, POLLIN, 0 }, { 1, POLLOUT, 0 } };
	struct rlimit old, low;
	struct timespec ts;
	int q[2], n;
	uint64_t mask = SIGBIT(SIGUSR1);

	result("poll(NULL, 0, 0)", poll(NULL, 0, 0));
	n = poll(p, 3, 0);
	say("poll(-1, 999, stdout)", "%d", n);
	for (int i = 0; i < 3; i++)
		say("revents", "%s", events_str((unsigned short)p[i].revents));
	result("poll(NULL, 1, 0)", poll(NULL, 1, 0));
	getrlimit(RLIMIT_NOFILE, &old);
	low = old;
	low.rlim_cur = 64;
	setrlimit(RLIMIT_NOFILE, &low);
	result("poll(nfds 65 > RLIMIT_NOFILE 64)", syscall(SYS_poll, p, 65, 0));
	setrlimit(RLIMIT_NOFILE, &old);
	pipe(q);
	poll1("poll(empty pipe, 20 ms)", q[0], POLLIN, WAIT_MS);
	poll1("poll(empty pipe, -1 events)", q[0], -1, 0);
	write(q[1], "x", 1);
	poll1("poll(pipe with data)", q[0], POLLIN | POLLPRI, 0);
	poll1("poll(pipe with data, events 0)", q[0], 0, 0);
	poll1("poll(pipe write end, IN|OUT)", q[1], POLLIN | POLLOUT, 0);
	p[0] = (struct pollfd){ q[0], POLLIN, 0 };
	ts = (struct timespec){ 0, 0 };
	result("ppoll(ts 0)", syscall(SYS_ppoll, p, 1, &ts, NULL, KSIGSET_SIZE));
	ts = (struct timespec){ 0, -1 };
	result("ppoll(ts nsec -1)", syscall(SYS_ppoll, p, 1, &ts, NULL, KSIGSET_SIZE));
	result("ppoll(ts bad pointer)", syscall(SYS_ppoll, p, 1, (void *)8, NULL, KSIGSET_SIZE));
	ts = (struct timespec){ 0, 0 };
	result("ppoll(sigsetsize 4)", syscall(SYS_ppoll, p, 1, &ts, &mask, 4));
	drain(q[0]);
	ts = (struct timespec){ 0, WAIT_MS * 1000000L };
	result("ppoll(empty, 20 ms)", syscall(SYS_ppoll, p, 1, &ts, &mask, KSIGSET_SIZE));
	say("ppoll's timespec after", "%lld.%09ld", (long long)ts.tv_sec, ts.tv_nsec);
	close(q[0]);
	close(q[1]);
}

static void test_poll_blocking(void)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	struct pollfd p;
	struct later l;
	pthread_t t;
	int q[2];

	pipe(q);
	p = (struct pollfd){ q[0], POLLIN, 0 };
	l = (struct later){ .fd = q[1], .len = 5 };
	t = later(&l);
	result("poll(pipe) until another thread writes", poll(&p, 1, -1));
	say("revents", "%s", events_str((unsigned short)p.revents));
	pthread_join(t, NULL);
	drain(q[0]);
	sigaction(SIGUSR1, &sa, NULL);
	l = (struct later){ .fd = -1, .to = pthread_self(), .sig = SIGUSR1 };
	t = later(&l);
	result("poll(pipe), a signal even with SA_RESTART", poll(&p, 1, -1));
	pthread_join(t, NULL);
	close(q[0]);
	close(q[1]);
}

/* ---- select, pselect6 ---- */

static void test_select(void)
{
	fd_set r, w;
	struct timeval tv;
	struct timespec ts;
	int q[2], n;
	struct {
		const void *set;
		size_t size;
	} pack;
	uint64_t mask = 0;

	pipe(q);
	FD_ZERO(&r);
	FD_SET(q[0], &r);
	result("select(-1)", syscall(SYS_select, -1, &r, NULL, NULL, NULL));
	tv = (struct timeval){ 0, 0 };
	result("select(empty pipe, tv 0)", syscall(SYS_select, q[0] + 1, &r, NULL, NULL, &tv));
	say("read set after", "%d", FD_ISSET(q[0], &r));
	FD_ZERO(&r);
	FD_SET(200, &r);
	result("select(closed fd 200)", syscall(SYS_select, 201, &r, NULL, NULL, &tv));
	result("select(closed fd 200, n 200)", syscall(SYS_select, 200, &r, NULL, NULL, &tv));
	tv = (struct timeval){ 0, -1 };
	result("select(tv_usec -1)", syscall(SYS_select, 1, NULL, NULL, NULL, &tv));
	tv = (struct timeval){ 0, 1500000 };
	FD_ZERO(&r);
	FD_SET(q[1], &r);
	result("select(write end in read set, tv 1.5 s in usec)",
	       syscall(SYS_select, q[1] + 1, NULL, &r, NULL, &tv));
	result("select(bad set pointer)", syscall(SYS_select, 3, (void *)8, NULL, NULL, &tv));
	write(q[1], "x", 1);
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(q[0], &r);
	FD_SET(q[1], &r);
	FD_SET(q[0], &w);
	FD_SET(q[1], &w);
	FD_SET(1, &w);
	n = select(q[1] + 1, &r, &w, NULL, NULL);
	say("select(both ends in both sets, stdout)", "%d: r %d%d w %d%d%d", n, FD_ISSET(q[0], &r),
	    FD_ISSET(q[1], &r), FD_ISSET(q[0], &w), FD_ISSET(q[1], &w), FD_ISSET(1, &w));
	drain(q[0]);
	FD_ZERO(&r);
	FD_SET(q[0], &r);
	tv = (struct timeval){ 0, WAIT_MS * 1000 };
	result("select(empty, 20 ms)", syscall(SYS_select, q[0] + 1, &r, NULL, NULL, &tv));
	say("set and tv after", "%d %lld.%06ld", FD_ISSET(q[0], &r), (long long)tv.tv_sec,
	    (long)tv.tv_usec);
	pack.set = &mask;
	pack.size = 4;
	ts = (struct timespec){ 0, 0 };
	result("pselect6(sigsetsize 4)", syscall(SYS_pselect6, 1, NULL, NULL, NULL, &ts, &pack));
	result("pselect6(bad sig pack)",
	       syscall(SYS_pselect6, 1, NULL, NULL, NULL, &ts, (void *)8));
	pack.size = KSIGSET_SIZE;
	ts = (struct timespec){ -1, 0 };
	result("pselect6(ts sec -1)", syscall(SYS_pselect6, 1, NULL, NULL, NULL, &ts, &pack));
	ts = (struct timespec){ 0, WAIT_MS * 1000000L };
	FD_ZERO(&r);
	FD_SET(q[0], &r);
	result("pselect6(empty, 20 ms)",
	       syscall(SYS_pselect6, q[0] + 1, &r, NULL, NULL, &ts, &pack));
	say("pselect6's timespec after", "%lld.%09ld", (long long)ts.tv_sec, ts.tv_nsec);
	close(q[0]);
	close(q[1]);
}

/* ---- epoll ---- */

static void test_epoll_errors(void)
{
	int ep = epoll_create1(0), ep2 = epoll_create1(EPOLL_CLOEXEC), q[2];
	struct epoll_event ev;
	struct stat st;
	uint64_t mask = 0;

	pipe(q);
	result("epoll_create(0)", syscall(SYS_epoll_create, 0));
	result("epoll_create(1)", syscall(SYS_epoll_create, 1) >= 0 ? 0 : -1);
	result("epoll_create1(0x1234)", syscall(SYS_epoll_create1, 0x1234));
	result("F_GETFD(epoll_create1(EPOLL_CLOEXEC))", fcntl(ep2, F_GETFD));
	fstat(ep, &st);
	say("fstat(epoll)", "type %o mode %o", st.st_mode & S_IFMT, st.st_mode & 0777);
	result("ADD", ctl(ep, EPOLL_CTL_ADD, q[0], EPOLLIN, 1));
	result("ADD again", ctl(ep, EPOLL_CTL_ADD, q[0], EPOLLIN, 1));
	result("MOD not added", ctl(ep, EPOLL_CTL_MOD, q[1], EPOLLOUT, 2));
	result("DEL not added", ctl(ep, EPOLL_CTL_DEL, q[1], 0, 0));
	result("ADD epfd to itself", ctl(ep, EPOLL_CTL_ADD, ep, EPOLLIN, 0));
	result("ADD to a pipe", ctl(q[0], EPOLL_CTL_ADD, q[1], EPOLLIN, 0));
	result("ADD bad fd", ctl(ep, EPOLL_CTL_ADD, 999, EPOLLIN, 0));
	result("ADD to bad epfd", ctl(999, EPOLL_CTL_ADD, q[1], EPOLLIN, 0));
	result("op 99", ctl(ep, 99, q[1], EPOLLIN, 0));
	result("ADD NULL event", epoll_ctl(ep, EPOLL_CTL_ADD, q[1], NULL));
	result("DEL NULL event", epoll_ctl(ep, EPOLL_CTL_DEL, q[0], NULL));
	result("DEL again", epoll_ctl(ep, EPOLL_CTL_DEL, q[0], &ev));
	result("ADD EXCLUSIVE", ctl(ep, EPOLL_CTL_ADD, q[0], EPOLLIN | EPOLLEXCLUSIVE, 1));
	result("MOD EXCLUSIVE", ctl(ep, EPOLL_CTL_MOD, q[0], EPOLLIN | EPOLLEXCLUSIVE, 1));
	result("MOD an EXCLUSIVE item", ctl(ep, EPOLL_CTL_MOD, q[0], EPOLLIN, 1));
	result("ADD EXCLUSIVE|ONESHOT",
	       ctl(ep, EPOLL_CTL_ADD, q[1], EPOLLOUT | EPOLLEXCLUSIVE | EPOLLONESHOT, 1));
	result("ADD EXCLUSIVE epoll", ctl(ep, EPOLL_CTL_ADD, ep2, EPOLLIN | EPOLLEXCLUSIVE, 1));
	result("epoll_wait(maxevents 0)", epoll_wait(ep, &ev, 0, 0));
	result("epoll_wait(maxevents -1)", epoll_wait(ep, &ev, -1, 0));
	result("epoll_wait(a pipe)", epoll_wait(q[0], &ev, 1, 0));
	result("epoll_wait(bad fd)", epoll_wait(999, &ev, 1, 0));
	wait_ep("epoll_wait(nothing ready, 20 ms)", ep2, 1, WAIT_MS);
	result("epoll_pwait(sigsetsize 4)", syscall(SYS_epoll_pwait, ep2, &ev, 1, 0, &mask, 4));
	result("epoll_pwait(mask, 0)", syscall(SYS_epoll_pwait, ep2, &ev, 1, 0, &mask, 8));
	{
		struct timespec ts = { 0, 0 };

		result("epoll_pwait2(ts 0)", syscall(SYS_epoll_pwait2, ep2, &ev, 1, &ts, NULL, 8));
		ts.tv_nsec = -5;
		result("epoll_pwait2(ts nsec -5)",
		       syscall(SYS_epoll_pwait2, ep2, &ev, 1, &ts, NULL, 8));
		ts = (struct timespec){ 0, WAIT_MS * 1000000L };
		result("epoll_pwait2(20 ms)", syscall(SYS_epoll_pwait2, ep2, &ev, 1, &ts, NULL, 8));
	}
	close(ep);
	close(ep2);
	close(q[0]);
	close(q[1]);
}

static void test_epoll_level_edge(void)
{
	int ep = epoll_create1(0), lt[2], et[2];
	char c;

	pipe(lt);
	pipe(et);
	ctl(ep, EPOLL_CTL_ADD, lt[0], EPOLLIN, 10);
	ctl(ep, EPOLL_CTL_ADD, et[0], EPOLLIN | EPOLLET, 20);
	wait_ep("LT+ET, nothing written", ep, 8, 0);
	write(lt[1], "ab", 2);
	write(et[1], "ab", 2);
	wait_ep("LT+ET, both written", ep, 8, 0);
	wait_ep("again: only LT", ep, 8, 0);
	read(lt[0], &c, 1);
	read(et[0], &c, 1);
	wait_ep("one byte read of each: LT", ep, 8, 0);
	write(et[1], "c", 1);
	wait_ep("ET written again", ep, 8, 0);
	wait_ep("and again", ep, 8, 0);
	drain(lt[0]);
	wait_ep("LT drained", ep, 8, 0);
	close(lt[1]);
	wait_ep("LT writer closed", ep, 8, 0);
	close(et[1]);
	wait_ep("ET writer closed", ep, 8, 0);
	wait_ep("and again", ep, 8, 0);
	close(ep);
	close(lt[0]);
	close(et[0]);
}

static void test_epoll_oneshot(void)
{
	int ep = epoll_create1(0), q[2];

	pipe(q);
	ctl(ep, EPOLL_CTL_ADD, q[0], EPOLLIN | EPOLLONESHOT, 7);
	write(q[1], "x", 1);
	wait_ep("ONESHOT, written", ep, 8, 0);
	wait_ep("ONESHOT, again", ep, 8, 0);
	write(q[1], "x", 1);
	wait_ep("ONESHOT, written again", ep, 8, 0);
	result("MOD re-arms", ctl(ep, EPOLL_CTL_MOD, q[0], EPOLLIN | EPOLLONESHOT, 8));
	result("epoll_wait(NULL events), one ready", epoll_wait(ep, NULL, 8, 0));
	wait_ep("ONESHOT, re-armed, after the fault", ep, 8, 0);
	result("MOD to LT", ctl(ep, EPOLL_CTL_MOD, q[0], EPOLLIN, 9));
	wait_ep("now LT", ep, 8, 0);
	wait_ep("now LT, again", ep, 8, 0);
	close(ep);
	close(q[0]);
	close(q[1]);
}

static void test_epoll_out_hup(void)
{
	static char chunk[CHUNK];
	int ep = epoll_create1(0), q[2], e = eventfd(0, EFD_NONBLOCK);
	uint64_t v = 1;

	pipe2(q, O_NONBLOCK);
	ctl(ep, EPOLL_CTL_ADD, q[1], EPOLLOUT, 1);
	wait_ep("write end", ep, 8, 0);
	while (write(q[1], chunk, sizeof(chunk)) > 0)
		;
	wait_ep("write end, full", ep, 8, 0);
	read(q[0], chunk, sizeof(chunk));
	wait_ep("write end, 4096 read", ep, 8, 0);
	close(q[0]);
	wait_ep("write end, reader closed", ep, 8, 0);
	ctl(ep, EPOLL_CTL_DEL, q[1], 0, 0);
	close(q[1]);
	pipe(q);
	ctl(ep, EPOLL_CTL_ADD, q[0], EPOLLIN | EPOLLRDHUP, 2);
	close(q[1]);
	wait_ep("read end, RDHUP asked, writer closed", ep, 8, 0);
	ctl(ep, EPOLL_CTL_DEL, q[0], 0, 0);
	close(q[0]);
	ctl(ep, EPOLL_CTL_ADD, e, EPOLLIN | EPOLLOUT, 3);
	wait_ep("eventfd at 0", ep, 8, 0);
	write(e, &v, sizeof(v));
	wait_ep("eventfd at 1", ep, 8, 0);
	ctl(ep, EPOLL_CTL_MOD, e, EPOLLIN | EPOLLET, 4);
	wait_ep("eventfd, MOD to ET", ep, 8, 0);
	wait_ep("eventfd, ET again", ep, 8, 0);
	write(e, &v, sizeof(v));
	wait_ep("eventfd, ET, written", ep, 8, 0);
	read(e, &v, sizeof(v));
	wait_ep("eventfd, ET, read (an OUT wake)", ep, 8, 0);
	close(e);
	close(ep);
}

static void test_epoll_lifetime(void)
{
	int ep = epoll_create1(0), q[2], r[2], d;

	pipe(q);
	ctl(ep, EPOLL_CTL_ADD, q[0], EPOLLIN, 1);
	write(q[1], "x", 1);
	close(q[0]);
	wait_ep("watched file closed (its last fd)", ep, 8, 0);
	pipe(r);
	say("the new pipe reuses the fd", "%s", r[0] == q[0] ? "yes" : "no");
	result("ADD the reused fd", ctl(ep, EPOLL_CTL_ADD, r[0], EPOLLIN, 2));
	close(q[1]);
	d = dup(r[0]);
	close(r[0]);
	write(r[1], "y", 1);
	wait_ep("watched fd closed, a dup keeps the file", ep, 8, 0);
	result("DEL the closed fd", ctl(ep, EPOLL_CTL_DEL, r[0], 0, 0));
	result("DEL the dup (never added)", ctl(ep, EPOLL_CTL_DEL, d, 0, 0));
	close(d);
	wait_ep("and the dup closed too", ep, 8, 0);
	close(r[1]);
	close(ep);
}

static void test_epoll_round_robin(void)
{
	int ep = epoll_create1(0), a[2], b[2], c[2];

	pipe(a);
	pipe(b);
	pipe(c);
	ctl(ep, EPOLL_CTL_ADD, a[0], EPOLLIN, 1);
	ctl(ep, EPOLL_CTL_ADD, b[0], EPOLLIN, 2);
	ctl(ep, EPOLL_CTL_ADD, c[0], EPOLLIN, 3);
	write(a[1], "x", 1);
	write(b[1], "x", 1);
	write(c[1], "x", 1);
	wait_ep("three ready, maxevents 1", ep, 1, 0);
	wait_ep("next", ep, 1, 0);
	wait_ep("next", ep, 1, 0);
	wait_ep("next", ep, 1, 0);
	wait_ep("maxevents 2", ep, 2, 0);
	wait_ep("maxevents 8", ep, 8, 0);
	for (int i = 0; i < 2; i++) {
		close(i ? a[0] : a[1]);
		close(i ? b[0] : b[1]);
		close(i ? c[0] : c[1]);
	}
	close(ep);
}

/* Many watched, one ready: the wait finds it (and only it). */
static void test_epoll_many(void)
{
	static int p[MANY_PIPES][2];
	int ep = epoll_create1(0), made = 0, added = 0;

	for (; made < MANY_PIPES && pipe(p[made]) == 0; made++)
		added += ctl(ep, EPOLL_CTL_ADD, p[made][0], EPOLLIN, (uint64_t)made) == 0;
	say("pipes made and added", "%d %d", made, added);
	write(p[MANY_PIPES / 2][1], "x", 1);
	wait_ep("one of them written", ep, 8, 0);
	for (int i = 0; i < made; i++)
		ctl(ep, EPOLL_CTL_DEL, p[i][0], 0, 0);
	wait_ep("all deleted", ep, 8, 0);
	for (int i = 0; i < made; i++) {
		close(p[i][0]);
		close(p[i][1]);
	}
	close(ep);
}

static void test_epoll_nested(void)
{
	int inner = epoll_create1(0), outer = epoll_create1(0), q[2];
	struct pollfd p;

	pipe(q);
	ctl(inner, EPOLL_CTL_ADD, q[0], EPOLLIN, 1);
	result("ADD inner to outer", ctl(outer, EPOLL_CTL_ADD, inner, EPOLLIN, 100));
	result("ADD outer to inner (a loop)", ctl(inner, EPOLL_CTL_ADD, outer, EPOLLIN, 200));
	wait_ep("outer, nothing", outer, 8, 0);
	poll1("poll(inner), nothing", inner, POLLIN | POLLOUT, 0);
	write(q[1], "x", 1);
	poll1("poll(inner), pipe written", inner, POLLIN | POLLOUT, 0);
	wait_ep("outer, pipe written", outer, 8, 0);
	wait_ep("inner", inner, 8, 0);
	drain(q[0]);
	poll1("poll(inner), pipe drained", inner, POLLIN, 0);
	wait_ep("outer, pipe drained", outer, 8, 0);
	p = (struct pollfd){ inner, POLLIN, 0 };
	{
		struct later l = { .fd = q[1], .len = 5 };
		pthread_t t = later(&l);

		wait_ep("outer, blocking until another thread writes", outer, 8, -1);
		pthread_join(t, NULL);
	}
	result("poll(inner) after", poll(&p, 1, 0));
	close(inner);
	wait_ep("outer, inner closed", outer, 8, 0);
	close(outer);
	close(q[0]);
	close(q[1]);
}

static void test_epoll_blocking(void)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	int ep = epoll_create1(0), e = eventfd(0, 0);
	struct epoll_event ev;
	struct later l;
	pthread_t t;
	uint64_t mask = SIGBIT(SIGUSR1);
	int before;

	ctl(ep, EPOLL_CTL_ADD, e, EPOLLIN, 5);
	l = (struct later){ .fd = e, .value = 1, .len = 8 };
	t = later(&l);
	wait_ep("epoll_wait until another thread writes", ep, 8, -1);
	pthread_join(t, NULL);
	read(e, &l.value, sizeof(l.value));
	sigaction(SIGUSR1, &sa, NULL);
	l = (struct later){ .fd = -1, .to = pthread_self(), .sig = SIGUSR1 };
	t = later(&l);
	wait_ep("epoll_wait, a signal even with SA_RESTART", ep, 8, -1);
	pthread_join(t, NULL);
	before = usr1s;
	t = later(&l);
	result("epoll_pwait, the signal blocked, 100 ms",
	       syscall(SYS_epoll_pwait, ep, &ev, 1, 5 * WAIT_MS, &mask, KSIGSET_SIZE));
	pthread_join(t, NULL);
	say("handled after the wait", "%d", (int)(usr1s - before));
	close(e);
	close(ep);
}

/* ---- AF_UNIX socket pairs ---- */

static void test_socketpair_calls(void)
{
	int sv[2], bad[2];
	struct stat st;
	struct sockaddr_storage name;
	socklen_t len = sizeof(name);
	int type = 0;
	socklen_t tlen = sizeof(type);

	result("socketpair(AF_INET, SOCK_STREAM)", socketpair(AF_INET, SOCK_STREAM, 0, bad));
	result("socketpair(AF_UNIX, SOCK_STREAM, 6)", socketpair(AF_UNIX, SOCK_STREAM, 6, bad));
	result("socketpair(AF_UNIX, 77)", socketpair(AF_UNIX, 77, 0, bad));
	result("socketpair(AF_UNIX, SOCK_STREAM | 0x10000)",
	       socketpair(AF_UNIX, SOCK_STREAM | 0x10000, 0, bad));
	result("socketpair(AF_UNIX, SOCK_STREAM, NULL)",
	       syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, NULL));
	result("socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC)",
	       socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv));
	say("socketpair flags", "nonblock %d %d, cloexec %d %d, access %d",
	    !!(fcntl(sv[0], F_GETFL) & O_NONBLOCK), !!(fcntl(sv[1], F_GETFL) & O_NONBLOCK),
	    !!(fcntl(sv[0], F_GETFD) & FD_CLOEXEC), !!(fcntl(sv[1], F_GETFD) & FD_CLOEXEC),
	    fcntl(sv[0], F_GETFL) & O_ACCMODE);
	fstat(sv[0], &st);
	say("fstat(socketpair)", "%s", S_ISSOCK(st.st_mode) ? "socket" : "not a socket");
	result("getsockname(socketpair)", getsockname(sv[0], (struct sockaddr *)&name, &len));
	say("getsockname's address", "family %d, length %u", name.ss_family, (unsigned)len);
	len = sizeof(name);
	result("getpeername(socketpair)", getpeername(sv[1], (struct sockaddr *)&name, &len));
	say("getpeername's address", "family %d, length %u", name.ss_family, (unsigned)len);
	result("getsockopt(SO_TYPE)", getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &tlen));
	say("SO_TYPE", "%d", type);
	result("getsockopt(SO_ERROR)", getsockopt(sv[0], SOL_SOCKET, SO_ERROR, &type, &tlen));
	say("SO_ERROR", "%d", type);
	result("connect(socketpair)",
	       connect(sv[0], (struct sockaddr *)&name, sizeof(sa_family_t)));
	result("listen(socketpair)", listen(sv[0], 1));
	result("recv(socketpair, empty, nonblocking)", recv(sv[0], &type, 1, 0));
	close(sv[0]);
	close(sv[1]);
}

static void test_socketpair_data(void)
{
	char buf[64] = "";
	char a[] = "ab", b[] = "cde";
	struct iovec iov[2] = { { a, 2 }, { b, 3 } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
	int sv[2], n = 0;

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	poll1("poll(fresh pair)", sv[0], POLLIN | POLLOUT | POLLRDHUP, 0);
	result("write(pair, 3)", write(sv[1], "xyz", 3));
	poll1("poll(pair, 3 in)", sv[0], POLLIN | POLLOUT | POLLRDHUP, 0);
	ioctl(sv[0], FIONREAD, &n);
	say("FIONREAD(pair)", "%d", n);
	result("recv(MSG_PEEK)", recv(sv[0], buf, sizeof(buf), MSG_PEEK));
	result("read(pair)", read(sv[0], buf, sizeof(buf)));
	say("read's bytes", "%.3s", buf);
	result("recv(MSG_DONTWAIT, empty)", recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT));
	result("sendmsg(2 iovecs)", sendmsg(sv[0], &msg, 0));
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	iov[1].iov_len = 2;
	result("recvmsg(2 + 2)", recvmsg(sv[1], &msg, 0));
	say("recvmsg's bytes", "%.2s %.2s, flags %#x", a, b, (unsigned)msg.msg_flags);
	result("recvfrom(the last byte)", recvfrom(sv[1], buf, sizeof(buf), 0, NULL, NULL));
	result("sendto(pair, with an address)",
	       sendto(sv[0], "q", 1, 0,
		      (struct sockaddr *)&(struct sockaddr_storage){ .ss_family = AF_UNIX },
		      sizeof(sa_family_t)));
	result("writev(2 iovecs)", writev(sv[1], iov, 2));
	result("readv(pair)", read(sv[0], buf, sizeof(buf)));
	close(sv[0]);
	close(sv[1]);
}

static void test_socketpair_shutdown(void)
{
	static char chunk[CHUNK];
	int sv[2], ep = epoll_create1(0);
	char c;

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	result("shutdown(pair, 7)", shutdown(sv[0], 7));
	write(sv[1], "z", 1);
	result("shutdown(SHUT_WR)", shutdown(sv[1], SHUT_WR));
	poll1("poll(peer shut its writing)", sv[0], POLLIN | POLLOUT | POLLRDHUP, 0);
	poll1("poll(shut my writing)", sv[1], POLLIN | POLLOUT | POLLRDHUP, 0);
	result("read(the byte before the shutdown)", read(sv[0], &c, 1));
	result("read(after the peer's shutdown)", read(sv[0], &c, 1));
	result("send(after my SHUT_WR)", send(sv[1], "x", 1, MSG_NOSIGNAL));
	result("send(to a peer that shut its writing)", send(sv[0], "y", 1, MSG_NOSIGNAL));
	result("read(what it sent)", read(sv[1], &c, 1));
	result("shutdown(SHUT_RD)", shutdown(sv[1], SHUT_RD));
	poll1("poll(shut both ways)", sv[1], POLLIN | POLLOUT | POLLRDHUP, 0);
	poll1("poll(peer shut both ways)", sv[0], POLLIN | POLLOUT | POLLRDHUP, 0);
	result("send(to a peer shut for reading)", send(sv[0], "y", 1, MSG_NOSIGNAL));
	close(sv[0]);
	close(sv[1]);

	/* What nginx checks at start: EPOLLRDHUP, edge-triggered, when the peer closes. */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	ctl(ep, EPOLL_CTL_ADD, sv[0], EPOLLIN | EPOLLRDHUP | EPOLLET, 5);
	wait_ep("epoll(pair, ET)", ep, 8, 0);
	close(sv[1]);
	wait_ep("epoll(pair, peer closed)", ep, 8, 0);
	wait_ep("epoll(pair, peer closed, ET again)", ep, 8, 0);
	poll1("poll(peer closed)", sv[0], POLLIN | POLLOUT | POLLRDHUP, 0);
	result("read(peer closed)", read(sv[0], &c, 1));
	result("send(peer closed)", send(sv[0], "y", 1, MSG_NOSIGNAL));
	signal(SIGPIPE, SIG_IGN);
	result("write(peer closed), SIGPIPE ignored", write(sv[0], "y", 1));
	signal(SIGPIPE, SIG_DFL);
	close(sv[0]);

	socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
	while (write(sv[0], chunk, sizeof(chunk)) > 0)
		;
	say("write(pair, full)", "-1 %s", errname(errno));
	poll1("poll(pair, full)", sv[0], POLLOUT, 0);
	drain(sv[1]);
	poll1("poll(pair, drained)", sv[0], POLLOUT, 0);
	close(sv[0]);
	close(sv[1]);
	close(ep);
}

static void test_socketpair_blocking(void)
{
	int sv[2];
	char buf[16] = "";
	struct later l = { .len = 5 };
	pthread_t t;

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	l.fd = sv[1];
	t = later(&l);
	result("read(pair, blocking, a thread writes)", read(sv[0], buf, sizeof(buf)));
	say("its bytes", "%s", buf);
	pthread_join(t, NULL);
	close(sv[0]);
	close(sv[1]);
}

/* ---- stdin, in the guest only ---- */

static int wait_stdin(void)
{
	struct pollfd p = { 0, POLLIN, 0 };
	int ep = epoll_create1(0), n;
	struct epoll_event ev;
	char line[128];
	ssize_t got;

	n = poll(&p, 1, 10000);
	say("stdin poll", "%d %s", n, events_str((unsigned short)p.revents));
	ctl(ep, EPOLL_CTL_ADD, 0, EPOLLIN, 0);
	n = epoll_wait(ep, &ev, 1, 10000);
	say("stdin epoll", "%d %s", n, n > 0 ? events_str(ev.events) : "-");
	got = read(0, line, sizeof(line) - 1);
	line[got > 0 ? got : 0] = '\0';
	line[strcspn(line, "\n")] = '\0';
	say("stdin read", "%s", line);
	poll1("stdout poll", 1, POLLOUT, 0);
	close(ep);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "stdin"))
		return wait_stdin();
	test_pipe_basics();
	test_pipe_full();
	test_pipe_broken();
	test_pipe_blocking();
	test_pipe_bulk();
	test_pipe_atomic();
	test_eventfd();
	test_eventfd_blocking();
	test_poll();
	test_poll_blocking();
	test_select();
	test_epoll_errors();
	test_epoll_level_edge();
	test_epoll_oneshot();
	test_epoll_out_hup();
	test_epoll_lifetime();
	test_epoll_round_robin();
	test_epoll_many();
	test_epoll_nested();
	test_epoll_blocking();
	test_socketpair_calls();
	test_socketpair_data();
	test_socketpair_shutdown();
	test_socketpair_blocking();
	say("events", "done");
	return 0;
}
