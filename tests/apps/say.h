/* For the test programs whose output is compared line for line with a native run. */
#ifndef TESTS_APPS_SAY_H
#define TESTS_APPS_SAY_H

#include <stdarg.h>
#include <stdio.h>

/* One line: "what: " and the rest, formatted. */
static inline void __attribute__((format(printf, 2, 3))) say(const char *what, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

#endif
