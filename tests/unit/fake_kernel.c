#include "tests/unit/fake_kernel.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/console.h"
#include "kernel/ksyms.h"
#include "kernel/printk.h"
#include "kernel/uaccess.h"
#include "sched/sync.h"

/*
 * lib/kc/include/stdlib.h's: that header shares its include guard with the
 * host's <stdlib.h>, so it cannot be included here beside it.
 */
void *kmalloc(size_t size);
void *kcalloc(size_t n, size_t size);
void *krealloc(void *p, size_t size);
void kfree(void *p);

#define CAPTURE_SIZE (64 * 1024)

/* Text captured since the last clear, always NUL-terminated. */
struct capture {
	const char *name;
	char text[CAPTURE_SIZE];
	size_t len;
};

static struct capture printk_out = { .name = "printk" };
static struct capture console_out = { .name = "console" };
static int printk_count; /* messages in printk_out */
bool fake_irqs_off;	 /* tests/unit/host/arch/x86_64/arch.h */

/* Room for n more bytes and the NUL; a test that needs more is wrong, so it stops. */
static char *capture_reserve(struct capture *c, size_t n)
{
	if (n >= sizeof(c->text) - c->len) {
		fprintf(stderr, "fake_kernel: the %s capture (%zu bytes) is full\n", c->name,
			sizeof(c->text));
		abort();
	}
	return c->text + c->len;
}

static void capture_clear(struct capture *c)
{
	c->len = 0;
	c->text[0] = '\0';
}

void printk(enum log_level level, const char *fmt, ...)
{
	static const char letter[] = "CEWID"; /* by enum log_level, as the kernel prints */
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	/* "W: " + the message + "\n" */
	p = capture_reserve(&printk_out, (size_t)n + 4);
	p += sprintf(p, "%c: ", letter[level]);
	va_start(ap, fmt);
	p += vsprintf(p, fmt, ap);
	va_end(ap);
	strcpy(p, "\n");
	printk_out.len += (size_t)n + 4;
	printk_count++;
}

/* No symbol table on the host: every address is unknown, as in a kernel built without one. */
const char *ksyms_lookup(uintptr_t addr, uintptr_t *offset)
{
	(void)addr;
	(void)offset;
	return NULL;
}

void ksyms_describe(uintptr_t addr, char *buf, size_t size)
{
	(void)addr;
	snprintf(buf, size, "?");
}

void console_write(const char *s, size_t n)
{
	char *p = capture_reserve(&console_out, n);

	memcpy(p, s, n);
	p[n] = '\0';
	console_out.len += n;
}

const char *fake_log(void)
{
	return printk_out.text;
}

int fake_log_count(void)
{
	return printk_count;
}

void fake_log_clear(void)
{
	capture_clear(&printk_out);
	printk_count = 0;
}

const char *fake_console(void)
{
	return console_out.text;
}

void fake_console_clear(void)
{
	capture_clear(&console_out);
}

/* Never NULL for 0 bytes, so that a module cannot take it for a failure. */
void *kmalloc(size_t size)
{
	return malloc(size ? size : 1);
}

size_t fake_kmalloc_try_max;

void *kmalloc_try(size_t size)
{
	return fake_kmalloc_try_max && size > fake_kmalloc_try_max ? NULL : kmalloc(size);
}

void *kcalloc(size_t n, size_t size)
{
	return calloc(n ? n : 1, size ? size : 1);
}

void *krealloc(void *p, size_t size)
{
	return realloc(p, size);
}

void kfree(void *p)
{
	free(p);
}

/* One thread, no thread pointer: a mutex is never contended nor held by another. */
int mutex_lock_contended(struct mutex *m, uint64_t deadline)
{
	(void)m, (void)deadline;
	fprintf(stderr, "fake_kernel: a mutex is contended, with one thread\n");
	abort();
}

int mutex_unlock_contended(struct mutex *m)
{
	(void)m;
	fprintf(stderr, "fake_kernel: a mutex is unlocked by a non-owner, with one thread\n");
	abort();
}

/* Application memory is plain memory here; NULL is the bad pointer. */
int copy_from_app(void *dst, const void *src, size_t n)
{
	if (!src)
		return -EFAULT;
	memcpy(dst, src, n);
	return 0;
}

int copy_to_app(void *dst, const void *src, size_t n)
{
	if (!dst)
		return -EFAULT;
	memcpy(dst, src, n);
	return 0;
}

long strncpy_from_app(char *buf, const char *src, size_t size)
{
	size_t n;

	if (!src)
		return -EFAULT;
	n = strnlen(src, size);
	if (n == size)
		return -ENAMETOOLONG;
	memcpy(buf, src, n + 1);
	return (long)n;
}
