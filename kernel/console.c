#include "kernel/console.h"

#include <errno.h>

#include "arch/x86_64/arch.h"

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

/* Interrupts off: one writer's text is never cut into by another's. */
void console_write(const char *s, size_t n)
{
	unsigned long flags = irq_save();

	for (int i = 0; i < console.count; i++)
		console.out[i]->write(s, n);
	irq_restore(flags);
}

size_t console_read(char *buf, size_t n)
{
	unsigned long flags = irq_save();
	size_t got = 0;

	for (int i = 0; i < console.count; i++) {
		int c;

		while (got < n && console.out[i]->getc && (c = console.out[i]->getc()) >= 0)
			buf[got++] = (char)c;
	}
	irq_restore(flags);
	return got;
}
