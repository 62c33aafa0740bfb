/*
 * Group commit. While the event loop reads, every client's whole lines are
 * gathered here, with one queued reply per line (and per overlong line or
 * LIST); then one write and one fsync make them all durable, and only then
 * does each client get its OK. Line numbers are given as lines are queued:
 * the file's count plus the line's place in the batch, which the single
 * O_APPEND writer makes true once the write lands.
 */
#include "storestrings.h"

#include <string.h>

#define BATCH_BYTES (256 * 1024)
#define BATCH_REPLIES 4096

struct queued {
	struct client *c;
	enum reply_kind kind;
	unsigned long long line; /* REPLY_LINE: its number in the file */
};

static struct {
	size_t len;
	size_t nreplies;
	unsigned long long nlines;
	char data[BATCH_BYTES];
	struct queued replies[BATCH_REPLIES];
} batch;

static void batch_queue(struct client *c, enum reply_kind kind, unsigned long long line)
{
	if (batch.nreplies == BATCH_REPLIES)
		batch_commit();
	batch.replies[batch.nreplies++] = (struct queued){ .c = c, .kind = kind, .line = line };
}

void batch_add_line(struct client *c, const char *line, size_t len)
{
	if (batch.len + len + 1 > sizeof(batch.data) || batch.nreplies == BATCH_REPLIES)
		batch_commit();
	memcpy(batch.data + batch.len, line, len);
	batch.data[batch.len + len] = '\n';
	batch.len += len + 1;
	batch.nlines++;
	batch_queue(c, REPLY_LINE, store_lines() + batch.nlines);
}

void batch_add_reply(struct client *c, enum reply_kind kind)
{
	batch_queue(c, kind, 0);
}

bool batch_empty(void)
{
	return batch.nreplies == 0;
}

void batch_commit(void)
{
	const char *what = "";
	int err = 0;

	if (batch.len)
		err = store_append(batch.data, batch.len, &what);
	for (size_t i = 0; i < batch.nreplies; i++) {
		struct queued *q = &batch.replies[i];

		client_reply(q->c, q->kind, q->line, err, what);
	}
	batch.len = 0;
	batch.nlines = 0;
	batch.nreplies = 0;
}
