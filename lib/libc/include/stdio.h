#ifndef _STDIO_H
#define _STDIO_H

#include <stdarg.h>
#include <stddef.h>

#define EOF (-1)

typedef struct libc_file FILE;

extern FILE *const stdout;
extern FILE *const stderr;

#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

int printf(const char *restrict fmt, ...) PRINTF_LIKE(1, 2);
int fprintf(FILE *restrict f, const char *restrict fmt, ...) PRINTF_LIKE(2, 3);
int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...) PRINTF_LIKE(3, 4);
int vprintf(const char *restrict fmt, va_list ap);
int vfprintf(FILE *restrict f, const char *restrict fmt, va_list ap);
int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap);

int putchar(int c);
int puts(const char *s);
int fputc(int c, FILE *f);
int fputs(const char *restrict s, FILE *restrict f);
size_t fwrite(const void *restrict p, size_t size, size_t n, FILE *restrict f);
int fflush(FILE *f);

#endif
