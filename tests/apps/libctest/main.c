/*
 * Checks of musl's own behaviour as a guest sees it: printf's conversions
 * (float ones too, so the FPU's state shows), snprintf truncation, the
 * strto* family, qsort and bsearch, broken-down time and strftime in UTC,
 * numeric getaddrinfo, inet_pton and inet_ntop, setjmp and longjmp, malloc,
 * a few libm functions, and the atexit chain. It prints one deterministic
 * line per case and judges nothing itself: tests/integration compares the
 * output line by line with a host run of the same program, linked
 * statically against musl. The main part ends with "libctest: done"; the
 * three atexit handlers print after it, in reverse order.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "../say.h"

/* Only the errno values these functions set, by name. */
static const char *errname(int no)
{
	switch (no) {
	case 0:
		return "0";
	case ERANGE:
		return "ERANGE";
	case EINVAL:
		return "EINVAL";
	case ENOSPC:
		return "ENOSPC";
	case EAFNOSUPPORT:
		return "EAFNOSUPPORT";
	case ENOMEM:
		return "ENOMEM";
	default:
		return "other";
	}
}

/* ---- printf ---- */

/*
 * One conversion per line, shown as its source text and its output in
 * brackets, so that padding is visible.
 */
#define FMT(fmt, ...) fmt_case(#__VA_ARGS__, fmt, __VA_ARGS__)

static void __attribute__((format(printf, 2, 3))) fmt_case(const char *args, const char *fmt, ...)
{
	char out[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, sizeof(out), fmt, ap);
	va_end(ap);
	printf("printf(\"%s\"%s%s): [%s]\n", fmt, *args ? ", " : "", args, out);
}

static void test_printf(void)
{
	/* volatile: the values reach printf at run time, not folded. */
	volatile double pi = 3.14159265358979, tiny = 1e-5, big = 123456789.0, tenth = 0.1;
	volatile long double third = 1.0L / 3;

	FMT("%.3f", pi);
	FMT("%.3f", -0.0005);
	FMT("%.3f", 1e10);
	FMT("%f", 1.0 / 3);
	FMT("%g", 0.0001);
	FMT("%g", tiny);
	FMT("%g", big);
	FMT("%g", 100000.0);
	FMT("%g", 1e6);
	FMT("%.10g", pi);
	FMT("%e", pi);
	FMT("%Le", third);
	FMT("%.20Le", third);
	FMT("%Lf", 1e20L);
	FMT("%a", 1.0);
	FMT("%a", tenth);
	FMT("%a", -0.0);
	FMT("%La", third);
	FMT("%f %F", INFINITY, -INFINITY);
	FMT("%f", NAN);
	FMT("%d %i %u", -42, INT_MIN, UINT_MAX);
	FMT("%lld %llu", LLONG_MIN, ULLONG_MAX);
	FMT("%x %X %#x %o %#o", 255u, 255u, 255u, 8u, 8u);
	FMT("%+05d|%-5d|% d", 42, 42, 42);
	FMT("%*d|%-*d", 6, 7, 6, 7);
	FMT("%.2s|%5s|%-5s|", "abcdef", "ab", "ab");
	FMT("%c%c%c", 'a', 'b', 'c');
	FMT("%zu %td", (size_t)SIZE_MAX, (ptrdiff_t)-1);
	FMT("%5.1f|%-8.3e|", 3.14159, 31415.9);
	fmt_case("", "%%");
}

/* volatile, or the compiler works out snprintf's return value itself. */
static const char *volatile hello = "hello, world", *volatile empty = "";
static volatile int twelve_345 = 12345;
static volatile size_t one = 1;

static void test_snprintf(void)
{
	char buf[8];
	int n;

	memset(buf, 'x', sizeof(buf));
	n = snprintf(buf, sizeof(buf), "%s", hello);
	say("snprintf(buf, 8, \"hello, world\")", "returns %d, buf [%s]", n, buf);
	n = snprintf(NULL, 0, "%d", twelve_345);
	say("snprintf(NULL, 0, \"%d\", 12345)", "returns %d", n);
	memset(buf, 'x', sizeof(buf));
	n = snprintf(buf, one, "%s", hello);
	say("snprintf(buf, 1, \"hello, world\")", "returns %d, buf [%s]", n, buf);
	n = snprintf(buf, sizeof(buf), "%s", empty);
	say("snprintf(buf, 8, \"\")", "returns %d, buf [%s]", n, buf);
}

/* ---- strto* ---- */

static void strtod_case(const char *s)
{
	char *end = NULL;
	double v;

	errno = 0;
	v = strtod(s, &end);
	printf("strtod(\"%s\"): %g = %a, end +%d, errno %s\n", s, v, v, (int)(end - s),
	       errname(errno));
}

static void strtol_case(const char *s, int base)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(s, &end, base);
	/* glibc leaves end unset for a bad base; musl points it at s. */
	printf("strtol(\"%s\", %d): %ld, end +%d, errno %s\n", s, base, v,
	       end ? (int)(end - s) : -1, errname(errno));
}

static void strtoul_case(const char *s, int base)
{
	char *end = NULL;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, base);
	printf("strtoul(\"%s\", %d): %lu, end +%d, errno %s\n", s, base, v, (int)(end - s),
	       errname(errno));
}

static void test_strto(void)
{
	strtod_case("1e308");
	strtod_case("0x1p-3");
	strtod_case("inf");
	strtod_case("-Infinity");
	strtod_case("nan");
	strtod_case("1e400");
	strtod_case("-1e400");
	strtod_case("1e-400");
	strtod_case("4.9e-324");
	strtod_case("  -12.5e2xyz");
	strtod_case("0.1");
	strtod_case("1e");
	strtod_case("abc");

	strtol_case("  -42xyz", 10);
	strtol_case("0x1f", 0);
	strtol_case("017", 0);
	strtol_case("z", 36);
	strtol_case("0x", 16);
	strtol_case("9223372036854775807", 10);
	strtol_case("9223372036854775808", 10);
	strtol_case("-9223372036854775808", 10);
	strtol_case("-99999999999999999999", 10);
	strtol_case("abc", 10);
	strtol_case("10", 1);
	strtol_case("10", 37);
	strtoul_case("-1", 10);
	strtoul_case("18446744073709551615", 10);
	strtoul_case("18446744073709551616", 10);
	strtoul_case("-18446744073709551616", 10);
	strtoul_case("+0777", 8);
	strtoul_case("ffff", 16);
}

/* ---- qsort and bsearch ---- */

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void test_sort(void)
{
	int v[] = { 42, -7, 0, 19, 3, 3, -100, 88, 1, 65 };
	const char *words[] = { "pear", "apple", "fig", "banana", "cherry" };
	const size_t n = sizeof(v) / sizeof(v[0]), nw = sizeof(words) / sizeof(words[0]);
	int key;
	int *hit;

	qsort(v, n, sizeof(v[0]), cmp_int);
	printf("qsort(10 ints):");
	for (size_t i = 0; i < n; i++)
		printf(" %d", v[i]);
	putchar('\n');
	key = 19;
	hit = bsearch(&key, v, n, sizeof(v[0]), cmp_int);
	if (hit)
		say("bsearch(19)", "found at index %d", (int)(hit - v));
	else
		say("bsearch(19)", "not found");
	key = 20;
	hit = bsearch(&key, v, n, sizeof(v[0]), cmp_int);
	say("bsearch(20)", "%s", hit ? "found" : "not found");
	qsort(words, nw, sizeof(words[0]), cmp_str);
	printf("qsort(5 strings):");
	for (size_t i = 0; i < nw; i++)
		printf(" %s", words[i]);
	putchar('\n');
	qsort(v, 0, sizeof(v[0]), cmp_int);
	say("qsort(0 elements)", "ok");
}

/* ---- time ---- */

static void print_tm(const char *what, const struct tm *tm)
{
	say(what, "%04d-%02d-%02d %02d:%02d:%02d wday %d yday %d isdst %d", tm->tm_year + 1900,
	    tm->tm_mon + 1, tm->tm_mday, tm->tm_hour, tm->tm_min, tm->tm_sec, tm->tm_wday,
	    tm->tm_yday, tm->tm_isdst);
}

static void test_time(void)
{
	const time_t t = 1700000000;
	struct tm g, l;
	char buf[128];
	size_t n;

	/* A POSIX TZ string: musl needs no zoneinfo file for it. */
	setenv("TZ", "UTC", 1);
	tzset();
	print_tm("gmtime_r(1700000000)", gmtime_r(&t, &g));
	print_tm("localtime_r(1700000000) TZ=UTC", localtime_r(&t, &l));
	n = strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %Z %z %a %A %b %B %j %u %w %e %p", &l);
	say("strftime(all fields)", "%zu [%s]", n, buf);
	n = strftime(buf, sizeof(buf), "%c|%x|%X|%D|%T|%F|%s", &l);
	say("strftime(composites)", "%zu [%s]", n, buf);
	n = strftime(buf, 5, "%Y-%m-%d", &l);
	say("strftime(buf, 5, \"%Y-%m-%d\")", "returns %zu", n);
	say("mktime(localtime_r(1700000000))", "%lld", (long long)mktime(&l));
	say("asctime_r", "%s", strtok(asctime_r(&g, buf), "\n"));

	/* An offset zone, to show the conversion is more than a copy. */
	setenv("TZ", "EST5", 1);
	tzset();
	print_tm("localtime_r(1700000000) TZ=EST5", localtime_r(&t, &l));
	n = strftime(buf, sizeof(buf), "%H:%M %Z %z", &l);
	say("strftime(\"%H:%M %Z %z\") TZ=EST5", "[%s]", buf);
	setenv("TZ", "UTC", 1);
	tzset();
}

/* ---- networking without a network ---- */

static const char *family_name(int af)
{
	return af == AF_INET ? "AF_INET" : af == AF_INET6 ? "AF_INET6" : "other";
}

static const char *socktype_name(int type)
{
	return type == SOCK_STREAM ? "SOCK_STREAM" : type == SOCK_DGRAM ? "SOCK_DGRAM" : "other";
}

static const char *gai_name(int err)
{
	switch (err) {
	case 0:
		return "0";
	case EAI_NONAME:
		return "EAI_NONAME";
	case EAI_SERVICE:
		return "EAI_SERVICE";
	case EAI_FAMILY:
		return "EAI_FAMILY";
	case EAI_BADFLAGS:
		return "EAI_BADFLAGS";
	default:
		return "other";
	}
}

static void print_addrinfo(const struct addrinfo *ai)
{
	char addr[INET6_ADDRSTRLEN];
	const void *src;
	unsigned port;

	if (ai->ai_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ai->ai_addr;

		src = &sin->sin_addr;
		port = ntohs(sin->sin_port);
	} else {
		const struct sockaddr_in6 *sin6 = (const void *)ai->ai_addr;

		src = &sin6->sin6_addr;
		port = ntohs(sin6->sin6_port);
	}
	inet_ntop(ai->ai_family, src, addr, sizeof(addr));
	printf("  %s %s proto %d addr %s port %u\n", family_name(ai->ai_family),
	       socktype_name(ai->ai_socktype), ai->ai_protocol, addr, port);
}

static void gai_case(const char *host, const char *serv, int socktype)
{
	struct addrinfo hints, *res, *ai;
	int err, count = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = socktype;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	err = getaddrinfo(host, serv, &hints, &res);
	if (err) {
		printf("getaddrinfo(\"%s\", \"%s\", %s): %s\n", host, serv,
		       socktype ? socktype_name(socktype) : "any", gai_name(err));
		return;
	}
	for (ai = res; ai; ai = ai->ai_next)
		count++;
	printf("getaddrinfo(\"%s\", \"%s\", %s): 0, %d result(s)\n", host, serv,
	       socktype ? socktype_name(socktype) : "any", count);
	for (ai = res; ai; ai = ai->ai_next)
		print_addrinfo(ai);
	freeaddrinfo(res);
}

static void pton_case(int af, const char *s)
{
	unsigned char bin[16];
	char back[INET6_ADDRSTRLEN];
	int r = inet_pton(af, s, bin);

	if (r != 1) {
		printf("inet_pton(%s, \"%s\"): %d\n", family_name(af), s, r);
		return;
	}
	printf("inet_pton(%s, \"%s\"): 1, bytes", family_name(af), s);
	for (int i = 0; i < (af == AF_INET ? 4 : 16); i++)
		printf(" %02x", bin[i]);
	printf(", inet_ntop [%s]\n", inet_ntop(af, bin, back, sizeof(back)));
}

static void test_net(void)
{
	unsigned char bin[4] = { 10, 0, 0, 1 };
	char small[8];
	const char *r;
	int n;

	gai_case("127.0.0.1", "80", 0);
	gai_case("127.0.0.1", "80", SOCK_STREAM);
	gai_case("::1", "443", SOCK_DGRAM);
	gai_case("localhost", "80", 0);
	gai_case("127.0.0.1", "http", 0);

	pton_case(AF_INET, "192.168.1.254");
	pton_case(AF_INET, "256.1.1.1");
	pton_case(AF_INET, "1.2.3");
	pton_case(AF_INET6, "::ffff:1.2.3.4");
	pton_case(AF_INET6, "2001:db8:0:0:1:0:0:1");
	pton_case(AF_INET6, "1:2:3:4:5:6:7:8:9");
	pton_case(AF_INET6, "::");
	errno = 0;
	n = inet_pton(12345, "1.2.3.4", bin);
	say("inet_pton(12345, \"1.2.3.4\")", "%d, errno %s", n, errname(errno));
	errno = 0;
	r = inet_ntop(AF_INET, bin, small, sizeof(small));
	say("inet_ntop(10.0.0.1, 8-byte buffer)", "%s, errno %s", r ? r : "NULL", errname(errno));
	say("htons(0x1234)", "0x%04x", htons(0x1234));
}

/* ---- setjmp and longjmp ---- */

static jmp_buf env;

/* Called through a pointer so the compiler cannot see that it never returns. */
static void (*volatile jump)(jmp_buf, int) = longjmp;

/* Real frames between setjmp and longjmp, each with its own stack. */
static int __attribute__((noinline)) dive(int depth, int val)
{
	volatile char frame[64];

	frame[0] = (char)depth;
	if (depth == 0)
		jump(env, val);
	else
		dive(depth - 1, val);
	return frame[0];
}

static void test_jmp(void)
{
	volatile int kept = 1;
	int r;

	r = setjmp(env);
	if (r == 0) {
		kept = 2;
		dive(5, 42);
		say("longjmp", "did not jump");
		return;
	}
	if (r == 42) {
		say("setjmp after longjmp(env, 42) from 5 frames down",
		    "returns %d, volatile local %d", r, kept);
		/* longjmp(env, 0) makes setjmp return 1, per C. */
		dive(2, 0);
	}
	say("setjmp after longjmp(env, 0)", "returns %d", r);
}

/* ---- malloc ---- */

/* Stores here keep the compiler from pairing and deleting malloc and free. */
static void *volatile sink;

static void test_malloc(void)
{
	volatile size_t huge = SIZE_MAX / 2;
	size_t big = 1 << 20;
	unsigned char *p = malloc(big), *q;
	int ok;

	if (!p) {
		say("malloc(1 MiB)", "NULL");
		return;
	}
	memset(p, 0x5a, big);
	q = realloc(p, 4 * big);
	ok = q && q[0] == 0x5a && q[big - 1] == 0x5a;
	say("malloc(1 MiB) + realloc(4 MiB)", "%s", ok ? "data kept" : "data LOST");
	free(q ? q : p);
	p = calloc(1000, 1000);
	ok = p != NULL;
	for (size_t i = 0; ok && i < 1000000; i++)
		ok = !p[i];
	say("calloc(1000, 1000)", "%s", ok ? "zero filled" : "NOT zero filled");
	free(p);
	sink = p = malloc(0);
	say("malloc(0)", "%s", p ? "non-NULL" : "NULL");
	free(p);
	errno = 0;
	sink = p = malloc(huge);
	say("malloc(SIZE_MAX / 2)", "%s, errno %s", p ? "non-NULL" : "NULL", errname(errno));
	free(p);
}

/* ---- libm ---- */

static void test_math(void)
{
	/* volatile, so that libm computes these and not the compiler. */
	volatile double two = 2, one = 1, ten = 10, half = 0.5, zero = 0, pi = M_PI;

	say("sqrt(2)", "%.6g", sqrt(two));
	say("exp(1)", "%.6g", exp(one));
	say("log(10)", "%.6g", log(ten));
	say("log(0)", "%.6g", log(zero));
	say("pow(2, 0.5)", "%.6g", pow(two, half));
	say("pow(2, 10)", "%.6g", pow(two, ten));
	say("pow(10, -2)", "%.6g", pow(ten, -two));
	say("sin(1)", "%.6g", sin(one));
	say("sin(pi)", "%.6g", sin(pi));
	say("cos(pi)", "%.6g", cos(pi));
	say("atan2(1, 1)", "%.6g", atan2(one, one));
	say("floor(-0.5) ceil(-0.5) round(0.5)", "%g %g %g", floor(-half), ceil(-half),
	    round(half));
	say("fmod(10, 3)", "%.6g", fmod(ten, 3));
	say("sqrt(2) exactly", "%a", sqrt(two));
	say("exp(1) exactly", "%a", exp(one));
}

/* ---- exit ---- */

static void bye1(void)
{
	printf("atexit: handler 1 (registered first, runs last)\n");
}

static void bye2(void)
{
	printf("atexit: handler 2\n");
}

static void bye3(void)
{
	printf("atexit: handler 3 (registered last, runs first)\n");
}

int main(void)
{
	int a1 = atexit(bye1), a2 = atexit(bye2), a3 = atexit(bye3);

	say("atexit(1), atexit(2), atexit(3)", "%d %d %d", a1, a2, a3);
	test_printf();
	test_snprintf();
	test_strto();
	test_sort();
	test_time();
	test_net();
	test_jmp();
	test_malloc();
	test_math();
	printf("libctest: done\n");
	return 0;
}
