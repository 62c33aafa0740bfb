#include "kernel/console.h"

#include <errno.h>

#define CONSOLE_MAX 4

static struct {
	const struct console *out[CONSOLE_MAX];
	int count;
} console;

int console_register(const struct console *c)
{
	if (console.count == CONSOLE_MAX)
		return -ENOSPC;
	console.out[console.count++] = c;
	return 0;
}

void console_write(const char *s, size_t n)
{
	for (int i = 0; i < console.count; i++)
		console.out[i]->write(s, n);
}
