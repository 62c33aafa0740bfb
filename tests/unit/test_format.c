/*
 * fmt_vformat(), the printf engine behind printk, snprintf and printf. Most
 * cases compare it with the host's vsnprintf, which C defines for every format
 * used there (the compiler checks the arguments against each format). The
 * rest pin down what is ours alone: unknown conversions are copied out.
 */
#define CHECK_SUITE "format"
#include "tests/unit/check.h"

#include <inttypes.h>
#include <limits.h>
#include <sys/types.h>

#include "lib/kc/format.h"

#define OUT_MAX 4096

/* Collects fmt_vformat's output. */
struct sink {
	char buf[OUT_MAX];
	size_t len;
	bool overflow;
};

static void sink_out(void *ctx, const char *s, size_t n)
{
	struct sink *k = ctx;

	if (n >= sizeof(k->buf) - k->len) {
		k->overflow = true;
		return;
	}
	memcpy(k->buf + k->len, s, n);
	k->len += n;
	k->buf[k->len] = '\0';
}

/* Formats into k and checks that the return value counts the bytes produced. */
static int format_into(const char *file, int line, struct sink *k, const char *fmt, va_list ap)
{
	int ret;

	*k = (struct sink){ .len = 0 };
	ret = fmt_vformat(sink_out, k, fmt, ap);
	if (k->overflow)
		check_fail(file, line, "\"%s\": more than %d bytes of output", fmt, OUT_MAX - 1);
	if (ret < 0 || (size_t)ret != k->len)
		check_fail(file, line, "\"%s\": returned %d for %zu bytes", fmt, ret, k->len);
	return ret;
}

/* fmt_vformat(fmt, ...) must produce what the host's vsnprintf does. */
#define CHECK_LIBC(fmt, ...) check_libc(__FILE__, __LINE__, fmt, ##__VA_ARGS__)

__attribute__((format(printf, 3, 4))) static void check_libc(const char *file, int line,
							     const char *fmt, ...)
{
	char want[OUT_MAX];
	struct sink got;
	va_list ap;
	int n, ret;

	va_start(ap, fmt);
	n = vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	va_start(ap, fmt);
	ret = format_into(file, line, &got, fmt, ap);
	va_end(ap);
	if (ret != n || got.len != (size_t)n || memcmp(got.buf, want, got.len))
		check_fail(file, line, "\"%s\": got \"%s\" (%d bytes), libc \"%s\" (%d bytes)", fmt,
			   got.buf, ret, want, n);
}

/* fmt_vformat(fmt, ...) must produce want; for formats libc does not share. */
#define CHECK_FORMAT(want, fmt, ...) check_format(__FILE__, __LINE__, want, fmt, ##__VA_ARGS__)

static void check_format(const char *file, int line, const char *want, const char *fmt, ...)
{
	struct sink got;
	va_list ap;

	va_start(ap, fmt);
	format_into(file, line, &got, fmt, ap);
	va_end(ap);
	if (strcmp(got.buf, want))
		check_fail(file, line, "\"%s\": got \"%s\", want \"%s\"", fmt, got.buf, want);
}

TEST(signed_decimal)
{
	CHECK_LIBC("%d", 0);
	CHECK_LIBC("%d", 42);
	CHECK_LIBC("%d", -42);
	CHECK_LIBC("%i", -7);
	CHECK_LIBC("%5d|", 42);
	CHECK_LIBC("%-5d|", 42);
	CHECK_LIBC("%1d", 12345);
	CHECK_LIBC("%05d", 42);
	CHECK_LIBC("%05d", -42);
	CHECK_LIBC("%+d", 42);
	CHECK_LIBC("%+d", -42);
	CHECK_LIBC("%+d", 0);
	CHECK_LIBC("% d", 42);
	CHECK_LIBC("% d", -42);
	CHECK_LIBC("%+5d", 42);
	CHECK_LIBC("%-+6d|", 42);
	CHECK_LIBC("% 05d", 42);
	CHECK_LIBC("%+05d", -42);
	CHECK_LIBC("%.3d", 7);
	CHECK_LIBC("%.3d", -7);
	CHECK_LIBC("%.1d", 123);
	CHECK_LIBC("%6.3d|", -7);
	CHECK_LIBC("%-6.3d|", 7);
	CHECK_LIBC("%+.3d", 7);
	CHECK_LIBC("%.0d", 0);
	CHECK_LIBC("%.d", 0);
	CHECK_LIBC("%.0d", 3);
	CHECK_LIBC("%5.0d|", 0);
	CHECK_LIBC("%-5.0d|", 0);
	CHECK_LIBC("%+.0d", 0);
	CHECK_LIBC("% .0d", 0);
	/* More padding than the engine pads in one run. */
	CHECK_LIBC("%40d|", 1);
	CHECK_LIBC("%-40d|", 9);
	CHECK_LIBC("%040d", -5);
	CHECK_LIBC("%.40d", -1);
	CHECK_LIBC("%1000d", 1);
}

TEST(unsigned_octal_hex)
{
	CHECK_LIBC("%u", 0u);
	CHECK_LIBC("%u", 42u);
	CHECK_LIBC("%5u|", 42u);
	CHECK_LIBC("%-5u|", 42u);
	CHECK_LIBC("%05u", 42u);
	CHECK_LIBC("%.0u", 0u);
	CHECK_LIBC("%o", 0u);
	CHECK_LIBC("%o", 8u);
	CHECK_LIBC("%#o", 0u);
	CHECK_LIBC("%#o", 8u);
	CHECK_LIBC("%#.2o", 8u);
	CHECK_LIBC("%#.3o", 8u);
	CHECK_LIBC("%.0o", 0u);
	CHECK_LIBC("%#.0o", 0u);
	CHECK_LIBC("%#5o|", 8u);
	CHECK_LIBC("%#-5o|", 8u);
	CHECK_LIBC("%#05o", 8u);
	CHECK_LIBC("%x", 0u);
	CHECK_LIBC("%x", 0xbeefu);
	CHECK_LIBC("%X", 0xbeefu);
	CHECK_LIBC("%#x", 0u);
	CHECK_LIBC("%#x", 255u);
	CHECK_LIBC("%#X", 255u);
	CHECK_LIBC("%.0x", 0u);
	CHECK_LIBC("%#.0x", 0u);
	CHECK_LIBC("%#.3x", 0u);
	CHECK_LIBC("%08x", 0xabcu);
	CHECK_LIBC("%#08x", 0xabcu);
	CHECK_LIBC("%#010X", 0xabcu);
	CHECK_LIBC("%-#10x|", 0xabcu);
	CHECK_LIBC("%.4x", 0xabu);
	CHECK_LIBC("%#.4x", 0xabu);
	CHECK_LIBC("%#10.4x|", 0xabu);
	CHECK_LIBC("%x %X %o %u", 10u, 11u, 12u, 13u);
}

/* Combinations C defines (mostly: the flag is ignored) that GCC warns about all the same. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
TEST(flag_combinations)
{
	CHECK_LIBC("%-05d|", 42);
	CHECK_LIBC("%-05d|", -42);
	CHECK_LIBC("%08.3d", 42);
	CHECK_LIBC("%08.3d", -42);
	CHECK_LIBC("%08.0d", 0);
	CHECK_LIBC("%08.3x", 0xau);
	CHECK_LIBC("%+ d", 42);
	CHECK_LIBC("% +d", 42);
	CHECK_LIBC("%+u", 42u);
	CHECK_LIBC("% u", 42u);
	CHECK_LIBC("%+x", 255u);
	CHECK_LIBC("% o", 8u);
	/* A negative '*' precision counts as none, so '0' pads. */
	CHECK_LIBC("%05.*d|", -3, 7);
}
#pragma GCC diagnostic pop

TEST(chars)
{
	CHECK_LIBC("%c", 'a');
	CHECK_LIBC("[%c]", '\0');
	CHECK_LIBC("%3c|", 'x');
	CHECK_LIBC("%-3c|", 'x');
	CHECK_LIBC("%c%c", 'a', 'b');
	/* An int argument, converted to unsigned char. */
	CHECK_LIBC("%c", 256 + 'A');
	CHECK_LIBC("%c", -1);
}

TEST(strings)
{
	/* Precision bounds the read: this array has no terminator. */
	static const char unterminated[3] = { 'a', 'b', 'c' };

	CHECK_LIBC("%s", "");
	CHECK_LIBC("%s", "hello");
	CHECK_LIBC("%8s|", "hello");
	CHECK_LIBC("%-8s|", "hello");
	CHECK_LIBC("%3s|", "hello");
	CHECK_LIBC("%.2s|", "hello");
	CHECK_LIBC("%.0s|", "hello");
	CHECK_LIBC("%.10s|", "hello");
	CHECK_LIBC("%8.2s|", "hello");
	CHECK_LIBC("%-8.2s|", "hello");
	CHECK_LIBC("%40s|", "x");
	CHECK_LIBC("%s and %s", "this", "that");
	CHECK_LIBC("%.3s", unterminated);
}

TEST(null_string)
{
	/* glibc prints "" for a precision under 6; ours prints a cut "(null)", so those are left out. */
	const char *volatile null = NULL;

	CHECK_LIBC("%s", null);
	CHECK_LIBC("%10s|", null);
	CHECK_LIBC("%-10s|", null);
	CHECK_LIBC("%.6s|", null);
	CHECK_LIBC("%.8s|", null);
	CHECK_FORMAT("(null)", "%s", null);
}

TEST(pointers)
{
	/* NULL is left out: glibc prints "(nil)". */
	int local;

	CHECK_LIBC("%p", (void *)0x1234);
	CHECK_LIBC("%p", (void *)&local);
	CHECK_LIBC("%p", (void *)UINTPTR_MAX);
	CHECK_LIBC("%20p|", (void *)0xabcdef);
	CHECK_LIBC("%-20p|", (void *)0xabcdef);
	CHECK_LIBC("%2p|", (void *)0xabcdef);
}

TEST(star_width_and_precision)
{
	CHECK_LIBC("%*d|", 5, 42);
	CHECK_LIBC("%*d|", 0, 42);
	CHECK_LIBC("%-*d|", 5, 42);
	/* A negative '*' width means '-' and its absolute value. */
	CHECK_LIBC("%*d|", -5, 42);
	CHECK_LIBC("%-*d|", -5, 42);
	CHECK_LIBC("%0*d|", 5, -42);
	CHECK_LIBC("%0*d|", -5, 42);
	CHECK_LIBC("%*s|", 6, "ab");
	CHECK_LIBC("%*s|", -6, "ab");
	CHECK_LIBC("%*c|", -3, 'x');
	CHECK_LIBC("%*x|%*x|", 4, 1u, -4, 2u);
	CHECK_LIBC("%.*d", 3, 7);
	CHECK_LIBC("%.*d", 0, 0);
	/* A negative '*' precision counts as none. */
	CHECK_LIBC("%.*d", -1, 0);
	CHECK_LIBC("%.*d", -3, 7);
	CHECK_LIBC("%.*s|", 3, "abcdef");
	CHECK_LIBC("%.*s|", -1, "abc");
	CHECK_LIBC("%*.*d|", 8, 4, -42);
	CHECK_LIBC("%*.*d|", -8, 4, -42);
	CHECK_LIBC("%*.*s|", 6, 2, "abc");
}

TEST(length_modifiers)
{
	/* hh and h take an int and convert it to the narrow type. */
	CHECK_LIBC("%hhd", 200);
	CHECK_LIBC("%hhd", -129);
	CHECK_LIBC("%hhu", 257);
	CHECK_LIBC("%hhx", 0x1ff);
	CHECK_LIBC("%hd", 70000);
	CHECK_LIBC("%hu", -1);
	CHECK_LIBC("%hx", 0x12345);
	CHECK_LIBC("%hhi %hi", -1, -1);
	CHECK_LIBC("%ld", -123456789012L);
	CHECK_LIBC("%li", 123456789012L);
	CHECK_LIBC("%lu", 123456789012UL);
	CHECK_LIBC("%lx", 0x123456789abUL);
	CHECK_LIBC("%lo", 0x123456789abUL);
	CHECK_LIBC("%lld", -123456789012345LL);
	CHECK_LIBC("%llu", 123456789012345ULL);
	CHECK_LIBC("%llX", 0xfedcba987654ULL);
	CHECK_LIBC("%zu", (size_t)123456789012);
	CHECK_LIBC("%zd", (ssize_t)-5);
	CHECK_LIBC("%zx", (size_t)0xabc);
	CHECK_LIBC("%td", (ptrdiff_t)-7);
	CHECK_LIBC("%tx", (ptrdiff_t)0x10);
	CHECK_LIBC("%jd", (intmax_t)-99);
	CHECK_LIBC("%ju", (uintmax_t)99);
	/* The argument after a wide one is still read from the right place. */
	CHECK_LIBC("%lld %d %zu %c", -1LL, 2, (size_t)3, '4');
}

TEST(extremes)
{
	CHECK_LIBC("%d", INT_MIN);
	CHECK_LIBC("%d", INT_MAX);
	CHECK_LIBC("%+d", INT_MIN);
	CHECK_LIBC("%30d|", INT_MIN);
	CHECK_LIBC("%-30d|", INT_MIN);
	CHECK_LIBC("%030d", INT_MIN);
	CHECK_LIBC("%.15d", INT_MIN);
	CHECK_LIBC("%u", (unsigned)INT_MIN);
	CHECK_LIBC("%x", (unsigned)INT_MIN);
	CHECK_LIBC("%u", UINT_MAX);
	CHECK_LIBC("%#o", UINT_MAX);
	CHECK_LIBC("%hhd", SCHAR_MIN);
	CHECK_LIBC("%hd", SHRT_MIN);
	CHECK_LIBC("%ld", LONG_MIN);
	CHECK_LIBC("%lu", ULONG_MAX);
	CHECK_LIBC("%lld", LLONG_MIN);
	CHECK_LIBC("%lld", LLONG_MAX);
	CHECK_LIBC("%+lld", LLONG_MAX);
	CHECK_LIBC("%40lld|", LLONG_MIN);
	CHECK_LIBC("%llu", ULLONG_MAX);
	CHECK_LIBC("%llx", ULLONG_MAX);
	CHECK_LIBC("%llo", ULLONG_MAX);
	CHECK_LIBC("%#llo", ULLONG_MAX);
	CHECK_LIBC("%" PRId64, INT64_MIN);
	CHECK_LIBC("%" PRIu64, UINT64_MAX);
	CHECK_LIBC("%#" PRIx64, UINT64_MAX);
	CHECK_LIBC("%#" PRIX64, UINT64_MAX);
	CHECK_LIBC("%zu", SIZE_MAX);
	CHECK_LIBC("%zd", (ssize_t)PTRDIFF_MIN);
	CHECK_LIBC("%td", PTRDIFF_MIN);
	CHECK_LIBC("%jd", INTMAX_MIN);
	CHECK_LIBC("%ju", UINTMAX_MAX);
	CHECK_LIBC("%jx", UINTMAX_MAX);
}

TEST(text_and_percent)
{
	CHECK_FORMAT("", "");
	CHECK_LIBC("plain text");
	CHECK_LIBC("100%%");
	CHECK_LIBC("%%d");
	CHECK_LIBC("a%%b%%c");
	CHECK_LIBC("%%%d%%", 5);
	CHECK_LIBC("x=%d, y=%s, z=%#x\n", -1, "why", 0x2au);
	CHECK_LIBC("%d%d%d", 1, 2, 3);
}

TEST(unknown_conversions_are_copied_out)
{
	CHECK_FORMAT("%q", "%q");
	CHECK_FORMAT("a%qb", "a%qb");
	/* No floating point: these are unknown too. */
	CHECK_FORMAT("%f", "%f");
	CHECK_FORMAT("%e %g %a", "%e %g %a");
	CHECK_FORMAT("[%5.2f]", "[%5.2f]");
	CHECK_FORMAT("%-08.3lq", "%-08.3lq");
	/* No %n: nothing is stored through an argument. */
	CHECK_FORMAT("%n", "%n");
	/* An unknown conversion takes no argument. */
	CHECK_FORMAT("%q 7", "%q %d", 7);
	CHECK_FORMAT("%f 7 x", "%f %d %s", 7, "x");
}

TEST(trailing_percent_is_copied_out)
{
	CHECK_FORMAT("%", "%");
	CHECK_FORMAT("100%", "100%");
	CHECK_FORMAT("7%", "%d%", 7);
	/* A conversion cut short by the end of the format. */
	CHECK_FORMAT("abc%-5", "abc%-5");
	CHECK_FORMAT("%l", "%l");
}
