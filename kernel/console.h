/*
 * The console: every byte written here goes to each registered output
 * (COM1, the VGA text screen). Safe to call from any context; callers that
 * must not interleave with others hold their text and write it in one call.
 */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H

#include <stddef.h>

struct console {
	const char *name;
	void (*write)(const char *s, size_t n);
	/* The next byte received, or -1 when none is waiting; NULL for an output only. */
	int (*getc)(void);
};

/* Adds an output; at most CONSOLE_MAX are kept, later ones are refused. */
int console_register(const struct console *c);
void console_write(const char *s, size_t n);

/* Up to n bytes that have arrived on the consoles' inputs, without waiting. Any context. */
size_t console_read(char *buf, size_t n);

#endif
