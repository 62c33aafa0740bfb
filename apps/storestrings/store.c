/*
 * The file of lines. It is opened O_APPEND|O_CREAT once; its size and line
 * count are read at start and then kept here, so the server must be the
 * file's only writer. An append is durable when write and fsync both
 * succeeded; when either fails the file is cut back to its last durable
 * size, so that it holds only lines that were acknowledged (or, after a
 * crash, written but not yet acknowledged).
 */
#include "storestrings.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCAN_CHUNK 65536

static struct {
	int fd;
	off_t size;		  /* bytes, every one durable */
	unsigned long long lines; /* newlines in those bytes */
	char buf[SCAN_CHUNK];
} store = { .fd = -1 };

static int write_all(const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(store.fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Counts the file's lines. A last line without its newline (a write cut
 * short by a crash) gets one and counts: it was never acknowledged, but
 * the next line must not be glued to it. */
static int store_scan(void)
{
	struct stat st;
	off_t off = 0;
	char last = '\n';

	if (fstat(store.fd, &st) < 0)
		return -errno;
	store.lines = 0;
	while (off < st.st_size) {
		ssize_t n = pread(store.fd, store.buf, sizeof(store.buf), off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		for (ssize_t i = 0; i < n; i++)
			store.lines += store.buf[i] == '\n';
		last = store.buf[n - 1];
		off += n;
	}
	store.size = off;
	if (last == '\n')
		return 0;
	if (write_all("\n", 1) < 0 || fsync(store.fd) < 0)
		return -errno;
	store.size++;
	store.lines++;
	return 0;
}

int store_open(const char *path)
{
	struct stat st;
	int rc;

	store.fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (store.fd < 0) {
		fprintf(stderr, "storestrings: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(store.fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "storestrings: %s: not a regular file\n", path);
		return -1;
	}
	rc = store_scan();
	if (rc < 0) {
		fprintf(stderr, "storestrings: %s: reading it: %s\n", path, strerror(-rc));
		return -1;
	}
	return 0;
}

unsigned long long store_lines(void)
{
	return store.lines;
}

off_t store_size(void)
{
	return store.size;
}

/* Puts the file back as it was before a failed append. If even that fails,
 * the file's real contents are counted again, whatever they are. */
static void store_undo(void)
{
	if (ftruncate(store.fd, store.size) == 0)
		return;
	fprintf(stderr, "storestrings: cutting the file back to %lld bytes: %s\n",
		(long long)store.size, strerror(errno));
	if (store_scan() < 0)
		fprintf(stderr, "storestrings: counting the file's lines again failed\n");
}

int store_append(const char *buf, size_t len, const char **what)
{
	int rc;

	*what = "write";
	rc = write_all(buf, len);
	if (rc == 0) {
		*what = "fsync";
		rc = fsync(store.fd) < 0 ? -errno : 0;
	}
	if (rc < 0) {
		store_undo();
		return rc;
	}
	store.size += (off_t)len;
	for (size_t i = 0; i < len; i++)
		store.lines += buf[i] == '\n';
	return 0;
}

ssize_t store_read(char *buf, size_t len, off_t off)
{
	ssize_t n;

	do
		n = pread(store.fd, buf, len, off);
	while (n < 0 && errno == EINTR);
	return n;
}
