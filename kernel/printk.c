#include "kernel/printk.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "kernel/console.h"
#include "kernel/params.h"
#include "kernel/time.h"
#include "lib/kc/format.h"

/* A message longer than this is cut, and the cut is marked. */
#define PRINTK_LINE_MAX 512
#define CUT_MARK "...\n"

static const char level_letter[] = { 'C', 'E', 'W', 'I', 'D' };
static const char *const level_names[] = { "crit", "err", "warn", "info", "debug" };

static struct {
	enum log_level level;
} printk_state = { .level = LOG_INFO };

static int loglevel_set(const struct param *p, const char *val)
{
	(void)p;
	for (int i = 0; i <= LOG_DEBUG; i++) {
		if (!strcmp(val, level_names[i]) || (val[0] == '0' + i && !val[1])) {
			printk_state.level = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

static void loglevel_show(const struct param *p, char *buf, size_t size)
{
	(void)p;
	strncpy(buf, level_names[printk_state.level], size - 1);
	buf[size - 1] = '\0';
}

PARAM_CUSTOM("loglevel", loglevel_set, loglevel_show,
	     "kernel message threshold: crit, err, warn, info, debug or 0-4");

struct line {
	char buf[PRINTK_LINE_MAX];
	size_t len;
};

static void line_out(void *ctx, const char *s, size_t n)
{
	struct line *l = ctx;
	size_t room = sizeof(l->buf) - l->len;

	if (n > room)
		n = room;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

static void line_printf(struct line *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vformat(line_out, l, fmt, ap);
	va_end(ap);
}

bool printk_enabled(enum log_level level)
{
	return level <= printk_state.level;
}

void printk(enum log_level level, const char *fmt, ...)
{
	struct line l = { .len = 0 };
	uint64_t us;
	va_list ap;

	if (level > printk_state.level)
		return;
	us = clock_monotonic_ns() / 1000;
	line_printf(&l, "[%5lu.%06lu] %c: ", (unsigned long)(us / 1000000),
		    (unsigned long)(us % 1000000), level_letter[level]);
	va_start(ap, fmt);
	fmt_vformat(line_out, &l, fmt, ap);
	va_end(ap);
	if (l.len == sizeof(l.buf))
		memcpy(l.buf + sizeof(l.buf) - strlen(CUT_MARK), CUT_MARK, strlen(CUT_MARK));
	else if (l.buf[l.len - 1] != '\n')
		l.buf[l.len++] = '\n';
	console_write(l.buf, l.len);
}
