/*
 * The kernel's printf engine: printk and snprintf format through it.
 * It is built without SSE (it runs in interrupt context too), so it has no
 * floating point conversions; an unknown conversion is copied out as it is.
 */
#ifndef LIB_KC_FORMAT_H
#define LIB_KC_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/* Receives the output, a run of n bytes at a time. */
typedef void (*fmt_out_fn)(void *ctx, const char *s, size_t n);

/* Formats fmt with ap into out; returns the number of bytes produced. */
int fmt_vformat(fmt_out_fn out, void *ctx, const char *fmt, va_list ap);

#endif
