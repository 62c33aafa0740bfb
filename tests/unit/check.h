/*
 * A tiny framework for host unit tests. A test file defines CHECK_SUITE,
 * includes this header (once: it defines main()) and declares its cases:
 *
 *	#define CHECK_SUITE "params"
 *	#include "tests/unit/check.h"
 *
 *	TEST(empty_line) { CHECK_EQ(parse(""), 0); }
 *
 * A failed CHECK*() prints file:line, the expression and the values to stderr
 * and the case goes on; CHECK_CONTEXT() adds what a loop is at to those
 * messages. main() runs the cases in source order, each in a child process of
 * its own, so a crash, a sanitizer report or a timeout fails that case only,
 * and every case starts from the program's initial state. It prints one line
 * per case on stdout, "ok - <suite>: <case>" or "not ok - <suite>: <case>",
 * nothing else, and exits 1 if any case failed.
 */
#ifndef TESTS_UNIT_CHECK_H
#define TESTS_UNIT_CHECK_H

#ifndef CHECK_SUITE
#error "define CHECK_SUITE, the suite's name, before including check.h"
#endif

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* A case still running after this long is killed and fails. */
#define CHECK_TIMEOUT_S 10

struct check_case {
	const char *name;
	void (*fn)(void);
	int line; /* where TEST() stands: cases run in this order */
	struct check_case *next;
};

static struct check_case *check_cases; /* sorted by line */
static const char *check_current;      /* the running case, for messages */
static bool check_failed;	       /* a CHECK failed in the running case */
static char check_context[128];	       /* see CHECK_CONTEXT() */

/* Called from constructors, before main(). */
static inline void check_register(struct check_case *c)
{
	struct check_case **p = &check_cases;

	while (*p && (*p)->line < c->line)
		p = &(*p)->next;
	c->next = *p;
	*p = c;
}

#define TEST(name)                                                                         \
	static void check_test_##name(void);                                               \
	__attribute__((constructor)) static void check_register_##name(void)               \
	{                                                                                  \
		static struct check_case c = { #name, check_test_##name, __LINE__, NULL }; \
		check_register(&c);                                                        \
	}                                                                                  \
	static void check_test_##name(void)

/* Records a failure of the running case; helpers with their own checks use it too. */
__attribute__((format(printf, 3, 4))) static inline void check_fail(const char *file, int line,
								    const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: %s: ", file, line, check_current);
	if (check_context[0])
		fprintf(stderr, "[%s] ", check_context);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	check_failed = true;
}

/* Says what the checks that follow are about (a loop's input, say) in their failures. */
#define CHECK_CONTEXT(...) snprintf(check_context, sizeof(check_context), __VA_ARGS__)

#define CHECK(expr)                                                                \
	do {                                                                       \
		if (!(expr))                                                       \
			check_fail(__FILE__, __LINE__, "CHECK(%s) failed", #expr); \
	} while (0)

/* Integers of any type, compared as intmax_t (which keeps uint64_t values apart). */
#define CHECK_EQ(a, b) check_eq((intmax_t)(a), (intmax_t)(b), #a, #b, __FILE__, __LINE__)

static inline void check_eq(intmax_t a, intmax_t b, const char *ea, const char *eb,
			    const char *file, int line)
{
	if (a != b)
		check_fail(file, line, "CHECK_EQ(%s, %s) failed: %jd (%#jx) != %jd (%#jx)", ea, eb,
			   a, (uintmax_t)a, b, (uintmax_t)b);
}

/* Strings; two NULLs are equal. */
#define CHECK_STREQ(a, b) check_streq((a), (b), #a, #b, __FILE__, __LINE__)

static inline void check_streq(const char *a, const char *b, const char *ea, const char *eb,
			       const char *file, int line)
{
	if (a == b || (a && b && !strcmp(a, b)))
		return;
	check_fail(file, line, "CHECK_STREQ(%s, %s) failed: %s%s%s != %s%s%s", ea, eb,
		   a ? "\"" : "", a ? a : "NULL", a ? "\"" : "", b ? "\"" : "", b ? b : "NULL",
		   b ? "\"" : "");
}

/* needle occurs in haystack (a captured log, say). */
#define CHECK_STRSTR(haystack, needle) \
	check_strstr((haystack), (needle), #haystack, __FILE__, __LINE__)

static inline void check_strstr(const char *haystack, const char *needle, const char *eh,
				const char *file, int line)
{
	if (!strstr(haystack, needle))
		check_fail(file, line, "CHECK_STRSTR(%s, \"%s\") failed; it holds:\n%s", eh, needle,
			   haystack);
}

/* Runs c in a child process; returns whether it passed. */
static bool check_run(const struct check_case *c)
{
	pid_t pid;
	int status;

	check_current = c->name;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		perror("check: fork");
		return false;
	}
	if (pid == 0) {
		alarm(CHECK_TIMEOUT_S);
		c->fn();
		exit(check_failed ? 1 : 0);
	}
	if (waitpid(pid, &status, 0) < 0) {
		perror("check: waitpid");
		return false;
	}
	if (WIFSIGNALED(status))
		fprintf(stderr, "%s: %s: killed by signal %d%s\n", CHECK_SUITE, c->name,
			WTERMSIG(status), WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(void)
{
	bool all_ok = true;

	for (const struct check_case *c = check_cases; c; c = c->next) {
		bool ok = check_run(c);

		printf("%s - %s: %s\n", ok ? "ok" : "not ok", CHECK_SUITE, c->name);
		/* At once: a sanitizer report at exit ends us without flushing stdio. */
		fflush(stdout);
		all_ok &= ok;
	}
	return all_ok ? 0 : 1;
}

#endif
