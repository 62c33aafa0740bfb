/*
 * stdio on top of write(2). Streams are unbuffered: each call formats into a
 * small buffer on the stack and hands it to write() in as few pieces as fit,
 * so output from one printf is never split across other writers' output
 * unless it is longer than the buffer.
 */
#include <stdio.h>

#include <string.h>
#include <unistd.h>

#include "lib/libc/format.h"

struct libc_file {
	int fd;
};

static struct libc_file stdout_file = { .fd = STDOUT_FILENO };
static struct libc_file stderr_file = { .fd = STDERR_FILENO };
FILE *const stdout = &stdout_file;
FILE *const stderr = &stderr_file;

#define STDIO_CHUNK 256

struct chunk {
	FILE *f;
	size_t used;
	int failed;
	char buf[STDIO_CHUNK];
};

/* Writes all n bytes, or returns -1. */
static int write_all(FILE *f, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(f->fd, p, n);

		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static void chunk_flush(struct chunk *c)
{
	if (!c->failed && write_all(c->f, c->buf, c->used) < 0)
		c->failed = 1;
	c->used = 0;
}

static void chunk_out(void *ctx, const char *s, size_t n)
{
	struct chunk *c = ctx;

	while (n) {
		size_t k = sizeof(c->buf) - c->used;
		if (k > n)
			k = n;
		memcpy(c->buf + c->used, s, k);
		c->used += k;
		s += k;
		n -= k;
		if (c->used == sizeof(c->buf))
			chunk_flush(c);
	}
}

int vfprintf(FILE *restrict f, const char *restrict fmt, va_list ap)
{
	struct chunk c = { .f = f };
	int n = fmt_vformat(chunk_out, &c, fmt, ap);

	chunk_flush(&c);
	return c.failed ? EOF : n;
}

int vprintf(const char *restrict fmt, va_list ap)
{
	return vfprintf(stdout, fmt, ap);
}

int fprintf(FILE *restrict f, const char *restrict fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vfprintf(f, fmt, ap);
	va_end(ap);
	return n;
}

int printf(const char *restrict fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vfprintf(stdout, fmt, ap);
	va_end(ap);
	return n;
}

struct strbuf {
	char *buf;
	size_t size;
	size_t len;
};

static void strbuf_out(void *ctx, const char *s, size_t n)
{
	struct strbuf *b = ctx;

	if (b->len + 1 < b->size) {
		size_t room = b->size - 1 - b->len;
		memcpy(b->buf + b->len, s, n < room ? n : room);
	}
	b->len += n;
}

int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap)
{
	struct strbuf b = { .buf = buf, .size = size };
	int n = fmt_vformat(strbuf_out, &b, fmt, ap);

	if (size)
		buf[b.len < size ? b.len : size - 1] = '\0';
	return n;
}

int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

size_t fwrite(const void *restrict p, size_t size, size_t n, FILE *restrict f)
{
	if (!size || !n)
		return 0;
	return write_all(f, p, size * n) < 0 ? 0 : n;
}

int fputs(const char *restrict s, FILE *restrict f)
{
	size_t n = strlen(s);

	return n && fwrite(s, n, 1, f) != 1 ? EOF : 0;
}

int fputc(int c, FILE *f)
{
	unsigned char ch = (unsigned char)c;

	return fwrite(&ch, 1, 1, f) == 1 ? ch : EOF;
}

int putchar(int c)
{
	return fputc(c, stdout);
}

int puts(const char *s)
{
	struct chunk c = { .f = stdout };

	chunk_out(&c, s, strlen(s));
	chunk_out(&c, "\n", 1);
	chunk_flush(&c);
	return c.failed ? EOF : 0;
}

int fflush(FILE *f)
{
	(void)f; /* streams are unbuffered */
	return 0;
}
