/*
 * storestrings' parts, each in its own file:
 *   store.c   the file of lines: its count, appends made durable, reads back
 *   batch.c   group commit: the lines and replies of one write and fsync
 *   client.c  one connection: line buffers, parsing, replies, LIST
 *   main.c    arguments, the listening socket and the epoll loop
 * The protocol is in README.md.
 */
#ifndef STORESTRINGS_H
#define STORESTRINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SS_MAX_LINE 4096	    /* bytes of a line, its CR and LF not counted */
#define SS_IN_CAP (SS_MAX_LINE + 2) /* the longest line with its CR LF */
#define SS_OUT_CAP 32768	    /* replies waiting for the client to read them */
#define SS_REPLY_MAX 128	    /* the longest reply but LIST's lines */

/* store.c: one writer appends to the file; the server keeps its size and
 * line count, which only a durable append changes. */
int store_open(const char *path);
unsigned long long store_lines(void);
off_t store_size(void);
/* Appends len bytes of whole lines, then fsyncs. 0, or a negative errno with
 * *what naming the call that failed; then the file is as it was before. */
int store_append(const char *buf, size_t len, const char **what);
ssize_t store_read(char *buf, size_t len, off_t off);

enum reply_kind {
	REPLY_LINE,	/* OK <n> once the batch is durable, or ERR */
	REPLY_TOO_LONG, /* ERR for a line over SS_MAX_LINE */
	REPLY_LIST,	/* the stored lines, then END <count> */
};

struct client;

/* batch.c: replies are queued in the order the client's lines came, so a
 * client's replies keep its order whatever the kind. */
void batch_add_line(struct client *c, const char *line, size_t len);
void batch_add_reply(struct client *c, enum reply_kind kind);
bool batch_empty(void);
/* Writes and fsyncs the queued lines (if any), then hands every queued reply
 * to its client (client_reply). */
void batch_commit(void);

/* client.c */
struct client *client_new(int fd, int epfd);
/* The socket is readable (or hung up): read and parse until it would block. */
void client_on_readable(struct client *c);
/* Called by batch_commit in queue order; err is the commit's (0: durable). */
void client_reply(struct client *c, enum reply_kind kind, unsigned long long line, int err,
		  const char *what);
/* After a commit: send, parse what waited, close finished clients, set the
 * epoll interest of each. */
void client_settle_all(void);
/* Closes the connection at once (its queued replies are dropped). */
void client_close(struct client *c);
unsigned client_count(void);

#endif
