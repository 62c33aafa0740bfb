/*
 * For kernel tests (tests/ktests/NAME/): code built into the kernel in
 * place of an application, run as ktest_main(argc, argv) on the main
 * thread, for what only the inside of the kernel can check. Output goes
 * straight to the console in the lines tests/integration reads:
 * "ok - ..." and "not ok - ...", "# ..." for figures.
 */
#ifndef TESTS_KTESTS_KTEST_H
#define TESTS_KTESTS_KTEST_H

#include <stdarg.h>
#include <stdio.h>

#include "kernel/console.h"

/* The entry point; its return value is the VM's exit status. */
int ktest_main(int argc, char **argv);

__attribute__((format(printf, 1, 2))) static inline void ktest_print(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	console_write(line, (size_t)n);
}

/* A kernel test is one C file: this counter is that file's. */
static int ktest_failures;

/* One check: "ok - what" or "not ok - what", counted. */
static inline void ktest_check(int ok, const char *what)
{
	ktest_print("%s - %s", ok ? "ok" : "not ok", what);
	ktest_failures += !ok;
}

#endif
