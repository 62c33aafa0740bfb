/*
 * One connection. Input is cut into lines in a buffer that holds the
 * longest line allowed; an overlong line gets one ERR and is skipped up to
 * its newline. Every line queues exactly one reply in the batch (LIST: its
 * listing), and replies come out in the order the lines came in.
 *
 * Backpressure: a line is taken only while the output buffer has room for
 * the replies already queued and one more (each at most SS_REPLY_MAX), so a
 * client that does not read its replies stops being read, and no reply is
 * ever cut short. A LIST stops the parsing of its client until the listing
 * has gone out, so lines after it are counted after it too.
 *
 * A client is freed when it is closed and no queued reply names it.
 */
#include "storestrings.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

struct client {
	int fd;
	uint32_t events;	       /* the epoll interest set now */
	bool eof;		       /* the peer sent FIN: finish its replies, then close */
	bool skipping;		       /* inside an overlong line, up to its newline */
	bool closed;		       /* fd closed; freed when queued reaches 0 */
	bool list_queued;	       /* a LIST waits in the batch */
	bool listing;		       /* a LIST reply is going out */
	unsigned queued;	       /* replies in the batch for this client */
	off_t list_off, list_end;      /* the file's bytes still to send */
	unsigned long long list_lines; /* the count END gives */
	size_t in_len, out_len;
	struct client *prev, *next;
	char in[SS_IN_CAP];
	char out[SS_OUT_CAP];
};

static struct {
	struct client *head;
	unsigned count;
	int epfd;
} clients;

struct client *client_new(int fd, int epfd)
{
	struct client *c = calloc(1, sizeof(*c));
	struct epoll_event ev = { .events = EPOLLIN };

	if (!c) {
		close(fd);
		return NULL;
	}
	c->fd = fd;
	c->events = EPOLLIN;
	ev.data.ptr = c;
	clients.epfd = epfd;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		perror("storestrings: epoll_ctl add");
		close(fd);
		free(c);
		return NULL;
	}
	c->next = clients.head;
	if (clients.head)
		clients.head->prev = c;
	clients.head = c;
	clients.count++;
	return c;
}

void client_close(struct client *c)
{
	if (c->closed)
		return;
	epoll_ctl(clients.epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->closed = true;
	if (c->prev)
		c->prev->next = c->next;
	else
		clients.head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	clients.count--;
	if (c->queued == 0)
		free(c);
}

unsigned client_count(void)
{
	return clients.count;
}

/* True while the client may not add a line to the batch. */
static bool client_blocked(const struct client *c)
{
	return c->closed || c->list_queued || c->listing ||
	       c->out_len + (c->queued + 1) * (size_t)SS_REPLY_MAX > SS_OUT_CAP;
}

/* Appends one reply line; room for it was kept when it was queued. */
static void client_put(struct client *c, const char *fmt, ...)
{
	size_t room = SS_OUT_CAP - c->out_len;
	va_list ap;
	int n;

	if (room > SS_REPLY_MAX)
		room = SS_REPLY_MAX;
	va_start(ap, fmt);
	n = vsnprintf(c->out + c->out_len, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= room) {
		n = (int)room - 1;
		c->out[c->out_len + (size_t)n - 1] = '\n';
	}
	c->out_len += (size_t)n;
}

void client_reply(struct client *c, enum reply_kind kind, unsigned long long line, int err,
		  const char *what)
{
	c->queued--;
	if (c->closed) {
		if (c->queued == 0)
			free(c);
		return;
	}
	switch (kind) {
	case REPLY_LINE:
		if (err)
			client_put(c, "ERR %s: %s\n", what, strerror(-err));
		else
			client_put(c, "OK %llu\n", line);
		break;
	case REPLY_TOO_LONG:
		client_put(c, "ERR line too long (over %d bytes)\n", SS_MAX_LINE);
		break;
	case REPLY_LIST:
		/* After the commit: the file now holds this client's earlier lines. */
		c->list_queued = false;
		c->listing = true;
		c->list_off = 0;
		c->list_end = store_size();
		c->list_lines = store_lines();
		break;
	}
}

/* One whole line, without its LF. */
static void client_line(struct client *c, const char *line, size_t len)
{
	if (len && line[len - 1] == '\r')
		len--;
	c->queued++;
	if (len > SS_MAX_LINE) {
		batch_add_reply(c, REPLY_TOO_LONG);
	} else if (len == 4 && memcmp(line, "LIST", 4) == 0) {
		c->list_queued = true;
		batch_add_reply(c, REPLY_LIST);
	} else {
		batch_add_line(c, line, len);
	}
}

/* Takes the whole lines in the input buffer while the client is not blocked. */
static void client_parse(struct client *c)
{
	size_t pos = 0;

	while (!client_blocked(c) && pos < c->in_len) {
		char *start = c->in + pos;
		size_t left = c->in_len - pos;
		char *nl = memchr(start, '\n', left);

		if (!nl) {
			if (c->skipping) {
				pos = c->in_len;
			} else if (left == SS_IN_CAP) {
				/* Full, and no newline: too long, whatever follows. */
				c->queued++;
				batch_add_reply(c, REPLY_TOO_LONG);
				c->skipping = true;
				pos = c->in_len;
			}
			break;
		}
		pos += (size_t)(nl - start) + 1;
		if (c->skipping)
			c->skipping = false;
		else
			client_line(c, start, (size_t)(nl - start));
	}
	memmove(c->in, c->in + pos, c->in_len - pos);
	c->in_len -= pos;
}

void client_on_readable(struct client *c)
{
	while (!c->eof && !client_blocked(c) && c->in_len < SS_IN_CAP) {
		ssize_t n = read(c->fd, c->in + c->in_len, SS_IN_CAP - c->in_len);

		if (n > 0) {
			c->in_len += (size_t)n;
			client_parse(c);
		} else if (n == 0) {
			c->eof = true;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			return;
		} else if (errno != EINTR) {
			/* ECONNRESET and the like: no one is left to answer. */
			client_close(c);
			return;
		}
	}
}

/* Moves the next part of a LIST into the output buffer, keeping room for
 * the line that ends it (END, or ERR if the file cannot be read). */
static void client_fill(struct client *c)
{
	while (c->listing && SS_OUT_CAP - c->out_len >= SS_REPLY_MAX) {
		size_t room = SS_OUT_CAP - c->out_len;
		ssize_t n;

		if (c->list_off == c->list_end) {
			client_put(c, "END %llu\n", c->list_lines);
			c->listing = false;
			return;
		}
		if ((off_t)room > c->list_end - c->list_off)
			room = (size_t)(c->list_end - c->list_off);
		n = store_read(c->out + c->out_len, room, c->list_off);
		if (n <= 0) {
			client_put(c, "ERR read: %s\n", n < 0 ? strerror(errno) : "file shorter");
			c->listing = false;
			return;
		}
		c->out_len += (size_t)n;
		c->list_off += n;
	}
}

/* Sends until the socket would block or nothing is left. -1: the peer is
 * gone (EPIPE, ECONNRESET). */
static int client_flush(struct client *c)
{
	for (;;) {
		ssize_t n;

		client_fill(c);
		if (c->out_len == 0)
			return 0;
		n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		}
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
}

static void client_set_events(struct client *c)
{
	uint32_t want = 0;
	struct epoll_event ev;

	if (!c->eof && !client_blocked(c) && c->in_len < SS_IN_CAP)
		want |= EPOLLIN;
	if (c->out_len)
		want |= EPOLLOUT;
	if (want == c->events)
		return;
	ev.events = want;
	ev.data.ptr = c;
	if (epoll_ctl(clients.epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) {
		perror("storestrings: epoll_ctl mod");
		client_close(c);
		return;
	}
	c->events = want;
}

static void client_settle(struct client *c)
{
	if (client_flush(c) < 0) {
		client_close(c);
		return;
	}
	client_parse(c);
	/* Past the peer's FIN, a line without its newline will never end. */
	if (c->eof && !client_blocked(c))
		c->in_len = 0;
	if (c->eof && c->in_len == 0 && c->queued == 0 && !c->listing && c->out_len == 0) {
		client_close(c);
		return;
	}
	client_set_events(c);
}

void client_settle_all(void)
{
	struct client *c, *next;

	for (c = clients.head; c; c = next) {
		next = c->next;
		client_settle(c);
	}
}
