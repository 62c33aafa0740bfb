#include "kernel/uaccess.h"

#include <errno.h>

#include "kernel/page.h"

long uaccess_copy(void *dst, const void *src, size_t n);
long uaccess_clear(void *dst, size_t n);
long uaccess_strnlen(const char *s, size_t max);

static struct {
	uint64_t faults;
} uaccess;

static int counted(long r)
{
	if (r < 0)
		uaccess.faults++;
	return (int)r;
}

int copy_from_app(void *dst, const void *app_src, size_t n)
{
	return counted(uaccess_copy(dst, app_src, n));
}

/* The kernel's own pages share the address space: a write through a bad pointer must miss them. */
int copy_to_app(void *app_dst, const void *src, size_t n)
{
	if (!page_is_app((uint64_t)app_dst, n))
		return counted(-EFAULT);
	return counted(uaccess_copy(app_dst, src, n));
}

int clear_app(void *app_dst, size_t n)
{
	if (!page_is_app((uint64_t)app_dst, n))
		return counted(-EFAULT);
	return counted(uaccess_clear(app_dst, n));
}

long strncpy_from_app(char *buf, const char *app_src, size_t size)
{
	long n = uaccess_strnlen(app_src, size);

	if (n < 0)
		return counted(n);
	if ((size_t)n == size)
		return -ENAMETOOLONG;
	/* Another thread may have unmapped it since: copied under the fixup too. */
	if (uaccess_copy(buf, app_src, (size_t)n) < 0)
		return counted(-EFAULT);
	buf[n] = '\0';
	return n;
}

uint64_t uaccess_faults(void)
{
	return uaccess.faults;
}
