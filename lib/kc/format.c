#include "lib/kc/format.h"

#include <stdio.h>

#include <stdint.h>
#include <string.h>

enum {
	F_LEFT = 1 << 0,  /* '-' */
	F_PLUS = 1 << 1,  /* '+' */
	F_SPACE = 1 << 2, /* ' ' */
	F_ALT = 1 << 3,	  /* '#' */
	F_ZERO = 1 << 4,  /* '0' */
};

enum length { LEN_INT, LEN_CHAR, LEN_SHORT, LEN_LONG, LEN_LLONG, LEN_SIZE, LEN_PTRDIFF, LEN_MAX };

struct spec {
	unsigned flags;
	int width;
	int prec; /* -1: none given */
	enum length len;
};

struct out {
	fmt_out_fn fn;
	void *ctx;
	int count;
};

static void emit(struct out *o, const char *s, size_t n)
{
	if (n) {
		o->fn(o->ctx, s, n);
		o->count += (int)n;
	}
}

static void pad(struct out *o, char c, int n)
{
	char buf[16];

	memset(buf, c, sizeof(buf));
	while (n > 0) {
		int k = n < (int)sizeof(buf) ? n : (int)sizeof(buf);
		emit(o, buf, (size_t)k);
		n -= k;
	}
}

/* Writes prefix, zero padding, digits and field padding for one number. */
static void emit_number(struct out *o, const struct spec *sp, const char *prefix,
			const char *digits, int ndigits)
{
	int plen = (int)strlen(prefix);
	int zeros = sp->prec > ndigits ? sp->prec - ndigits : 0;
	int total = plen + zeros + ndigits;
	int fill = sp->width > total ? sp->width - total : 0;

	if (!(sp->flags & F_LEFT) && (sp->flags & F_ZERO) && sp->prec < 0) {
		zeros += fill;
		fill = 0;
	}
	if (!(sp->flags & F_LEFT))
		pad(o, ' ', fill);
	emit(o, prefix, (size_t)plen);
	pad(o, '0', zeros);
	emit(o, digits, (size_t)ndigits);
	if (sp->flags & F_LEFT)
		pad(o, ' ', fill);
}

static void format_int(struct out *o, const struct spec *sp, uintmax_t v, int is_signed,
		       unsigned base, int upper)
{
	const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24];
	char prefix[3] = "";
	int n = 0;

	if (is_signed && (intmax_t)v < 0) {
		v = -v;
		prefix[0] = '-';
	} else if (is_signed && (sp->flags & F_PLUS)) {
		prefix[0] = '+';
	} else if (is_signed && (sp->flags & F_SPACE)) {
		prefix[0] = ' ';
	}
	while (v) {
		buf[sizeof(buf) - 1 - n++] = set[v % base];
		v /= base;
	}
	if ((sp->flags & F_ALT) && base == 16 && n) {
		prefix[0] = '0';
		prefix[1] = upper ? 'X' : 'x';
	}
	if ((sp->flags & F_ALT) && base == 8 && sp->prec <= n)
		buf[sizeof(buf) - 1 - n++] = '0';
	if (n == 0 && sp->prec != 0)
		buf[sizeof(buf) - 1 - n++] = '0';
	emit_number(o, sp, prefix, buf + sizeof(buf) - n, n);
}

static void format_str(struct out *o, const struct spec *sp, const char *s)
{
	size_t n;
	int fill;

	if (!s)
		s = "(null)";
	n = sp->prec >= 0 ? strnlen(s, (size_t)sp->prec) : strlen(s);
	fill = sp->width > (int)n ? sp->width - (int)n : 0;
	if (!(sp->flags & F_LEFT))
		pad(o, ' ', fill);
	emit(o, s, n);
	if (sp->flags & F_LEFT)
		pad(o, ' ', fill);
}

static uintmax_t arg_unsigned(enum length len, va_list *ap)
{
	switch (len) {
	case LEN_CHAR:
		return (unsigned char)va_arg(*ap, unsigned);
	case LEN_SHORT:
		return (unsigned short)va_arg(*ap, unsigned);
	case LEN_LONG:
		return va_arg(*ap, unsigned long);
	case LEN_LLONG:
		return va_arg(*ap, unsigned long long);
	case LEN_SIZE:
		return va_arg(*ap, size_t);
	case LEN_PTRDIFF:
		return (uintmax_t)va_arg(*ap, ptrdiff_t);
	case LEN_MAX:
		return va_arg(*ap, uintmax_t);
	default:
		return va_arg(*ap, unsigned);
	}
}

static uintmax_t arg_signed(enum length len, va_list *ap)
{
	switch (len) {
	case LEN_CHAR:
		return (uintmax_t)(intmax_t)(signed char)va_arg(*ap, int);
	case LEN_SHORT:
		return (uintmax_t)(intmax_t)(short)va_arg(*ap, int);
	case LEN_LONG:
		return (uintmax_t)(intmax_t)va_arg(*ap, long);
	case LEN_LLONG:
		return (uintmax_t)(intmax_t)va_arg(*ap, long long);
	case LEN_SIZE:
		return (uintmax_t)(intmax_t)va_arg(*ap, ptrdiff_t);
	case LEN_PTRDIFF:
		return (uintmax_t)(intmax_t)va_arg(*ap, ptrdiff_t);
	case LEN_MAX:
		return (uintmax_t)va_arg(*ap, intmax_t);
	default:
		return (uintmax_t)(intmax_t)va_arg(*ap, int);
	}
}

/* Parses flags, width, precision and length; returns the conversion char. */
static const char *parse_spec(const char *p, struct spec *sp, va_list *ap)
{
	*sp = (struct spec){ .prec = -1 };
	for (;; p++) {
		if (*p == '-')
			sp->flags |= F_LEFT;
		else if (*p == '+')
			sp->flags |= F_PLUS;
		else if (*p == ' ')
			sp->flags |= F_SPACE;
		else if (*p == '#')
			sp->flags |= F_ALT;
		else if (*p == '0')
			sp->flags |= F_ZERO;
		else
			break;
	}
	if (*p == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {
			sp->flags |= F_LEFT;
			sp->width = -sp->width;
		}
		p++;
	}
	while (*p >= '0' && *p <= '9')
		sp->width = sp->width * 10 + (*p++ - '0');
	if (*p == '.') {
		p++;
		sp->prec = 0;
		if (*p == '*') {
			sp->prec = va_arg(*ap, int);
			p++;
		}
		while (*p >= '0' && *p <= '9')
			sp->prec = sp->prec * 10 + (*p++ - '0');
	}
	if (p[0] == 'h' && p[1] == 'h') {
		sp->len = LEN_CHAR;
		p += 2;
	} else if (p[0] == 'l' && p[1] == 'l') {
		sp->len = LEN_LLONG;
		p += 2;
	} else if (*p == 'h' || *p == 'l' || *p == 'z' || *p == 't' || *p == 'j') {
		sp->len = *p == 'h'   ? LEN_SHORT
			  : *p == 'l' ? LEN_LONG
			  : *p == 'z' ? LEN_SIZE
			  : *p == 't' ? LEN_PTRDIFF
				      : LEN_MAX;
		p++;
	}
	return p;
}

/* Handles one conversion at p (after '%'); returns the char after it. */
static const char *convert(struct out *o, const char *start, va_list *ap)
{
	struct spec sp;
	const char *p = parse_spec(start, &sp, ap);
	char c;

	switch (*p) {
	case 'd':
	case 'i':
		format_int(o, &sp, arg_signed(sp.len, ap), 1, 10, 0);
		break;
	case 'u':
		format_int(o, &sp, arg_unsigned(sp.len, ap), 0, 10, 0);
		break;
	case 'o':
		format_int(o, &sp, arg_unsigned(sp.len, ap), 0, 8, 0);
		break;
	case 'x':
		format_int(o, &sp, arg_unsigned(sp.len, ap), 0, 16, 0);
		break;
	case 'X':
		format_int(o, &sp, arg_unsigned(sp.len, ap), 0, 16, 1);
		break;
	case 'p':
		sp.flags |= F_ALT;
		format_int(o, &sp, (uintptr_t)va_arg(*ap, void *), 0, 16, 0);
		break;
	case 's':
		format_str(o, &sp, va_arg(*ap, const char *));
		break;
	case 'c':
		c = (char)va_arg(*ap, int);
		sp.prec = -1;
		emit_number(o, &sp, "", &c, 1);
		break;
	case '%':
		emit(o, "%", 1);
		break;
	case '\0':
		emit(o, start - 1, (size_t)(p - start + 1));
		return p;
	default:
		emit(o, start - 1, (size_t)(p - start + 2));
		break;
	}
	return p + 1;
}

int fmt_vformat(fmt_out_fn fn, void *ctx, const char *fmt, va_list ap)
{
	struct out o = { .fn = fn, .ctx = ctx };
	va_list args;

	va_copy(args, ap);
	while (*fmt) {
		const char *pct = strchr(fmt, '%');

		if (!pct) {
			emit(&o, fmt, strlen(fmt));
			break;
		}
		emit(&o, fmt, (size_t)(pct - fmt));
		fmt = convert(&o, pct + 1, &args);
	}
	va_end(args);
	return o.count;
}

struct strbuf {
	char *buf;
	size_t size;
	size_t len;
};

static void strbuf_out(void *ctx, const char *s, size_t n)
{
	struct strbuf *b = ctx;

	if (b->len + 1 < b->size) {
		size_t room = b->size - 1 - b->len;

		memcpy(b->buf + b->len, s, n < room ? n : room);
	}
	b->len += n;
}

int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap)
{
	struct strbuf b = { .buf = buf, .size = size };
	int n = fmt_vformat(strbuf_out, &b, fmt, ap);

	if (size)
		buf[b.len < size ? b.len : size - 1] = '\0';
	return n;
}

int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
